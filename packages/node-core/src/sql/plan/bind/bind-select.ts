/**
 * A plain SELECT, in PostgreSQL's logical order: FROM, WHERE, GROUP BY/aggregates, HAVING,
 * window functions, the SELECT list (set-returning functions included), DISTINCT [ON],
 * ORDER BY (by output name, ordinal or expression), FOR UPDATE/SHARE, LIMIT/OFFSET.
 * Exports: bindSimpleSelect.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { LockingClause, Node, SelectStmt, SortBy, WindowDef } from '@pgsql/types';
import type { RowLockMode } from '../../../access/table-access.js';
import type { Expr } from '../ir/expr.js';
import { exprKey } from '../ir/expr-key.js';
import type { PlanNode, SortKey } from '../ir/logical.js';
import { intConst, positionOf, stringOf, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import { bindFromClause } from './bind-from.js';
import { bindGroupClause, buildAggregate } from './bind-grouping.js';
import { makeSortKey, sortDirection } from './bind-order.js';
import { bindLimit } from './bind-order-limit.js';
import type { BoundQuery, OutputColumn } from './bind-query.js';
import { hasSetReturning, liftSetReturning, replaceByKey } from './bind-srf.js';
import { bindTargetList, type Target } from './bind-targets.js';
import type { AggCollector, Binder, ExprContext, WindowCollector } from './binder.js';
import { coerceBool, resolveUnknownAsText } from './coerce.js';
import type { Scope } from './scope.js';

interface SortItem {
  key: Omit<SortKey, 'expr'>;
  expr: Expr;
  /** Index of the matching output target, or -1 for a hidden sort column. */
  target: number;
  position: number | undefined;
}

export function bindSimpleSelect(s: SelectStmt, binder: Binder, scope: Scope): BoundQuery {
  let plan = bindFromClause(s.fromClause ?? [], binder, scope);
  if (s.whereClause !== undefined) {
    const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: 'WHERE' };
    plan = {
      kind: 'filter',
      input: plan,
      predicate: coerceBool(binder, bindExpr(s.whereClause, ec), 'WHERE', positionOf(s.whereClause)),
    };
  }
  const aggs: AggCollector = { calls: [], byKey: new Map(), scope };
  const windows: WindowCollector = { windows: [], named: namedWindows(s.windowClause ?? []) };
  const ec: ExprContext = { binder, scope, aggs, windows, clause: 'SELECT' };
  let targets = bindTargetList(s.targetList ?? [], ec).map((t) => ({
    ...t,
    expr: scope.keepUnknownOutputs ? t.expr : resolveUnknownAsText(binder, t.expr),
  }));
  let sortItems = bindSortClause(s.sortClause ?? [], targets, ec);
  const group = bindGroupClause(s.groupClause ?? [], targets, { ...ec, clause: 'GROUP BY' });
  let having =
    s.havingClause === undefined
      ? null
      : coerceBool(
          binder,
          bindExpr(s.havingClause, { ...ec, windows: null, clause: 'HAVING' }),
          'HAVING',
          positionOf(s.havingClause),
        );
  if (group.exprs.some(hasSetReturning)) {
    // A set-returning GROUP BY expression runs below the aggregation; its uses read its column.
    const lifted = liftSetReturning(plan, group.exprs, binder);
    plan = lifted.plan;
    group.exprs = lifted.exprs;
    targets = targets.map((t) => ({ ...t, expr: replaceByKey(t.expr, lifted.replaced) }));
    sortItems = sortItems.map((item) => ({ ...item, expr: replaceByKey(item.expr, lifted.replaced) }));
    having = having === null ? null : replaceByKey(having, lifted.replaced);
  }
  const grouped =
    aggs.calls.length > 0 ||
    aggs.groupingUsed === true ||
    (s.groupClause ?? []).length > 0 ||
    having !== null;
  let remap = (e: Expr, _position?: number) => e;
  if (grouped) {
    const agg = buildAggregate(plan, group, aggs.calls, binder, scope);
    plan = agg.plan;
    remap = agg.remap;
    if (having !== null)
      plan = { kind: 'filter', input: plan, predicate: remap(having, positionOf(s.havingClause)) };
  }
  plan = addWindows(plan, windows, remap);
  const outputs = targets.map((t) => ({
    ...t,
    expr: remap(t.expr, t.node === null ? undefined : positionOf(t.node)),
  }));
  const sorts = sortItems.map((item) => ({ ...item, expr: remap(item.expr, item.position) }));
  return finishSelect(s, plan, outputs, sorts, binder, scope);
}

function namedWindows(clause: Node[]): Map<string, WindowDef> {
  const map = new Map<string, WindowDef>();
  for (const node of clause) {
    const w = unwrap<WindowDef>(node, 'WindowDef');
    if (w?.name !== undefined) map.set(w.name, w);
  }
  return map;
}

