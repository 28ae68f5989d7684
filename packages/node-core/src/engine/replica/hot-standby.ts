/**
 * HotStandby: an engine that replays its primary's WAL and answers read-only queries meanwhile
 * (PostgreSQL's startup process plus hot standby). It exists from Engine.open in standby mode
 * until promotion, and owns:
 *   - replay: records the replication layer appended and flushed are applied in LSN order with
 *     the engine's redo (pages, relation files, sequences; transaction records go to
 *     StandbyXacts), in slices so queries keep running;
 *   - visibility: commits show up to min(replay LSN, the primary's visible horizon), in WAL
 *     order, together per publication (standby-xacts.ts); replayed DDL reloads the catalog when
 *     its commit shows;
 *   - restart points: the latest replayed primary checkpoint whose commits all show (checkpoints
 *     on a standby write pages and the control file against it, appending no WAL);
 *   - the term history, from end-of-recovery records, and the checkpoint list a rewind needs;
 *   - read-after-LSN waits (keel.read_after_lsn).
 * The local WAL refuses appends for the whole time: it is the primary's, byte for byte.
 * Exports: HotStandby, StandbyHost.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { RedoHandler, StorageEngine } from '../../storage/index.js';
import { forEachBlock } from '../../storage/mtr/page-delta.js';
import { decodeCheckpoint } from '../../wal/checkpoint-record.js';
import type { RestartPoint } from '../../wal/checkpointer.js';
import { PageInfo, RmgrId, type WalRecord, XlogInfo } from '../../wal/wal-record.js';
import type { EngineLogger } from '../engine.js';
import { decodeEndOfRecovery } from './end-of-recovery.js';
import type { CheckpointRef, ReplicationStateFile } from './replication-state.js';
import type { StandbyXacts } from './standby-xacts.js';

/** What the standby needs from its engine. */
export interface StandbyHost {
  readonly storage: StorageEngine;
  readonly redoHandlers: ReadonlyMap<number, RedoHandler>;
  readonly logger: EngineLogger;
  /** Relation files of the catalogs (shared and per database). */
  catalogRelFiles(): ReadonlySet<number>;
  /** Whether an xid counts as running (not yet shown) on this standby. */
  isRunning(xid: number): boolean;
  reloadCatalogs(): void;
}

interface ReplayWaiter {
  lsn: number;
  resolve(): void;
  reject(error: Error): void;
}

export class HotStandby {
  private replayed: number;
  private primaryVisible = 0;
  private visible: number;
  private readonly replayedCheckpoints: CheckpointRef[] = [];
  private waiters: ReplayWaiter[] = [];
  private catalogRels: ReadonlySet<number>;
  private aborted = 0;

  constructor(
    private readonly host: StandbyHost,
    readonly xacts: StandbyXacts,
    private readonly state: ReplicationStateFile,
    start: { replayLsn: number; checkpoint: CheckpointRef },
  ) {
    this.replayed = start.replayLsn;
    // Commits before the last checkpoint were visible when it was taken (a standby's restart
    // point only covers published commits); everything after waits for the primary's horizon.
    this.visible = Math.min(start.checkpoint.checkpointLsn, start.replayLsn);
    this.primaryVisible = this.visible;
    this.replayedCheckpoints.push(start.checkpoint);
    this.catalogRels = host.catalogRelFiles();
    host.storage.wal.refuseLocalAppends('this node is a hot standby');
    host.storage.setRestartPointSource(() => this.restartPoint());
  }

  get replayLsn(): number {
    return this.replayed;
  }

  get visibleLsn(): number {
    return this.visible;
  }

  /**
   * After crash recovery at open: learns xids, checkpoints and terms from the WAL recovery
   * replayed (from the redo point), then shows what the last checkpoint covered.
   */
  scanRecovered(fromLsn: number): void {
    const reader = this.host.storage.walReader(fromLsn as never);
    try {
      for (let record = reader.next(); record !== null; record = reader.next()) this.learn(record);
    } finally {
      reader.close();
    }
    this.noteRunningCatalogWriters();
    this.publish();
  }

  /**
   * A transaction can have changed catalog pages before the WAL this standby replays from (the
   * redo point, or a base backup's start) and commit after it: its catalog tuples are in the
   * pages already. Their in-progress xids are the catalog changes still to show.
   */
  private noteRunningCatalogWriters(): void {
    const { storage } = this.host;
    for (const relFile of this.catalogRels) {
      if (!storage.files.has(relFile as never)) continue;
      const heap = storage.heap(relFile as never);
      for (let pageNo = 0; pageNo < heap.pageCount(); pageNo++) {
        for (const tuple of heap.scanPage(pageNo as never)) {
          const xmin = tuple.header.xmin as number;
          const xmax = tuple.header.xmax as number;
          if (this.host.isRunning(xmin)) this.xacts.noteCatalogChange(xmin);
          if (xmax !== 0 && this.host.isRunning(xmax)) this.xacts.noteCatalogChange(xmax);
        }
      }
    }
  }

