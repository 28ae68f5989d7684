/**
 * ORDER BY and LIMIT/OFFSET/FETCH over a finished query result (set operations and VALUES),
 * where sort keys may only name output columns by name or ordinal, and the LIMIT/OFFSET
 * expressions of every query.
 * Exports: applyOrderAndLimit, bindLimit.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node, SelectStmt, SortBy } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import type { PlanNode, SortKey } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';
import { intConst, nodeTag, positionOf, stringOf, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import { makeSortKey, sortDirection } from './bind-order.js';
import type { BoundQuery } from './bind-query.js';
import type { Binder, ExprContext } from './binder.js';
import { coerceTo } from './coerce.js';
import { Scope } from './scope.js';

export function applyOrderAndLimit(q: BoundQuery, s: SelectStmt, binder: Binder, scope: Scope): BoundQuery {
  let plan = q.plan;
  const keys: SortKey[] = [];
  for (const node of s.sortClause ?? []) {
    const sb = unwrap<SortBy>(node, 'SortBy') ?? {};
    const target = sb.node ?? node;
    const column = outputByOrdinalOrName(q, target);
    if (column === null) {
      throw new KeelError(SqlState.FeatureNotSupported, 'invalid UNION/INTERSECT/EXCEPT ORDER BY clause', {
        detail: 'Only result column names can be used, not expressions or functions.',
        position: positionOf(target),
      });
    }
    keys.push(makeSortKey(column, sortDirection(sb), positionOf(target)));
  }
  if (keys.length > 0) plan = { kind: 'sort', input: plan, keys, limit: null };
  plan = bindLimit(plan, s, binder, scope, keys);
  return { plan, columns: q.columns };
}

function outputByOrdinalOrName(q: BoundQuery, node: Node): Expr | null {
  const n = intConst(node);
  if (n !== null) {
    const c = q.columns[n - 1];
    if (c === undefined)
      throw new KeelError(SqlState.InvalidColumnReference, `ORDER BY position ${n} is not in select list`, {
        position: positionOf(node),
      });
    return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod };
  }
  if (nodeTag(node) !== 'ColumnRef') return null;
  const fields = unwrap<{ fields?: Node[] }>(node, 'ColumnRef')?.fields ?? [];
  if (fields.length !== 1) return null;
  const name = stringOf(fields[0]);
  const c = q.columns.find((col) => col.name === name);
  if (c === undefined) {
    throw new KeelError(SqlState.UndefinedColumn, `column "${name}" does not exist`, {
      position: positionOf(node),
    });
  }
  return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod };
}

function limitExpr(node: Node | undefined, binder: Binder, scope: Scope, clause: string): Expr | null {
  if (node === undefined) return null;
  const c = unwrap<{ isnull?: boolean }>(node, 'A_Const');
  if (c?.isnull) return null;
  const ec: ExprContext = { binder, scope: new Scope(scope.parent), aggs: null, windows: null, clause };
  const e = bindExpr(node, ec);
  return coerceTo(binder, e, TypeOid.int8, -1, { context: 'assignment', position: positionOf(node) });
}

/** Adds a Limit node for LIMIT/OFFSET/FETCH FIRST [WITH TIES]. */
export function bindLimit(
  plan: PlanNode,
  s: SelectStmt,
  binder: Binder,
  scope: Scope,
  keys: SortKey[],
): PlanNode {
  const limit = limitExpr(s.limitCount, binder, scope, 'LIMIT');
  const offset = limitExpr(s.limitOffset, binder, scope, 'OFFSET');
  if (limit === null && offset === null) return plan;
  const withTies = s.limitOption === 'LIMIT_OPTION_WITH_TIES';
  if (withTies && keys.length === 0) {
    throw new KeelError(SqlState.SyntaxError, 'WITH TIES cannot be specified without ORDER BY clause');
  }
  return { kind: 'limit', input: plan, limit, offset, withTies: withTies ? keys : null };
}
