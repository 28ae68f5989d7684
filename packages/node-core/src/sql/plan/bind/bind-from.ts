/**
 * FROM clause: tables (through search_path), views (their query text re-parsed and bound),
 * system views, CTE references, subqueries, set-returning functions, and joins (INNER, LEFT,
 * RIGHT, FULL, CROSS, USING, NATURAL, LATERAL). Each item adds its columns to the scope.
 * Exports: bindFromClause, BoundFrom.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { JoinExpr, Node, RangeFunction, RangeSubselect, RangeVar } from '@pgsql/types';
import type { TableRelation, ViewRelation } from '../../../catalog/objects.js';
import type { VirtualTable } from '../../context.js';
import { parseSql } from '../../parse/parser.js';
import type { Expr } from '../ir/expr.js';
import type { JoinType, PlanNode } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';
import { nodeTag, positionOf, strings, unwrap } from './ast.js';
import { bindExpr, bindOperatorCall } from './bind-expr.js';
import { bindFunctionScan } from './bind-function-scan.js';
import { bindQuery } from './bind-query.js';
import type { Binder, ExprContext } from './binder.js';
import { coerceBool } from './coerce.js';
import { Scope, type ScopeColumn, type ScopeItem } from './scope.js';

export interface BoundFrom {
  plan: PlanNode;
  items: ScopeItem[];
  /** What `*` expands to for this FROM element. */
  star: ScopeColumn[];
}

/** Binds the FROM list (implicit cross joins) and adds its items to `scope`. */
export function bindFromClause(from: Node[], binder: Binder, scope: Scope): PlanNode {
  let plan: PlanNode | null = null;
  for (const node of from) {
    const bound = bindFromItem(node, binder, scope, scope.items.slice());
    for (const item of bound.items) scope.add(item);
    scope.starColumns.push(...bound.star);
    plan = plan === null ? bound.plan : crossJoin(plan, bound.plan, bound.lateral);
  }
  return plan ?? { kind: 'result' };
}

function crossJoin(left: PlanNode, right: PlanNode, lateral: boolean): PlanNode {
  return { kind: 'join', joinType: 'inner', left, right, condition: [], method: 'nested', keys: [], lateral };
}

/** A scope seeing `items` (and the outer levels of `scope`), whose outer references flow back into `scope`. */
export function childScope(scope: Scope, items: ScopeItem[]): Scope {
  const child = new Scope(scope.parent);
  for (const item of items) child.add(item);
  for (const [k, v] of scope.ctes) child.ctes.set(k, v);
  return child;
}

function mergeOuterRefs(from: Scope, into: Scope): void {
  for (const id of from.outerRefs) into.outerRefs.add(id);
}

interface BoundItem extends BoundFrom {
  lateral: boolean;
}

function bindFromItem(node: Node, binder: Binder, scope: Scope, left: ScopeItem[]): BoundItem {
  const tag = nodeTag(node);
  switch (tag) {
    case 'RangeVar':
      return { ...bindRangeVar(unwrap<RangeVar>(node, tag) ?? {}, binder, scope), lateral: false };
    case 'RangeSubselect':
      return bindSubselect(unwrap<RangeSubselect>(node, tag) ?? {}, binder, scope, left);
    case 'RangeFunction':
      return bindLateralFunction(unwrap<RangeFunction>(node, tag) ?? {}, binder, scope, left);
    case 'JoinExpr':
      return { ...bindJoin(unwrap<JoinExpr>(node, tag) ?? {}, binder, scope, left), lateral: false };
    default:
      throw new KeelError(SqlState.FeatureNotSupported, `FROM item ${tag} is not supported`, {
        position: positionOf(node),
      });
  }
}

