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
 *   - a durable visibility point: the primary's horizon is saved (StandbyHorizonFile, fsynced)
 *     before commits show up to it, and a restart shows up to the saved horizon again (crash
 *     recovery replayed the local WAL, which holds every commit shown), so the standby's reads
 *     never go back in time across its restart (PostgreSQL's minRecoveryPoint does this for
 *     pages; here visibility waits for the primary, so the horizon itself must survive);
 *   - restart points: the latest replayed primary checkpoint whose commits all show (checkpoints
 *     on a standby write pages and the control file against it, appending no WAL);
 *   - the term history, from end-of-recovery records, and the checkpoint list a rewind needs;
 *   - read-after-LSN waits (keel.read_after_lsn).
 * The local WAL refuses appends for the whole time: it is the primary's, byte for byte.
 * Exports: HotStandby, StandbyHost, StandbyHorizonFile, standbyClosed.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';
import { crc32c } from '@node-rs/crc32';
import type { RedoHandler, StorageEngine } from '../../storage/index.js';
import { forEachBlock } from '../../storage/mtr/page-delta.js';
import { decodeCheckpoint } from '../../wal/checkpoint-record.js';
import type { RestartPoint } from '../../wal/checkpointer.js';
import { PageInfo, RmgrId, type WalRecord, XlogInfo } from '../../wal/wal-record.js';
import type { EngineLogger } from '../engine.js';
import { decodeEndOfRecovery } from './end-of-recovery.js';
import type { CheckpointRef, ReplicationStateFile, TermStart } from './replication-state.js';
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

/** A primary's visible horizon as saved: the LSN and the term of the WAL just before it. */
export interface SavedHorizon {
  lsn: number;
  term: number;
}

const HORIZON_FILE = 'visible-horizon';
/** Two slots, written in turn: a torn write leaves the other one, the previous horizon. */
const SLOT_BYTES = 128;

/**
 * `replication/visible-horizon`: the highest horizon of the primary this standby may show
 * commits up to, saved before it shows past the previous one. Two fixed-size slots with a
 * checksum, written alternately and synced (one write and one fdatasync per save), each naming
 * the database (system id) and the term of the WAL before the horizon, so a horizon from another
 * database or past where this node's timeline left the term is not trusted after a base backup
 * or a rewind.
 */
export class StandbyHorizonFile {
  private readonly file: string;
  private generation = 0;

