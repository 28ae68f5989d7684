/**
 * INSERT: target columns, VALUES (with DEFAULT), INSERT ... SELECT, DEFAULT VALUES; assignment
 * coercion to the column types (varchar(n), numeric(p,s)); identity columns (428C9 for GENERATED
 * ALWAYS unless OVERRIDING SYSTEM VALUE); ON CONFLICT DO NOTHING / DO UPDATE SET ... WHERE with
 * EXCLUDED; RETURNING.
 * Exports: bindInsert.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { InsertStmt, Node, OnConflictClause, ResTarget } from '@pgsql/types';
import type { Column, TableRelation } from '../../../catalog/objects.js';
import type { Expr } from '../ir/expr.js';
import type { OnConflictSpec, PlanNode } from '../ir/logical.js';
import { nodeTag, positionOf, strings, unwrap } from './ast.js';
import { bindChecks, bindDefault, bindReturning, resolveTarget, rowScopeItem } from './bind-dml-common.js';
import { bindExpr } from './bind-expr.js';
import { bindQuery, bindWith, type OutputColumn } from './bind-query.js';
import { bindValues } from './bind-values.js';
import type { Binder, ExprContext } from './binder.js';
import { coerceBool, coerceTo } from './coerce.js';
import { Scope } from './scope.js';

export interface BoundStatement {
  plan: PlanNode;
  columns: OutputColumn[] | null;
}

function targetColumns(stmt: InsertStmt, table: TableRelation): Column[] {
  const live = table.columns.filter((c) => !c.dropped);
  if (stmt.cols === undefined) return live;
  return stmt.cols.map((n) => {
    const rt = unwrap<ResTarget>(n, 'ResTarget') ?? {};
    const c = live.find((x) => x.name === rt.name);
    if (c === undefined) {
      throw new KeelError(
        SqlState.UndefinedColumn,
        `column "${rt.name}" of relation "${table.name}" does not exist`,
        { position: positionOf(n) },
      );
    }
    return c;
  });
}

function checkIdentity(c: Column, stmt: InsertStmt, explicitValue: boolean): void {
  if (c.identity === 'a' && explicitValue && stmt.override !== 'OVERRIDING_SYSTEM_VALUE') {
    throw new KeelError(
      SqlState.GeneratedAlways,
      `cannot insert a non-DEFAULT value into column "${c.name}"`,
      {
        detail: `Column "${c.name}" is an identity column defined as GENERATED ALWAYS.`,
        hint: 'Use OVERRIDING SYSTEM VALUE to override.',
      },
    );
  }
}

export function bindInsert(stmt: InsertStmt, binder: Binder): BoundStatement {
  const table = resolveTarget(stmt.relation, binder);
  const alias = stmt.relation?.alias?.aliasname ?? table.name;
  const cols = targetColumns(stmt, table);
  const scope = new Scope(null);
  if (stmt.withClause !== undefined) bindWith(stmt.withClause, binder, scope);
  const source = bindSource(stmt, table, cols, binder, scope);
  const values: number[] = [];
  const outputs: { id: number; expr: Expr }[] = [];
  for (const c of table.columns) {
    const i = cols.indexOf(c);
    const src = i < 0 ? null : source.columns[i];
    let expr: Expr;
    if (c.dropped) expr = { kind: 'const', value: null, type: c.typeOid, typmod: -1 };
    else if (src === undefined || src === null || source.defaults.has(`${i}`)) expr = bindDefault(c, binder);
    else {
      checkIdentity(c, stmt, true);
      expr = coerceTo(
        binder,
        { kind: 'column', id: src.id, name: c.name, type: src.type, typmod: src.typmod },
        c.typeOid,
        c.typmod,
        { context: 'assignment', column: c.name },
      );
    }
    const id = binder.newColumn(c.name);
    outputs.push({ id, expr });
    values.push(id);
  }
  const projected: PlanNode = { kind: 'project', input: source.plan, outputs };
  const { ids } = rowScopeItem(table, alias, binder);
  const onConflict =
    stmt.onConflictClause === undefined ? null : bindOnConflict(stmt.onConflictClause, table, alias, binder);
  const modify: PlanNode = {
    kind: 'modify',
    operation: 'insert',
    table,
    input: projected,
    rowColumns: ids,
    spec: { kind: 'insert', values, onConflict },
    checks: bindChecks(table, ids, binder),
  };
  const returning = bindReturning(stmt.returningList, modify, table, alias, ids, binder);
  return returning === null ? { plan: modify, columns: null } : returning;
}

interface Source {
  plan: PlanNode;
  columns: { id: number; type: number; typmod: number }[];
  /** Positions given as DEFAULT in a single-row VALUES. */
  defaults: Set<string>;
}

function bindSource(
  stmt: InsertStmt,
  table: TableRelation,
  cols: Column[],
  binder: Binder,
  scope: Scope,
): Source {
  if (stmt.selectStmt === undefined) return { plan: { kind: 'result' }, columns: [], defaults: new Set() };
  const select = unwrap<{ valuesLists?: Node[]; op?: string }>(stmt.selectStmt, 'SelectStmt');
  if (select?.valuesLists !== undefined && (select.op === undefined || select.op === 'SETOP_NONE')) {
    return bindInsertValues(select.valuesLists, table, cols, binder, scope, stmt);
  }
  const q = bindQuery(stmt.selectStmt, binder, scope);
  if (q.columns.length > cols.length)
    throw new KeelError(SqlState.SyntaxError, 'INSERT has more expressions than target columns');
  for (const c of cols.slice(0, q.columns.length)) checkIdentity(c, stmt, true);
  return { plan: q.plan, columns: q.columns, defaults: new Set() };
}

