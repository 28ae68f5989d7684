/**
 * Physical planning (PostgreSQL's "Optimize Plan" step): walks the logical plan bottom-up and
 * fills in every node's physical choice and estimate. Table scans get their cheapest access path
 * (access-path.ts); trees of inner joins are re-ordered by cost (join-order.ts); other joins
 * (outer, semi, anti, lateral) get their cheapest method (join-method.ts); a Sort whose input
 * can come in its order from an index disappears; a Sort under a constant LIMIT keeps only the
 * top rows; aggregates estimate their groups from distinct counts. Estimates come from ANALYZE
 * statistics (selectivity.ts) and PostgreSQL's cost units (cost.ts).
 * Exports: choosePhysical.
 */
import { assert } from '@keel/errors';
import type { CatalogReader } from '../../context.js';
import { conjuncts, type Expr } from '../ir/expr.js';
import { outputColumns, type PlanNode, type ScanNode, type SortKey } from '../ir/logical.js';
import { type Ordering, type ScanPath, satisfies, scanPaths } from './access-path.js';
import { buildStatsView } from './column-sources.js';
import { type Cost, CPU_OPERATOR_COST, CPU_TUPLE_COST, sortCost } from './cost.js';
import { chooseJoin, type JoinInput, joinRows } from './join-method.js';
import { orderJoins, type Relation } from './join-order.js';
import { distinctOf, type StatsView, selectivity } from './selectivity.js';

interface Planned extends JoinInput {}

interface Ctx {
  catalog: CatalogReader;
  view: StatsView;
  /** CTE plans already optimized (a CTE referenced twice is planned once). */
  ctes: WeakMap<object, PlanNode>;
}

function est(rows: number, cost: Cost, plan: PlanNode): NonNullable<PlanNode['est']> {
  return {
    rows: Math.max(1, Math.round(rows)),
    startupCost: cost.startup,
    totalCost: Math.max(cost.startup, cost.total),
    width: Math.max(4, outputColumns(plan).length * 8),
  };
}

function planned(
  plan: PlanNode,
  rows: number,
  cost: Cost,
  ordering: Ordering,
  base: ScanNode | null = null,
): Planned {
  return { plan: { ...plan, est: est(rows, cost, plan) }, rows, cost, ordering, base };
}

function costOf(p: PlanNode): Cost {
  return { startup: p.est?.startupCost ?? 0, total: p.est?.totalCost ?? 0 };
}

function rowsOf(p: PlanNode): number {
  return p.est?.rows ?? 1;
}

/** The ordering a Sort's keys ask for, when every key is a plain column. */
function keyOrdering(keys: SortKey[]): Ordering | null {
  const out: Ordering = [];
  for (const k of keys) {
    if (k.expr.kind !== 'column') return null;
    out.push({ id: k.expr.id, descending: k.descending, nullsFirst: k.nullsFirst });
  }
  return out;
}

function chooseScan(node: ScanNode, ctx: Ctx, required: Ordering | null, fraction: number): Planned {
  const paths = scanPaths(node, ctx.catalog, ctx.view, required);
  const effective = (p: ScanPath) => p.cost.startup + (p.cost.total - p.cost.startup) * fraction;
  const cheapest = (list: ScanPath[]) =>
    list.reduce<ScanPath | null>((a, b) => (a === null || effective(b) < effective(a) ? b : a), null);
  const ordered = required === null ? null : cheapest(paths.filter((p) => satisfies(p.ordering, required)));
  const chosen = ordered ?? cheapest(paths);
  assert(chosen !== null, 'a table scan always has its sequential path');
  return planned({ ...node, access: chosen.access }, chosen.rows, chosen.cost, chosen.ordering, node);
}

/** Flattens a tree of inner, non-lateral joins into relations and quals. */
function flatten(plan: PlanNode, ctx: Ctx, rels: Relation[], quals: Expr[]): void {
  if (plan.kind === 'join' && plan.joinType === 'inner' && !plan.lateral) {
    flatten(plan.left, ctx, rels, quals);
    flatten(plan.right, ctx, rels, quals);
    for (const c of plan.condition) quals.push(...conjuncts(c));
    return;
  }
  const p = optimize(plan, ctx, null, 1);
  rels.push({ ...p, ids: new Set(outputColumns(p.plan)) });
}

function optimizeJoin(plan: Extract<PlanNode, { kind: 'join' }>, ctx: Ctx): Planned {
  if (plan.joinType === 'inner' && !plan.lateral) {
    const rels: Relation[] = [];
    const quals: Expr[] = [];
    flatten(plan, ctx, rels, quals);
    if (rels.length <= 30) {
      const best = orderJoins(ctx.catalog, ctx.view, rels, quals);
      return { plan: best.plan, rows: best.rows, cost: best.cost, ordering: best.ordering, base: null };
    }
  }
  const left = optimize(plan.left, ctx, null, 1);
  const right = optimize(plan.right, ctx, null, 1);
  const innerSel = plan.condition.reduce((s, q) => s * selectivity(ctx.view, q), 1);
  const rows = joinRows(plan.joinType, left.rows, right.rows, left.rows * right.rows * innerSel);
  const choice = chooseJoin(
    ctx.catalog,
    ctx.view,
    plan.joinType,
    left,
    right,
    plan.condition,
    rows,
    plan.lateral,
  );
  return { plan: choice.plan, rows, cost: choice.cost, ordering: choice.ordering, base: null };
}

