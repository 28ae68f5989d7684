/**
 * Function calls: plain and set-returning functions, aggregates (with DISTINCT, ORDER BY and
 * FILTER, collected into the query level's AggCollector and replaced by a column), window
 * functions (collected per window specification), GROUPING(), and the calls whose value comes
 * from the session or statement (now(), current_user, nextval, current_setting, ...).
 * Exports: bindFuncCall, bindGroupingFunc, contextFunctions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { FuncCall, Node, SortBy } from '@pgsql/types';
import { catalogCallSignature } from '../../exec/catalog-calls.js';
import type { Expr } from '../ir/expr.js';
import { exprKey } from '../ir/expr-key.js';
import type { AggCall, SortKey } from '../ir/logical.js';
import { isAggregateName, resolveAggregate, resolveFunction, TypeOid } from '../registry/registry.js';
import { positionOf, strings, unwrap } from './ast.js';
import { bindExpr, bindResolvedCall, withPosition } from './bind-expr.js';
import { makeSortKey, sortDirection } from './bind-order.js';
import { bindWindowCall, isWindowFunctionName } from './bind-window.js';
import type { ExprContext } from './binder.js';
import { coerceBool, coerceTo } from './coerce.js';

/** Functions evaluated against the execution context; name -> [argument types, result type]. */
export const contextFunctions: Record<string, [number[], number]> = {
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
  const own = contextFunctions[name];
  const context =
    own !== undefined && own[0].length === args.length ? own : catalogCallSignature(name, args.length);
  if (context !== undefined) {
    // Catalog calls declare 0 for an argument whose own type is kept (text, name or oid).
    const coerced = args.map((a, i) =>
      coerceTo(ec.binder, a, context[0][i] || a.type, -1, { context: 'implicit', position }),
    );
    return { kind: 'context', name, args: coerced, type: context[1], typmod: -1 };
  }
  return bindPlainCall(name, args, f.func_variadic === true, ec, position);
}

function bindPlainCall(
  name: string,
  args: Expr[],
  variadicCall: boolean,
  ec: ExprContext,
  position: number | undefined,
): Expr {
  const resolved = withPosition(
    () =>
      resolveFunction(
        name,
        args.map((a) => a.type),
        { variadicCall },
      ),
    position,
  );
  return bindResolvedCall(name, resolved, args, ec, position);
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
  const resolved = withPosition(
    () =>
      resolveAggregate(
        name,
        rawArgs.map((a) => a.type),
      ),
    position,
  );
  const args = rawArgs.map((a, i) =>
    coerceTo(ec.binder, a, resolved.argTypes[i] ?? a.type, -1, { context: 'implicit', position }),
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
    return { kind: 'column', id: existing, name, type: resolved.resultType, typmod: -1 };
  const id = ec.binder.newColumn(name);
  const call: AggCall = {
    id,
    name,
    agg: resolved.aggregate,
    skipNulls: resolved.skipNulls,
    args,
    argTypes: args.map((a) => a.type),
    type: resolved.resultType,
    star: f.agg_star ?? false,
    distinct,
    filter,
    orderBy,
  };
  ec.aggs.calls.push(call);
  ec.aggs.byKey.set(key, id);
  return { kind: 'column', id, name, type: resolved.resultType, typmod: -1 };
}

export function bindGroupingFunc(node: Node, ec: ExprContext): Expr {
  const g = unwrap<{ args?: Node[] }>(node, 'GroupingFunc') ?? {};
  if (ec.aggs === null) {
    throw new KeelError(SqlState.GroupingError, `grouping operations are not allowed in ${ec.clause}`, {
      position: positionOf(node),
    });
  }
  ec.aggs.groupingUsed = true;
  const args = (g.args ?? []).map((a) => bindExpr(a, { ...ec, aggs: null }));
  return { kind: 'grouping', args, indexes: [], groupingIdColumn: 0, type: TypeOid.int4, typmod: -1 };
}