function addWindows(input: PlanNode, windows: WindowCollector, remap: (e: Expr) => Expr): PlanNode {
  let plan = input;
  for (const w of windows.windows) {
    plan = {
      kind: 'window',
      input: plan,
      partitionBy: w.spec.partitionBy.map(remap),
      orderBy: w.spec.orderBy.map((k) => ({ ...k, expr: remap(k.expr) })),
      frame: w.spec.frame,
      calls: w.calls.map((c) => ({
        ...c,
        args: c.args.map(remap),
        filter: c.filter === null ? null : remap(c.filter),
      })),
    };
  }
  return plan;
}

/** ORDER BY items: output ordinal, output name (preferred over input columns), or an expression. */
function bindSortClause(nodes: Node[], targets: Target[], ec: ExprContext): SortItem[] {
  return nodes.map((node) => {
    const sb = unwrap<SortBy>(node, 'SortBy') ?? {};
    const target = sb.node ?? node;
    const position = positionOf(target);
    const dir = sortDirection(sb);
    const base = { descending: dir.descending, nullsFirst: dir.nullsFirst };
    const n = intConst(target);
    if (n !== null) {
      const t = targets[n - 1];
      if (t === undefined)
        throw new KeelError(SqlState.InvalidColumnReference, `ORDER BY position ${n} is not in select list`, {
          position,
        });
      return {
        key: { ...base, compare: makeSortKey(t.expr, dir).compare },
        expr: t.expr,
        target: n - 1,
        position,
      };
    }
    const byName = outputByName(target, targets, position);
    if (byName >= 0) {
      const t = targets[byName] as Target;
      return {
        key: { ...base, compare: makeSortKey(t.expr, dir).compare },
        expr: t.expr,
        target: byName,
        position,
      };
    }
    const expr = resolveUnknownAsText(ec.binder, bindExpr(target, { ...ec, clause: 'ORDER BY' }));
    const key = exprKey(expr);
    const match = targets.findIndex((t) => exprKey(t.expr) === key);
    return {
      key: { ...base, compare: makeSortKey(expr, dir, position).compare },
      expr,
      target: match,
      position,
    };
  });
}

function outputByName(node: Node, targets: Target[], position: number | undefined): number {
  const ref = unwrap<{ fields?: Node[] }>(node, 'ColumnRef');
  if (ref === null || (ref.fields ?? []).length !== 1) return -1;
  const name = stringOf(ref.fields?.[0]);
  const hits = targets.map((t, i) => (t.name === name ? i : -1)).filter((i) => i >= 0);
  if (hits.length > 1 && new Set(hits.map((i) => exprKey((targets[i] as Target).expr))).size > 1) {
    throw new KeelError(SqlState.AmbiguousColumn, `ORDER BY "${name}" is ambiguous`, { position });
  }
  return hits[0] ?? -1;
}

function finishSelect(
  s: SelectStmt,
  input: PlanNode,
  targets: Target[],
  sorts: SortItem[],
  binder: Binder,
  scope: Scope,
): BoundQuery {
  const distinctClause = s.distinctClause;
  const distinctOn =
    distinctClause !== undefined &&
    distinctClause.length > 0 &&
    Object.keys(distinctClause[0] ?? {}).length > 0;
  if (distinctClause !== undefined && !distinctOn && sorts.some((x) => x.target < 0)) {
    throw new KeelError(
      SqlState.InvalidColumnReference,
      'for SELECT DISTINCT, ORDER BY expressions must appear in select list',
      {
        position: sorts.find((x) => x.target < 0)?.position,
      },
    );
  }
  const columns: OutputColumn[] = targets.map((t) => ({
    id: binder.newColumn(t.name),
    name: t.name,
    type: t.expr.type,
    typmod: t.expr.typmod,
    tableOid: t.tableOid,
    attnum: t.attnum,
  }));
  const outputs = targets.map((t, i) => ({ id: (columns[i] as OutputColumn).id, expr: t.expr }));
  const hidden: { id: number; expr: Expr }[] = [];
  const keyFor = (item: SortItem): SortKey => {
    if (item.target >= 0) {
      const c = columns[item.target] as OutputColumn;
      return {
        ...item.key,
        expr: { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod },
      };
    }
    const id = binder.newColumn('sort');
    hidden.push({ id, expr: item.expr });
    return {
      ...item.key,
      expr: { kind: 'column', id, name: 'sort', type: item.expr.type, typmod: item.expr.typmod },
    };
  };
  let keys = sorts.map(keyFor);
  const distinctExprs = distinctOn
    ? bindDistinctOn(distinctClause ?? [], targets, columns, s, binder, scope, hidden)
    : null;
  const locks = lockTargets(s.lockingClause ?? [], scope, binder, hidden);
  const all = [...outputs, ...hidden];
  const lifted = liftSetReturning(
    input,
    all.map((o) => o.expr),
    binder,
  );
  let plan: PlanNode = {
    kind: 'project',
    input: lifted.plan,
    outputs: all.map((o, i) => ({ id: o.id, expr: lifted.exprs[i] ?? o.expr })),
  };
  if (distinctExprs !== null) {
    keys = [
      ...distinctExprs.map(
        (e) =>
          keys.find((k) => exprKey(k.expr) === exprKey(e)) ??
          makeSortKey(e, { descending: false, nullsFirst: false }),
      ),
      ...keys,
    ];
    checkDistinctOnOrder(distinctExprs, sorts.length > 0 ? keys.slice(distinctExprs.length) : [], sorts);
    keys = dedupeKeys(keys);
    plan = { kind: 'sort', input: plan, keys, limit: null };
    plan = { kind: 'distinct', input: plan, on: distinctExprs };
  } else {
    if (distinctClause !== undefined) plan = { kind: 'distinct', input: plan, on: null };
    if (keys.length > 0) plan = { kind: 'sort', input: plan, keys, limit: null };
  }
  if (locks !== null) plan = { kind: 'lockRows', input: plan, ...locks };
  plan = bindLimit(plan, s, binder, scope, keys);
  if (hidden.length > 0) {
    plan = {
      kind: 'project',
      input: plan,
      outputs: columns.map((c) => ({
        id: c.id,
        expr: { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod },
      })),
    };
  }
  return { plan, columns };
}

