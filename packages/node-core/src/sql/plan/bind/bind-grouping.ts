/**
 * GROUP BY: items by expression, input column, output alias or ordinal; GROUPING SETS, ROLLUP
 * and CUBE; the Aggregate node; and the check that every column used above it is grouped or
 * inside an aggregate (42803), with PostgreSQL's functional-dependency rule for primary keys.
 * Exports: GroupItem, bindGroupClause, buildAggregate.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { ColumnRef, GroupingSet, Node } from '@pgsql/types';
import { collectColumns, type Expr, mapExpr } from '../ir/expr.js';
import { exprKey } from '../ir/expr-key.js';
import type { AggCall, PlanNode } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';
import { intConst, nodeTag, positionOf, stringOf, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import type { Target } from './bind-targets.js';
import type { Binder, ExprContext } from './binder.js';
import type { Scope } from './scope.js';

export interface GroupClause {
  exprs: Expr[];
  /** Grouping sets as indexes into exprs, or null for plain GROUP BY. */
  sets: number[][] | null;
}

function bindGroupItem(node: Node, targets: Target[], ec: ExprContext): Expr {
  const n = intConst(node);
  if (n !== null) {
    const t = targets[n - 1];
    if (t === undefined)
      throw new KeelError(SqlState.InvalidColumnReference, `GROUP BY position ${n} is not in select list`, {
        position: positionOf(node),
      });
    return t.expr;
  }
  const ref = unwrap<ColumnRef>(node, 'ColumnRef');
  if (ref !== null && (ref.fields ?? []).length === 1) {
    const name = stringOf(ref.fields?.[0]) ?? '';
    const input = ec.scope.resolve(null, null, name, positionOf(node));
    if (input === null) {
      const t = targets.find((x) => x.name === name);
      if (t !== undefined) return t.expr;
    }
  }
  return bindExpr(node, { ...ec, aggs: null, windows: null, clause: 'GROUP BY' });
}

/** Binds the GROUP BY list, expanding ROLLUP/CUBE/GROUPING SETS into explicit sets. */
export function bindGroupClause(nodes: Node[], targets: Target[], ec: ExprContext): GroupClause {
  const exprs: Expr[] = [];
  const indexOf = (e: Expr): number => {
    const key = exprKey(e);
    const i = exprs.findIndex((x) => exprKey(x) === key);
    if (i >= 0) return i;
    exprs.push(e);
    return exprs.length - 1;
  };
  let sets: number[][] | null = null;
  const plain: number[] = [];
  for (const node of nodes) {
    if (nodeTag(node) !== 'GroupingSet') {
      plain.push(indexOf(bindGroupItem(node, targets, ec)));
      continue;
    }
    const expanded = expandGroupingSet(unwrap<GroupingSet>(node, 'GroupingSet') ?? {}, (n) =>
      indexOf(bindGroupItem(n, targets, ec)),
    );
    sets = sets === null ? expanded : crossSets(sets, expanded);
  }
  if (sets === null) return { exprs, sets: null };
  return { exprs, sets: sets.map((s) => [...new Set([...plain, ...s])]) };
}

function crossSets(a: number[][], b: number[][]): number[][] {
  return a.flatMap((x) => b.map((y) => [...x, ...y]));
}

function itemIndexes(node: Node, index: (n: Node) => number): number[] {
  const row = unwrap<{ args?: Node[] }>(node, 'RowExpr');
  return row === null ? [index(node)] : (row.args ?? []).map(index);
}

function expandGroupingSet(g: GroupingSet, index: (n: Node) => number): number[][] {
  const content = g.content ?? [];
  switch (g.kind ?? 'GROUPING_SET_EMPTY') {
    case 'GROUPING_SET_EMPTY':
      return [[]];
    case 'GROUPING_SET_SIMPLE':
      return [content.flatMap((n) => itemIndexes(n, index))];
    case 'GROUPING_SET_ROLLUP': {
      const parts = content.map((n) => itemIndexes(n, index));
      const out: number[][] = [];
      for (let i = parts.length; i >= 0; i--) out.push(parts.slice(0, i).flat());
      return out;
    }
    case 'GROUPING_SET_CUBE': {
      const parts = content.map((n) => itemIndexes(n, index));
      const out: number[][] = [];
      for (let mask = (1 << parts.length) - 1; mask >= 0; mask--) {
        out.push(parts.filter((_, i) => mask & (1 << (parts.length - 1 - i))).flat());
      }
      return out;
    }
    case 'GROUPING_SET_SETS':
      return content.flatMap((n) =>
        nodeTag(n) === 'GroupingSet'
          ? expandGroupingSet(unwrap<GroupingSet>(n, 'GroupingSet') ?? {}, index)
          : [itemIndexes(n, index)],
      );
  }
}