function groupCount(
  node: Extract<PlanNode, { kind: 'aggregate' }>,
  inputRows: number,
  view: StatsView,
): number {
  if (node.groupBy.length === 0) return 1;
  let groups = 1;
  for (const g of node.groupBy) {
    const d = g.expr.kind === 'column' ? distinctOf(view, g.expr.id) : null;
    groups *= d ?? Math.max(1, inputRows / 10);
  }
  if (node.groupingSets !== null) groups *= node.groupingSets.length;
  return Math.max(1, Math.min(groups, inputRows));
}

function optimizeSort(node: Extract<PlanNode, { kind: 'sort' }>, ctx: Ctx, limit: number | null): Planned {
  const required = keyOrdering(node.keys);
  const plain = optimize(node.input, ctx, null, 1);
  const sortLimit = limit ?? node.limit;
  const sc = sortCost(plain.cost, plain.rows, sortLimit);
  const sortRows = sortLimit === null ? plain.rows : Math.min(plain.rows, sortLimit);
  const withSort = planned({ ...node, input: plain.plan, limit: sortLimit }, sortRows, sc, required ?? []);
  if (required === null) return withSort;
  const fraction = sortLimit === null ? 1 : Math.min(1, sortLimit / Math.max(1, plain.rows));
  const ordered = optimize(node.input, ctx, required, fraction);
  if (!satisfies(ordered.ordering, required)) return withSort;
  const effective = ordered.cost.startup + (ordered.cost.total - ordered.cost.startup) * fraction;
  const sortEffective = sc.startup + (sc.total - sc.startup) * fraction;
  return effective < sortEffective ? ordered : withSort;
}

/** Plans a node; `required` is an ordering the caller would like (honored when cheap), `fraction` the share of rows it will read. */
function optimize(plan: PlanNode, ctx: Ctx, required: Ordering | null, fraction: number): Planned {
  switch (plan.kind) {
    case 'scan':
      return chooseScan(plan, ctx, required, fraction);
    case 'join':
      return optimizeJoin(plan, ctx);
    case 'filter': {
      const input = optimize(plan.input, ctx, required, fraction);
      const rows = input.rows * selectivity(ctx.view, plan.predicate);
      const cost = { startup: input.cost.startup, total: input.cost.total + input.rows * CPU_OPERATOR_COST };
      return planned({ ...plan, input: input.plan }, rows, cost, input.ordering);
    }
    case 'project': {
      // A projection keeps its input's order on the columns it passes through.
      const rename = new Map<number, number>();
      for (const o of plan.outputs) if (o.expr.kind === 'column') rename.set(o.id, o.expr.id);
      const back = new Map([...rename].map(([k, v]) => [v, k]));
      const want = required?.every((k) => rename.has(k.id))
        ? required.map((k) => ({ ...k, id: rename.get(k.id) ?? k.id }))
        : null;
      const input = optimize(plan.input, ctx, want, fraction);
      const ordering: Ordering = [];
      for (const k of input.ordering) {
        const id = back.get(k.id);
        if (id === undefined) break;
        ordering.push({ ...k, id });
      }
      const cost = {
        startup: input.cost.startup,
        total: input.cost.total + input.rows * CPU_OPERATOR_COST * plan.outputs.length,
      };
      return planned({ ...plan, input: input.plan }, input.rows, cost, ordering);
    }
    case 'sort':
      return optimizeSort(plan, ctx, null);
    case 'limit':
      return optimizeLimit(plan, ctx);
    case 'aggregate': {
      const input = optimize(plan.input, ctx, null, 1);
      const groups = groupCount(plan, input.rows, ctx.view);
      const work = input.rows * (plan.aggregates.length + plan.groupBy.length + 1) * CPU_OPERATOR_COST;
      const cost = {
        startup: input.cost.total + work,
        total: input.cost.total + work + groups * CPU_TUPLE_COST,
      };
      return planned({ ...plan, input: input.plan }, groups, cost, []);
    }
    case 'distinct': {
      const input = optimize(plan.input, ctx, null, 1);
      const rows = plan.on === null ? Math.max(1, input.rows / 2) : Math.max(1, input.rows / 4);
      const cost = { startup: input.cost.startup, total: input.cost.total + input.rows * CPU_OPERATOR_COST };
      return planned({ ...plan, input: input.plan }, rows, cost, input.ordering);
    }
    default:
      return optimizeOther(plan, ctx);
  }
}

