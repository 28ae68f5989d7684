/**
 * Transaction manager: allocates xids, takes snapshots, and runs commit and abort as the seed's
 * Transaction Lifecycle Flow draws them: COMMIT writes a commit record to the WAL, waits until it
 * is durable (unless synchronous_commit is off) and, once any further host-supplied condition is
 * met (a replication quorum, later), marks the transaction committed and removes it from the
 * running set in one step, so that no snapshot ever sees a commit that could still be lost.
 *
 * Xids are reserved in blocks by a WAL record, so that after a crash the next xid is above every
 * xid any durable record or page can carry.
 *
 * SERIALIZABLE transactions are also registered with the SSI manager (ssi/ssi-manager.ts) when
 * they take their snapshot; its commit check runs before the commit record, and its commit
 * step runs in the same synchronous step that makes the commit visible (its invariant 1).
 * Observers (the catalog, table statistics) hear of savepoint rollbacks and releases and of
 * transaction ends, so that state kept outside tuple headers follows the savepoint stack.
 * Exports: TransactionManager, XactWal, XactRecord, decodeXactRecord, TransactionManagerOptions,
 * TransactionObserver, xidLockTag.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { CommitLog } from './commit-log.js';
import type { LockManager } from './lock-manager.js';
import type { Snapshot } from './snapshot.js';
import { SsiManager } from './ssi/ssi-manager.js';
import { Transaction, type TransactionOptions } from './transaction.js';
import { FirstNormalXid, type Xid } from './xid.js';

/** The part of the WAL the transaction manager writes to. LSNs are byte positions. */
export interface XactWal {
  appendXact(xid: Xid, payload: Uint8Array): number;
  flush(lsn: number): Promise<void>;
}

export type XactRecord =
  | { kind: 'commit'; xids: Xid[]; timestamp: bigint }
  | { kind: 'abort'; xids: Xid[] }
  | { kind: 'reserve'; upTo: Xid };

const COMMIT = 1;
const ABORT = 2;
const RESERVE = 3;
const XID_BLOCK = 1024;

export function encodeXactRecord(record: XactRecord): Uint8Array {
  const xids = record.kind === 'reserve' ? [record.upTo] : record.xids;
  const bytes = Buffer.alloc(1 + 8 + 4 + xids.length * 8);
  bytes.writeUInt8(record.kind === 'commit' ? COMMIT : record.kind === 'abort' ? ABORT : RESERVE, 0);
  bytes.writeBigInt64BE(record.kind === 'commit' ? record.timestamp : 0n, 1);
  bytes.writeUInt32BE(xids.length, 9);
  for (const [i, xid] of xids.entries()) bytes.writeDoubleBE(xid, 13 + i * 8);
  return bytes;
}

export function decodeXactRecord(payload: Uint8Array): XactRecord {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const kind = bytes.readUInt8(0);
  const count = bytes.readUInt32BE(9);
  const xids: Xid[] = [];
  for (let i = 0; i < count; i++) xids.push(bytes.readDoubleBE(13 + i * 8) as Xid);
  if (kind === COMMIT) return { kind: 'commit', xids, timestamp: bytes.readBigInt64BE(1) };
  if (kind === ABORT) return { kind: 'abort', xids };
  const [upTo] = xids;
  assert(kind === RESERVE && upTo !== undefined, `unknown transaction record kind ${kind}`);
  return { kind: 'reserve', upTo };
}

export interface TransactionManagerOptions {
  wal: XactWal;
  locks: LockManager;
  commitLog: CommitLog;
  /** First xid to hand out (from the last checkpoint and WAL redo). */
  nextXid: Xid;
  /**
   * Called before a writing transaction's commit record is appended (before the SSI check, so
   * nothing is decided while it waits). Replication waits here while its synchronous quorum is
   * missing; a rejection rolls the transaction back and is the commit's error.
   */
  beforeCommitRecord?: (txn: Transaction) => Promise<void>;
  /**
   * Called after the commit record is durable and before the commit becomes visible; the
   * replication layer waits here for its synchronous quorum (and for earlier commits, so that
   * commits show in WAL order). Resolves when the commit may show.
   */
  beforeCommitVisible?: (commitLsn: number, txn: Transaction) => Promise<void>;
}

