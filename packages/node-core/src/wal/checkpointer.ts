/**
 * Checkpointer: bounds recovery time and lets old WAL go. A checkpoint
 *   1. takes the WAL insert position as its redo LSN; from then on the first change of each
 *      page is logged as a full-page image (so torn writes after this point are repairable);
 *   2. writes every page dirty at that moment (WAL first), yielding to the event loop every
 *      few pages so commits proceed meanwhile;
 *   3. saves free space maps and runs the upper layers' hooks (e.g. the commit log);
 *   4. fdatasyncs the data files written since the last checkpoint;
 *   5. appends a checkpoint record, flushes it, and atomically rewrites the control file;
 *   6. removes or recycles WAL segments below min(redo LSN, retention floors).
 * A crash anywhere before step 5 completes leaves the previous checkpoint in force.
 * Triggers: every `intervalMs`, after `walBytes` of WAL since the last redo point, on demand
 * (SQL CHECKPOINT), and at clean shutdown. Concurrent requests share the running checkpoint
 * or queue one more.
 * Exports: Checkpointer, CheckpointHook, CheckpointResult, CheckpointReason.
 */
import type { BufferPool } from '../storage/buffer/buffer-pool.js';
import type { Disk } from '../storage/disk/disk.js';
import type { FaultPoints } from '../storage/disk/fault-points.js';
import type { RelationFiles } from '../storage/file/relation-files.js';
import { InvalidXid, type Lsn } from '../storage/ids.js';
import type { Logger } from '../storage/logger.js';
import type { MtrContext } from '../storage/mtr/mini-transaction.js';
import { PAGE_SIZE } from '../storage/page/page-layout.js';
import { encodeCheckpoint } from './checkpoint-record.js';
import { type ClusterState, writeControlFile } from './control-file.js';
import type { Wal } from './wal.js';
import { RmgrId, XlogInfo } from './wal-record.js';

export type CheckpointReason = 'interval' | 'wal-volume' | 'requested' | 'shutdown';

/**
 * A hot standby's restart point (PostgreSQL's restartpoint): a checkpoint of the primary the
 * standby replayed, whose redo LSN it may restart recovery from. A standby appends no WAL, so its
 * checkpoints write pages and the control file against such a point instead of a record of its
 * own; the first change of every page after the primary's redo LSN carries a full image in the
 * primary's WAL, which is what makes restarting there safe against torn pages.
 */
export interface RestartPoint {
  redoLsn: Lsn;
  checkpointLsn: Lsn;
}
export type CheckpointHook = (info: { redoLsn: Lsn }) => Promise<void> | void;

export interface CheckpointResult {
  reason: CheckpointReason;
  redoLsn: Lsn;
  checkpointLsn: Lsn;
  pagesWritten: number;
  segmentsRetired: number;
}

export interface CheckpointerDeps {
  disk: Disk;
  dataDir: string;
  wal: Wal;
  pool: BufferPool;
  files: RelationFiles;
  mtr: MtrContext;
  faults: FaultPoints;
  logger: Logger;
  /** Saves hint structures (free space maps) before the data files are synced. */
  saveHints(): void;
  nextRelId(): number;
  intervalMs: number;
  walBytes: number;
  keepRecycledSegments: number;
}

