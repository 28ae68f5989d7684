/**
 * The physical method of one join, chosen by cost among: hash join (equi-join keys of hashable
 * types), merge join (equi-join keys; inputs sorted unless they already come in key order),
 * nested loop over the materialized inner side (any condition), and index nested loop (the inner
 * side is a table scan whose index the join condition bounds with the outer row's values; the
 * join's quals move into that scan, which re-opens per outer row). Lateral joins stay nested
 * loops. PostgreSQL's rule that RIGHT and FULL joins cannot run as index nested loops holds here.
 * Exports: JoinInput, JoinChoice, chooseJoin, equiKeys, joinRows.
 */
import type { CatalogReader } from '../../context.js';
import { collectColumns, type Expr } from '../ir/expr.js';
import {
  type JoinKey,
  type JoinNode,
  type JoinType,
  outputColumns,
  type PlanNode,
  type ScanNode,
  type SortKey,
} from '../ir/logical.js';
import { comparatorFor, comparatorForPair, TypeOid } from '../registry/registry.js';
import { type Ordering, satisfies, scanPaths } from './access-path.js';
import { type Cost, hashJoinCost, indexNestLoopCost, mergeJoinCost, nestLoopCost, sortCost } from './cost.js';
import type { StatsView } from './selectivity.js';

export interface JoinInput {
  plan: PlanNode;
  rows: number;
  cost: Cost;
  ordering: Ordering;
  /** The table scan this input is (before its access path was chosen), for index nested loops. */
  base: ScanNode | null;
}

export interface JoinChoice {
  plan: PlanNode;
  cost: Cost;
  ordering: Ordering;
}

const integerTypes = new Set<number>([TypeOid.int2, TypeOid.int4, TypeOid.int8]);
const floatTypes = new Set<number>([TypeOid.float4, TypeOid.float8]);

/** Whether equal values of the two types hash alike (src/sql/types' hashKey). */
function hashable(a: number, b: number): boolean {
  if (a === b) return a !== TypeOid.json;
  return (integerTypes.has(a) && integerTypes.has(b)) || (floatTypes.has(a) && floatTypes.has(b));
}

/** `left = right` quals with one side over each input, split from the rest. */
export function equiKeys(
  leftIds: Set<number>,
  rightIds: Set<number>,
  quals: Expr[],
): { keys: JoinKey[]; residual: Expr[] } {
  const keys: JoinKey[] = [];
  const residual: Expr[] = [];
  const side = (e: Expr): 'left' | 'right' | null => {
    const ids = [...collectColumns(e)];
    if (ids.length === 0) return null;
    if (ids.every((id) => leftIds.has(id))) return 'left';
    if (ids.every((id) => rightIds.has(id))) return 'right';
    return null;
  };
  for (const c of quals) {
    if (c.kind === 'call' && c.comparison === '=' && c.args.length === 2) {
      const [a, b] = c.args as [Expr, Expr];
      const sa = side(a);
      const sb = side(b);
      const [l, r] =
        sa === 'left' && sb === 'right' ? [a, b] : sa === 'right' && sb === 'left' ? [b, a] : [null, null];
      const compare = l === null || r === null ? null : comparatorForPair(l.type, r.type);
      if (l !== null && r !== null && compare !== null && hashable(l.type, r.type)) {
        keys.push({ left: l, right: r, compare });
        continue;
      }
    }
    residual.push(c);
  }
  return { keys, residual };
}

/** Row estimate of a join from the inner-join estimate of its matches. */
export function joinRows(type: JoinType, leftRows: number, rightRows: number, innerRows: number): number {
  const matchFraction = Math.min(1, innerRows / Math.max(1, leftRows));
  switch (type) {
    case 'inner':
      return Math.max(1, innerRows);
    case 'left':
      return Math.max(leftRows, innerRows);
    case 'right':
      return Math.max(rightRows, innerRows);
    case 'full':
      return Math.max(leftRows, rightRows, innerRows);
    case 'semi':
      return Math.max(1, leftRows * matchFraction);
    case 'anti':
      return Math.max(1, leftRows * (1 - matchFraction * 0.9));
  }
}

function est(rows: number, cost: Cost, width: number): NonNullable<PlanNode['est']> {
  return { rows: Math.max(1, Math.round(rows)), startupCost: cost.startup, totalCost: cost.total, width };
}

function widthOf(plan: PlanNode): number {
  return (
    (plan.kind === 'join' && (plan.joinType === 'semi' || plan.joinType === 'anti')
      ? outputColumns(plan.left)
      : outputColumns(plan)
    ).length * 8
  );
}

