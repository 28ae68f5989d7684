/**
 * Join order: a tree of inner (and cross) joins is flattened into its relations and quals, and
 * rebuilt in the cheapest order: by dynamic programming over subsets up to DP_LIMIT relations
 * (System R / PostgreSQL's standard_join_search, cartesian products only where no qual connects
 * two subsets), greedily beyond (repeatedly join the pair with the cheapest result, as GOO). A
 * subset's row estimate does not depend on how it was joined: the relations' rows times the
 * selectivity of every qual inside it. Each join's method comes from join-method.ts.
 * Exports: Relation, Region, orderJoins, DP_LIMIT.
 */
import { assert } from '@keel/errors';
import type { CatalogReader } from '../../context.js';
import { type ColumnId, collectColumns, type Expr } from '../ir/expr.js';
import { chooseJoin, type JoinChoice, type JoinInput } from './join-method.js';
import { type StatsView, selectivity } from './selectivity.js';

export const DP_LIMIT = 10;
const BOOL = 16;

export interface Relation extends JoinInput {
  ids: Set<ColumnId>;
}

interface Qual {
  expr: Expr;
  mask: number;
  sel: number;
}

interface Best extends JoinChoice {
  rows: number;
  base: JoinInput['base'];
}

function maskOf(e: Expr, rels: Relation[], all: number): number {
  let mask = 0;
  const ids = collectColumns(e);
  rels.forEach((r, i) => {
    for (const id of ids) if (r.ids.has(id)) mask |= 1 << i;
  });
  // A qual over no relation of the region (outer references only) waits for the whole region.
  return mask === 0 ? all : mask;
}

