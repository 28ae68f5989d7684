/**
 * One serializable transaction as the SSI manager tracks it (PostgreSQL's SERIALIZABLEXACT in
 * predicate_internals.h): its place in commit order, its rw-antidependency edges, and the flags
 * the dangerous-structure checks read.
 *
 * Commit order is one counter shared by "prepare" (the commit check passed; the transaction
 * will commit) and "commit" (its effects became visible), PostgreSQL's LastSxactCommitSeqNo.
 * `lastCommitBeforeSnapshot` is that counter when the transaction took its snapshot, so
 * another transaction committed before the snapshot exactly when its commitSeqNo is at most
 * this value: the two are then not concurrent and no rw-conflict between them is possible.
 *
 * Edges: `R.outConflicts` holds W and `W.inConflicts` holds R when R read something W wrote
 * (R -rw-> W: R's read does not see W's write, so R must come first in a serial order).
 * Exports: SerializableXact, SsiOwner.
 */
import type { Xid } from '../xid.js';

/** Who a serializable transaction belongs to (the Transaction), for messages and identity. */
export interface SsiOwner {
  readonly id: number;
  readonly pid: number;
}

export class SerializableXact {
  /** Readers R with R -rw-> this. */
  readonly inConflicts = new Set<SerializableXact>();
  /** Writers W with this -rw-> W. */
  readonly outConflicts = new Set<SerializableXact>();
  /**
   * For a READ ONLY transaction: concurrent read-write transactions that could still make its
   * snapshot unsafe. For a read-write one: the READ ONLY transactions that list it.
   */
  readonly possibleUnsafe = new Set<SerializableXact>();
  /** Xids of the transaction (top level and savepoints), which tuple headers carry. */
  readonly xids = new Set<Xid>();

  /** Commit order when the commit check passed (0 = not prepared). */
  prepareSeqNo = 0;
  /** Commit order when the commit became visible (0 = not committed). */
  commitSeqNo = 0;
  /**
   * Set at commit when the transaction had an rw-conflict out to a transaction that committed
   * before it (PostgreSQL's SXACT_FLAG_CONFLICT_OUT); the earliest such prepareSeqNo.
   */
  conflictOutToCommitted = false;
  earliestOutConflictCommit = 0;

  /** Must abort: it was chosen to break a dangerous structure; fails at its next check or commit. */
  doomed = false;
  rolledBack = false;
  /** Wrote anything (a committed transaction that did not is read-only after the fact). */
  didWrite = false;
  /** READ ONLY whose snapshot is known safe: it needs no predicate locks or checks. */
  roSafe = false;
  /** READ ONLY whose snapshot turned out unsafe (a DEFERRABLE one retries with a new snapshot). */
  roUnsafe = false;
  /** Resolves the waiters of a DEFERRABLE transaction once safety is decided. */
  safetyWaiters: (() => void)[] = [];

  constructor(
    readonly owner: SsiOwner,
    readonly declaredReadOnly: boolean,
    readonly lastCommitBeforeSnapshot: number,
  ) {}

  get prepared(): boolean {
    return this.prepareSeqNo !== 0;
  }

  get committed(): boolean {
    return this.commitSeqNo !== 0;
  }

  /** Declared READ ONLY, or committed without writing (PostgreSQL's SxactIsReadOnly). */
  get readOnly(): boolean {
    return this.declaredReadOnly || (this.committed && !this.didWrite);
  }

  /** Whether reads still take predicate locks and check for conflicts. */
  get tracking(): boolean {
    return !this.roSafe && !this.rolledBack;
  }

  /** The transaction's first xid, for "pivot %u" messages (0 when it never wrote). */
  get topXid(): number {
    let lowest = 0;
    for (const xid of this.xids) if (lowest === 0 || xid < lowest) lowest = xid;
    return lowest;
  }
}