/** State outside tuple headers that must follow savepoints and transaction ends. */
export interface TransactionObserver {
  /** ROLLBACK TO: savepoint levels at depth `depth` and deeper were undone. */
  savepointRolledBack?(txn: Transaction, depth: number): void;
  /** RELEASE: levels at depth `depth` and deeper merged into depth `depth - 1`. */
  savepointReleased?(txn: Transaction, depth: number): void;
  /** The transaction committed (visible) or aborted. */
  transactionEnded?(txn: Transaction, committed: boolean): void;
}

export class TransactionManager {
  readonly commitLog: CommitLog;
  readonly ssi = new SsiManager();
  private readonly observers: TransactionObserver[] = [];
  private nextXid: Xid;
  private reservedUpTo: Xid;
  private readonly running = new Set<Xid>();
  private readonly active = new Set<Transaction>();
  /** LSNs of commit records appended but not yet reflected in the commit log. */
  private readonly pendingCommits = new Set<number>();
  private commitWaiters: (() => void)[] = [];

  constructor(private readonly options: TransactionManagerOptions) {
    this.commitLog = options.commitLog;
    this.nextXid = Math.max(options.nextXid, FirstNormalXid) as Xid;
    this.reservedUpTo = this.nextXid;
  }

  addObserver(observer: TransactionObserver): void {
    this.observers.push(observer);
  }

  begin(pid: number, options: TransactionOptions, startTimestamp: bigint, explicit: boolean): Transaction {
    const txn = new Transaction(pid, options, startTimestamp, explicit);
    this.active.add(txn);
    return txn;
  }

  /** The xid the current savepoint level writes with; assigns one on first use. */
  xidForWrite(txn: Transaction): Xid {
    if (txn.options.readOnly) {
      throw new KeelError(
        SqlState.ReadOnlySqlTransaction,
        'cannot execute this statement in a read-only transaction',
      );
    }
    // A sub-transaction's xid must be younger than its parent's, so assign the missing levels top down.
    for (const level of txn.levels) {
      if (level.xid !== null) continue;
      const xid = this.allocateXid();
      level.xid = xid;
      txn.ownXids.add(xid);
      txn.committableXids.push(xid);
      this.running.add(xid);
      // A new level's xid is part of the transaction's lock identity: others wait on it.
      assert(txn.options.readOnly === false, 'xid for a read-only transaction');
      const granted = this.options.locks.tryAcquire(
        txn,
        xidLockTag(xid),
        'ExclusiveLock',
        txn.levels.indexOf(level),
      );
      assert(granted, `transaction lock on new xid ${xid} is taken`);
      if (txn.isolation === 'serializable') this.ssi.registerXid(this.serializableXactOf(txn), xid);
    }
    const xid = txn.currentXid;
    assert(xid !== null, 'current level has no xid after assignment');
    return xid;
  }

  /** A snapshot as of now for `txn`, at its current command id. */
  takeSnapshot(txn: Transaction): Snapshot {
    const running = new Set<Xid>();
    let xmin = this.nextXid;
    for (const xid of this.running) {
      if (txn.ownXids.has(xid)) continue;
      running.add(xid);
      if (xid < xmin) xmin = xid;
    }
    if (txn.snapshotXmin === null || xmin < txn.snapshotXmin) txn.snapshotXmin = xmin;
    txn.firstSnapshotTaken = true;
    if (txn.isolation === 'serializable') this.serializableXactOf(txn);
    return { xmin, xmax: this.nextXid, running, own: txn.ownXids, curcid: txn.cid };
  }

