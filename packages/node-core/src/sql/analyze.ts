/**
 * ANALYZE: statistics for the optimizer, as PostgreSQL's analyze.c gathers them: the live row
 * and page counts, and per column a sample's null fraction, distinct estimate, most common
 * values, an equal-height histogram of the rest, and the correlation between physical and
 * logical order. The sample is a reservoir of up to 30,000 rows (PostgreSQL's default
 * statistics target of 100 gives the same), drawn with a seeded generator so runs repeat.
 * Exports: analyzeTable.
 */
import type { Row, Value } from '../access/table-access.js';
import type { ColumnStats, TableRelation, TableStats } from '../catalog/objects.js';
import type { ExecutionContext } from './context.js';
import { comparatorFor, hashKey } from './types/compare.js';
import { defaultTypeSettings } from './types/settings.js';
import { formatText } from './types/text-io.js';
import type { Value as TypedValue } from './types/value.js';

const SAMPLE_ROWS = 30_000;
const MCV_ENTRIES = 100;
const HISTOGRAM_BOUNDS = 101;
/**
 * The statistics live in the table's catalog row (JSON, catalog/catalog-codec.ts), which must fit
 * a page (no TOAST): the row may take this many bytes, and the widest columns' MCV and histogram
 * lists are thinned until the table's JSON with its statistics fits.
 */
const CATALOG_ROW_BUDGET = 7600;

export async function analyzeTable(table: TableRelation, ctx: ExecutionContext): Promise<TableStats> {
  const sample: { position: number; row: Row }[] = [];
  let seen = 0;
  let seed = 12_345;
  const random = () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  for await (const batch of ctx.access.scan(table)) {
    for (const row of batch.rows) {
      if (sample.length < SAMPLE_ROWS) sample.push({ position: seen, row });
      else {
        const slot = Math.floor(random() * (seen + 1));
        if (slot < SAMPLE_ROWS) sample[slot] = { position: seen, row };
      }
      seen++;
    }
    ctx.checkInterrupts();
    await ctx.yieldToOthers();
  }
  sample.sort((a, b) => a.position - b.position);
  // One column's statistics at a time, yielding between them: a wide table's 30,000-row sample
  // takes hundreds of milliseconds in all, longer than the leader lease may go unrenewed.
  const columns: ColumnStats[] = [];
  for (const column of table.columns.filter((c) => !c.dropped)) {
    columns.push(
      columnStats(
        column.attnum,
        column.typeOid,
        sample.map((s) => s.row[column.attnum - 1] ?? null),
        seen,
      ),
    );
    ctx.checkInterrupts();
    await ctx.yieldToOthers();
  }
  return {
    rowCount: seen,
    pageCount: ctx.access.estimateSize(table).pages,
    columns: fitStatsBudget(columns, CATALOG_ROW_BUDGET - jsonBytes({ ...table, stats: null }) - 200),
    analyzedAt: new Date().toISOString(),
  };
}

function columnStats(attnum: number, typeOid: number, values: Value[], totalRows: number): ColumnStats {
  const settings = defaultTypeSettings();
  const nonNull = values.filter((v) => v !== null);
  const nullFraction = values.length === 0 ? 0 : (values.length - nonNull.length) / values.length;
  const counts = new Map<unknown, { value: Value; count: number }>();
  for (const value of nonNull) {
    const key = hashKey(typeOid, value as TypedValue);
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { value, count: 1 });
    else entry.count++;
  }
  const text = (value: Value) => formatText(typeOid, value as TypedValue, settings);
  const distinctInSample = counts.size;
  const allDistinct = [...counts.values()].every((e) => e.count === 1);
  // PostgreSQL stores a negative fraction when the distinct count grows with the table.
  const distinct =
    nonNull.length === 0
      ? 0
      : allDistinct && values.length < totalRows
        ? -(1 - nullFraction)
        : distinctInSample / Math.max(1, nonNull.length) > 0.1
          ? -(distinctInSample / Math.max(1, values.length))
          : distinctInSample;
  const average = nonNull.length === 0 ? 0 : nonNull.length / distinctInSample;
  const common = [...counts.values()]
    .filter((e) => e.count > 1 && e.count > average * 1.25)
    .sort((a, b) => b.count - a.count)
    .slice(0, MCV_ENTRIES);
  const commonKeys = new Set(common.map((e) => hashKey(typeOid, e.value as TypedValue)));
  const compare = safeComparator(typeOid);
  const rest = nonNull.filter((v) => !commonKeys.has(hashKey(typeOid, v as TypedValue))).sort(compare);
  const histogram: string[] = [];
  // As PostgreSQL: a histogram needs at least two distinct values outside the MCV list.
  if (rest.length >= 2 && compare(rest[0] ?? null, rest[rest.length - 1] ?? null) !== 0) {
    const bounds = Math.min(HISTOGRAM_BOUNDS, rest.length);
    for (let i = 0; i < bounds; i++) {
      const value = rest[Math.round((i * (rest.length - 1)) / (bounds - 1))];
      if (value !== undefined) histogram.push(text(value));
    }
  }
  return {
    attnum,
    nullFraction,
    distinct,
    averageWidth: averageWidth(nonNull),
    mostCommon: common.map((e) => ({
      value: text(e.value),
      frequency: Number((e.count / Math.max(1, values.length)).toPrecision(4)),
    })),
    histogram,
    correlation: Number(correlation(nonNull, compare).toPrecision(4)),
  };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  );
}

function listBytes(column: ColumnStats): number {
  return jsonBytes(column.histogram) + jsonBytes(column.mostCommon);
}

/** Halves the longest histogram and MCV lists until the statistics' JSON fits `budget` bytes. */
function fitStatsBudget(columns: ColumnStats[], budget: number): ColumnStats[] {
  const out = columns.map((c) => ({ ...c }));
  for (let round = 0; round < 64; round++) {
    if (jsonBytes(out) <= budget) return out;
    const widest = out.reduce((a, b) => (listBytes(b) > listBytes(a) ? b : a));
    if (widest.histogram.length > 2)
      widest.histogram = widest.histogram.filter((_v, i, all) => i % 2 === 0 || i === all.length - 1);
    else if (widest.mostCommon.length > 0)
      widest.mostCommon = widest.mostCommon.slice(0, widest.mostCommon.length >> 1);
    else widest.histogram = [];
  }
  return out.map((c) => ({ ...c, histogram: [], mostCommon: [] }));
}

function safeComparator(typeOid: number): (a: Value, b: Value) => number {
  const compare = comparatorFor(typeOid);
  return (a, b) => compare(a as TypedValue, b as TypedValue);
}

function averageWidth(values: Value[]): number {
  if (values.length === 0) return 0;
  let total = 0;
  for (const value of values) total += typeof value === 'string' ? Buffer.byteLength(value) + 1 : 8;
  return Math.round(total / values.length);
}

/** Pearson correlation between physical position and sort rank, in [-1, 1]. */
function correlation(values: Value[], compare: (a: Value, b: Value) => number): number {
  const n = values.length;
  if (n < 2) return 0;
  const ranks = values.map((_, i) => i).sort((a, b) => compare(values[a] ?? null, values[b] ?? null));
  const rankOf = new Array<number>(n);
  ranks.forEach((position, rank) => {
    rankOf[position] = rank;
  });
  const mean = (n - 1) / 2;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < n; i++) {
    numerator += (i - mean) * ((rankOf[i] ?? 0) - mean);
    denominator += (i - mean) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}