function bindRangeVar(rv: RangeVar, binder: Binder, scope: Scope): BoundFrom {
  const name = rv.relname ?? '';
  const schema = rv.schemaname ?? null;
  const position = rv.location === undefined ? undefined : rv.location + 1;
  const alias = rv.alias?.aliasname ?? name;
  const colAliases = strings(rv.alias?.colnames);
  if (schema === null) {
    const cte = scope.findCte(name);
    if (cte !== null) return bindCteRef(cte, alias, colAliases, binder);
  }
  const rel = binder.ctx.catalog.resolveRelation(schema, name);
  if (rel === null) {
    const shown = schema === null ? name : `${schema}.${name}`;
    throw new KeelError(SqlState.UndefinedTable, `relation "${shown}" does not exist`, { position });
  }
  if ('kind' in rel) {
    if (rel.kind === 'table') return bindTable(rel, alias, colAliases, binder);
    if (rel.kind === 'view') return bindView(rel, alias, colAliases, binder, scope, position);
    throw new KeelError(SqlState.WrongObjectType, `"${name}" is not a table or view`, { position });
  }
  return bindVirtual(rel, alias, colAliases, binder);
}

function renamed(name: string, aliases: string[], index: number): string {
  return aliases[index] ?? name;
}

/** A table scan with every live column plus the hidden ctid (attnum 0). */
export function bindTable(
  table: TableRelation,
  alias: string,
  colAliases: string[],
  binder: Binder,
): BoundFrom {
  binder.lock(table.oid, 'AccessShareLock');
  const live = table.columns.filter((c) => !c.dropped);
  const columns: ScopeColumn[] = live.map((c, i) => ({
    id: binder.newColumn(`${alias}.${renamed(c.name, colAliases, i)}`),
    name: renamed(c.name, colAliases, i),
    type: c.typeOid,
    typmod: c.typmod,
    tableOid: table.oid,
    attnum: c.attnum,
    hidden: false,
  }));
  const ctid: ScopeColumn = {
    id: binder.newColumn(`${alias}.ctid`),
    name: 'ctid',
    type: TypeOid.int8,
    typmod: -1,
    tableOid: table.oid,
    attnum: 0,
    hidden: true,
  };
  const all = [...columns, ctid];
  const schema = binder.ctx.catalog.namespace(table.namespaceOid)?.name ?? null;
  return {
    plan: {
      kind: 'scan',
      table,
      alias,
      columns: all.map((c) => ({ id: c.id, attnum: c.attnum })),
      filter: [],
      access: { kind: 'seq' },
    },
    items: [{ alias, schema, columns: all, table }],
    star: columns,
  };
}

function bindVirtual(table: VirtualTable, alias: string, colAliases: string[], binder: Binder): BoundFrom {
  const columns: ScopeColumn[] = table.columns.map((c, i) => ({
    id: binder.newColumn(`${alias}.${c.name}`),
    name: renamed(c.name, colAliases, i),
    type: c.typeOid,
    typmod: c.typmod,
    tableOid: table.oid,
    attnum: i + 1,
    hidden: false,
  }));
  return {
    plan: {
      kind: 'virtualScan',
      table,
      alias,
      columns: columns.map((c, i) => ({ id: c.id, index: i })),
      filter: [],
    },
    items: [{ alias, schema: table.schema, columns, table: null }],
    star: columns,
  };
}

function bindView(
  view: ViewRelation,
  alias: string,
  colAliases: string[],
  binder: Binder,
  scope: Scope,
  position: number | undefined,
): BoundFrom {
  binder.dependencies.add(view.oid);
  const statement = parseSql(view.query)[0];
  if (statement === undefined)
    throw new KeelError(SqlState.InternalError, `view "${view.name}" has no query`, { position });
  const query = bindQuery(statement.node, binder, new Scope(null));
  void scope;
  return subqueryItem(
    query,
    alias,
    colAliases.length > 0 ? colAliases : view.columns.map((c) => c.name),
    binder,
  );
}

function bindCteRef(
  cte: NonNullable<ReturnType<Scope['findCte']>>,
  alias: string,
  colAliases: string[],
  binder: Binder,
): BoundFrom {
  const columns: ScopeColumn[] = cte.names.map((n, i) => ({
    id: binder.newColumn(`${alias}.${renamed(n, colAliases, i)}`),
    name: renamed(n, colAliases, i),
    type: cte.types[i]?.type ?? TypeOid.text,
    typmod: cte.types[i]?.typmod ?? -1,
    tableOid: 0,
    attnum: 0,
    hidden: false,
  }));
  if (cte.returning === false)
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `WITH query "${cte.def.name}" does not have a RETURNING clause`,
    );
  const ids = columns.map((c) => c.id);
  const plan: PlanNode = cte.workTable
    ? { kind: 'workTableScan', cteId: cte.def.id, columns: ids, types: columns.map((c) => c.type), alias }
    : { kind: 'cteScan', cte: cte.def, columns: ids, alias };
  return { plan, items: [{ alias, schema: null, columns, table: null }], star: columns };
}

