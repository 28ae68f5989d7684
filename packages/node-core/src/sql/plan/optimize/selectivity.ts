/**
 * Cardinality estimation from ANALYZE statistics (catalog TableStats), following PostgreSQL's
 * selfuncs.c: `col = const` reads the most-common-value list, else spreads the remaining
 * frequency over the other distinct values; `col < const` adds the MCVs that qualify and the
 * histogram fraction below the constant; IS NULL is the null fraction; `a = b` across relations
 * is 1 / max(ndistinct); AND multiplies, OR adds minus the overlap, NOT complements. Without
 * statistics PostgreSQL's defaults apply (0.005 for equality, 1/3 for ranges).
 * Exports: ColumnSource, StatsView, selectivity, distinctOf, DEFAULT_* constants.
 */
import type { ColumnStats, TableRelation } from '../../../catalog/objects.js';
import { comparatorFor } from '../../types/compare.js';
import { defaultTypeSettings } from '../../types/settings.js';
import { parseText } from '../../types/text-io.js';
import type { Value as TypedValue } from '../../types/value.js';
import { type ColumnId, collectColumns, type Expr } from '../ir/expr.js';
import type { TypeSettings } from '../registry/registry.js';

export const DEFAULT_EQ_SEL = 0.005;
export const DEFAULT_INEQ_SEL = 1 / 3;
export const DEFAULT_MATCH_SEL = 0.005;
export const DEFAULT_NUM_DISTINCT = 200;
const DEFAULT_UNK_SEL = 0.005;

/** Where a column's values come from: a table column (with its statistics when analyzed). */
export interface ColumnSource {
  table: TableRelation;
  attnum: number;
  type: number;
}

interface ParsedStats {
  stats: ColumnStats;
  mcv: { value: TypedValue; frequency: number }[];
  histogram: TypedValue[];
  mcvTotal: number;
}

const parsedCache = new WeakMap<ColumnStats, ParsedStats | null>();
const settings: TypeSettings = defaultTypeSettings();

/** The statistics of one column with its MCVs and histogram read back as typed values. */
function parsed(source: ColumnSource): ParsedStats | null {
  const stats = source.table.stats?.columns.find((c) => c.attnum === source.attnum);
  if (stats === undefined) return null;
  const cached = parsedCache.get(stats);
  if (cached !== undefined) return cached;
  let result: ParsedStats | null;
  try {
    const mcv: ParsedStats['mcv'] = stats.mostCommon.map((m) => ({
      value: parseText(source.type, m.value, settings),
      frequency: m.frequency,
    }));
    result = {
      stats,
      mcv,
      histogram: stats.histogram.map((h) => parseText(source.type, h, settings)),
      mcvTotal: mcv.reduce((n, m) => n + m.frequency, 0),
    };
  } catch {
    // Statistics written under other settings (a DateStyle, a dropped type) are not usable.
    result = null;
  }
  parsedCache.set(stats, result);
  return result;
}

/** Resolves ColumnIds of the plan being estimated to their table columns. */
export interface StatsView {
  source(id: ColumnId): ColumnSource | null;
  /** Rows of the relation a column belongs to (for distinct counts stored as fractions). */
  tableRows(table: TableRelation): number;
}

/** Estimated distinct values of a column (PostgreSQL's stadistinct, negative = fraction of rows). */
export function distinctOf(view: StatsView, id: ColumnId): number | null {
  const source = view.source(id);
  if (source === null) return null;
  const stats = source.table.stats?.columns.find((c) => c.attnum === source.attnum);
  if (stats === undefined) return null;
  const rows = view.tableRows(source.table);
  const d = stats.distinct < 0 ? -stats.distinct * rows : stats.distinct;
  return Math.max(1, d);
}

function clamp(s: number): number {
  if (!Number.isFinite(s)) return DEFAULT_UNK_SEL;
  return Math.min(1, Math.max(0, s));
}

function constantOf(e: Expr): TypedValue | undefined {
  if (e.kind === 'const') return e.value as TypedValue;
  if (e.kind === 'cast' && e.arg.kind === 'const') return undefined;
  return undefined;
}

function columnOf(e: Expr): ColumnId | null {
  if (e.kind === 'column') return e.id;
  return null;
}

/** Fraction of non-null rows equal to `value`. */
function eqConstSel(view: StatsView, id: ColumnId, value: TypedValue | undefined): number {
  const source = view.source(id);
  const p = source === null ? null : parsed(source);
  if (p === null || source === null) return DEFAULT_EQ_SEL;
  if (value === null) return 0;
  const nullFrac = p.stats.nullFraction;
  if (value !== undefined) {
    const compare = comparatorFor(source.type);
    const hit = p.mcv.find((m) => compare(m.value, value) === 0);
    if (hit !== undefined) return hit.frequency;
  }
  const distinct = distinctOf(view, id) ?? DEFAULT_NUM_DISTINCT;
  const others = distinct - p.mcv.length;
  const rest = 1 - p.mcvTotal - nullFrac;
  if (others <= 0) return Math.min(rest, DEFAULT_EQ_SEL);
  return clamp(rest / others);
}