export interface AggregateResult {
  plan: PlanNode;
  /** Rewrites an expression bound over the FROM columns to one over the aggregate's output. */
  remap(e: Expr, position?: number): Expr;
}

/** Builds the Aggregate node and the remapping of expressions above it. */
export function buildAggregate(
  input: PlanNode,
  group: GroupClause,
  aggs: AggCall[],
  binder: Binder,
  scope: Scope,
): AggregateResult {
  const exprs = withFunctionalDependencies(group, scope);
  const groupBy = exprs.map((expr) => ({
    id: expr.kind === 'column' ? expr.id : binder.newColumn('group'),
    expr,
  }));
  const keys = new Map(groupBy.map((g) => [exprKey(g.expr), g]));
  const groupingIdColumn = group.sets === null ? null : binder.newColumn('grouping');
  const plan: PlanNode = {
    kind: 'aggregate',
    input,
    groupBy,
    aggregates: aggs,
    groupingSets: group.sets,
    groupingIdColumn,
    strategy: groupBy.length === 0 ? 'plain' : 'hash',
  };
  const allowed = new Set<number>([...groupBy.map((g) => g.id), ...aggs.map((a) => a.id)]);
  if (groupingIdColumn !== null) allowed.add(groupingIdColumn);
  const remap = (e: Expr, position?: number): Expr => {
    const mapped = mapExpr(e, (x) => {
      const g = keys.get(exprKey(x));
      if (g !== undefined && x.kind !== 'const')
        return { kind: 'column', id: g.id, name: 'group', type: x.type, typmod: x.typmod };
      if (x.kind === 'grouping') return resolveGrouping(x, keys, groupBy, groupingIdColumn, position);
      return null;
    });
    for (const id of collectColumns(mapped)) {
      if (scope.owns(id) && !allowed.has(id)) {
        const name = binder.columnNames.get(id) ?? '?';
        throw new KeelError(
          SqlState.GroupingError,
          `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
          { position },
        );
      }
    }
    return mapped;
  };
  return { plan, remap };
}

function resolveGrouping(
  x: Extract<Expr, { kind: 'grouping' }>,
  keys: Map<string, { id: number; expr: Expr }>,
  groupBy: { id: number; expr: Expr }[],
  groupingIdColumn: number | null,
  position: number | undefined,
): Expr {
  const indexes = x.args.map((a) => {
    const g = keys.get(exprKey(a));
    if (g === undefined)
      throw new KeelError(
        SqlState.GroupingError,
        'arguments to GROUPING must be grouping expressions of the associated query level',
        { position },
      );
    return groupBy.indexOf(g);
  });
  if (groupingIdColumn === null) return { kind: 'const', value: 0, type: TypeOid.int4, typmod: -1 };
  return { ...x, indexes, groupingIdColumn };
}

/** GROUP BY a table's primary key makes its other columns groupable (PostgreSQL's rule). */
function withFunctionalDependencies(group: GroupClause, scope: Scope): Expr[] {
  if (group.sets !== null) return group.exprs;
  const grouped = new Set(
    group.exprs.filter((e) => e.kind === 'column').map((e) => (e.kind === 'column' ? e.id : 0)),
  );
  const extra: Expr[] = [];
  for (const item of scope.items) {
    const pk = item.table?.constraints.find((c) => c.kind === 'primary');
    if (item.table === null || pk === undefined) continue;
    const pkIds = pk.columns.map((attnum) => item.columns.find((c) => c.attnum === attnum)?.id);
    if (!pkIds.every((id) => id !== undefined && grouped.has(id))) continue;
    for (const c of item.columns) {
      if (c.hidden || grouped.has(c.id)) continue;
      grouped.add(c.id);
      extra.push({ kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod });
    }
  }
  return [...group.exprs, ...extra];
}
