/**
 * Serializable Snapshot Isolation (Cahill, Röhm & Fekete 2008; Ports & Grittner 2012), modelled
 * on PostgreSQL's predicate.c. SERIALIZABLE transactions run on one snapshot, as REPEATABLE READ
 * does, and this manager watches for the only pattern snapshot isolation lets through that no
 * serial order explains: a "dangerous structure" T1 -rw-> T2 -rw-> T3 (T2 the pivot) in which T3
 * commits first. An rw-antidependency R -rw-> W means R read a version older than one W wrote,
 * so R must precede W in any equivalent serial order. It is found two ways:
 * - conflict in: a serializable writer meets a SIREAD lock a concurrent reader holds
 *   (predicate-locks.ts);
 * - conflict out: a serializable reader meets a row version whose inserter or deleter is a
 *   concurrent serializable transaction it cannot see.
 * Each new edge is checked at once (onConflict, PostgreSQL's
 * OnConflict_CheckForSerializationFailure) and again at commit (preCommit); a transaction that
 * must go is either failed immediately (when it is the one running) or marked doomed and fails
 * at its next read, write or commit. Errors are 40001, "could not serialize access due to
 * read/write dependencies among transactions", with PostgreSQL's reason codes.
 *
 * Invariants:
 * 1. A transaction takes part from its snapshot on; `lastCommitBeforeSnapshot` and
 *    `commitSeqNo` decide concurrency, so `commit` must run in the same step in which the
 *    commit becomes visible to new snapshots (the transaction manager guarantees this).
 * 2. A committed transaction keeps its SIREAD locks and edges while any transaction concurrent
 *    with it is still running; then it is forgotten (its `conflictOutToCommitted` flag has
 *    already been folded into the edges' checks of everyone still running).
 * 3. READ ONLY transactions whose snapshot no concurrent read-write transaction can make unsafe
 *    need no tracking (roSafe); DEFERRABLE ones wait for such a snapshot (safety()).
 * Pure: no timers or I/O. Exports: SsiManager, serializationFailure.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Xid } from '../xid.js';
import { type KeyRange, PredicateLockTable, type WriteTarget } from './predicate-locks.js';
import { SerializableXact, type SsiOwner } from './serializable-xact.js';

export function serializationFailure(reason: string): KeelError {
  return new KeelError(
    SqlState.SerializationFailure,
    'could not serialize access due to read/write dependencies among transactions',
    { detail: `Reason code: ${reason}`, hint: 'The transaction might succeed if retried.' },
  );
}

export type SnapshotSafety = 'safe' | 'unsafe' | 'pending';

export class SsiManager {
  readonly locks: PredicateLockTable;
  /** PostgreSQL's LastSxactCommitSeqNo: shared by prepare and commit. */
  private lastCommitSeqNo = 0;
  /** Registered and not yet finished. */
  private readonly active = new Set<SerializableXact>();
  /** Committed, kept while concurrent transactions run (invariant 2). */
  private readonly finished = new Set<SerializableXact>();
  private readonly byXid = new Map<Xid, SerializableXact>();

  constructor(options: { tuplesPerRelationMax?: number; rangesPerIndexMax?: number } = {}) {
    this.locks = new PredicateLockTable(options.tuplesPerRelationMax, options.rangesPerIndexMax);
  }

  /** A serializable transaction takes its snapshot: it takes part from now on. */
  begin(owner: SsiOwner, options: { readOnly: boolean }): SerializableXact {
    const sxact = new SerializableXact(owner, options.readOnly, this.lastCommitSeqNo);
    if (options.readOnly) {
      for (const other of this.active) {
        if (other.declaredReadOnly || other.doomed || other.committed) continue;
        sxact.possibleUnsafe.add(other);
        other.possibleUnsafe.add(sxact);
      }
      // No concurrent writer can make this snapshot unsafe: run as plain snapshot isolation.
      if (sxact.possibleUnsafe.size === 0) {
        sxact.roSafe = true;
        return sxact;
      }
    }
    this.active.add(sxact);
    return sxact;
  }

  /** A new xid of the transaction (tuple headers name writers by xid). */
  registerXid(sxact: SerializableXact, xid: Xid): void {
    sxact.xids.add(xid);
    this.byXid.set(xid, sxact);
  }

  // ---- reads ------------------------------------------------------------------------------

  predicateLockRelation(sxact: SerializableXact, relationOid: number): void {
    this.checkReadable(sxact);
    if (sxact.tracking) this.locks.lockRelation(sxact, relationOid);
  }

  predicateLockTuple(sxact: SerializableXact, relationOid: number, tid: number): void {
    if (sxact.tracking) this.locks.lockTuple(sxact, relationOid, tid);
  }

  predicateLockRange(sxact: SerializableXact, indexOid: number, range: KeyRange): void {
    this.checkReadable(sxact);
    if (sxact.tracking) this.locks.lockRange(sxact, indexOid, range);
  }

  /**
   * Conflict out: `reader` examined a row version written by `writerXid` whose effect it does
   * not see (an insert it cannot see, or a delete/update it does not see). Throws 40001 when
   * the reader must go; may doom the writer.
   */
  checkConflictOut(reader: SerializableXact, writerXid: Xid): void {
    if (!reader.tracking) return;
    if (reader.doomed)
      throw serializationFailure('Canceled on identification as a pivot, during conflict out checking.');
    const writer = this.byXid.get(writerXid);
    if (writer === undefined || writer === reader || writer.doomed || writer.rolledBack) return;
    // A read-only reader can be placed before a committed writer unless that writer has a
    // conflict out to a transaction that committed before the reader's snapshot.
    if (
      reader.readOnly &&
      writer.committed &&
      (!writer.conflictOutToCommitted || reader.lastCommitBeforeSnapshot < writer.earliestOutConflictCommit)
    ) {
      return;
    }
    if (!this.concurrent(writer, reader)) return;
    if (reader.outConflicts.has(writer)) return;
    this.flagConflict(reader, writer, reader);
  }

  /** Conflict in: `writer` is about to write `target`; every concurrent SIREAD holder gets an edge. */
  checkConflictIn(writer: SerializableXact, target: WriteTarget): void {
    if (writer.doomed)
      throw serializationFailure('Canceled on identification as a pivot, during conflict in checking.');
    writer.didWrite = true;
    for (const reader of this.locks.holdersFor(target)) {
      if (reader === writer || reader.doomed || reader.rolledBack || !reader.tracking) continue;
      if (reader.committed && reader.commitSeqNo <= writer.lastCommitBeforeSnapshot) continue;
      if (reader.outConflicts.has(writer)) continue;
      this.flagConflict(reader, writer, writer);
    }
  }

  // ---- transaction end --------------------------------------------------------------------

  /**
   * COMMIT, before the commit record: fails a doomed transaction, dooms pivots this commit
   * would complete, and marks the transaction prepared (it will commit).
   */
  preCommit(sxact: SerializableXact): void {
    if (!sxact.tracking) return;
    if (sxact.doomed)
      throw serializationFailure('Canceled on identification as a pivot, during commit attempt.');
    for (const near of sxact.inConflicts) {
      if (near.committed || near.doomed) continue;
      for (const far of near.inConflicts) {
        if (far === sxact || (!far.committed && !far.readOnly && !far.doomed)) {
          near.doomed = true;
          break;
        }
      }
    }
    this.lastCommitSeqNo += 1;
    sxact.prepareSeqNo = this.lastCommitSeqNo;
  }

  /** The commit became visible (same step as the snapshot-visible change; invariant 1). */
  commit(sxact: SerializableXact): void {
    if (sxact.roSafe) {
      this.forget(sxact);
      this.cleanUp();
      return;
    }
    if (sxact.prepareSeqNo === 0) {
      this.lastCommitSeqNo += 1;
      sxact.prepareSeqNo = this.lastCommitSeqNo;
    }
    this.lastCommitSeqNo += 1;
    sxact.commitSeqNo = this.lastCommitSeqNo;
    this.active.delete(sxact);
    if (!sxact.readOnly) {
      for (const out of sxact.outConflicts) {
        if (!out.committed) continue;
        if (!sxact.conflictOutToCommitted || out.prepareSeqNo < sxact.earliestOutConflictCommit) {
          sxact.earliestOutConflictCommit = out.prepareSeqNo;
        }
        sxact.conflictOutToCommitted = true;
      }
    }
    if (!sxact.declaredReadOnly) this.settleReadOnlyPeers(sxact, 'committed');
    this.finished.add(sxact);
    this.cleanUp();
  }

  /** ROLLBACK (or a failed commit): the transaction and everything it recorded go. */
  abort(sxact: SerializableXact): void {
    sxact.rolledBack = true;
    this.active.delete(sxact);
    if (!sxact.declaredReadOnly) this.settleReadOnlyPeers(sxact, 'aborted');
    this.forget(sxact);
    this.wakeSafetyWaiters(sxact);
    this.cleanUp();
  }

  /** Wakes a DEFERRABLE transaction's wait without deciding safety (its statement was cancelled). */
  interruptSafetyWait(sxact: SerializableXact): void {
    this.wakeSafetyWaiters(sxact);
  }

  // ---- READ ONLY DEFERRABLE ---------------------------------------------------------------

  /** Whether a READ ONLY transaction's snapshot is known safe, known unsafe, or not yet decided. */
  safety(sxact: SerializableXact): SnapshotSafety {
    if (sxact.roSafe) return 'safe';
    if (sxact.roUnsafe || sxact.rolledBack) return 'unsafe';
    return 'pending';
  }

  /** Resolves when safety() is no longer 'pending'. */
  whenSafetyDecided(sxact: SerializableXact): Promise<void> {
    if (this.safety(sxact) !== 'pending') return Promise.resolve();
    return new Promise((resolve) => sxact.safetyWaiters.push(resolve));
  }

  // ---- status -----------------------------------------------------------------------------

  /** Counts for tests and views: transactions tracked and locks held. */
  status(): { active: number; finished: number; xids: number } & ReturnType<PredicateLockTable['counts']> {
    return {
      active: this.active.size,
      finished: this.finished.size,
      xids: this.byXid.size,
      ...this.locks.counts(),
    };
  }

  // ---- internals --------------------------------------------------------------------------

  private checkReadable(sxact: SerializableXact): void {
    if (sxact.doomed && sxact.tracking) {
      throw serializationFailure('Canceled on identification as a pivot, during conflict out checking.');
    }
  }

  /** Whether `other` was not committed before `sxact` took its snapshot. */
  private concurrent(other: SerializableXact, sxact: SerializableXact): boolean {
    return !other.committed || other.commitSeqNo > sxact.lastCommitBeforeSnapshot;
  }

  /** Records reader -rw-> writer after checking for a dangerous structure; `me` is the caller. */
  private flagConflict(reader: SerializableXact, writer: SerializableXact, me: SerializableXact): void {
    if (this.dangerous(reader, writer)) {
      if (me === writer) throw serializationFailure('Canceled on identification as a pivot, during write.');
      if (writer.prepared) {
        throw serializationFailure(`Canceled on conflict out to pivot ${writer.topXid}, during read.`);
      }
      writer.doomed = true;
    }
    reader.outConflicts.add(writer);
    writer.inConflicts.add(reader);
  }

  /** PostgreSQL's OnConflict_CheckForSerializationFailure, for the new edge reader -rw-> writer. */
  private dangerous(reader: SerializableXact, writer: SerializableXact): boolean {
    // reader -rw-> writer -rw-> T2, where the writer committed after T2 committed.
    if (writer.committed && writer.conflictOutToCommitted) return true;
    // The writer is now a pivot; T2 (prepared or committed) must have committed first.
    for (const t2 of writer.outConflicts) {
      if (
        t2.prepared &&
        (!reader.committed || t2.prepareSeqNo <= reader.commitSeqNo) &&
        (!writer.committed || t2.prepareSeqNo <= writer.commitSeqNo) &&
        (!reader.readOnly || t2.prepareSeqNo <= reader.lastCommitBeforeSnapshot)
      ) {
        return true;
      }
    }
    // T0 -rw-> reader -rw-> writer: the reader is the pivot and the writer committed first.
    if (writer.prepared && !reader.readOnly) {
      for (const t0 of reader.inConflicts) {
        if (
          !t0.doomed &&
          (!t0.committed || t0.commitSeqNo >= writer.prepareSeqNo) &&
          (!t0.readOnly || t0.lastCommitBeforeSnapshot >= writer.prepareSeqNo)
        ) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A read-write transaction finished: each READ ONLY transaction that listed it either turns
   * unsafe (the writer committed with a conflict out to a transaction committed before the
   * read-only snapshot) or loses one possible conflict, becoming safe when none remain.
   */
  private settleReadOnlyPeers(writer: SerializableXact, outcome: 'committed' | 'aborted'): void {
    for (const ro of [...writer.possibleUnsafe]) {
      writer.possibleUnsafe.delete(ro);
      ro.possibleUnsafe.delete(writer);
      if (ro.roSafe || ro.roUnsafe || ro.rolledBack) continue;
      if (
        outcome === 'committed' &&
        writer.conflictOutToCommitted &&
        writer.earliestOutConflictCommit <= ro.lastCommitBeforeSnapshot
      ) {
        this.markUnsafe(ro);
      } else if (ro.possibleUnsafe.size === 0) {
        this.markSafe(ro);
      }
    }
  }

  private markUnsafe(ro: SerializableXact): void {
    ro.roUnsafe = true;
    for (const other of ro.possibleUnsafe) other.possibleUnsafe.delete(ro);
    ro.possibleUnsafe.clear();
    this.wakeSafetyWaiters(ro);
  }

  /** A READ ONLY snapshot known safe: no locks or edges are needed any more. */
  private markSafe(ro: SerializableXact): void {
    ro.roSafe = true;
    if (!ro.committed) {
      this.active.delete(ro);
      this.dropEdges(ro);
      this.locks.releaseAll(ro);
    }
    this.wakeSafetyWaiters(ro);
  }

  private wakeSafetyWaiters(ro: SerializableXact): void {
    const waiters = ro.safetyWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  private forget(sxact: SerializableXact): void {
    this.locks.releaseAll(sxact);
    this.dropEdges(sxact);
    for (const other of sxact.possibleUnsafe) other.possibleUnsafe.delete(sxact);
    sxact.possibleUnsafe.clear();
    for (const xid of sxact.xids) if (this.byXid.get(xid) === sxact) this.byXid.delete(xid);
    this.finished.delete(sxact);
  }

  private dropEdges(sxact: SerializableXact): void {
    for (const writer of sxact.outConflicts) writer.inConflicts.delete(sxact);
    for (const reader of sxact.inConflicts) reader.outConflicts.delete(sxact);
    sxact.outConflicts.clear();
    sxact.inConflicts.clear();
  }

  /** Invariant 2: forget committed transactions no running transaction is concurrent with. */
  private cleanUp(): void {
    if (this.finished.size === 0) return;
    let oldestSnapshot = Number.POSITIVE_INFINITY;
    for (const sxact of this.active) {
      if (sxact.lastCommitBeforeSnapshot < oldestSnapshot) oldestSnapshot = sxact.lastCommitBeforeSnapshot;
    }
    for (const done of [...this.finished]) {
      if (done.commitSeqNo <= oldestSnapshot) this.forget(done);
    }
  }
}
