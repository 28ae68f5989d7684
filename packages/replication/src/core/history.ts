/**
 * Term histories and the start decision of a replica (PostgreSQL's timeline history files and
 * the check pg_rewind makes). Each term's WAL has one writer, the primary of that term, which
 * starts it at its replayed end with an end-of-recovery record, so (term, start LSN) names one
 * stream of bytes: two histories that share an entry share the WAL of that term up to where the
 * earlier of them left it. Term 0 is written by `initdb`-like bootstrap on every node alone,
 * which is why identities also carry a system id: another system id means another database.
 *
 * A replica's WAL is a prefix of the primary's when the term of its last record continues, in
 * the primary's history, at least to the replica's end. Otherwise the WAL diverged at the end of
 * the last term both share (the earlier of the two ends), and the replica must rewind to there.
 * Exports: StartDecision, decideStart, termAt, entriesBefore.
 */
import type { TermStart } from '../storage-port.js';
import type { Identity } from './messages.js';

export type StartDecision =
  | { kind: 'stream'; fromLsn: number }
  | { kind: 'rewind'; divergeLsn: number }
  | { kind: 'bootstrap'; reason: string };

/** History entries that describe WAL below `end` (later entries name WAL not held yet). */
export function entriesBefore(history: readonly TermStart[], end: number): TermStart[] {
  const held = history.filter((entry) => entry.lsn < end);
  // A history always describes its first byte, even for an empty WAL.
  const first = history[0];
  return held.length === 0 && first !== undefined ? [first] : held;
}

/** Term of the WAL just before `end` (of the last record ending at or before it). */
export function termAt(history: readonly TermStart[], end: number): number {
  return entriesBefore(history, end).at(-1)?.term ?? 0;
}

/** Where the WAL of history entry `index` ends: the next entry's start, else `end`. */
function endOf(history: readonly TermStart[], index: number, end: number): number {
  return history[index + 1]?.lsn ?? end;
}

function indexOf(history: readonly TermStart[], entry: TermStart): number {
  return history.findIndex((e) => e.term === entry.term && e.lsn === entry.lsn);
}

export function decideStart(local: Identity, primary: Identity): StartDecision {
  if (local.systemId !== primary.systemId) {
    return {
      kind: 'bootstrap',
      reason: `another database (system id ${local.systemId}, primary's ${primary.systemId})`,
    };
  }
  const mine = entriesBefore(local.history, local.flushLsn);
  // Walk back from the last term this WAL holds to the latest one the primary shares.
  for (let i = mine.length - 1; i >= 0; i--) {
    const entry = mine[i];
    if (entry === undefined) continue;
    const theirs = indexOf(primary.history, entry);
    if (theirs < 0) continue;
    const primaryEnd = endOf(primary.history, theirs, primary.flushLsn);
    const localEnd = endOf(mine, i, local.flushLsn);
    if (i === mine.length - 1 && local.flushLsn <= primaryEnd)
      return { kind: 'stream', fromLsn: local.flushLsn };
    return { kind: 'rewind', divergeLsn: Math.min(primaryEnd, localEnd) };
  }
  return { kind: 'bootstrap', reason: 'no term in common with the primary' };
}