  /**
   * SERIALIZABLE READ ONLY DEFERRABLE: takes the transaction snapshot only once it is safe,
   * that is, once no concurrent read-write serializable transaction can make it part of a
   * dangerous structure; then the transaction runs without SSI tracking (PostgreSQL's
   * GetSafeSnapshot). An unsafe snapshot is dropped and a new one taken.
   */
  async awaitSafeSnapshot(txn: Transaction, interrupted: () => Error | null): Promise<void> {
    assert(txn.isolation === 'serializable' && txn.options.readOnly, 'safe snapshot for a non-read-only txn');
    for (;;) {
      const snapshot = this.takeSnapshot(txn);
      const sxact = this.serializableXactOf(txn);
      await this.ssi.whenSafetyDecided(sxact);
      const interrupt = interrupted();
      if (interrupt !== null) throw interrupt;
      if (!this.active.has(txn))
        throw new KeelError(SqlState.QueryCanceled, 'transaction ended while waiting for a safe snapshot');
      if (this.ssi.safety(sxact) === 'safe') {
        txn.transactionSnapshot = snapshot;
        return;
      }
      this.ssi.abort(sxact);
      txn.ssi = null;
      txn.snapshotXmin = null;
    }
  }

  /** Cancels a DEFERRABLE transaction's wait for a safe snapshot (cancel, timeout); no-op otherwise. */
  interruptSafeSnapshotWait(txn: Transaction): void {
    if (txn.ssi !== null) this.ssi.interruptSafetyWait(txn.ssi);
  }

  /** The transaction's SSI record, registered on first use (at its first snapshot). */
  private serializableXactOf(txn: Transaction) {
    txn.ssi ??= this.ssi.begin(txn, { readOnly: txn.options.readOnly });
    return txn.ssi;
  }

  /** The same snapshot seen from a later command of the same transaction. */
  advanceSnapshot(snapshot: Snapshot, txn: Transaction): Snapshot {
    return { ...snapshot, curcid: txn.cid };
  }

  /** Oldest xid any running transaction may still need to see as running (VACUUM's horizon). */
  oldestRunningXid(): Xid {
    let oldest = this.nextXid;
    for (const txn of this.active) {
      const snapshotXmin = txn.snapshotXmin;
      if (snapshotXmin !== null && snapshotXmin < oldest) oldest = snapshotXmin;
    }
    for (const xid of this.running) if (xid < oldest) oldest = xid;
    return oldest;
  }

  statusOf(xid: Xid): 'in-progress' | 'committed' | 'aborted' {
    return this.commitLog.status(xid);
  }

  isRunning(xid: Xid): boolean {
    return this.running.has(xid);
  }

  /**
   * COMMIT. A transaction that wrote nothing only releases its locks. Otherwise: commit record,
   * durable flush (when `synchronous`), the host's visibility condition, then visible.
   */
  async commit(txn: Transaction, options: { synchronous: boolean; timestamp: bigint }): Promise<void> {
    if (txn.committableXids.length > 0 && this.options.beforeCommitRecord !== undefined) {
      try {
        await this.options.beforeCommitRecord(txn);
      } catch (error) {
        this.abort(txn);
        throw error;
      }
    }
    const sxact = txn.ssi;
    if (sxact !== null) {
      try {
        this.ssi.preCommit(sxact);
      } catch (error) {
        this.abort(txn);
        throw error;
      }
    }
    const xids = [...txn.committableXids];
    if (xids.length === 0) {
      if (sxact !== null) this.ssi.commit(sxact);
      this.finish(txn, true);
      return;
    }
    const topXid = txn.topXid;
    assert(topXid !== null, 'transaction with xids has no top-level xid');
    const lsn = this.options.wal.appendXact(
      topXid,
      encodeXactRecord({ kind: 'commit', xids, timestamp: options.timestamp }),
    );
    this.pendingCommits.add(lsn);
    // A failed flush is not survivable (the disk may have dropped the write): the engine stops
    // the node, as PostgreSQL PANICs, so the transaction is left exactly as the WAL has it.
    try {
      if (options.synchronous) await this.options.wal.flush(lsn);
      // Durable (or, with synchronous_commit off, as durable as it will be): the commit log may
      // say so. Snapshots still treat the xids as running until they leave `running` below.
      this.commitLog.setCommitted(xids);
    } finally {
      this.pendingCommits.delete(lsn);
      this.notifyCommitWaiters();
    }
    try {
      if (this.options.beforeCommitVisible !== undefined) await this.options.beforeCommitVisible(lsn, txn);
    } finally {
      // The commit record is durable: from here the transaction is committed even if the wait
      // above failed (the client then gets an error but the data stays, as in PostgreSQL).
      for (const xid of xids) this.running.delete(xid);
      if (sxact !== null) this.ssi.commit(sxact);
      this.finish(txn, true);
    }
  }