/** Fraction of rows with `column < value` (or <=, >, >=). */
function rangeConstSel(view: StatsView, id: ColumnId, op: string, value: TypedValue | undefined): number {
  const source = view.source(id);
  const p = source === null ? null : parsed(source);
  if (p === null || source === null || value === undefined) return DEFAULT_INEQ_SEL;
  if (value === null) return 0;
  const compare = comparatorFor(source.type);
  const below = op === '<' || op === '<=';
  const qualifies = (v: TypedValue) => {
    const c = compare(v, value);
    return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
  };
  const mcvSel = p.mcv.reduce((n, m) => n + (qualifies(m.value) ? m.frequency : 0), 0);
  const rest = Math.max(0, 1 - p.mcvTotal - p.stats.nullFraction);
  const h = p.histogram;
  let histSel = 0.5;
  if (h.length >= 2) {
    let i = 0;
    while (i < h.length && compare(h[i] as TypedValue, value) < 0) i++;
    const fraction = i === 0 ? 0 : i >= h.length ? 1 : (i - 0.5) / (h.length - 1);
    histSel = below ? fraction : 1 - fraction;
  } else if (rest > 0) histSel = DEFAULT_INEQ_SEL;
  return clamp(mcvSel + rest * histSel);
}

const flip: Record<string, string> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function comparisonSel(view: StatsView, e: Extract<Expr, { kind: 'call' }>): number {
  const [a, b] = e.args as [Expr, Expr];
  const op = e.comparison ?? '=';
  let col = columnOf(a);
  let other = b;
  let dir: string = op;
  if (col === null) {
    col = columnOf(b);
    other = a;
    dir = flip[op] ?? op;
  }
  if (col === null) return op === '=' ? DEFAULT_EQ_SEL : op === '<>' ? 1 - DEFAULT_EQ_SEL : DEFAULT_INEQ_SEL;
  const otherCol = columnOf(other);
  if (otherCol !== null) {
    if (op !== '=') return op === '<>' ? 1 - DEFAULT_EQ_SEL : DEFAULT_INEQ_SEL;
    return joinEqSel(view, col, otherCol);
  }
  const value = constantOf(other);
  if (collectColumns(other).size > 0 || other.kind === 'subLink') {
    // A parameter of an index nested loop or a correlated value: one of the column's values.
    if (dir === '=') return 1 / (distinctOf(view, col) ?? DEFAULT_NUM_DISTINCT);
    return dir === '<>' ? 1 - DEFAULT_EQ_SEL : DEFAULT_INEQ_SEL;
  }
  if (dir === '=') return eqConstSel(view, col, value);
  if (dir === '<>') {
    const source = view.source(col);
    const nullFrac = source === null ? 0 : (parsed(source)?.stats.nullFraction ?? 0);
    return clamp(1 - eqConstSel(view, col, value) - nullFrac);
  }
  return rangeConstSel(view, col, dir, value);
}

/** Selectivity of `a = b` between two columns (PostgreSQL's eqjoinsel without MCV matching). */
export function joinEqSel(view: StatsView, a: ColumnId, b: ColumnId): number {
  const da = distinctOf(view, a);
  const db = distinctOf(view, b);
  const nullFrac = (id: ColumnId) => {
    const s = view.source(id);
    return s === null ? 0 : (parsed(s)?.stats.nullFraction ?? 0);
  };
  const n = Math.max(da ?? DEFAULT_NUM_DISTINCT, db ?? DEFAULT_NUM_DISTINCT);
  return clamp(((1 - nullFrac(a)) * (1 - nullFrac(b))) / n);
}

function nullTestSel(view: StatsView, e: Extract<Expr, { kind: 'isNull' }>): number {
  const col = columnOf(e.arg);
  const source = col === null ? null : view.source(col);
  const frac = source === null ? 0.005 : (parsed(source)?.stats.nullFraction ?? 0.005);
  return e.negated ? 1 - frac : frac;
}

/** The estimated fraction of rows for which `e` is true. */
export function selectivity(view: StatsView, e: Expr): number {
  switch (e.kind) {
    case 'and':
      return e.args.reduce((s, a) => s * selectivity(view, a), 1);
    case 'or': {
      let s = 0;
      for (const a of e.args) {
        const x = selectivity(view, a);
        s = s + x - s * x;
      }
      return clamp(s);
    }
    case 'not':
      return clamp(1 - selectivity(view, e.arg));
    case 'isNull':
      return nullTestSel(view, e);
    case 'const':
      return e.value === true ? 1 : 0;
    case 'call':
      if (e.comparison !== undefined && e.comparison !== null && e.args.length === 2)
        return comparisonSel(view, e);
      if (e.name === '~~' || e.name === '~~*' || e.name === '~' || e.name === '~*') return DEFAULT_MATCH_SEL;
      if (e.name === '!~~' || e.name === '!~~*' || e.name === '!~' || e.name === '!~*')
        return 1 - DEFAULT_MATCH_SEL;
      return DEFAULT_INEQ_SEL;
    case 'inList': {
      const col = columnOf(e.arg);
      const one = (x: Expr) => (col === null ? DEFAULT_EQ_SEL : eqConstSel(view, col, constantOf(x)));
      const s = clamp(e.list.reduce((n, x) => n + one(x), 0));
      return e.negated ? clamp(1 - s) : s;
    }
    case 'anyAll':
      return e.all ? DEFAULT_INEQ_SEL : DEFAULT_INEQ_SEL;
    case 'distinct':
      return e.negated ? DEFAULT_EQ_SEL : 1 - DEFAULT_EQ_SEL;
    case 'boolTest':
      return e.test === 'unknown' ? 0.005 : 0.5;
    case 'column':
      return 0.5;
    default:
      return DEFAULT_INEQ_SEL;
  }
}
