/**
 * Physical choices and estimates: index access paths for scans (equality on a key prefix, then a
 * range on the next key), hash joins for equi-joins (nested loop otherwise), and row/cost
 * estimates from TableStats (or defaults) with PostgreSQL-like selectivities, shown by EXPLAIN.
 * Exports: choosePhysical.
 */
import type { IndexRelation, TableRelation } from '../../../catalog/objects.js';
import type { CatalogReader } from '../../context.js';
import { collectColumns, type Expr } from '../ir/expr.js';
import { type AccessPath, outputColumns, type PlanNode } from '../ir/logical.js';
import { comparatorFor } from '../registry/registry.js';

const seqPageCost = 1;
const randomPageCost = 4;
const cpuTupleCost = 0.01;
const cpuOperatorCost = 0.0025;

function tableRows(t: TableRelation): { rows: number; pages: number } {
  if (t.stats !== null) return { rows: t.stats.rowCount, pages: Math.max(1, t.stats.pageCount) };
  return { rows: 1000, pages: 10 };
}

function columnOf(e: Expr): number | null {
  if (e.kind === 'column') return e.id;
  if (e.kind === 'cast' && e.arg.kind === 'column') return null;
  return null;
}

function isParamLike(e: Expr, local: Set<number>): boolean {
  return [...collectColumns(e)].every((id) => !local.has(id)) && e.kind !== 'subLink';
}

interface Bound {
  attnum: number;
  op: '=' | '<' | '<=' | '>' | '>=';
  value: Expr;
  qual: Expr;
}

function boundsOf(node: Extract<PlanNode, { kind: 'scan' }>): Bound[] {
  const local = new Set(node.columns.map((c) => c.id));
  const attnumOf = new Map(node.columns.map((c) => [c.id, c.attnum]));
  const out: Bound[] = [];
  for (const q of node.filter) {
    if (
      q.kind !== 'call' ||
      q.args.length !== 2 ||
      q.comparison === undefined ||
      q.comparison === null ||
      q.comparison === '<>'
    )
      continue;
    const [a, b] = q.args as [Expr, Expr];
    const flip: Record<string, Bound['op']> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
    const ca = columnOf(a);
    const cb = columnOf(b);
    if (ca !== null && attnumOf.has(ca) && isParamLike(b, local))
      out.push({ attnum: attnumOf.get(ca) ?? 0, op: q.comparison, value: b, qual: q });
    else if (cb !== null && attnumOf.has(cb) && isParamLike(a, local))
      out.push({ attnum: attnumOf.get(cb) ?? 0, op: flip[q.comparison] ?? '=', value: a, qual: q });
  }
  return out;
}

function indexPath(index: IndexRelation, bounds: Bound[]): { path: AccessPath; selectivity: number } | null {
  const equal: Expr[] = [];
  const quals: Expr[] = [];
  let selectivity = 1;
  let lower: { value: Expr; inclusive: boolean } | null = null;
  let upper: { value: Expr; inclusive: boolean } | null = null;
  for (const key of index.keys) {
    if (key.attnum === 0) break;
    const eq = bounds.find((b) => b.attnum === key.attnum && b.op === '=');
    if (eq !== undefined) {
      equal.push(eq.value);
      quals.push(eq.qual);
      selectivity *= 0.005;
      continue;
    }
    const lo = bounds.find((b) => b.attnum === key.attnum && (b.op === '>' || b.op === '>='));
    const hi = bounds.find((b) => b.attnum === key.attnum && (b.op === '<' || b.op === '<='));
    if (lo !== undefined) {
      lower = { value: lo.value, inclusive: lo.op === '>=' };
      quals.push(lo.qual);
      selectivity *= 0.33;
    }
    if (hi !== undefined) {
      upper = { value: hi.value, inclusive: hi.op === '<=' };
      quals.push(hi.qual);
      selectivity *= 0.33;
    }
    break;
  }
  if (quals.length === 0) return null;
  if (index.unique && equal.length === index.keys.length) selectivity = 0;
  return {
    path: { kind: 'index', index, equal, lower, upper, direction: 'forward', indexQuals: quals },
    selectivity,
  };
}

function chooseScan(node: Extract<PlanNode, { kind: 'scan' }>, catalog: CatalogReader): PlanNode {
  const { rows, pages } = tableRows(node.table);
  const bounds = boundsOf(node);
  const seqCost = pages * seqPageCost + rows * (cpuTupleCost + node.filter.length * cpuOperatorCost);
  let best: { path: AccessPath; cost: number; rows: number } = {
    path: { kind: 'seq' },
    cost: seqCost,
    rows: rows * 0.33 ** node.filter.length,
  };
  for (const index of catalog.indexesOf(node.table)) {
    if (!index.valid || index.predicate !== null) continue;
    const candidate = indexPath(index, bounds);
    if (candidate === null) continue;
    const matched = Math.max(1, rows * candidate.selectivity);
    const cost = 4 * randomPageCost + matched * (randomPageCost * 0.25 + cpuTupleCost);
    if (cost < best.cost) best = { path: candidate.path, cost, rows: matched };
  }
  const width = node.columns.length * 8;
  return {
    ...node,
    access: best.path,
    est: { rows: Math.max(1, Math.round(best.rows)), startupCost: 0, totalCost: best.cost, width },
  };
}