  /**
   * Resolves once every commit whose record lies before `lsn` is in the commit log. A checkpoint
   * waits for this before persisting the commit log, so that a commit record older than the
   * checkpoint's redo point is never missing from both the persisted log and the replayed WAL.
   */
  waitForCommitsBefore(lsn: number): Promise<void> {
    const blocking = () => [...this.pendingCommits].some((pending) => pending < lsn);
    if (!blocking()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (blocking()) this.commitWaiters.push(check);
        else resolve();
      };
      this.commitWaiters.push(check);
    });
  }

  private notifyCommitWaiters(): void {
    const waiters = this.commitWaiters.splice(0);
    for (const waiter of waiters) waiter();
  }

  /** ROLLBACK, or the end of a failed transaction. Never waits for the disk. */
  abort(txn: Transaction): void {
    const xids = [...txn.committableXids];
    const topXid = txn.topXid;
    if (xids.length > 0 && topXid !== null) {
      this.options.wal.appendXact(topXid, encodeXactRecord({ kind: 'abort', xids }));
      this.commitLog.setAborted(xids);
      for (const xid of xids) this.running.delete(xid);
    }
    for (const action of txn.onAbort) action();
    if (txn.ssi !== null) this.ssi.abort(txn.ssi);
    this.options.locks.releaseAll(txn);
    this.active.delete(txn);
    for (const observer of this.observers) observer.transactionEnded?.(txn, false);
  }

  /** SAVEPOINT name: a new level; its xid comes with its first write. */
  savepoint(txn: Transaction, name: string): void {
    txn.levels.push({ name, xid: null });
  }

  /**
   * ROLLBACK TO name: undo the levels above and including the savepoint's (their xids abort,
   * the locks they took are released), keep the savepoint. Returns the savepoint's depth.
   */
  rollbackToSavepoint(txn: Transaction, name: string): number {
    const index = this.findSavepoint(txn, name);
    const undone = txn.levels.splice(index);
    this.abortLevels(txn, undone);
    this.options.locks.releaseLevel(txn, index);
    for (const observer of this.observers) observer.savepointRolledBack?.(txn, index);
    txn.levels.push({ name, xid: null });
    return index;
  }

  /** RELEASE name: the savepoint's level and those above merge into the parent. Returns its depth. */
  releaseSavepoint(txn: Transaction, name: string): number {
    const index = this.findSavepoint(txn, name);
    txn.levels.splice(index);
    this.options.locks.mergeLevel(txn, index);
    for (const observer of this.observers) observer.savepointReleased?.(txn, index);
    return index;
  }

  /**
   * An error inside a savepoint: the innermost level is aborted now (its xid aborts, its locks
   * go), as PostgreSQL aborts the current subtransaction; the level stays on the stack until
   * ROLLBACK TO (or ROLLBACK) removes it.
   */
  abortInnermostLevel(txn: Transaction): void {
    const depth = txn.levels.length - 1;
    const level = txn.levels[depth];
    assert(
      depth > 0 && level !== undefined,
      'aborting the innermost level of a transaction without savepoints',
    );
    this.abortLevels(txn, [level]);
    level.xid = null;
    this.options.locks.releaseLevel(txn, depth);
    for (const observer of this.observers) observer.savepointRolledBack?.(txn, depth);
  }

  hasSavepoint(txn: Transaction, name: string): boolean {
    return txn.levels.some((level, i) => i > 0 && level.name === name);
  }

  activeTransactions(): ReadonlySet<Transaction> {
    return this.active;
  }

  /** Redo of a transaction record during recovery or on a replica. */
  redo(record: XactRecord): void {
    if (record.kind === 'commit') this.commitLog.setCommitted(record.xids);
    else if (record.kind === 'abort') this.commitLog.setAborted(record.xids);
    const highest = record.kind === 'reserve' ? record.upTo : Math.max(0, ...record.xids);
    if (highest >= this.nextXid) {
      this.nextXid = (highest + 1) as Xid;
      this.reservedUpTo = this.nextXid;
    }
  }

  /** The next xid to hand out. */
  get nextXidValue(): Xid {
    return this.nextXid;
  }

  /**
   * The next xid a checkpoint persists: past every xid of the current reservation block, not
   * just past those handed out. Xids of a block are used without further WAL, so after a crash
   * whose redo starts behind the block's reserve record, only this bound keeps a new
   * transaction from reusing the xid of a crashed one (whose tuples would then turn visible).
   */
  get checkpointNextXid(): Xid {
    return Math.max(this.nextXid, this.reservedUpTo + 1) as Xid;
  }

  // ---- hot standby: the primary's transactions, as replayed WAL shows them ----------------

  /** Xids the primary assigned (seen in replayed WAL) run until `replayFinished`; nextXid passes them. */
  replayRunning(xids: Iterable<Xid>): void {
    for (const xid of xids) {
      this.running.add(xid);
      if (xid >= this.nextXid) this.nextXid = (xid + 1) as Xid;
    }
    this.reservedUpTo = this.nextXid;
  }

  /** Replayed commits became visible, or aborts were replayed: the xids stop running. */
  replayFinished(xids: Iterable<Xid>): void {
    for (const xid of xids) this.running.delete(xid);
  }

  /** Xids the standby saw as running (the old primary's unfinished ones, at promotion). */
  replayedRunning(): Xid[] {
    return [...this.running].filter((xid) => ![...this.active].some((txn) => txn.ownXids.has(xid)));
  }

  /** Promotion: xids are handed out from `next` on (past every xid the old primary may have used). */
  advanceNextXid(next: Xid): void {
    if (next > this.nextXid) this.nextXid = next;
    this.reservedUpTo = this.nextXid;
  }

  private findSavepoint(txn: Transaction, name: string): number {
    for (let i = txn.levels.length - 1; i > 0; i--) if (txn.levels[i]?.name === name) return i;
    throw new KeelError(SqlState.InvalidSavepointSpecification, `savepoint "${name}" does not exist`);
  }

  private abortLevels(txn: Transaction, levels: { xid: Xid | null }[]): void {
    const xids = levels.map((level) => level.xid).filter((xid): xid is Xid => xid !== null);
    if (xids.length === 0) return;
    const topXid = txn.topXid;
    assert(topXid !== null, 'sub-transaction xid without a top-level xid');
    this.options.wal.appendXact(topXid, encodeXactRecord({ kind: 'abort', xids }));
    this.commitLog.setAborted(xids);
    for (const xid of xids) {
      this.running.delete(xid);
      txn.ownXids.delete(xid);
    }
    const gone = new Set<Xid>(xids);
    const kept = txn.committableXids.filter((xid) => !gone.has(xid));
    txn.committableXids.length = 0;
    txn.committableXids.push(...kept);
  }

  private finish(txn: Transaction, committed: boolean): void {
    for (const action of txn.onCommit) action();
    this.options.locks.releaseAll(txn);
    this.active.delete(txn);
    for (const observer of this.observers) observer.transactionEnded?.(txn, committed);
  }

  private allocateXid(): Xid {
    const xid = this.nextXid;
    this.nextXid = (xid + 1) as Xid;
    if (this.nextXid > this.reservedUpTo) {
      this.reservedUpTo = (this.nextXid + XID_BLOCK) as Xid;
      this.options.wal.appendXact(xid, encodeXactRecord({ kind: 'reserve', upTo: this.reservedUpTo }));
    }
    return xid;
  }
}

/** The lock tag of a transaction's xid: writers that meet its rows wait on it. */
export function xidLockTag(xid: Xid): string {
  return `transaction:${xid}`;
}
