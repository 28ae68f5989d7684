/**
 * Window function calls: the OVER clause (inline or a named WINDOW, PARTITION BY, ORDER BY and
 * the frame with PostgreSQL's frameOptions bits) and the call itself (ranking functions,
 * lag/lead/first_value/last_value/nth_value, or any aggregate). Calls with the same window share
 * one WindowNode; each call is replaced by a column of that node.
 * Exports: bindWindowCall, isWindowFunctionName, frameFromOptions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { FuncCall, Node, SortBy, WindowDef } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import { exprKey } from '../ir/expr-key.js';
import type { WindowCall, WindowFrame } from '../ir/logical.js';
import { isAggregateName, resolveAggregate, TypeOid } from '../registry/registry.js';
import { positionOf, unwrap } from './ast.js';
import { bindExpr, withPosition } from './bind-expr.js';
import { makeSortKey, sortDirection } from './bind-order.js';
import type { ExprContext, WindowSpec } from './binder.js';
import { coerceBool, coerceTo, coerceToCommon } from './coerce.js';

const rankingResult: Record<string, number> = {
  row_number: TypeOid.int8,
  rank: TypeOid.int8,
  dense_rank: TypeOid.int8,
  percent_rank: TypeOid.float8,
  cume_dist: TypeOid.float8,
  ntile: TypeOid.int4,
};
const valueFunctions = new Set(['lag', 'lead', 'first_value', 'last_value', 'nth_value']);

export function isWindowFunctionName(name: string): boolean {
  return name in rankingResult || valueFunctions.has(name);
}

const F = {
  range: 0x2,
  rows: 0x4,
  groups: 0x8,
  startUnboundedPreceding: 0x20,
  endUnboundedPreceding: 0x40,
  startUnboundedFollowing: 0x80,
  endUnboundedFollowing: 0x100,
  startCurrentRow: 0x200,
  endCurrentRow: 0x400,
  startOffsetPreceding: 0x800,
  endOffsetPreceding: 0x1000,
  startOffsetFollowing: 0x2000,
  endOffsetFollowing: 0x4000,
  excludeCurrentRow: 0x8000,
  excludeGroup: 0x10000,
  excludeTies: 0x20000,
};
const defaultFrameOptions = F.range | F.startUnboundedPreceding | F.endCurrentRow;

type Bound = WindowFrame['start'];

function bound(options: number, start: boolean, offset: Expr | null): Bound {
  const has = (startBit: number, endBit: number) => (options & (start ? startBit : endBit)) !== 0;
  if (has(F.startUnboundedPreceding, F.endUnboundedPreceding))
    return { kind: 'unboundedPreceding', offset: null };
  if (has(F.startUnboundedFollowing, F.endUnboundedFollowing))
    return { kind: 'unboundedFollowing', offset: null };
  if (has(F.startOffsetPreceding, F.endOffsetPreceding)) return { kind: 'preceding', offset };
  if (has(F.startOffsetFollowing, F.endOffsetFollowing)) return { kind: 'following', offset };
  return { kind: 'currentRow', offset: null };
}

export function frameFromOptions(
  options: number,
  startOffset: Expr | null,
  endOffset: Expr | null,
): WindowFrame {
  const mode = options & F.rows ? 'rows' : options & F.groups ? 'groups' : 'range';
  const exclude =
    options & F.excludeCurrentRow
      ? 'currentRow'
      : options & F.excludeGroup
        ? 'group'
        : options & F.excludeTies
          ? 'ties'
          : 'noOthers';
  return { mode, start: bound(options, true, startOffset), end: bound(options, false, endOffset), exclude };
}

function resolveDef(def: WindowDef, ec: ExprContext, position: number | undefined): WindowDef {
  const named = ec.windows?.named;
  const refName =
    def.refname ??
    (def.partitionClause === undefined &&
    def.orderClause === undefined &&
    def.frameOptions === defaultFrameOptions
      ? def.name
      : undefined);
  if (refName === undefined) return def;
  const base = named?.get(refName);
  if (base === undefined)
    throw new KeelError(SqlState.UndefinedObject, `window "${refName}" does not exist`, { position });
  const resolved = resolveDef(base, ec, position);
  return {
    partitionClause: resolved.partitionClause,
    orderClause: def.orderClause ?? resolved.orderClause,
    frameOptions:
      def.refname !== undefined && def.frameOptions !== defaultFrameOptions
        ? def.frameOptions
        : resolved.frameOptions,
    startOffset: def.startOffset ?? resolved.startOffset,
    endOffset: def.endOffset ?? resolved.endOffset,
  };
}

/** The offset type of RANGE ... PRECEDING/FOLLOWING, by ORDER BY type (PostgreSQL's in_range functions). */
function rangeOffsetType(orderType: number | null): number {
  switch (orderType) {
    case TypeOid.int2:
    case TypeOid.int4:
    case TypeOid.int8:
    case null:
      return TypeOid.int8;
    case TypeOid.float4:
    case TypeOid.float8:
      return TypeOid.float8;
    case TypeOid.date:
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
    case TypeOid.time:
    case TypeOid.interval:
      return TypeOid.interval;
    default:
      return orderType;
  }
}

function offsetExpr(
  node: Node | undefined,
  ec: ExprContext,
  mode: string,
  orderType: number | null,
): Expr | null {
  if (node === undefined) return null;
  const e = bindExpr(node, { ...ec, aggs: null, windows: null, clause: 'window definition' });
  const type = mode === 'range' ? rangeOffsetType(orderType) : TypeOid.int8;
  return coerceTo(ec.binder, e, type, -1, { context: 'implicit', position: positionOf(node) });
}