  constructor(
    dataDir: string,
    private readonly systemId: string,
  ) {
    const dir = path.join(dataDir, 'replication');
    this.file = path.join(dir, HORIZON_FILE);
    if (existsSync(this.file)) return;
    mkdirSync(dir, { recursive: true });
    const fd = openSync(this.file, 'w', 0o600);
    try {
      writeAll(fd, Buffer.alloc(2 * SLOT_BYTES), 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  /** The newest intact saved horizon of this database, or null. */
  load(): SavedHorizon | null {
    const bytes = readFileSync(this.file);
    let best: (SavedHorizon & { generation: number }) | null = null;
    for (let slot = 0; slot < 2; slot++) {
      const saved = decodeSlot(bytes.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES));
      if (saved === null) continue;
      this.generation = Math.max(this.generation, saved.generation);
      if (saved.systemId !== this.systemId) continue;
      if (best === null || saved.generation > best.generation) best = saved;
    }
    return best === null ? null : { lsn: best.lsn, term: best.term };
  }

  /**
   * Saves `horizon` durably (resolves once synced). Saves to one file run one at a time, those of
   * an engine a role change closed included, so the newest always lands last.
   */
  save(horizon: SavedHorizon): Promise<void> {
    const previous = savesInFlight.get(this.file) ?? Promise.resolve();
    const done = previous.then(
      () => this.write(horizon),
      () => this.write(horizon),
    );
    savesInFlight.set(this.file, done);
    const forget = () => {
      if (savesInFlight.get(this.file) === done) savesInFlight.delete(this.file);
    };
    done.then(forget, forget);
    return done;
  }

  private async write(horizon: SavedHorizon): Promise<void> {
    const generation = ++this.generation;
    const slot = encodeSlot({ systemId: this.systemId, generation, ...horizon });
    const handle = await open(this.file, 'r+');
    try {
      let written = 0;
      const position = (generation % 2) * SLOT_BYTES;
      while (written < slot.length) {
        const { bytesWritten } = await handle.write(slot, written, slot.length - written, position + written);
        written += bytesWritten;
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

/** The save running for each horizon file (by path). */
const savesInFlight = new Map<string, Promise<void>>();

interface HorizonSlot extends SavedHorizon {
  systemId: string;
  generation: number;
}

function encodeSlot(slot: HorizonSlot): Buffer {
  const out = Buffer.alloc(SLOT_BYTES, 0x20);
  const text = Buffer.from(JSON.stringify(slot));
  if (text.length > SLOT_BYTES - 4) throw new KeelError(SqlState.InternalError, 'standby horizon too long');
  text.copy(out, 0);
  out.writeUInt32LE(crc32c(out.subarray(0, SLOT_BYTES - 4)), SLOT_BYTES - 4);
  return out;
}

function decodeSlot(bytes: Buffer): HorizonSlot | null {
  if (bytes.length !== SLOT_BYTES) return null;
  if (bytes.readUInt32LE(SLOT_BYTES - 4) !== crc32c(bytes.subarray(0, SLOT_BYTES - 4))) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.subarray(0, SLOT_BYTES - 4).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const systemId: unknown = Reflect.get(raw, 'systemId');
  const generation: unknown = Reflect.get(raw, 'generation');
  const lsn: unknown = Reflect.get(raw, 'lsn');
  const term: unknown = Reflect.get(raw, 'term');
  if (
    typeof systemId !== 'string' ||
    !Number.isSafeInteger(generation) ||
    !Number.isSafeInteger(lsn) ||
    !Number.isSafeInteger(term)
  )
    return null;
  return { systemId, generation: generation as number, lsn: lsn as number, term: term as number };
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let written = 0;
  while (written < data.length)
    written += writeSync(fd, data, written, data.length - written, position + written);
}

/** Term of the WAL just before `lsn` (the last history entry starting below it). */
function termBefore(history: readonly TermStart[], lsn: number): number {
  let term = history[0]?.term ?? 0;
  for (const entry of history) if (entry.lsn < lsn) term = entry.term;
  return term;
}

/**
 * How far a saved horizon holds on this node's timeline: up to where a later term began (WAL
 * past it is not the WAL the horizon was reported for), nothing when its term is not there.
 */
export function horizonOnTimeline(history: readonly TermStart[], saved: SavedHorizon): number {
  const index = history.findIndex((entry) => entry.term === saved.term);
  if (index < 0) return 0;
  const next = history[index + 1];
  return next === undefined ? saved.lsn : Math.min(saved.lsn, next.lsn);
}

export class HotStandby {
  private replayed: number;
  private primaryVisible = 0;
  /** The highest horizon saved durably: nothing past it shows (see StandbyHorizonFile). */
  private durableHorizon: number;
  private saving = false;
  private ended = false;
  private visible: number;
  private readonly replayedCheckpoints: CheckpointRef[] = [];
  private waiters: ReplayWaiter[] = [];
  private catalogRels: ReadonlySet<number>;
  private aborted = 0;

  constructor(
    private readonly host: StandbyHost,
    readonly xacts: StandbyXacts,
    private readonly state: ReplicationStateFile,
    private readonly horizonFile: StandbyHorizonFile,
    start: { replayLsn: number; checkpoint: CheckpointRef },
  ) {
    this.replayed = start.replayLsn;
    // Commits before the last checkpoint were visible when it was taken (a standby's restart
    // point only covers published commits), and so were commits up to the horizon saved before
    // this node showed them (crash recovery replayed them: the WAL under everything shown was
    // flushed); everything after waits for the primary's horizon.
    this.visible = Math.min(start.checkpoint.checkpointLsn, start.replayLsn);
    const saved = horizonFile.load();
    const kept = saved === null ? 0 : horizonOnTimeline(state.history, saved);
    this.durableHorizon = Math.max(this.visible, kept);
    this.primaryVisible = this.durableHorizon;
    if (kept > this.visible) {
      host.logger.info(
        { savedHorizon: kept, replayLsn: start.replayLsn },
        'hot standby shows commits up to the visible horizon saved before its restart',
      );
    }
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

  /**
   * The primary's visible horizon: commits up to it (and replayed) may show, once it is saved
   * (a restart must show them again before the primary can repeat it).
   */
  setPrimaryVisible(lsn: number): void {
    if (lsn <= this.primaryVisible) return;
    this.primaryVisible = lsn;
    this.saveHorizon();
    this.publish();
  }

  /** Saves the newest horizon (one save at a time: a save covers every horizon before it). */
  private saveHorizon(): void {
    if (this.saving || this.ended || this.primaryVisible <= this.durableHorizon) return;
    const lsn = this.primaryVisible;
    this.saving = true;
    this.horizonFile.save({ lsn, term: termBefore(this.state.history, lsn) }).then(
      () => {
        this.saving = false;
        if (this.ended) return;
        if (lsn > this.durableHorizon) this.durableHorizon = lsn;
        this.publish();
        this.saveHorizon();
      },
      (error: unknown) => {
        // Nothing past the saved horizon shows; the next horizon from the primary tries again.
        this.saving = false;
        if (this.ended) return;
        this.host.logger.error(
          { lsn, err: error instanceof Error ? error.message : String(error) },
          'saving the visible horizon failed: commits past the saved one stay hidden',
        );
      },
    );
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

  /** Ends waits (promotion: everything shows from now on; shutdown: they fail) and horizon saves. */
  endWaits(error: Error | null): void {
    this.ended = true;
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
    if (this.ended) return;
    const limit = Math.min(this.replayed, this.primaryVisible, this.durableHorizon);
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