const PAGES_PER_YIELD = 32;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Checkpointer {
  private running: Promise<CheckpointResult> | null = null;
  private queued: Promise<CheckpointResult> | null = null;
  private readonly hooks: CheckpointHook[] = [];
  private timer: NodeJS.Timeout | null = null;
  private watching = false;
  private lastRedo: Lsn;
  private count = 0;
  /** Standby mode: where a checkpoint may restart recovery (null: none newer yet). */
  restartPoints: (() => RestartPoint | null) | null = null;

  constructor(
    private readonly deps: CheckpointerDeps,
    redoLsn: Lsn,
  ) {
    this.lastRedo = redoLsn;
  }

  get lastRedoLsn(): Lsn {
    return this.lastRedo;
  }

  get completed(): number {
    return this.count;
  }

  addHook(hook: CheckpointHook): void {
    this.hooks.push(hook);
  }

  startTimers(): void {
    if (this.deps.intervalMs > 0) {
      this.timer = setInterval(() => this.background('interval'), this.deps.intervalMs);
      this.timer.unref();
    }
    this.watching = true;
    this.watchVolume();
  }

  stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watching = false;
    this.deps.wal.unwatchVolume();
  }

  /** Starts a checkpoint when enough WAL was written since the last redo point. */
  maybeByVolume(): void {
    if (this.running || this.deps.walBytes <= 0) return;
    if (this.deps.wal.insertLsn - this.lastRedo >= this.deps.walBytes) this.background('wal-volume');
  }

  /**
   * Asks the WAL to call back once `walBytes` have been appended since the last redo point;
   * re-armed after every checkpoint. A crossing while a checkpoint runs is caught by the
   * re-arm, which fires at once when the mark is already behind.
   */
  private watchVolume(): void {
    if (!this.watching || this.deps.walBytes <= 0) return;
    this.deps.wal.watchVolume((this.lastRedo + this.deps.walBytes) as Lsn, () => this.maybeByVolume());
  }

  /** Runs a checkpoint; joins a queued one when a checkpoint is already running. */
  checkpoint(reason: CheckpointReason, state: ClusterState = 'in-production'): Promise<CheckpointResult> {
    if (!this.running) {
      this.running = this.run(reason, state).finally(() => {
        this.running = null;
        this.watchVolume();
      });
      return this.running;
    }
    const after = this.running;
    this.queued ??= after
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.checkpoint(reason, state);
      });
    return this.queued;
  }

  private background(reason: CheckpointReason): void {
    if (this.running) return;
    this.checkpoint(reason).catch((err) => this.deps.logger.error({ err, reason }, 'checkpoint failed'));
  }

  private async run(reason: CheckpointReason, state: ClusterState): Promise<CheckpointResult> {
    if (this.restartPoints !== null) return this.runRestartPoint(reason, state, this.restartPoints);
    const { wal, pool, files, mtr, faults } = this.deps;
    const redoLsn = wal.insertLsn;
    mtr.redoLsn = redoLsn;
    const pagesWritten = await this.writeDirtyPages();
    this.deps.saveHints();
    for (const hook of this.hooks) await hook({ redoLsn });
    await files.syncAll();
    const checkpointLsn = wal.insertLsn;
    const payload = encodeCheckpoint({ redoLsn, nextRelId: this.deps.nextRelId(), term: wal.currentTerm });
    const end = wal.append({ rmgr: RmgrId.Xlog, info: XlogInfo.Checkpoint, xid: InvalidXid, payload });
    await wal.flush(end);
    if (faults.reached('checkpoint-before-control-file')) faults.crash('checkpoint-before-control-file');
    await writeControlFile(this.deps.disk, this.deps.dataDir, {
      pageSize: PAGE_SIZE,
      walSegmentBytes: wal.segmentBytes,
      state,
      checkpointLsn,
      redoLsn,
      nextRelId: this.deps.nextRelId(),
      term: wal.currentTerm,
    });
    this.lastRedo = redoLsn;
    this.count++;
    const segmentsRetired = wal.retireSegments(redoLsn, this.deps.keepRecycledSegments);
    const result = { reason, redoLsn, checkpointLsn, pagesWritten, segmentsRetired };
    this.deps.logger.info({ ...result, dirtyLeft: pool.stats().dirty }, 'checkpoint complete');
    return result;
  }

  /** A standby's checkpoint: steps 2-4 and 6 as usual, the control file names a replayed checkpoint. */
  private async runRestartPoint(
    reason: CheckpointReason,
    state: ClusterState,
    source: () => RestartPoint | null,
  ): Promise<CheckpointResult> {
    const { wal, files, mtr } = this.deps;
    const point = source();
    if (point === null || (point.redoLsn <= this.lastRedo && state === 'in-production')) {
      return {
        reason,
        redoLsn: this.lastRedo,
        checkpointLsn: this.lastRedo,
        pagesWritten: 0,
        segmentsRetired: 0,
      };
    }
    mtr.redoLsn = point.redoLsn;
    const pagesWritten = await this.writeDirtyPages();
    this.deps.saveHints();
    for (const hook of this.hooks) await hook({ redoLsn: point.redoLsn });
    await files.syncAll();
    await writeControlFile(this.deps.disk, this.deps.dataDir, {
      pageSize: PAGE_SIZE,
      walSegmentBytes: wal.segmentBytes,
      state,
      checkpointLsn: point.checkpointLsn,
      redoLsn: point.redoLsn,
      nextRelId: this.deps.nextRelId(),
      term: wal.currentTerm,
    });
    this.lastRedo = point.redoLsn;
    this.count++;
    const segmentsRetired = wal.retireSegments(point.redoLsn, this.deps.keepRecycledSegments);
    const result = {
      reason,
      redoLsn: point.redoLsn,
      checkpointLsn: point.checkpointLsn,
      pagesWritten,
      segmentsRetired,
    };
    this.deps.logger.info(result, 'restart point complete');
    return result;
  }

  private async writeDirtyPages(): Promise<number> {
    const { wal, pool, faults } = this.deps;
    const todo = pool.dirtyFrames().map((frame) => ({ frame, key: frame.key }));
    await wal.flush();
    let written = 0;
    const midway = Math.max(1, Math.floor(todo.length / 2));
    for (const { frame, key } of todo) {
      if (frame.key !== key || !frame.dirty) continue;
      if (frame.lsn > wal.flushedLsn) await wal.flush(frame.lsn);
      if (frame.key !== key || !frame.dirty) continue;
      pool.writeFrame(frame);
      written++;
      if (written === midway && faults.reached('checkpoint-midway')) faults.crash('checkpoint-midway');
      if (written % PAGES_PER_YIELD === 0) await yieldToLoop();
    }
    return written;
  }
}