function equiKeys(node: Extract<PlanNode, { kind: 'join' }>): {
  keys: Extract<PlanNode, { kind: 'join' }>['keys'];
  residual: Expr[];
} {
  const leftIds = new Set(outputColumns(node.left));
  const rightIds = new Set(outputColumns(node.right));
  const keys: Extract<PlanNode, { kind: 'join' }>['keys'] = [];
  const residual: Expr[] = [];
  const side = (e: Expr): 'left' | 'right' | null => {
    const ids = [...collectColumns(e)];
    if (ids.length === 0) return null;
    if (ids.every((id) => leftIds.has(id))) return 'left';
    if (ids.every((id) => rightIds.has(id))) return 'right';
    return null;
  };
  for (const c of node.condition) {
    if (c.kind === 'call' && c.comparison === '=' && c.args.length === 2) {
      const [a, b] = c.args as [Expr, Expr];
      const sa = side(a);
      const sb = side(b);
      if (sa === 'left' && sb === 'right' && a.type === b.type) {
        keys.push({ left: a, right: b, compare: comparatorFor(a.type) });
        continue;
      }
      if (sa === 'right' && sb === 'left' && a.type === b.type) {
        keys.push({ left: b, right: a, compare: comparatorFor(a.type) });
        continue;
      }
    }
    residual.push(c);
  }
  return { keys, residual };
}

function estimateOf(node: PlanNode): { rows: number; totalCost: number } {
  return node.est ?? { rows: 1, totalCost: 0 };
}

export function choosePhysical(plan: PlanNode, catalog: CatalogReader): PlanNode {
  const rec = (p: PlanNode) => choosePhysical(p, catalog);
  switch (plan.kind) {
    case 'scan':
      return chooseScan(plan, catalog);
    case 'join': {
      const left = rec(plan.left);
      const right = rec(plan.right);
      const node = { ...plan, left, right };
      const { keys, residual } = equiKeys(node);
      const l = estimateOf(left);
      const r = estimateOf(right);
      if (keys.length > 0 && !plan.lateral) {
        const rows = Math.max(1, Math.round((l.rows * r.rows) / Math.max(l.rows, r.rows, 1)));
        return {
          ...node,
          method: 'hash',
          keys,
          condition: residual,
          est: {
            rows,
            startupCost: r.totalCost,
            totalCost: l.totalCost + r.totalCost + (l.rows + r.rows) * cpuOperatorCost,
            width: 16,
          },
        };
      }
      const rows = Math.max(1, Math.round(l.rows * r.rows * (plan.condition.length > 0 ? 0.33 : 1)));
      return {
        ...node,
        method: 'nested',
        est: { rows, startupCost: 0, totalCost: l.totalCost + l.rows * r.totalCost, width: 16 },
      };
    }
    case 'virtualScan':
    case 'values':
    case 'result':
    case 'workTableScan':
    case 'functionScan':
      return {
        ...plan,
        est: {
          rows: plan.kind === 'values' ? plan.rows.length : plan.kind === 'functionScan' ? 1000 : 1,
          startupCost: 0,
          totalCost: 0.01,
          width: 8,
        },
      };
    case 'cteScan':
      plan.cte.plan = choosePhysicalOnce(plan.cte.plan, catalog);
      return {
        ...plan,
        est: {
          rows: estimateOf(plan.cte.plan).rows,
          startupCost: 0,
          totalCost: estimateOf(plan.cte.plan).totalCost,
          width: 8,
        },
      };
    case 'setop':
      return withEst({ ...plan, left: rec(plan.left), right: rec(plan.right) });
    case 'recursiveUnion':
      return withEst({ ...plan, anchor: rec(plan.anchor), recursive: rec(plan.recursive) });
    case 'apply':
      return withEst({
        ...plan,
        input: rec(plan.input),
        links: plan.links.map((l) => ({ id: l.id, link: { ...l.link, plan: rec(l.link.plan) } })),
      });
    default:
      return withEst({ ...plan, input: rec(plan.input) } as PlanNode);
  }
}

const done = new WeakSet<PlanNode>();
function choosePhysicalOnce(plan: PlanNode, catalog: CatalogReader): PlanNode {
  if (done.has(plan)) return plan;
  const out = choosePhysical(plan, catalog);
  done.add(out);
  return out;
}

function withEst(plan: PlanNode): PlanNode {
  const children =
    'input' in plan
      ? [plan.input]
      : plan.kind === 'setop'
        ? [plan.left, plan.right]
        : plan.kind === 'recursiveUnion'
          ? [plan.anchor, plan.recursive]
          : [];
  const inRows = children.reduce((n, c) => n + estimateOf(c).rows, 0);
  const inCost = children.reduce((n, c) => n + estimateOf(c).totalCost, 0);
  let rows = inRows;
  if (plan.kind === 'filter') rows = inRows * 0.33;
  if (plan.kind === 'aggregate') rows = plan.groupBy.length === 0 ? 1 : Math.max(1, inRows * 0.1);
  if (plan.kind === 'limit') rows = Math.min(inRows, 1000);
  if (plan.kind === 'distinct') rows = inRows * 0.5;
  const sortCost = plan.kind === 'sort' ? inRows * Math.log2(Math.max(2, inRows)) * 2 * cpuOperatorCost : 0;
  const startup = plan.kind === 'sort' || plan.kind === 'aggregate' ? inCost + sortCost : 0;
  return {
    ...plan,
    est: {
      rows: Math.max(1, Math.round(rows)),
      startupCost: startup,
      totalCost: inCost + sortCost + inRows * cpuOperatorCost,
      width: outputColumns(plan).length * 8,
    },
  };
}
