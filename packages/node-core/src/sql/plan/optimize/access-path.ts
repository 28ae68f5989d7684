/**
 * Access paths of a table scan: the sequential scan and every B-tree index whose leading key
 * columns the scan's quals bound (equalities on a key prefix, then a range on the next key), or
 * whose key order gives an ORDER BY for free (forward, or backward for the opposite order). A
 * qual whose other side reads columns from outside the scan (an index nested loop's outer row,
 * a parameter) bounds the index too. Each path carries its cost, its row estimate and the order
 * it returns rows in. Index-only scans are not offered: the heap has no visibility map, so every
 * match must be fetched from the heap to check visibility.
 * Exports: ScanPath, scanPaths, tableSize, Ordering, OrderKey.
 */
import type { IndexRelation, TableRelation } from '../../../catalog/objects.js';
import type { CatalogReader } from '../../context.js';
import { type ColumnId, collectColumns, type Expr, exprSome } from '../ir/expr.js';
import type { AccessPath, ScanNode } from '../ir/logical.js';
import { type Cost, indexScanCost, seqScanCost } from './cost.js';
import { type StatsView, selectivity } from './selectivity.js';

/** One key of a row order: a column, its direction and where NULLs go. */
export interface OrderKey {
  id: ColumnId;
  descending: boolean;
  nullsFirst: boolean;
}
export type Ordering = OrderKey[];

export interface ScanPath {
  access: AccessPath;
  cost: Cost;
  rows: number;
  ordering: Ordering;
  /** The quals the index bounds (not re-checked when they are exact). */
  indexQuals: Expr[];
}

const DEFAULT_ROWS = 1000;
const DEFAULT_PAGES = 10;

export function tableSize(t: TableRelation): { rows: number; pages: number } {
  if (t.stats !== null) return { rows: Math.max(0, t.stats.rowCount), pages: Math.max(1, t.stats.pageCount) };
  return { rows: DEFAULT_ROWS, pages: DEFAULT_PAGES };
}

interface Bound {
  attnum: number;
  op: '=' | '<' | '<=' | '>' | '>=';
  value: Expr;
  qual: Expr;
}

const flip: Record<string, Bound['op']> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function volatile(e: Expr): boolean {
  return exprSome(
    e,
    (x) => (x.kind === 'call' && x.volatility === 'volatile') || x.kind === 'subLink' || x.kind === 'context',
  );
}

/** Quals of the form `column op value` where value does not read the scan's own columns. */
function boundsOf(node: ScanNode): Bound[] {
  const local = new Set(node.columns.map((c) => c.id));
  const attnumOf = new Map(node.columns.map((c) => [c.id, c.attnum]));
  const out: Bound[] = [];
  const external = (e: Expr) => ![...collectColumns(e)].some((id) => local.has(id)) && !volatile(e);
  for (const q of node.filter) {
    if (q.kind !== 'call' || q.args.length !== 2 || q.comparison === undefined || q.comparison === null)
      continue;
    if (q.comparison === '<>') continue;
    const [a, b] = q.args as [Expr, Expr];
    // Only same-type comparisons: the index orders values of its column's type.
    if (a.type !== b.type && !(isInteger(a.type) && isInteger(b.type))) continue;
    if (a.kind === 'column' && attnumOf.has(a.id) && external(b))
      out.push({ attnum: attnumOf.get(a.id) ?? 0, op: q.comparison, value: b, qual: q });
    else if (b.kind === 'column' && attnumOf.has(b.id) && external(a))
      out.push({ attnum: attnumOf.get(b.id) ?? 0, op: flip[q.comparison] ?? '=', value: a, qual: q });
  }
  return out;
}

function isInteger(type: number): boolean {
  return type === 20 || type === 21 || type === 23;
}

/** The row order of an index scan: its key columns, forward or backward. */
function indexOrdering(node: ScanNode, index: IndexRelation, backward: boolean): Ordering {
  const idOf = new Map(node.columns.map((c) => [c.attnum, c.id]));
  const out: Ordering = [];
  for (const key of index.keys) {
    const id = key.attnum === 0 ? undefined : idOf.get(key.attnum);
    if (id === undefined) break;
    const descending = key.descending !== backward;
    const nullsFirst = key.nullsFirst !== backward;
    out.push({ id, descending, nullsFirst });
  }
  return out;
}

