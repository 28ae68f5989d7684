/**
 * UPDATE (SET, FROM, WHERE, RETURNING) and DELETE (USING, WHERE, RETURNING). The plan reads the
 * target's rows with their tids (joined with FROM/USING items), and the ModifyTable node writes;
 * quals and SET expressions over the target alone are kept for the READ COMMITTED re-check.
 * Exports: bindUpdate, bindDelete.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  DeleteStmt,
  MultiAssignRef,
  Node,
  ResTarget,
  SelectStmt,
  SubLink,
  UpdateStmt,
  WithClause,
} from '@pgsql/types';
import type { TableRelation } from '../../../catalog/objects.js';
import { collectColumns, type Expr, exprSome, mapExpr } from '../ir/expr.js';
import type { PlanNode } from '../ir/logical.js';
import { nodeTag, positionOf, unwrap } from './ast.js';
import { bindChecks, bindDefault, bindReturning, resolveTarget, rowScopeItem } from './bind-dml-common.js';
import { bindExpr } from './bind-expr.js';
import { bindFromClause, bindTable } from './bind-from.js';
import type { BoundStatement } from './bind-insert.js';
import { bindWith } from './bind-query.js';
import type { Binder, ExprContext } from './binder.js';
import { coerceBool, coerceTo } from './coerce.js';
import { Scope, type ScopeItem } from './scope.js';

interface Target {
  table: TableRelation;
  alias: string;
  scope: Scope;
  plan: PlanNode;
  item: ScopeItem;
  tid: number;
  /** ColumnIds of the scanned row by attnum-1 (dropped columns get a NULL constant id). */
  oldIds: number[];
  nullIds: { id: number; expr: Expr }[];
}

function scanTarget(
  rv: UpdateStmt['relation'],
  from: Node[] | undefined,
  binder: Binder,
  withClause: WithClause | undefined,
): Target {
  const scope = new Scope(null);
  if (withClause !== undefined) bindWith(withClause, binder, scope);
  const table = resolveTarget(rv, binder);
  const alias = rv?.alias?.aliasname ?? table.name;
  const bound = bindTable(table, alias, [], binder);
  const item = bound.items[0] as ScopeItem;
  scope.add(item);
  scope.starColumns.push(...bound.star);
  let plan = bound.plan;
  if (from !== undefined && from.length > 0) {
    const rest = bindFromClause(from, binder, scope);
    plan = {
      kind: 'join',
      joinType: 'inner',
      left: plan,
      right: rest,
      condition: [],
      method: 'nested',
      keys: [],
      lateral: false,
    };
  }
  const nullIds: { id: number; expr: Expr }[] = [];
  const oldIds = table.columns.map((c) => {
    const col = item.columns.find((x) => x.attnum === c.attnum);
    if (col !== undefined) return col.id;
    const id = binder.newColumn(c.name);
    nullIds.push({ id, expr: { kind: 'const', value: null, type: c.typeOid, typmod: -1 } });
    return id;
  });
  const tid = item.columns.find((c) => c.attnum === 0)?.id ?? 0;
  return { table, alias, scope, plan, item, tid, oldIds, nullIds };
}

function whereOf(stmt: { whereClause?: Node }, t: Target, binder: Binder): Expr | null {
  if (stmt.whereClause === undefined) return null;
  const ec: ExprContext = { binder, scope: t.scope, aggs: null, windows: null, clause: 'WHERE' };
  return coerceBool(binder, bindExpr(stmt.whereClause, ec), 'WHERE', positionOf(stmt.whereClause));
}

/** The part of an expression that can be re-evaluated on the newest row version alone. */
function recheckable(e: Expr | null, t: Target): Expr | null {
  if (e === null) return null;
  const own = new Set(t.item.columns.map((c) => c.id));
  if (exprSome(e, (x) => x.kind === 'subLink')) return null;
  for (const id of collectColumns(e)) if (!own.has(id)) return null;
  return e;
}

function passthrough(t: Target): { id: number; expr: Expr }[] {
  const ids = [t.tid, ...t.oldIds];
  return [
    ...ids
      .filter((id) => !t.nullIds.some((n) => n.id === id))
      .map((id) => ({ id, expr: { kind: 'column', id, name: '', type: 0, typmod: -1 } as Expr })),
    ...t.nullIds,
  ];
}