function bindInsertValues(
  lists: Node[],
  table: TableRelation,
  cols: Column[],
  binder: Binder,
  scope: Scope,
  stmt: InsertStmt,
): Source {
  const defaults = new Set<string>();
  const width = (unwrap<{ items?: Node[] }>(lists[0], 'List')?.items ?? []).length;
  if (width > cols.length)
    throw new KeelError(SqlState.SyntaxError, 'INSERT has more expressions than target columns', {
      position: positionOf(lists[0]),
    });
  if (width < cols.length && stmt.cols !== undefined)
    throw new KeelError(SqlState.SyntaxError, 'INSERT has more target columns than expressions');
  const bindItem = (n: Node, i: number, ec: ExprContext): Expr => {
    const c = cols[i] as Column;
    if (nodeTag(n) === 'SetToDefault') {
      if (lists.length === 1) {
        // The insert projection evaluates the default; binding it here too would run it twice
        // (a nextval() default would skip a value).
        defaults.add(`${i}`);
        return { kind: 'const', value: null, type: c.typeOid, typmod: -1 };
      }
      return bindDefault(c, binder);
    }
    checkIdentity(c, stmt, true);
    return coerceTo(binder, bindExpr(n, ec), c.typeOid, c.typmod, {
      context: 'assignment',
      column: c.name,
      position: positionOf(n),
    });
  };
  const q = bindValues(lists, binder, scope, bindItem);
  void table;
  return { plan: q.plan, columns: q.columns, defaults };
}

function bindOnConflict(
  oc: OnConflictClause,
  table: TableRelation,
  alias: string,
  binder: Binder,
): OnConflictSpec {
  const existing = rowScopeItem(table, alias, binder);
  const excluded = rowScopeItem(table, 'excluded', binder);
  const arbiterIndexes = arbiters(oc, table, binder);
  if (oc.action === 'ONCONFLICT_NOTHING') {
    return {
      action: 'nothing',
      arbiterIndexes,
      existingColumns: existing.ids,
      excludedColumns: excluded.ids,
      set: new Map(),
      where: null,
    };
  }
  if (oc.infer === undefined) {
    throw new KeelError(
      SqlState.SyntaxError,
      'ON CONFLICT DO UPDATE requires inference specification or constraint name',
      {
        hint: 'For example, ON CONFLICT (column_name).',
      },
    );
  }
  const scope = new Scope(null);
  scope.add(existing.item);
  scope.add(excluded.item);
  const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: 'ON CONFLICT DO UPDATE' };
  const set = new Map<number, Expr>();
  for (const node of oc.targetList ?? []) {
    const rt = unwrap<ResTarget>(node, 'ResTarget') ?? {};
    const c = table.columns.find((x) => x.name === rt.name && !x.dropped);
    if (c === undefined)
      throw new KeelError(
        SqlState.UndefinedColumn,
        `column "${rt.name}" of relation "${table.name}" does not exist`,
        { position: positionOf(node) },
      );
    const value =
      rt.val === undefined || nodeTag(rt.val) === 'SetToDefault'
        ? bindDefault(c, binder)
        : bindExpr(rt.val, ec);
    set.set(
      c.attnum,
      coerceTo(binder, value, c.typeOid, c.typmod, { context: 'assignment', column: c.name }),
    );
  }
  const where =
    oc.whereClause === undefined ? null : coerceBool(binder, bindExpr(oc.whereClause, ec), 'WHERE');
  return {
    action: 'update',
    arbiterIndexes,
    existingColumns: existing.ids,
    excludedColumns: excluded.ids,
    set,
    where,
  };
}

function arbiters(oc: OnConflictClause, table: TableRelation, binder: Binder): number[] {
  const infer = oc.infer;
  if (infer === undefined) return [];
  if (infer.conname !== undefined) {
    const con = table.constraints.find((c) => c.name === infer.conname);
    if (con === undefined || (con.kind !== 'primary' && con.kind !== 'unique')) {
      throw new KeelError(
        SqlState.UndefinedObject,
        `constraint "${infer.conname}" for table "${table.name}" does not exist`,
      );
    }
    return [con.indexOid];
  }
  const names = (infer.indexElems ?? []).map((n) => unwrap<{ name?: string }>(n, 'IndexElem')?.name ?? '');
  const attnums = names.map((n) => table.columns.find((c) => c.name === n)?.attnum ?? -1);
  const matches = binder.ctx.catalog
    .indexesOf(table)
    .filter(
      (i) => i.unique && i.keys.length === attnums.length && i.keys.every((k) => attnums.includes(k.attnum)),
    )
    .map((i) => i.oid);
  if (matches.length === 0) {
    throw new KeelError(
      SqlState.InvalidColumnReference,
      'there is no unique or exclusion constraint matching the ON CONFLICT specification',
    );
  }
  void strings;
  return matches;
}
