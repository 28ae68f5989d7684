/**
 * The primary's transactions as a hot standby sees them in replayed WAL (PostgreSQL's
 * KnownAssignedXids, with a commit sequence instead of replay-time visibility):
 *
 *   - Every xid the primary assigned counts as running from the first record that shows it (or
 *     any higher xid: the gaps are filled, as xids are handed out in order) until its commit
 *     becomes visible or its abort is replayed. Snapshots therefore see exactly the commits made
 *     visible so far, and a snapshot never changes under a running query.
 *   - A replayed commit record is only queued. Commits become visible in WAL order (the primary's
 *     commit order: its gate releases in that order too) and only up to the horizon the primary
 *     reports, the highest LSN its synchronous quorum holds, so nothing a reader sees here can be
 *     taken back by a failover. `publish(upTo)` marks them committed and no longer running, all at
 *     once per call: that is the commit sequence readers move along.
 *   - Unfinished xids older than the primary's oldest running xid (sent with keepalives) belong to
 *     transactions that aborted without a record (a crash): they are aborted here.
 *   - On promotion, queued commits are handed to the new primary's gate and the remaining running
 *     xids (the old primary's unfinished transactions) are aborted.
 * Exports: StandbyXacts, PendingCommit.
 */
import type { CommitLog } from '../../txn/commit-log.js';
import { decodeXactRecord, type TransactionManager } from '../../txn/transaction-manager.js';
import { FirstNormalXid, type Xid } from '../../txn/xid.js';
import type { WalRecord } from '../../wal/wal-record.js';

export interface PendingCommit {
  /** End LSN of the commit record (what the gate and the horizon compare). */
  lsn: number;
  xids: Xid[];
  timestamp: bigint;
}

export class StandbyXacts {
  private readonly pending: PendingCommit[] = [];
  private latestObserved: number;
  private reservedUpTo = 0;
  private txns: TransactionManager | null = null;
  /** Xids whose records changed catalog pages: their commit reloads the catalog. */
  private readonly catalogXids = new Set<number>();
  /** Commits made visible (the standby's commit sequence number). */
  sequence = 0;

  constructor(
    private readonly commitLog: CommitLog,
    persistedNextXid: number,
  ) {
    this.latestObserved = Math.max(FirstNormalXid, persistedNextXid) - 1;
  }

  /**
   * Once the transaction manager exists (after crash recovery at open): every xid up to the
   * highest observed one that the commit log does not show finished is running.
   */
  attach(txns: TransactionManager): void {
    this.txns = txns;
    const running: Xid[] = [];
    for (let xid = FirstNormalXid as number; xid <= this.latestObserved; xid++) {
      if (this.commitLog.status(xid as Xid) === 'in-progress') running.push(xid as Xid);
    }
    txns.replayRunning(running);
    txns.advanceNextXid((this.latestObserved + 1) as Xid);
  }

  /** Any replayed record's xid (0 for none). */
  observe(xid: number): void {
    if (xid <= this.latestObserved) return;
    const from = this.latestObserved + 1;
    this.latestObserved = xid;
    if (this.txns === null) return;
    const fresh: Xid[] = [];
    for (let x = Math.max(from, FirstNormalXid); x <= xid; x++) fresh.push(x as Xid);
    this.txns.replayRunning(fresh);
  }

  /** The redo handler of transaction records (rmgr Xact) on a standby. */
  redo(record: WalRecord): void {
    const xact = decodeXactRecord(record.payload);
    switch (xact.kind) {
      case 'commit':
        for (const xid of xact.xids) this.observe(xid);
        this.pending.push({ lsn: record.endLsn, xids: xact.xids, timestamp: xact.timestamp });
        return;
      case 'abort':
        for (const xid of xact.xids) {
          this.observe(xid);
          this.catalogXids.delete(xid);
        }
        this.commitLog.setAborted(xact.xids);
        this.txns?.replayFinished(xact.xids);
        return;
      case 'reserve':
        this.reservedUpTo = Math.max(this.reservedUpTo, xact.upTo);
        return;
      default:
        xact satisfies never;
    }
  }

  noteCatalogChange(xid: number): void {
    if (xid >= FirstNormalXid) this.catalogXids.add(xid);
  }

  /** Makes queued commits up to `upTo` visible, in order; true when one of them changed the catalog. */
  publish(upTo: number): { commits: number; catalogChanged: boolean } {
    let commits = 0;
    let catalogChanged = false;
    while (this.pending.length > 0) {
      const next = this.pending[0];
      if (next === undefined || next.lsn > upTo) break;
      this.pending.shift();
      this.commitLog.setCommitted(next.xids);
      this.txns?.replayFinished(next.xids);
      for (const xid of next.xids) if (this.catalogXids.delete(xid)) catalogChanged = true;
      commits++;
    }
    this.sequence += commits;
    return { commits, catalogChanged };
  }

  /** Unfinished xids below the primary's oldest running one never finish: abort them. */
  applyHorizon(oldestRunningXid: number): number {
    const txns = this.txns;
    if (txns === null) return 0;
    const queued = new Set<number>(this.pending.flatMap((c) => c.xids));
    const dead = txns.replayedRunning().filter((xid) => xid < oldestRunningXid && !queued.has(xid));
    if (dead.length === 0) return 0;
    this.commitLog.setAborted(dead);
    txns.replayFinished(dead);
    for (const xid of dead) this.catalogXids.delete(xid);
    return dead.length;
  }

  /**
   * Promotion: the queued commits (for the new primary's gate, in order) and the number of the
   * old primary's unfinished transactions, now aborted. New xids start past everything seen.
   */
  promote(): { pending: PendingCommit[]; aborted: number } {
    const pending = this.pending.splice(0);
    const txns = this.txns;
    let aborted = 0;
    if (txns !== null) {
      const queued = new Set<number>(pending.flatMap((c) => c.xids));
      const dead = txns.replayedRunning().filter((xid) => !queued.has(xid));
      this.commitLog.setAborted(dead);
      txns.replayFinished(dead);
      aborted = dead.length;
      txns.advanceNextXid((Math.max(this.latestObserved, this.reservedUpTo) + 1) as Xid);
    }
    return { pending, aborted };
  }

  /** Xids of commits replayed but not shown yet. */
  pendingXids(): Set<number> {
    return new Set(this.pending.flatMap((commit) => commit.xids));
  }

  /** Whether a commit at or below `lsn` is still queued. */
  hasPendingUpTo(lsn: number): boolean {
    const first = this.pending[0];
    return first !== undefined && first.lsn <= lsn;
  }

  /** The highest xid seen (for the checkpoint's persisted next xid). */
  get nextXid(): number {
    return this.latestObserved + 1;
  }
}