export function subqueryItem(
  query: {
    plan: PlanNode;
    columns: { id: number; name: string; type: number; typmod: number; tableOid: number; attnum: number }[];
  },
  alias: string,
  colAliases: string[],
  binder: Binder,
): BoundFrom {
  const columns: ScopeColumn[] = query.columns.map((c, i) => ({
    id: binder.newColumn(`${alias}.${renamed(c.name, colAliases, i)}`),
    name: renamed(c.name, colAliases, i),
    type: c.type,
    typmod: c.typmod,
    tableOid: c.tableOid,
    attnum: c.attnum,
    hidden: false,
  }));
  const plan: PlanNode = {
    kind: 'project',
    input: query.plan,
    outputs: columns.map((c, i) => {
      const src = query.columns[i];
      return {
        id: c.id,
        expr: { kind: 'column', id: src?.id ?? 0, name: c.name, type: c.type, typmod: c.typmod },
      };
    }),
  };
  return { plan, items: [{ alias, schema: null, columns, table: null }], star: columns };
}

function bindSubselect(rs: RangeSubselect, binder: Binder, scope: Scope, left: ScopeItem[]): BoundItem {
  const visible = rs.lateral ? left : [];
  const lateralScope = childScope(scope, visible);
  const inner = new Scope(lateralScope);
  const query = bindQuery(rs.subquery ?? { SelectStmt: {} }, binder, inner);
  const lateral = [...inner.outerRefs].some((id) => lateralScope.owns(id));
  mergeOuterRefs(lateralScope, scope);
  const alias = rs.alias?.aliasname ?? 'unnamed_subquery';
  return { ...subqueryItem(query, alias, strings(rs.alias?.colnames), binder), lateral };
}

function bindLateralFunction(rf: RangeFunction, binder: Binder, scope: Scope, left: ScopeItem[]): BoundItem {
  const lateralScope = childScope(scope, left);
  const ec: ExprContext = {
    binder,
    scope: lateralScope,
    aggs: null,
    windows: null,
    clause: 'functions in FROM',
  };
  const bound = bindFunctionScan(rf, ec);
  const lateral = usesItems(bound.args, left);
  mergeOuterRefs(lateralScope, scope);
  return {
    plan: bound.plan,
    items: bound.items,
    star: bound.items.flatMap((i) => i.columns.filter((c) => !c.hidden)),
    lateral,
  };
}

function usesItems(args: Expr[], items: ScopeItem[]): boolean {
  const ids = new Set(items.flatMap((i) => i.columns.map((c) => c.id)));
  const seen: Expr[] = [...args];
  while (seen.length > 0) {
    const e = seen.pop();
    if (e === undefined) break;
    if (e.kind === 'column' && ids.has(e.id)) return true;
    if (e.kind === 'subLink' && e.correlated.some((id) => ids.has(id))) return true;
    if ('args' in e && Array.isArray(e.args)) seen.push(...(e.args as Expr[]));
    if ('arg' in e) seen.push(e.arg);
    if ('left' in e && !Array.isArray(e.left)) seen.push(e.left);
    if ('right' in e) seen.push(e.right);
  }
  return false;
}

const joinTypes: Record<string, JoinType> = {
  JOIN_INNER: 'inner',
  JOIN_LEFT: 'left',
  JOIN_RIGHT: 'right',
  JOIN_FULL: 'full',
};

