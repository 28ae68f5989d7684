/**
 * Function calls: plain and set-returning functions, aggregates (with DISTINCT, ORDER BY and
 * FILTER, collected into the query level's AggCollector and replaced by a column), window
 * functions (collected per window specification), GROUPING(), and the calls whose value comes
 * from the session or statement (now(), current_user, nextval, current_setting, ...).
 * Exports: bindFuncCall, bindGroupingFunc, contextFunctions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { FuncCall, Node, SortBy } from '@pgsql/types';
import type { CallExpr, Expr } from '../ir/expr.js';
import { exprKey } from '../ir/expr-key.js';
import type { AggCall, SortKey } from '../ir/logical.js';
import { isAggregateName, resolveAggregate, resolveFunction, TypeOid } from '../registry/registry.js';
import { positionOf, strings, unwrap } from './ast.js';
import { bindExpr, foldCall } from './bind-expr.js';
import { makeSortKey, sortDirection } from './bind-order.js';
import { bindWindowCall, isWindowFunctionName } from './bind-window.js';
import type { ExprContext } from './binder.js';
import { coerceBool, coerceTo } from './coerce.js';

/** Functions evaluated against the execution context; name -> [argument types, result type]. */
export const contextFunctions: Record<string, [number[], number]> = {
  now: [[], TypeOid.timestamptz],
  transaction_timestamp: [[], TypeOid.timestamptz],
  statement_timestamp: [[], TypeOid.timestamptz],
  clock_timestamp: [[], TypeOid.timestamptz],
  current_date: [[], TypeOid.date],
  localtimestamp: [[], TypeOid.timestamp],
  current_user: [[], TypeOid.name],
  session_user: [[], TypeOid.name],
  current_database: [[], TypeOid.name],
  current_schema: [[], TypeOid.name],
  current_setting: [[TypeOid.text], TypeOid.text],
  set_config: [[TypeOid.text, TypeOid.text, TypeOid.bool], TypeOid.text],
  nextval: [[TypeOid.regclass], TypeOid.int8],
  currval: [[TypeOid.regclass], TypeOid.int8],
  setval: [[TypeOid.regclass, TypeOid.int8], TypeOid.int8],
  lastval: [[], TypeOid.int8],
  pg_backend_pid: [[], TypeOid.int4],
  version: [[], TypeOid.text],
};

export function bindFuncCall(node: Node, ec: ExprContext): Expr {
  const f = unwrap<FuncCall>(node, 'FuncCall') ?? {};
  const names = strings(f.funcname);
  const name = (names[names.length - 1] ?? '').toLowerCase();
  const position = positionOf(node);
  if (names.length > 1 && names[0] !== 'pg_catalog') {
    throw new KeelError(SqlState.UndefinedFunction, `function ${names.join('.')} does not exist`, {
      position,
    });
  }
  if (f.over !== undefined) return bindWindowCall(f, name, ec, position);
  if (isWindowFunctionName(name)) {
    throw new KeelError(SqlState.WrongObjectType, `window function ${name} requires an OVER clause`, {
      position,
    });
  }
  if (isAggregateName(name)) return bindAggregate(f, name, ec, position);
  if (f.agg_star || f.agg_distinct || f.agg_order !== undefined || f.agg_filter !== undefined) {
    throw new KeelError(SqlState.WrongObjectType, `${name} is not an aggregate function`, { position });
  }
  const args = (f.args ?? []).map((a) => bindExpr(a, ec));
  const context = contextFunctions[name];
  if (context !== undefined && context[0].length === args.length) {
    const coerced = args.map((a, i) =>
      coerceTo(ec.binder, a, context[0][i] ?? a.type, -1, { context: 'implicit', position }),
    );
    return { kind: 'context', name, args: coerced, type: context[1], typmod: -1 };
  }
  if (name === 'like_escape') return bindLikeEscape(args, ec, position);
  return bindPlainCall(name, args, ec, position);
}

function bindPlainCall(name: string, args: Expr[], ec: ExprContext, position: number | undefined): Expr {
  const {
    fn,
    args: declared,
    result,
  } = resolveFunction(
    name,
    args.map((a) => a.type),
    position,
  );
  const coerced = args.map((a, i) =>
    coerceTo(ec.binder, a, declared[i] ?? a.type, -1, { context: 'implicit', position }),
  );
  const call: CallExpr = {
    kind: 'call',
    name,
    args: coerced,
    strict: fn.strict,
    volatility: fn.volatility,
    argTypes: coerced.map((a) => a.type),
    fn: fn.fn,
    type: result,
    typmod: -1,
    returnsSet: fn.returnsSet,
  };
  return fn.returnsSet ? call : foldCall(call);
}