function dedupeKeys(keys: SortKey[]): SortKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const key = exprKey(k.expr);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkDistinctOnOrder(on: Expr[], orderKeys: SortKey[], sorts: SortItem[]): void {
  if (sorts.length === 0) return;
  const onKeys = new Set(on.map(exprKey));
  for (let i = 0; i < Math.min(on.length, orderKeys.length); i++) {
    const k = orderKeys[i];
    if (k !== undefined && !onKeys.has(exprKey(k.expr))) {
      throw new KeelError(
        SqlState.InvalidColumnReference,
        'SELECT DISTINCT ON expressions must match initial ORDER BY expressions',
        {
          position: sorts[i]?.position,
        },
      );
    }
  }
}

function bindDistinctOn(
  nodes: Node[],
  targets: Target[],
  columns: OutputColumn[],
  _s: SelectStmt,
  binder: Binder,
  scope: Scope,
  hidden: { id: number; expr: Expr }[],
): Expr[] {
  const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: 'DISTINCT ON' };
  return nodes.map((node) => {
    const n = intConst(node);
    const byName = outputByName(node, targets, positionOf(node));
    const index = n !== null ? n - 1 : byName;
    const direct = index >= 0 ? columns[index] : undefined;
    if (direct !== undefined)
      return {
        kind: 'column',
        id: direct.id,
        name: direct.name,
        type: direct.type,
        typmod: direct.typmod,
      } as Expr;
    const e = bindExpr(node, ec);
    const match = targets.findIndex((t) => exprKey(t.expr) === exprKey(e));
    const c = columns[match];
    if (c !== undefined)
      return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod } as Expr;
    const id = binder.newColumn('distinct');
    hidden.push({ id, expr: e });
    return { kind: 'column', id, name: 'distinct', type: e.type, typmod: e.typmod } as Expr;
  });
}

const strengths: Record<string, RowLockMode> = {
  LCS_FORUPDATE: 'update',
  LCS_FORNOKEYUPDATE: 'no key update',
  LCS_FORSHARE: 'share',
  LCS_FORKEYSHARE: 'key share',
};

function lockTargets(
  clauses: Node[],
  scope: Scope,
  binder: Binder,
  hidden: { id: number; expr: Expr }[],
): Omit<Extract<PlanNode, { kind: 'lockRows' }>, 'kind' | 'input'> | null {
  if (clauses.length === 0) return null;
  const first = unwrap<LockingClause>(clauses[0], 'LockingClause') ?? {};
  const names = new Set(
    clauses.flatMap((c) =>
      (unwrap<LockingClause>(c, 'LockingClause')?.lockedRels ?? []).map(
        (r) => unwrap<{ relname?: string }>(r, 'RangeVar')?.relname ?? '',
      ),
    ),
  );
  const targets: { table: NonNullable<(typeof scope.items)[number]['table']>; tid: number }[] = [];
  for (const item of scope.items) {
    if (item.table === null || (names.size > 0 && !names.has(item.alias ?? ''))) continue;
    const ctid = item.columns.find((c) => c.attnum === 0);
    if (ctid === undefined) continue;
    const id = binder.newColumn('ctid');
    hidden.push({ id, expr: { kind: 'column', id: ctid.id, name: 'ctid', type: ctid.type, typmod: -1 } });
    targets.push({ table: item.table, tid: id });
    binder.lock(item.table.oid, 'RowShareLock');
  }
  const wait =
    first.waitPolicy === 'LockWaitSkip'
      ? 'skip locked'
      : first.waitPolicy === 'LockWaitError'
        ? 'nowait'
        : 'block';
  return { targets, mode: strengths[first.strength ?? 'LCS_FORUPDATE'] ?? 'update', wait };
}