function constantLimit(plan: Extract<PlanNode, { kind: 'limit' }>): number | null {
  const value = (e: Expr | null): bigint | null | undefined => {
    if (e === null) return null;
    if (e.kind === 'const' && (typeof e.value === 'bigint' || e.value === null))
      return e.value as bigint | null;
    return undefined;
  };
  const limit = value(plan.limit);
  const offset = value(plan.offset);
  if (limit === undefined || offset === undefined || limit === null || plan.withTies !== null) return null;
  if (limit < 0n || (offset !== null && offset < 0n)) return null;
  return Number(limit + (offset ?? 0n));
}

function optimizeLimit(plan: Extract<PlanNode, { kind: 'limit' }>, ctx: Ctx): Planned {
  const n = constantLimit(plan);
  const input =
    plan.input.kind === 'sort' && n !== null
      ? optimizeSort(plan.input, ctx, n)
      : optimize(plan.input, ctx, null, n === null ? 1 : Math.min(1, n / 1000));
  const rows = n === null ? input.rows : Math.min(input.rows, n);
  const fraction = Math.min(1, rows / Math.max(1, input.rows));
  const cost = {
    startup: input.cost.startup,
    total: input.cost.startup + (input.cost.total - input.cost.startup) * fraction,
  };
  return planned({ ...plan, input: input.plan }, rows, cost, input.ordering);
}

function leaf(plan: PlanNode, rows: number): Planned {
  return planned(plan, rows, { startup: 0, total: rows * CPU_TUPLE_COST }, []);
}

function optimizeOther(plan: PlanNode, ctx: Ctx): Planned {
  switch (plan.kind) {
    case 'virtualScan':
      return leaf(plan, 100);
    case 'values':
      return leaf(plan, plan.rows.length);
    case 'result':
      return leaf(plan, 1);
    case 'workTableScan':
      return leaf(plan, 10);
    case 'functionScan':
      return leaf(plan, 1000);
    case 'cteScan': {
      const cte = plan.cte;
      let inner = cte.optimized ? cte.plan : ctx.ctes.get(cte);
      if (inner === undefined) {
        inner = optimize(cte.plan, ctx, null, 1).plan;
        cte.plan = inner;
        ctx.ctes.set(cte, inner);
      }
      return planned(plan, rowsOf(inner), { startup: 0, total: costOf(inner).total }, []);
    }
    case 'setop': {
      const left = optimize(plan.left, ctx, null, 1);
      const right = optimize(plan.right, ctx, null, 1);
      const rows =
        plan.op === 'union'
          ? left.rows + right.rows
          : plan.op === 'intersect'
            ? Math.min(left.rows, right.rows)
            : left.rows;
      const cost = {
        startup: 0,
        total: left.cost.total + right.cost.total + (left.rows + right.rows) * CPU_OPERATOR_COST,
      };
      return planned({ ...plan, left: left.plan, right: right.plan }, rows, cost, []);
    }
    case 'recursiveUnion': {
      const anchor = optimize(plan.anchor, ctx, null, 1);
      const recursive = optimize(plan.recursive, ctx, null, 1);
      const rows = anchor.rows * 10;
      const cost = { startup: 0, total: anchor.cost.total + 10 * recursive.cost.total };
      return planned({ ...plan, anchor: anchor.plan, recursive: recursive.plan }, rows, cost, []);
    }
    case 'apply': {
      const input = optimize(plan.input, ctx, null, 1);
      const links = plan.links.map((l) => ({
        id: l.id,
        link: { ...l.link, plan: optimize(l.link.plan, ctx, null, 1).plan },
      }));
      const perRow = links.reduce((n, l) => n + costOf(l.link.plan).total, 0);
      const correlated = links.some((l) => l.link.correlated.length > 0);
      const cost = {
        startup: input.cost.startup,
        total: input.cost.total + (correlated ? input.rows : 1) * perRow,
      };
      return planned({ ...plan, input: input.plan, links }, input.rows, cost, input.ordering);
    }
    case 'window':
    case 'projectSet':
    case 'lockRows':
    case 'modify': {
      const input = optimize(plan.input, ctx, null, 1);
      const rows = plan.kind === 'projectSet' ? input.rows * 10 : input.rows;
      const cost = { startup: input.cost.startup, total: input.cost.total + input.rows * CPU_TUPLE_COST };
      return planned(
        { ...plan, input: input.plan } as PlanNode,
        rows,
        cost,
        plan.kind === 'lockRows' ? input.ordering : [],
      );
    }
    default:
      assert(false, `optimizeOther reached ${plan.kind}`);
  }
}

export function choosePhysical(plan: PlanNode, catalog: CatalogReader): PlanNode {
  const ctx: Ctx = { catalog, view: buildStatsView(plan), ctes: new WeakMap() };
  return optimize(plan, ctx, null, 1).plan;
}
