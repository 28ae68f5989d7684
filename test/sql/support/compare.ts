/**
 * Comparing one query's outcome on Keel and on PostgreSQL: both errors of the same SQLSTATE
 * class match; both results match when they have the same number of columns and the same rows,
 * in order when the query orders them, else as multisets. A mismatch says why in one line.
 * Exports: Verdict, compareOutcomes, describeOutcome.
 */
import type { QueryOutcome } from './sql-client.js';

export type Verdict = { match: true } | { match: false; reason: string };

function rowText(row: (string | null)[]): string {
  return JSON.stringify(row);
}

export function describeOutcome(o: QueryOutcome, limit = 3): string {
  if (!o.ok) return `error ${o.code}: ${o.message}`;
  const shown = o.rows.slice(0, limit).map(rowText).join(' ');
  return `${o.rows.length} rows ${shown}${o.rows.length > limit ? ' ...' : ''}`;
}

function firstDifference(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

export function compareOutcomes(keel: QueryOutcome, pg: QueryOutcome, ordered: boolean): Verdict {
  if (!keel.ok || !pg.ok) {
    if (!keel.ok && !pg.ok) {
      return keel.code.slice(0, 2) === pg.code.slice(0, 2)
        ? { match: true }
        : { match: false, reason: `SQLSTATE ${keel.code} (${keel.message}) vs ${pg.code} (${pg.message})` };
    }
    return { match: false, reason: `keel: ${describeOutcome(keel)} | pg: ${describeOutcome(pg)}` };
  }
  const width = (o: typeof keel) => o.rows[0]?.length ?? o.columns.length;
  if (keel.columns.length !== pg.columns.length || width(keel) !== width(pg))
    return { match: false, reason: `columns ${keel.columns.join(',')} vs ${pg.columns.join(',')}` };
  const k = keel.rows.map(rowText);
  const p = pg.rows.map(rowText);
  if (!ordered) {
    k.sort();
    p.sort();
  }
  if (k.length === p.length && k.every((r, i) => r === p[i])) return { match: true };
  const i = firstDifference(k, p);
  return {
    match: false,
    reason: `${k.length} vs ${p.length} rows; first difference at ${ordered ? 'row' : 'sorted row'} ${i}: keel ${k[i] ?? '(none)'} pg ${p[i] ?? '(none)'}`,
  };
}