function bindSpec(def: WindowDef, ec: ExprContext, position: number | undefined): WindowSpec {
  const inner: ExprContext = { ...ec, windows: null, clause: 'window functions' };
  const partitionBy = (def.partitionClause ?? []).map((n) => bindExpr(n, inner));
  const orderBy = (def.orderClause ?? []).map((o) => {
    const s = unwrap<SortBy>(o, 'SortBy') ?? {};
    return makeSortKey(bindExpr(s.node ?? o, inner), sortDirection(s), positionOf(s.node));
  });
  const options = def.frameOptions ?? defaultFrameOptions;
  const mode = options & F.rows ? 'rows' : options & F.groups ? 'groups' : 'range';
  const orderType = orderBy[0]?.expr.type ?? null;
  if (
    mode === 'range' &&
    (def.startOffset !== undefined || def.endOffset !== undefined) &&
    orderBy.length !== 1
  ) {
    throw new KeelError(
      SqlState.WindowingError,
      'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column',
      { position },
    );
  }
  const frame = frameFromOptions(
    options,
    offsetExpr(def.startOffset, ec, mode, orderType),
    offsetExpr(def.endOffset, ec, mode, orderType),
  );
  const key = [
    partitionBy.map(exprKey).join(','),
    orderBy.map((o) => `${exprKey(o.expr)}${o.descending}${o.nullsFirst}`).join(','),
    options,
    frame.start.offset === null ? '' : exprKey(frame.start.offset),
    frame.end.offset === null ? '' : exprKey(frame.end.offset),
  ].join('|');
  return { partitionBy, orderBy, frame, key };
}

export function bindWindowCall(
  f: FuncCall,
  name: string,
  ec: ExprContext,
  position: number | undefined,
): Expr {
  if (ec.windows === null) {
    throw new KeelError(SqlState.WindowingError, `window functions are not allowed in ${ec.clause}`, {
      position,
    });
  }
  const spec = bindSpec(resolveDef(f.over ?? {}, ec, position), ec, position);
  const inner: ExprContext = { ...ec, windows: null, clause: 'window functions' };
  const args = f.agg_star ? [] : (f.args ?? []).map((a) => bindExpr(a, inner));
  const call = makeCall(name, args, f, ec, position);
  let entry = ec.windows.windows.find((w) => w.spec.key === spec.key);
  if (entry === undefined) {
    entry = { spec, calls: [] };
    ec.windows.windows.push(entry);
  }
  entry.calls.push(call);
  return { kind: 'column', id: call.id, name, type: call.type, typmod: -1 };
}

function makeCall(
  name: string,
  args: Expr[],
  f: FuncCall,
  ec: ExprContext,
  position: number | undefined,
): WindowCall {
  const id = ec.binder.newColumn(name);
  const filter =
    f.agg_filter === undefined
      ? null
      : coerceBool(ec.binder, bindExpr(f.agg_filter, { ...ec, windows: null }), 'FILTER');
  const ranking = rankingResult[name];
  if (ranking !== undefined) {
    const coerced = args.map((a) =>
      coerceTo(ec.binder, a, TypeOid.int4, -1, { context: 'implicit', position }),
    );
    return {
      id,
      name,
      type: ranking,
      args: coerced,
      argTypes: coerced.map((a) => a.type),
      agg: null,
      skipNulls: false,
      star: false,
      filter,
    };
  }
  if (valueFunctions.has(name)) return valueCall(id, name, args, ec, position, filter);
  if (!isAggregateName(name)) {
    throw new KeelError(
      SqlState.WrongObjectType,
      `OVER specified, but ${name} is not a window function nor an aggregate function`,
      { position },
    );
  }
  if (f.agg_distinct)
    throw new KeelError(SqlState.FeatureNotSupported, 'DISTINCT is not implemented for window functions', {
      position,
    });
  const resolved = withPosition(
    () =>
      resolveAggregate(
        name,
        args.map((a) => a.type),
      ),
    position,
  );
  const coerced = args.map((a, i) =>
    coerceTo(ec.binder, a, resolved.argTypes[i] ?? a.type, -1, { context: 'implicit', position }),
  );
  return {
    id,
    name,
    type: resolved.resultType,
    args: coerced,
    argTypes: coerced.map((a) => a.type),
    agg: resolved.aggregate,
    skipNulls: resolved.skipNulls,
    star: f.agg_star ?? false,
    filter,
  };
}

function valueCall(
  id: number,
  name: string,
  args: Expr[],
  ec: ExprContext,
  position: number | undefined,
  filter: Expr | null,
): WindowCall {
  const [value, ...rest] = args;
  if (value === undefined)
    throw new KeelError(SqlState.UndefinedFunction, `function ${name}() does not exist`, { position });
  // lag/lead(value anycompatible, offset int, default anycompatible): value and default take
  // their common type (PostgreSQL 13+), so lag(int2_col, 1, -1) is an integer.
  const dflt = name === 'lag' || name === 'lead' ? rest[1] : undefined;
  const common = coerceToCommon(ec.binder, dflt === undefined ? [value] : [value, dflt], name);
  const v = common.exprs[0] ?? value;
  const extra = rest.map((a, i) =>
    i === 0
      ? coerceTo(ec.binder, a, TypeOid.int4, -1, { context: 'implicit', position })
      : i === 1 && dflt !== undefined
        ? (common.exprs[1] ?? a)
        : coerceTo(ec.binder, a, v.type, -1, { context: 'implicit', position }),
  );
  const all = [v, ...extra];
  return {
    id,
    name,
    type: v.type,
    args: all,
    argTypes: all.map((a) => a.type),
    agg: null,
    skipNulls: false,
    star: false,
    filter,
  };
}
