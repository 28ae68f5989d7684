/**
 * What INSERT, UPDATE and DELETE share: the target table (42P01, 42809), the row scope of its
 * columns, column defaults and identity values, CHECK constraints bound over the row, and
 * RETURNING.
 * Exports: resolveTarget, rowScopeItem, bindDefault, bindChecks, bindReturning, bindSqlExpr.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node, RangeVar, ResTarget } from '@pgsql/types';
import type { Column, TableRelation } from '../../../catalog/objects.js';
import { parseSql } from '../../parse/parser.js';
import type { Expr } from '../ir/expr.js';
import type { PlanNode } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';
import { unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import type { OutputColumn } from './bind-query.js';
import { bindTargetList } from './bind-targets.js';
import type { Binder, ExprContext } from './binder.js';
import { coerceTo, resolveUnknownAsText } from './coerce.js';
import { Scope, type ScopeItem } from './scope.js';

export function resolveTarget(rv: RangeVar | undefined, binder: Binder): TableRelation {
  const name = rv?.relname ?? '';
  const schema = rv?.schemaname ?? null;
  const position = rv?.location === undefined ? undefined : rv.location + 1;
  const rel = binder.ctx.catalog.resolveRelation(schema, name);
  if (rel === null)
    throw new KeelError(
      SqlState.UndefinedTable,
      `relation "${schema === null ? name : `${schema}.${name}`}" does not exist`,
      { position },
    );
  if (!('kind' in rel) || rel.kind !== 'table') {
    throw new KeelError(SqlState.WrongObjectType, `cannot modify "${name}" because it is not a table`, {
      position,
    });
  }
  binder.lock(rel.oid, 'RowExclusiveLock');
  return rel;
}

/** A scope item over a row of `table`: one ColumnId per attnum (dropped columns get ids too). */
export function rowScopeItem(
  table: TableRelation,
  alias: string,
  binder: Binder,
): { item: ScopeItem; ids: number[] } {
  const ids = table.columns.map((c) => binder.newColumn(`${alias}.${c.name}`));
  const columns = table.columns.map((c, i) => ({
    id: ids[i] ?? 0,
    name: c.name,
    type: c.typeOid,
    typmod: c.typmod,
    tableOid: table.oid,
    attnum: c.attnum,
    hidden: c.dropped,
  }));
  return { item: { alias, schema: null, columns: columns.filter((c) => !c.hidden), table: null }, ids };
}

/** Parses and binds a stored SQL expression (DEFAULT, CHECK) in the given scope. */
export function bindSqlExpr(text: string, ec: ExprContext): Expr {
  const statement = parseSql(`SELECT ${text}`)[0];
  const target = unwrap<{ targetList?: Node[] }>(statement?.node, 'SelectStmt')?.targetList?.[0];
  const val = unwrap<ResTarget>(target, 'ResTarget')?.val;
  if (val === undefined)
    throw new KeelError(SqlState.InternalError, `cannot parse stored expression: ${text}`);
  return bindExpr(val, ec);
}

/** The value a column gets when none is given: identity, DEFAULT expression, or NULL. */
export function bindDefault(column: Column, binder: Binder): Expr {
  if (column.identity !== null && column.identitySequenceOid !== null) {
    const seq: Expr = {
      kind: 'const',
      value: column.identitySequenceOid,
      type: TypeOid.regclass,
      typmod: -1,
    };
    const next: Expr = { kind: 'context', name: 'nextval', args: [seq], type: TypeOid.int8, typmod: -1 };
    return coerceTo(binder, next, column.typeOid, column.typmod, {
      context: 'assignment',
      column: column.name,
    });
  }
  if (column.defaultExpr === null)
    return { kind: 'const', value: null, type: column.typeOid, typmod: column.typmod };
  const ec: ExprContext = {
    binder,
    scope: new Scope(null),
    aggs: null,
    windows: null,
    clause: 'DEFAULT expressions',
  };
  const e = bindSqlExpr(column.defaultExpr, ec);
  return coerceTo(binder, e, column.typeOid, column.typmod, { context: 'assignment', column: column.name });
}

export function bindChecks(
  table: TableRelation,
  ids: number[],
  binder: Binder,
): { name: string; expr: Expr }[] {
  const scope = new Scope(null);
  scope.add(rowScopeWith(table, ids));
  const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: 'check constraints' };
  return table.constraints.flatMap((c) =>
    c.kind === 'check' ? [{ name: c.name, expr: bindSqlExpr(c.expr, ec) }] : [],
  );
}

function rowScopeWith(table: TableRelation, ids: number[]): ScopeItem {
  const columns = table.columns.map((c, i) => ({
    id: ids[i] ?? 0,
    name: c.name,
    type: c.typeOid,
    typmod: c.typmod,
    tableOid: table.oid,
    attnum: c.attnum,
    hidden: c.dropped,
  }));
  return { alias: table.name, schema: null, columns: columns.filter((c) => !c.hidden), table: null };
}

/** RETURNING: a projection over the modified row; null when there is no RETURNING list. */
export function bindReturning(
  list: Node[] | undefined,
  modify: PlanNode,
  table: TableRelation,
  alias: string,
  ids: number[],
  binder: Binder,
  extra: ScopeItem[] = [],
): { plan: PlanNode; columns: OutputColumn[] } | null {
  if (list === undefined || list.length === 0) return null;
  const scope = new Scope(null);
  const item = rowScopeWith(table, ids);
  item.alias = alias;
  scope.add(item);
  scope.starColumns.push(...item.columns);
  for (const e of extra) scope.add(e);
  const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: 'RETURNING' };
  const targets = bindTargetList(list, ec).map((t) => ({ ...t, expr: resolveUnknownAsText(binder, t.expr) }));
  const columns: OutputColumn[] = targets.map((t) => ({
    id: binder.newColumn(t.name),
    name: t.name,
    type: t.expr.type,
    typmod: t.expr.typmod,
    tableOid: t.tableOid,
    attnum: t.attnum,
  }));
  const plan: PlanNode = {
    kind: 'project',
    input: modify,
    outputs: targets.map((t, i) => ({ id: (columns[i] as OutputColumn).id, expr: t.expr })),
  };
  return { plan, columns };
}