function indexBounds(
  index: IndexRelation,
  bounds: Bound[],
): Omit<Extract<AccessPath, { kind: 'index' }>, 'kind' | 'index' | 'direction'> {
  const equal: Expr[] = [];
  const indexQuals: Expr[] = [];
  let lower: { value: Expr; inclusive: boolean } | null = null;
  let upper: { value: Expr; inclusive: boolean } | null = null;
  for (const key of index.keys) {
    if (key.attnum === 0) break;
    const eq = bounds.find((b) => b.attnum === key.attnum && b.op === '=');
    if (eq !== undefined) {
      equal.push(eq.value);
      indexQuals.push(eq.qual);
      continue;
    }
    const lo = bounds.find((b) => b.attnum === key.attnum && (b.op === '>' || b.op === '>='));
    const hi = bounds.find((b) => b.attnum === key.attnum && (b.op === '<' || b.op === '<='));
    // A DESC key stores larger values first: the scan's lower bound is then the value's upper one.
    const flipped = key.descending;
    const low = flipped ? hi : lo;
    const high = flipped ? lo : hi;
    if (low !== undefined) {
      lower = { value: low.value, inclusive: low.op === '>=' || low.op === '<=' };
      indexQuals.push(low.qual);
    }
    if (high !== undefined) {
      upper = { value: high.value, inclusive: high.op === '<=' || high.op === '>=' };
      indexQuals.push(high.qual);
    }
    break;
  }
  return { equal, lower, upper, indexQuals };
}

/**
 * The sequential path and every useful index path of `node`, with estimates. `stats` resolves
 * the scan's columns; `required` asks for index paths that return rows in that order.
 */
export function scanPaths(
  node: ScanNode,
  catalog: CatalogReader,
  view: StatsView,
  required: Ordering | null,
): ScanPath[] {
  const { rows, pages } = tableSize(node.table);
  const sel = node.filter.reduce((s, q) => s * selectivity(view, q), 1);
  const outRows = Math.max(1, rows * sel);
  const paths: ScanPath[] = [
    {
      access: { kind: 'seq' },
      cost: seqScanCost(pages, rows, node.filter.length),
      rows: outRows,
      ordering: [],
      indexQuals: [],
    },
  ];
  const bounds = boundsOf(node);
  const correlationOf = (attnum: number) =>
    node.table.stats?.columns.find((c) => c.attnum === attnum)?.correlation ?? 0;
  for (const index of catalog.indexesOf(node.table)) {
    if (!index.valid || index.predicate !== null || index.keys.some((k) => k.attnum === 0)) continue;
    const b = indexBounds(index, bounds);
    for (const backward of [false, true]) {
      const ordering = indexOrdering(node, index, backward);
      const ordered = required !== null && satisfies(ordering, required);
      if (b.indexQuals.length === 0 && !ordered) continue;
      if (backward && !ordered) continue;
      const boundSel = b.indexQuals.reduce((s, q) => s * selectivity(view, q), 1);
      let matched = Math.max(1, rows * boundSel);
      if (index.unique && b.equal.length === index.keys.length && b.lower === null && b.upper === null)
        matched = 1;
      const cost = indexScanCost(
        rows,
        pages,
        matched,
        correlationOf(index.keys[0]?.attnum ?? 0),
        node.filter.length,
      );
      paths.push({
        access: { kind: 'index', index, ...b, direction: backward ? 'backward' : 'forward' },
        cost,
        rows: Math.min(outRows, matched),
        ordering,
        indexQuals: b.indexQuals,
      });
    }
  }
  return paths;
}

/** Whether rows in order `have` are also in order `want` (want is a prefix of have). */
export function satisfies(have: Ordering, want: Ordering): boolean {
  if (want.length > have.length) return false;
  return want.every((w, i) => {
    const h = have[i];
    return h !== undefined && h.id === w.id && h.descending === w.descending && h.nullsFirst === w.nullsFirst;
  });
}