function bits(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

class Planner {
  private readonly quals: Qual[];
  private readonly rowsMemo = new Map<number, number>();

  constructor(
    private readonly catalog: CatalogReader,
    private readonly view: StatsView,
    private readonly rels: Relation[],
    quals: Expr[],
  ) {
    const all = (1 << rels.length) - 1;
    this.quals = quals.map((expr) => ({ expr, mask: maskOf(expr, rels, all), sel: selectivity(view, expr) }));
  }

  rowsOf(mask: number): number {
    const known = this.rowsMemo.get(mask);
    if (known !== undefined) return known;
    let rows = 1;
    this.rels.forEach((r, i) => {
      if (mask & (1 << i)) rows *= Math.max(1, r.rows);
    });
    for (const q of this.quals) if ((q.mask & mask) === q.mask) rows *= q.sel;
    const result = Math.max(1, rows);
    this.rowsMemo.set(mask, result);
    return result;
  }

  /** Quals that become evaluable when joining `a` and `b`. */
  private between(a: number, b: number): Expr[] {
    const s = a | b;
    return this.quals
      .filter((q) => (q.mask & s) === q.mask && (q.mask & a) !== q.mask && (q.mask & b) !== q.mask)
      .map((q) => q.expr);
  }

  connected(a: number, b: number): boolean {
    return this.between(a, b).length > 0;
  }

  join(a: number, left: Best, b: number, right: Best): Best {
    const rows = this.rowsOf(a | b);
    const choice = chooseJoin(this.catalog, this.view, 'inner', left, right, this.between(a, b), rows, false);
    return { ...choice, rows, base: null };
  }

  leaf(i: number): Best {
    const r = this.rels[i] as Relation;
    // Quals over this relation alone (pushdown normally moved them into it) filter it first.
    const own = this.quals.filter((q) => q.mask === 1 << i).map((q) => q.expr);
    if (own.length === 0)
      return { plan: r.plan, cost: r.cost, ordering: r.ordering, rows: r.rows, base: r.base };
    const rows = Math.max(
      1,
      own.reduce((n, q) => n * selectivity(this.view, q), r.rows),
    );
    const predicate: Expr =
      own.length === 1 ? (own[0] as Expr) : { kind: 'and', args: own, type: BOOL, typmod: -1 };
    const est = { ...(r.plan.est ?? { startupCost: 0, totalCost: 0, width: 8 }), rows: Math.round(rows) };
    return {
      plan: { kind: 'filter', input: r.plan, predicate, est },
      cost: r.cost,
      ordering: r.ordering,
      rows,
      base: null,
    };
  }

  /** Whether the quals connect every relation of `mask` (a join graph without islands). */
  isConnected(mask: number): boolean {
    const first = mask & -mask;
    let reached = first;
    for (let grew = true; grew; ) {
      grew = false;
      for (const q of this.quals) {
        if ((q.mask & mask) !== q.mask || (q.mask & reached) === 0 || (q.mask & ~reached) === 0) continue;
        reached |= q.mask;
        grew = true;
      }
    }
    return reached === mask;
  }

  /**
   * System R dynamic programming over all subsets; bushy trees allowed. When the quals connect
   * all relations, subsets they do not connect are skipped (they would need a cartesian product).
   */
  dynamic(): Best {
    const n = this.rels.length;
    const best = new Map<number, Best>();
    for (let i = 0; i < n; i++) best.set(1 << i, this.leaf(i));
    const full = (1 << n) - 1;
    const connectedOnly = this.isConnected(full);
    for (let size = 2; size <= n; size++) {
      for (let s = 1; s <= full; s++) {
        if (bits(s) !== size) continue;
        if (connectedOnly && !this.isConnected(s)) continue;
        let found = this.bestSplit(s, best, true);
        found ??= this.bestSplit(s, best, false);
        if (found !== null) best.set(s, found);
      }
    }
    const result = best.get(full);
    assert(result !== undefined, 'the join search covers every subset');
    return result;
  }

  private bestSplit(s: number, best: Map<number, Best>, requireQual: boolean): Best | null {
    let found: Best | null = null;
    // Every proper non-empty subset `a` of s, with b = s - a; (a, b) and (b, a) are both tried.
    for (let a = (s - 1) & s; a > 0; a = (a - 1) & s) {
      const b = s & ~a;
      const left = best.get(a);
      const right = best.get(b);
      if (left === undefined || right === undefined) continue;
      if (requireQual && !this.connected(a, b)) continue;
      const candidate = this.join(a, left, b, right);
      if (found === null || candidate.cost.total < found.cost.total) found = candidate;
    }
    return found;
  }

  /** Greedy operator ordering: join the pair giving the cheapest result until one remains. */
  greedy(): Best {
    let parts: { mask: number; best: Best }[] = this.rels.map((_, i) => ({
      mask: 1 << i,
      best: this.leaf(i),
    }));
    while (parts.length > 1) {
      let chosen: { i: number; j: number; best: Best } | null = null;
      for (const requireQual of [true, false]) {
        for (let i = 0; i < parts.length; i++) {
          for (let j = 0; j < parts.length; j++) {
            const p = parts[i];
            const q = parts[j];
            if (i === j || p === undefined || q === undefined) continue;
            if (requireQual && !this.connected(p.mask, q.mask)) continue;
            const candidate = this.join(p.mask, p.best, q.mask, q.best);
            if (chosen === null || candidate.cost.total < chosen.best.cost.total)
              chosen = { i, j, best: candidate };
          }
        }
        if (chosen !== null) break;
      }
      assert(chosen !== null, 'a cartesian pair always exists');
      const { i, j, best } = chosen;
      const merged = { mask: (parts[i]?.mask ?? 0) | (parts[j]?.mask ?? 0), best };
      parts = parts.filter((_, k) => k !== i && k !== j);
      parts.push(merged);
    }
    const only = parts[0];
    assert(only !== undefined, 'the greedy search keeps one part');
    return only.best;
  }
}

/** The cheapest join tree of `rels` under `quals` (the conjuncts of their inner joins). */
export function orderJoins(
  catalog: CatalogReader,
  view: StatsView,
  rels: Relation[],
  quals: Expr[],
): JoinChoice & { rows: number } {
  assert(rels.length <= 30, 'join search masks hold 30 relations');
  const planner = new Planner(catalog, view, rels, quals);
  const best = rels.length <= DP_LIMIT ? planner.dynamic() : planner.greedy();
  return best;
}