export function bindUpdate(stmt: UpdateStmt, binder: Binder): BoundStatement {
  const t = scanTarget(stmt.relation, stmt.fromClause, binder, stmt.withClause);
  const where = whereOf(stmt, t, binder);
  let plan: PlanNode = where === null ? t.plan : { kind: 'filter', input: t.plan, predicate: where };
  const ec: ExprContext = { binder, scope: t.scope, aggs: null, windows: null, clause: 'UPDATE' };
  const set = new Map<number, number>();
  const setExprs = new Map<number, Expr>();
  const outputs = passthrough(t);
  for (const node of stmt.targetList ?? []) {
    const rt = unwrap<ResTarget>(node, 'ResTarget') ?? {};
    const c = t.table.columns.find((x) => x.name === rt.name && !x.dropped);
    if (c === undefined) {
      throw new KeelError(
        SqlState.UndefinedColumn,
        `column "${rt.name}" of relation "${t.table.name}" does not exist`,
        { position: positionOf(node) },
      );
    }
    const val =
      rt.val !== undefined && nodeTag(rt.val) === 'MultiAssignRef' ? multiAssignSource(rt.val, node) : rt.val;
    if (c.identity === 'a' && val !== undefined && nodeTag(val) !== 'SetToDefault') {
      throw new KeelError(SqlState.GeneratedAlways, `column "${c.name}" can only be updated to DEFAULT`, {
        detail: `Column "${c.name}" is an identity column defined as GENERATED ALWAYS.`,
      });
    }
    const raw =
      val === undefined || nodeTag(val) === 'SetToDefault' ? bindDefault(c, binder) : bindExpr(val, ec);
    const value = coerceTo(binder, raw, c.typeOid, c.typmod, {
      context: 'assignment',
      column: c.name,
      position: positionOf(node),
    });
    const id = binder.newColumn(c.name);
    outputs.push({ id, expr: value });
    set.set(c.attnum, id);
    const own = recheckable(value, t);
    if (own !== null) setExprs.set(c.attnum, remapToRow(own, t));
  }
  plan = { kind: 'project', input: plan, outputs };
  const recheck = recheckable(where, t);
  const { ids } = rowScopeItem(t.table, t.alias, binder);
  const modify: PlanNode = {
    kind: 'modify',
    operation: 'update',
    table: t.table,
    input: plan,
    rowColumns: ids,
    spec: {
      kind: 'update',
      tid: t.tid,
      oldValues: t.oldIds,
      set,
      recheck: recheck === null ? null : remapToRow(recheck, t),
      setExprs,
    },
    checks: bindChecks(t.table, ids, binder),
  };
  const returning = bindReturning(stmt.returningList, modify, t.table, t.alias, ids, binder);
  return returning === null ? { plan: modify, columns: null } : returning;
}

/**
 * `SET (a, b) = (x, y)` arrives as one MultiAssignRef per column: column k takes the row's k-th
 * expression, or the k-th output of `(SELECT x, y ...)` (bound as its own scalar sub-query).
 */
function multiAssignSource(val: Node, node: Node): Node {
  const ref = unwrap<MultiAssignRef>(val, 'MultiAssignRef') ?? {};
  const index = (ref.colno ?? 1) - 1;
  const row = unwrap<{ args?: Node[] }>(ref.source, 'RowExpr');
  if (row !== null) {
    if ((row.args ?? []).length !== ref.ncolumns)
      throw new KeelError(SqlState.SyntaxError, 'number of columns does not match number of values', {
        position: positionOf(node),
      });
    return (row.args ?? [])[index] ?? { A_Const: { isnull: true } };
  }
  const link = unwrap<SubLink>(ref.source, 'SubLink');
  const select = unwrap<SelectStmt>(link?.subselect, 'SelectStmt');
  if (link === null || select === null)
    throw new KeelError(
      SqlState.FeatureNotSupported,
      'source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression',
      {
        position: positionOf(node),
      },
    );
  const targets = select.targetList ?? [];
  if (targets.length !== ref.ncolumns)
    throw new KeelError(SqlState.SyntaxError, 'number of columns does not match number of values', {
      position: positionOf(node),
    });
  const target = targets[index];
  return {
    SubLink: {
      ...link,
      subselect: { SelectStmt: { ...select, targetList: target === undefined ? [] : [target] } },
    },
  };
}

/** Re-check expressions read the row by its old-value ids (the ModifyOp compiles them over oldIds). */
function remapToRow(e: Expr, _t: Target): Expr {
  return mapExpr(e, () => null);
}

export function bindDelete(stmt: DeleteStmt, binder: Binder): BoundStatement {
  const t = scanTarget(stmt.relation, stmt.usingClause, binder, stmt.withClause);
  const where = whereOf(stmt, t, binder);
  let plan: PlanNode = where === null ? t.plan : { kind: 'filter', input: t.plan, predicate: where };
  plan = { kind: 'project', input: plan, outputs: passthrough(t) };
  const recheck = recheckable(where, t);
  const { ids } = rowScopeItem(t.table, t.alias, binder);
  const modify: PlanNode = {
    kind: 'modify',
    operation: 'delete',
    table: t.table,
    input: plan,
    rowColumns: ids,
    spec: { kind: 'delete', tid: t.tid, oldValues: t.oldIds, recheck },
    checks: [],
  };
  const returning = bindReturning(stmt.returningList, modify, t.table, t.alias, ids, binder);
  return returning === null ? { plan: modify, columns: null } : returning;
}