  /** Replays flushed WAL from the replay position, about `maxBytes`; returns the new position. */
  replay(maxBytes: number): number {
    const { storage } = this.host;
    const limit = storage.wal.flushedLsn;
    if (this.replayed >= limit) return this.replayed;
    const reader = storage.walReader(this.replayed as never);
    const start = this.replayed;
    try {
      for (let record = reader.next(); record !== null; record = reader.next()) {
        this.learn(record);
        storage.redo(record, this.host.redoHandlers);
        this.replayed = record.endLsn;
        if (this.replayed - start >= maxBytes) break;
      }
    } finally {
      reader.close();
    }
    this.publish();
    return this.replayed;
  }

  /** The primary's visible horizon: commits up to it (and replayed) may show. */
  setPrimaryVisible(lsn: number): void {
    if (lsn <= this.primaryVisible) return;
    this.primaryVisible = lsn;
    this.publish();
  }

  applyXidHorizon(oldestRunningXid: number, atLsn: number): void {
    if (this.replayed < atLsn) return;
    this.aborted += this.xacts.applyHorizon(oldestRunningXid);
  }

  /** keel.read_after_lsn: resolves once commits up to `lsn` show here. */
  waitForVisible(lsn: number): Promise<void> {
    if (this.visible >= lsn) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ lsn, resolve, reject }));
  }

  /** Ends waits (promotion: everything shows from now on; shutdown: they fail). */
  endWaits(error: Error | null): void {
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) {
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** Whether a wait is interrupted (the session's cancel or statement timeout). */
  cancelWait(resolve: () => void, error: Error): void {
    const waiter = this.waiters.find((w) => w.resolve === resolve);
    if (waiter === undefined) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    waiter.reject(error);
  }

  /** Transactions found dead by the primary's xid horizon (status). */
  get abortedByHorizon(): number {
    return this.aborted;
  }

  /** The latest replayed primary checkpoint whose commits all show. */
  restartPoint(): RestartPoint | null {
    for (let i = this.replayedCheckpoints.length - 1; i >= 0; i--) {
      const checkpoint = this.replayedCheckpoints[i];
      if (checkpoint !== undefined && checkpoint.checkpointLsn <= this.visible) {
        this.replayedCheckpoints.splice(0, i);
        return { redoLsn: checkpoint.redoLsn as never, checkpointLsn: checkpoint.checkpointLsn as never };
      }
    }
    return null;
  }

  /** What every replayed record tells the standby besides its redo. */
  private learn(record: WalRecord): void {
    if (record.xid !== 0) this.xacts.observe(record.xid);
    switch (record.rmgr) {
      case RmgrId.Page:
        if (record.info === PageInfo.Mtr && record.xid !== 0 && this.catalogRels.size > 0) {
          forEachBlock(record.payload, (block) => {
            if (this.catalogRels.has(block.rel)) this.xacts.noteCatalogChange(record.xid);
          });
        }
        return;
      case RmgrId.Xlog:
        if (record.info === XlogInfo.Checkpoint) {
          const checkpoint = { checkpointLsn: record.lsn, redoLsn: decodeCheckpoint(record.payload).redoLsn };
          this.replayedCheckpoints.push(checkpoint);
          this.state.noteCheckpoint(checkpoint);
        } else if (record.info === XlogInfo.EndOfRecovery) {
          this.state.addTerm(decodeEndOfRecovery(record.payload).term, record.lsn);
        }
        return;
      default:
        return;
    }
  }

  private publish(): void {
    const limit = Math.min(this.replayed, this.primaryVisible);
    if (limit <= this.visible && !this.xacts.hasPendingUpTo(limit)) return;
    const { catalogChanged } = this.xacts.publish(limit);
    if (limit > this.visible) this.visible = limit;
    if (catalogChanged) {
      this.host.reloadCatalogs();
      this.catalogRels = this.host.catalogRelFiles();
    }
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.lsn <= this.visible);
      this.waiters = this.waiters.filter((w) => w.lsn > this.visible);
      for (const waiter of ready) waiter.resolve();
    }
  }
}

/** The error a read-after-LSN wait ends with when the standby goes away. */
export function standbyClosed(): KeelError {
  return new KeelError(SqlState.AdminShutdown, 'the hot standby is shutting down');
}