/** like_escape(pattern, escape): rewrites a pattern with a custom escape into the default '\' form. */
function bindLikeEscape(args: Expr[], ec: ExprContext, position: number | undefined): Expr {
  const [pattern, escapeChar] = args.map((a) =>
    coerceTo(ec.binder, a, TypeOid.text, -1, { context: 'implicit', position }),
  );
  const call: CallExpr = {
    kind: 'call',
    name: 'like_escape',
    args: [pattern ?? args[0] ?? constText(''), escapeChar ?? constText('\\')],
    strict: true,
    volatility: 'immutable',
    argTypes: [TypeOid.text, TypeOid.text],
    fn: ([p, e]) => convertEscape(p as string, e as string),
    type: TypeOid.text,
    typmod: -1,
  };
  return foldCall(call);
}

function constText(value: string): Expr {
  return { kind: 'const', value, type: TypeOid.text, typmod: -1 };
}

function convertEscape(pattern: string, escapeText: string): string {
  if ([...escapeText].length > 1)
    throw new KeelError(SqlState.InvalidEscapeSequence, 'invalid escape string', {
      hint: 'Escape string must be empty or one character.',
    });
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (escapeText !== '' && c === escapeText) {
      out += `\\${pattern[i + 1] ?? ''}`;
      i++;
    } else if (c === '\\') out += '\\\\';
    else out += c;
  }
  return out;
}

function bindAggregate(f: FuncCall, name: string, ec: ExprContext, position: number | undefined): Expr {
  if (ec.aggs === null) {
    throw new KeelError(SqlState.GroupingError, `aggregate functions are not allowed in ${ec.clause}`, {
      position,
    });
  }
  const inner: ExprContext = { ...ec, aggs: null, windows: null, clause: 'aggregate function calls' };
  const nested = (node: Node) => {
    try {
      return bindExpr(node, inner);
    } catch (error) {
      if (error instanceof KeelError && error.message.startsWith('aggregate functions are not allowed')) {
        throw new KeelError(SqlState.GroupingError, 'aggregate function calls cannot be nested', {
          position: error.position,
        });
      }
      throw error;
    }
  };
  const rawArgs = f.agg_star ? [] : (f.args ?? []).map(nested);
  const resolved = resolveAggregate(
    name,
    rawArgs.map((a) => a.type),
    position,
  );
  const args = rawArgs.map((a, i) =>
    coerceTo(ec.binder, a, resolved.args[i] ?? a.type, -1, { context: 'implicit', position }),
  );
  const filter =
    f.agg_filter === undefined
      ? null
      : coerceBool(ec.binder, nested(f.agg_filter), 'FILTER', positionOf(f.agg_filter));
  const orderBy: SortKey[] = (f.agg_order ?? []).map((o) => {
    const s = unwrap<SortBy>(o, 'SortBy') ?? {};
    return makeSortKey(nested(s.node ?? o), sortDirection(s), positionOf(s.node));
  });
  const distinct = f.agg_distinct ?? false;
  const key = `${name}|${distinct}|${args.map(exprKey).join(',')}|${filter === null ? '' : exprKey(filter)}|${orderBy.map((o) => `${exprKey(o.expr)}${o.descending}${o.nullsFirst}`).join(',')}`;
  const existing = ec.aggs.byKey.get(key);
  if (existing !== undefined)
    return { kind: 'column', id: existing, name, type: resolved.result, typmod: -1 };
  const id = ec.binder.newColumn(name);
  const call: AggCall = {
    id,
    name,
    agg: resolved.agg,
    args,
    argTypes: args.map((a) => a.type),
    type: resolved.result,
    star: f.agg_star ?? false,
    distinct,
    filter,
    orderBy,
  };
  ec.aggs.calls.push(call);
  ec.aggs.byKey.set(key, id);
  return { kind: 'column', id, name, type: resolved.result, typmod: -1 };
}

export function bindGroupingFunc(node: Node, ec: ExprContext): Expr {
  const g = unwrap<{ args?: Node[] }>(node, 'GroupingFunc') ?? {};
  if (ec.aggs === null) {
    throw new KeelError(SqlState.GroupingError, `grouping operations are not allowed in ${ec.clause}`, {
      position: positionOf(node),
    });
  }
  const args = (g.args ?? []).map((a) => bindExpr(a, { ...ec, aggs: null }));
  return { kind: 'grouping', args, indexes: [], groupingIdColumn: 0, type: TypeOid.int4, typmod: -1 };
}