function bindJoin(j: JoinExpr, binder: Binder, scope: Scope, outerLeft: ScopeItem[]): BoundFrom {
  const l = bindFromItem(j.larg ?? { RangeVar: {} }, binder, scope, outerLeft);
  const r = bindFromItem(j.rarg ?? { RangeVar: {} }, binder, scope, [...outerLeft, ...l.items]);
  const joinType = joinTypes[j.jointype ?? 'JOIN_INNER'] ?? 'inner';
  const usingNames = j.isNatural ? naturalColumns(l.items, r.items) : strings(j.usingClause);
  const onScope = childScope(scope, [...l.items, ...r.items]);
  const ec: ExprContext = { binder, scope: onScope, aggs: null, windows: null, clause: 'JOIN conditions' };
  const condition: Expr[] = [];
  const merged: { name: string; left: ScopeColumn; right: ScopeColumn }[] = [];
  for (const name of usingNames) {
    const lc = findSide(l.items, name, 'left');
    const rc = findSide(r.items, name, 'right');
    merged.push({ name, left: lc, right: rc });
    condition.push(bindOperatorCall('=', asExpr(lc), asExpr(rc), ec));
  }
  if (j.quals !== undefined)
    condition.push(coerceBool(binder, bindExpr(j.quals, ec), 'JOIN/ON', positionOf(j.quals)));
  mergeOuterRefs(onScope, scope);
  const lateral = r.lateral;
  let plan: PlanNode = {
    kind: 'join',
    joinType,
    left: l.plan,
    right: r.plan,
    condition,
    method: 'nested',
    keys: [],
    lateral,
  };
  const items = [...l.items, ...r.items];
  if (merged.length === 0) return wrapAlias(j, { plan, items, star: [...l.star, ...r.star] });
  for (const item of items) item.shadowed = new Set([...(item.shadowed ?? []), ...usingNames]);
  const mergedColumns: ScopeColumn[] = [];
  const outputs: { id: number; expr: Expr }[] = [];
  for (const m of merged) {
    if (joinType === 'full') {
      const id = binder.newColumn(m.name);
      outputs.push({
        id,
        expr: { kind: 'coalesce', args: [asExpr(m.left), asExpr(m.right)], type: m.left.type, typmod: -1 },
      });
      mergedColumns.push({ ...m.left, id, hidden: false });
    } else mergedColumns.push({ ...(joinType === 'right' ? m.right : m.left), hidden: false });
  }
  if (outputs.length > 0) {
    const passthrough = items.flatMap((i) => i.columns).map((c) => ({ id: c.id, expr: asExpr(c) }));
    plan = { kind: 'project', input: plan, outputs: [...outputs, ...passthrough] };
  }
  const mergedIds = new Set(merged.flatMap((m) => [m.left.id, m.right.id]));
  const star = [...mergedColumns, ...[...l.star, ...r.star].filter((c) => !mergedIds.has(c.id))];
  const joinItem: ScopeItem = {
    alias: null,
    schema: null,
    columns: star,
    table: null,
    usingNames: new Set(usingNames),
  };
  return wrapAlias(j, { plan, items: [...items, joinItem], star });
}

/** JOIN ... AS x: the join's columns are reachable as x.col, the inner tables' names are hidden. */
function wrapAlias(j: JoinExpr, bound: BoundFrom): BoundFrom {
  const alias = j.alias?.aliasname;
  if (alias === undefined) return bound;
  for (const item of bound.items) item.aliasHidden = true;
  const names = strings(j.alias?.colnames);
  const columns = bound.star.map((c, i) => ({ ...c, name: names[i] ?? c.name }));
  return {
    plan: bound.plan,
    items: [...bound.items, { alias, schema: null, columns, table: null }],
    star: columns,
  };
}

function asExpr(c: ScopeColumn): Expr {
  return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod };
}

function findSide(items: ScopeItem[], name: string, side: string): ScopeColumn {
  const hits = items.flatMap((i) =>
    i.columns.filter((c) => c.name === name && !c.hidden && !i.shadowed?.has(name)),
  );
  const unique = [...new Map(hits.map((h) => [h.id, h])).values()];
  if (unique.length === 0) {
    throw new KeelError(
      SqlState.UndefinedColumn,
      `column "${name}" specified in USING clause does not exist in ${side} table`,
    );
  }
  if (unique.length > 1) {
    throw new KeelError(
      SqlState.AmbiguousColumn,
      `common column name "${name}" appears more than once in ${side} table`,
    );
  }
  return unique[0] as ScopeColumn;
}

function naturalColumns(left: ScopeItem[], right: ScopeItem[]): string[] {
  const names = (items: ScopeItem[]) =>
    items.flatMap((i) =>
      i.alias === null && !i.usingNames ? [] : i.columns.filter((c) => !c.hidden).map((c) => c.name),
    );
  const r = new Set(names(right));
  return [...new Set(names(left))].filter((n) => r.has(n));
}