function sorted(input: JoinInput, exprs: Expr[]): { plan: PlanNode; cost: Cost; ordering: Ordering } {
  const ordering: Ordering = exprs.map((e) => ({
    id: e.kind === 'column' ? e.id : -1,
    descending: false,
    nullsFirst: false,
  }));
  if (exprs.every((e) => e.kind === 'column') && satisfies(input.ordering, ordering))
    return { plan: input.plan, cost: input.cost, ordering: input.ordering };
  const keys: SortKey[] = exprs.map((expr) => ({
    expr,
    descending: false,
    nullsFirst: false,
    compare: comparatorFor(expr.type),
  }));
  const cost = sortCost(input.cost, input.rows, null);
  const plan: PlanNode = {
    kind: 'sort',
    input: input.plan,
    keys,
    limit: null,
    est: est(input.rows, cost, widthOf(input.plan)),
  };
  return { plan, cost, ordering: exprs.every((e) => e.kind === 'column') ? ordering : [] };
}

/**
 * The cheapest physical join of `left` and `right` under `quals`, producing about `outRows`
 * rows. `lateral` joins (the right side reads the left's columns) are nested loops.
 */
export function chooseJoin(
  catalog: CatalogReader,
  view: StatsView,
  joinType: JoinType,
  left: JoinInput,
  right: JoinInput,
  quals: Expr[],
  outRows: number,
  lateral: boolean,
): JoinChoice {
  const base = { kind: 'join' as const, joinType, left: left.plan, right: right.plan, lateral };
  const width =
    (outputColumns(left.plan).length +
      (joinType === 'semi' || joinType === 'anti' ? 0 : outputColumns(right.plan).length)) *
    8;
  const nestCost = lateral
    ? {
        startup: left.cost.startup + right.cost.startup,
        total: left.cost.total + Math.max(1, left.rows) * right.cost.total,
      }
    : nestLoopCost(left.cost, right.cost, left.rows, right.rows, outRows);
  let best: JoinChoice = {
    plan: { ...base, condition: quals, method: 'nested', keys: [], est: est(outRows, nestCost, width) },
    cost: nestCost,
    ordering: joinType === 'right' || joinType === 'full' ? [] : left.ordering,
  };
  if (lateral) return best;
  const consider = (c: JoinChoice) => {
    if (c.cost.total < best.cost.total) best = c;
  };
  const { keys, residual } = equiKeys(
    new Set(outputColumns(left.plan)),
    new Set(outputColumns(right.plan)),
    quals,
  );
  if (keys.length > 0) {
    const hc = hashJoinCost(left.cost, right.cost, left.rows, right.rows, outRows);
    consider({
      plan: { ...base, condition: residual, method: 'hash', keys, est: est(outRows, hc, width) },
      cost: hc,
      ordering: joinType === 'right' || joinType === 'full' ? [] : left.ordering,
    });
    const ls = sorted(
      left,
      keys.map((k) => k.left),
    );
    const rs = sorted(
      right,
      keys.map((k) => k.right),
    );
    const mc = mergeJoinCost(ls.cost, rs.cost, left.rows, right.rows, outRows);
    consider({
      plan: {
        ...base,
        left: ls.plan,
        right: rs.plan,
        condition: residual,
        method: 'merge',
        keys,
        est: est(outRows, mc, width),
      },
      cost: mc,
      ordering: joinType === 'right' || joinType === 'full' ? [] : ls.ordering,
    });
  }
  const inl = indexNestLoop(catalog, view, base, left, right, quals, outRows, width);
  if (inl !== null) consider(inl);
  return best;
}

function indexNestLoop(
  catalog: CatalogReader,
  view: StatsView,
  base: Pick<JoinNode, 'kind' | 'joinType' | 'left'>,
  left: JoinInput,
  right: JoinInput,
  quals: Expr[],
  outRows: number,
  width: number,
): JoinChoice | null {
  if (right.base === null || base.joinType === 'right' || base.joinType === 'full' || quals.length === 0)
    return null;
  const probe: ScanNode = { ...right.base, filter: [...right.base.filter, ...quals] };
  const joinQuals = new Set(quals);
  let chosen: ReturnType<typeof scanPaths>[number] | null = null;
  for (const path of scanPaths(probe, catalog, view, null)) {
    if (path.access.kind !== 'index' || !path.indexQuals.some((q) => joinQuals.has(q))) continue;
    if (chosen === null || path.cost.total < chosen.cost.total) chosen = path;
  }
  if (chosen === null) return null;
  const cost = indexNestLoopCost(left.cost, chosen.cost, left.rows, outRows);
  const inner: PlanNode = {
    ...probe,
    access: chosen.access,
    est: est(chosen.rows, chosen.cost, widthOf(probe)),
  };
  return {
    plan: {
      ...base,
      right: inner,
      condition: [],
      method: 'indexNested',
      keys: [],
      lateral: true,
      est: est(outRows, cost, width),
    },
    cost,
    ordering: left.ordering,
  };
}
