/**
 * The access layer's side of SSI (txn/ssi/): which row versions a SERIALIZABLE read has a
 * conflict out with, and which key range an index scan covers. PostgreSQL does the same in
 * HeapCheckForSerializableConflictOut and in the B-tree's predicate locking of scanned pages;
 * Keel locks the scanned key range itself, so a gap the scan found empty is covered too.
 *
 * A reader conflicts out with the writer of a version it examined when:
 * - the version is visible but deleted or updated by a transaction the snapshot does not see
 *   as committed (in progress, or committed after the snapshot): the deleter wrote later;
 * - the version is invisible because its inserter is such a transaction: the inserter wrote
 *   something the reader could not see.
 * Versions of the reader itself, of aborted transactions, or dead to the snapshot do not count.
 * Exports: conflictOutWriter, scanKeyRange.
 */
import { prefixSuccessor } from '../storage/btree/btree-cursor.js';
import { committedForSnapshot, type Snapshot, type TupleVersion, type XidOracle } from '../txn/snapshot.js';
import type { KeyRange } from '../txn/ssi/predicate-locks.js';
import { InvalidXid, type Xid } from '../txn/xid.js';

/** What the check needs from the transaction manager. */
export interface WriterStatus {
  isRunning(xid: Xid): boolean;
  readonly commitLog: XidOracle;
}

function aborted(xid: Xid, txns: WriterStatus): boolean {
  return !txns.isRunning(xid) && txns.commitLog.status(xid) !== 'committed';
}

/** The xid a SERIALIZABLE reader of `version` has an rw-conflict out to, or null. */
export function conflictOutWriter(
  version: TupleVersion,
  visible: boolean,
  snapshot: Snapshot,
  txns: WriterStatus,
): Xid | null {
  if (visible) {
    const { xmax } = version;
    if (xmax === InvalidXid || version.xmaxLockOnly || snapshot.own.has(xmax)) return null;
    return aborted(xmax, txns) ? null : xmax;
  }
  const { xmin } = version;
  if (snapshot.own.has(xmin) || aborted(xmin, txns)) return null;
  // Inserted by a transaction the snapshot sees: invisible because a visible delete killed it.
  if (committedForSnapshot(xmin, snapshot, txns.commitLog)) return null;
  return xmin;
}

/** The half-open encoded-key range a B-tree scan with these bounds reads (as its cursor does). */
export function scanKeyRange(
  lower: { key: Uint8Array; inclusive: boolean } | undefined,
  upper: { key: Uint8Array; inclusive: boolean } | undefined,
): KeyRange {
  const from = lower === undefined ? null : lower.inclusive ? lower.key : prefixSuccessor(lower.key);
  const to = upper === undefined ? null : upper.inclusive ? prefixSuccessor(upper.key) : upper.key;
  return { from, to };
}
