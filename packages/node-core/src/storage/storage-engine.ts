/**
 * StorageEngine: the node's storage, composed: relation files, buffer pool, WAL, mini-
 * transactions, heaps and B-trees, background writer and checkpointer. `open` runs crash
 * recovery (redo from the last checkpoint to the end of valid WAL, cutting off a torn tail)
 * before returning, so the engine is consistent and the upper layers' redo handlers have seen
 * every record after the checkpoint's redo point. There is no end-of-recovery checkpoint: the
 * redo point moves at the first regular checkpoint, when the upper layers' hooks (which must
 * persist what their redo handlers rebuilt) are registered.
 * `close` is a clean shutdown (final checkpoint, everything fsynced); `abandon` drops the
 * in-memory state as a crash would (tests).
 * Exports: StorageEngine, StorageEngineOptions, StorageStats, RelationKind.
 */
import { KeelError, SqlState } from '@keel/errors';
import { encodeCheckpoint } from '../wal/checkpoint-record.js';
import {
  Checkpointer,
  type CheckpointHook,
  type CheckpointResult,
  type RestartPoint,
} from '../wal/checkpointer.js';
import { type ControlData, readControlFile, writeControlFile } from '../wal/control-file.js';
import { type RecoveryGate, type RecoveryResult, recoverWal } from '../wal/recovery.js';
import { Wal, type WalStats } from '../wal/wal.js';
import { WalReader } from '../wal/wal-reader.js';
import { RmgrId, StorageInfo, type WalRecord, XlogInfo } from '../wal/wal-record.js';
import { WalSegments } from '../wal/wal-segments.js';
import { BTree } from './btree/btree.js';
import { BackgroundWriter } from './buffer/background-writer.js';
import { BufferPool, type BufferPoolStats } from './buffer/buffer-pool.js';
import type { EvictionPolicyName } from './buffer/replacement-policy.js';
import type { Disk } from './disk/disk.js';
import { type FaultPoints, noFaults } from './disk/fault-points.js';
import { NodeDisk } from './disk/node-disk.js';
import { encodeRelRecord, type RedoHandler, redoRecord } from './engine-redo.js';
import { RelationFiles } from './file/relation-files.js';
import { FreeSpaceMap } from './heap/free-space-map.js';
import { HeapFile } from './heap/heap-file.js';
import { asRelFileId, InvalidXid, type Lsn, type RelFileId } from './ids.js';
import { type Logger, silentLogger } from './logger.js';
import { MiniTransaction, type MtrContext } from './mtr/mini-transaction.js';
import { PAGE_SIZE } from './page/page-layout.js';

export type RelationKind = 'heap' | 'btree';

export interface StorageEngineOptions {
  dataDir: string;
  disk?: Disk;
  /** Buffer pool size in bytes (server flag --buffer-pool-mb; default 128 MiB). */
  bufferPoolBytes?: number;
  /** Default '2q' (scan resistant at CLOCK's cost). */
  evictionPolicy?: EvictionPolicyName;
  /** WAL segment size (default 16 MiB); fixed when the data directory is created. */
  walSegmentBytes?: number;
  /** Default 60 s; 0 disables the timer. */
  checkpointIntervalMs?: number;
  /** Checkpoint after this much WAL since the last redo point (default 256 MiB); 0 disables. */
  checkpointWalBytes?: number;
  /** Background WAL flush period (default 200 ms); 0 disables. */
  walWriterDelayMs?: number;
  /** Background writer period (default 200 ms); 0 disables. */
  bgwriterDelayMs?: number;
  logger?: Logger;
  faults?: FaultPoints;
  /** Redo for upper layers' resource managers (ids >= RmgrId.FirstUpperRmgr), called in LSN order. */
  redoHandlers?: ReadonlyMap<number, RedoHandler>;
  /** Checkpoint hooks known from the start (more can be added with onCheckpoint). */
  checkpointHooks?: readonly CheckpointHook[];
}

export interface StorageStats {
  bufferPool: BufferPoolStats;
  wal: WalStats;
  checkpoints: { completed: number; lastRedoLsn: Lsn };
  backgroundWriterPages: number;
}

const MiB = 1024 * 1024;

interface Parts {
  options: Required<Omit<StorageEngineOptions, 'redoHandlers'>>;
  recovery: RecoveryResult;
  files: RelationFiles;
  pool: BufferPool;
  wal: Wal;
  segments: WalSegments;
  control: ControlData;
  nextRelId: number;
}

export class StorageEngine {
  readonly wal: Wal;
  readonly bufferPool: BufferPool;
  readonly files: RelationFiles;
  /** What crash recovery found at open: where valid WAL ended and why. */
  readonly recovery: RecoveryResult;
  private readonly mtrCtx: MtrContext;
  private readonly mtrInstance: MiniTransaction;
  private readonly heaps = new Map<RelFileId, HeapFile>();
  private readonly btrees = new Map<RelFileId, BTree>();
  private readonly checkpointer: Checkpointer;
  private readonly bgwriter: BackgroundWriter;
  private readonly disk: Disk;
  private readonly faults: FaultPoints;
  private readonly dataDir: string;
  private readonly logger: Logger;
  private nextRelId: number;
  /** Relation files present when the engine opened: the only candidates of dropOrphans. */
  private readonly idsAtOpen: ReadonlySet<RelFileId>;
  private closed = false;

  private constructor(parts: Parts) {
    const { options } = parts;
    this.disk = options.disk;
    this.faults = options.faults;
    this.dataDir = options.dataDir;
    this.logger = options.logger;
    this.files = parts.files;
    this.bufferPool = parts.pool;
    this.wal = parts.wal;
    this.nextRelId = parts.nextRelId;
    this.idsAtOpen = new Set(parts.files.ids());
    this.recovery = parts.recovery;
    this.mtrCtx = { wal: parts.wal, pool: parts.pool, redoLsn: parts.control.redoLsn };
    this.mtrInstance = new MiniTransaction(this.mtrCtx);
    this.checkpointer = new Checkpointer(
      {
        disk: options.disk,
        dataDir: options.dataDir,
        wal: parts.wal,
        pool: parts.pool,
        files: parts.files,
        mtr: this.mtrCtx,
        faults: options.faults,
        logger: options.logger,
        saveHints: () => this.saveFreeSpaceMaps(),
        nextRelId: () => this.nextRelId,
        intervalMs: options.checkpointIntervalMs,
        walBytes: options.checkpointWalBytes,
        keepRecycledSegments: Math.max(2, Math.ceil(options.checkpointWalBytes / options.walSegmentBytes)),
      },
      parts.control.redoLsn,
    );
    for (const hook of options.checkpointHooks) this.checkpointer.addHook(hook);
    this.bgwriter = new BackgroundWriter(
      parts.pool,
      parts.wal,
      { delayMs: options.bgwriterDelayMs, maxPages: 100 },
      options.logger,
    );
  }

  static async open(opts: StorageEngineOptions): Promise<StorageEngine> {
    const options = withDefaults(opts);
    const { disk, dataDir, logger } = options;
    disk.mkdir(dataDir);
    const segments = new WalSegments(disk, dataDir, options.walSegmentBytes);
    const control = readControlFile(disk, dataDir) ?? (await bootstrap(options, segments));
    checkControl(control, options);
    if (control.state === 'in-production')
      logger.info({ redoLsn: control.redoLsn }, 'database was not shut down cleanly; recovering');
    const files = new RelationFiles(disk, dataDir, options.faults);
    const gate: RecoveryGate & { flushedLsn: Lsn; flushBlocking(): void } = {
      replayedLsn: control.redoLsn,
      get flushedLsn() {
        return this.replayedLsn;
      },
      flushBlocking: () => {},
    };
    const pool = new BufferPool({
      bytes: options.bufferPoolBytes,
      policy: options.evictionPolicy,
      files,
      wal: gate,
    });
    let nextRelId = Math.max(control.nextRelId, ...files.ids().map((id) => id + 1), 1);
    const target = {
      pool,
      files,
      handlers: opts.redoHandlers ?? new Map<number, RedoHandler>(),
      noteRelId: (id: number) => {
        nextRelId = Math.max(nextRelId, id + 1);
      },
      relationChanged: () => {},
    };
    const recovery = await recoverWal(segments, control, (rec) => redoRecord(target, rec), gate, logger);
    await segments.cutTail(recovery.endLsn);
    const wal = new Wal({
      segments,
      startLsn: recovery.endLsn,
      term: control.term,
      logger,
      faults: options.faults,
      writerDelayMs: options.walWriterDelayMs,
    });
    pool.wal = wal;
    const engine = new StorageEngine({ options, files, pool, wal, segments, control, nextRelId, recovery });
    // No end-of-recovery checkpoint: the redo point stays where it was until the first regular
    // checkpoint, when every upper-layer hook is registered. Only the state is updated.
    await writeControlFile(disk, dataDir, { ...control, state: 'in-production', nextRelId });
    engine.checkpointer.startTimers();
    engine.bgwriter.start();
    return engine;
  }

  /** A mini-transaction for code outside heap/btree that changes pages (begin it before use). */
  mtr(): MiniTransaction {
    return this.mtrInstance;
  }

  /** Creates a relation file (WAL-logged); a B-tree is formatted (meta page, empty root). */
  createRelation(kind: RelationKind): RelFileId {
    this.checkOpen();
    const id = asRelFileId(this.nextRelId++);
    this.wal.append({
      rmgr: RmgrId.Storage,
      info: StorageInfo.Create,
      xid: InvalidXid,
      payload: encodeRelRecord(id, kind === 'btree' ? 2 : 1),
    });
    this.files.ensure(id);
    if (kind === 'btree') this.btrees.set(id, BTree.initialize(id, this.accessEnv()));
    return id;
  }

  /**
   * Drops a relation: logs it, waits until the record is durable, then forgets its pages and
   * removes the file. Call it once the dropping transaction has committed.
   */
  async dropRelation(id: RelFileId): Promise<void> {
    this.checkOpen();
    this.files.get(id);
    const lsn = this.wal.append({
      rmgr: RmgrId.Storage,
      info: StorageInfo.Drop,
      xid: InvalidXid,
      payload: encodeRelRecord(id, 0),
    });
    await this.wal.flush(lsn);
    if (this.faults.reached('relation-drop-before-unlink')) this.faults.crash('relation-drop-before-unlink');
    this.forgetRelation(id);
  }

  /** Cuts a relation to `nblocks` pages (VACUUM's trailing empty pages); logged and flushed first. */
  async truncateRelation(id: RelFileId, nblocks: number): Promise<void> {
    this.checkOpen();
    const lsn = this.wal.append({
      rmgr: RmgrId.Storage,
      info: StorageInfo.Truncate,
      xid: InvalidXid,
      payload: encodeRelRecord(id, nblocks),
    });
    await this.wal.flush(lsn);
    this.bufferPool.dropRelation(id, nblocks);
    this.files.truncate(id, nblocks);
    this.heaps.get(id)?.fsm.truncate(nblocks);
  }

  /** Every relation file, ascending. */
  relationIds(): RelFileId[] {
    return this.files.ids();
  }

  /**
   * Removes the relation files no catalog entry references (`keep` lists every one that is):
   * left by a crash between a DROP's commit and its drop record, or by a CREATE (or TRUNCATE,
   * or rewrite) whose transaction never committed. Only files present when the engine opened
   * are candidates, so a relation created since then by a running transaction is never
   * touched; still, call it at startup, after the catalogs are loaded and before sessions
   * start. The drops are WAL-logged and flushed (one flush for all) before any file goes, as
   * dropRelation does. Stray free space map files are removed too. Returns the removed ids.
   */
  async dropOrphans(keep: ReadonlySet<RelFileId>): Promise<RelFileId[]> {
    this.checkOpen();
    const present = this.files.ids();
    const missing = [...keep].filter((id) => !this.files.has(id));
    if (missing.length > 0) {
      this.logger.warn({ relations: missing }, 'catalog references relation files that do not exist');
    }
    const orphans = present.filter((id) => this.idsAtOpen.has(id) && !keep.has(id));
    if (orphans.length > 0) {
      let lsn = this.wal.insertLsn;
      for (const id of orphans) {
        lsn = this.wal.append({
          rmgr: RmgrId.Storage,
          info: StorageInfo.Drop,
          xid: InvalidXid,
          payload: encodeRelRecord(id, 0),
        });
      }
      await this.wal.flush(lsn);
      for (const id of orphans) this.forgetRelation(id);
      this.logger.info({ relations: orphans }, 'removed orphaned relation files');
    }
    this.files.removeStrayHints();
    return orphans;
  }

  heap(id: RelFileId): HeapFile {
    this.checkOpen();
    let heap = this.heaps.get(id);
    if (!heap) {
      this.files.get(id);
      heap = new HeapFile(id, this.accessEnv(), this.loadFreeSpaceMap(id));
      this.heaps.set(id, heap);
    }
    return heap;
  }

  btree(id: RelFileId): BTree {
    this.checkOpen();
    let tree = this.btrees.get(id);
    if (!tree) {
      this.files.get(id);
      tree = new BTree(id, this.accessEnv());
      this.btrees.set(id, tree);
    }
    return tree;
  }

  /** Everything a B-tree or heap needs (also for checkBTree in tests). */
  accessEnv(): { pool: BufferPool; files: RelationFiles; mtr: () => MiniTransaction } {
    return { pool: this.bufferPool, files: this.files, mtr: () => this.mtrInstance };
  }

  /** Runs a checkpoint now (SQL CHECKPOINT). */
  checkpoint(): Promise<CheckpointResult> {
    return this.checkpointer.checkpoint('requested');
  }

  /**
   * Hot standby: checkpoints become restart points at the primary checkpoints `source` names
   * (null: regular checkpoints again, after promotion). See RestartPoint in wal/checkpointer.ts.
   */
  setRestartPointSource(source: (() => RestartPoint | null) | null): void {
    this.checkpointer.restartPoints = source;
  }

  /** Upper layers persist their own state here, before the checkpoint record is written. */
  onCheckpoint(hook: CheckpointHook): void {
    this.checkpointer.addHook(hook);
  }

  /** A reader of this node's WAL from `from` up to the durable end (replication's source). */
  walReader(from: Lsn): WalReader {
    return new WalReader(
      new WalSegments(this.disk, this.dataDir, this.wal.segmentBytes),
      from,
      this.wal.flushedLsn,
    );
  }

  /** Applies a record as recovery would (for replicas replaying WAL they appended). */
  redo(record: WalRecord, handlers: ReadonlyMap<number, RedoHandler>): void {
    redoRecord(
      {
        pool: this.bufferPool,
        files: this.files,
        handlers,
        noteRelId: (id) => {
          this.nextRelId = Math.max(this.nextRelId, id + 1);
        },
        relationChanged: (id) => {
          this.heaps.delete(id);
          this.btrees.delete(id);
        },
      },
      record,
    );
  }

  stats(): StorageStats {
    return {
      bufferPool: this.bufferPool.stats(),
      wal: this.wal.stats(),
      checkpoints: { completed: this.checkpointer.completed, lastRedoLsn: this.checkpointer.lastRedoLsn },
      backgroundWriterPages: this.bgwriter.written,
    };
  }

  /** Clean shutdown: a final checkpoint marks the data directory shut down; files are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.checkpointer.stopTimers();
    this.bgwriter.stop();
    await this.checkpointer.checkpoint('shutdown', 'shut-down');
    this.closed = true;
    await this.wal.close();
    this.files.closeAll();
  }

  /** Drops all in-memory state without writing anything, as SIGKILL would (tests). */
  abandon(): void {
    this.closed = true;
    this.checkpointer.stopTimers();
    this.bgwriter.stop();
    this.wal.abandon();
    this.files.closeAll();
  }

  private forgetRelation(id: RelFileId): void {
    this.bufferPool.dropRelation(id);
    this.files.remove(id);
    this.heaps.delete(id);
    this.btrees.delete(id);
  }

  private checkOpen(): void {
    if (this.closed) throw new KeelError(SqlState.AdminShutdown, 'storage engine is closed');
  }

  private loadFreeSpaceMap(id: RelFileId): FreeSpaceMap {
    const path = `${this.files.pathOf(id)}.fsm`;
    if (!this.disk.exists(path)) return new FreeSpaceMap();
    const file = this.disk.open(path, 'existing');
    try {
      const buf = Buffer.alloc(file.size());
      file.read(buf, 0);
      return new FreeSpaceMap(buf);
    } finally {
      file.close();
    }
  }

  private saveFreeSpaceMaps(): void {
    for (const heap of this.heaps.values()) {
      if (!heap.fsm.dirty || !this.files.has(heap.rel)) continue;
      const path = `${this.files.pathOf(heap.rel)}.fsm`;
      const file = this.disk.open(`${path}.tmp`, 'create');
      try {
        file.truncate(0);
        file.write(heap.fsm.serialize(), 0);
      } finally {
        file.close();
      }
      this.disk.rename(`${path}.tmp`, path);
    }
  }
}

function withDefaults(opts: StorageEngineOptions): Parts['options'] {
  return {
    dataDir: opts.dataDir,
    disk: opts.disk ?? new NodeDisk(),
    bufferPoolBytes: opts.bufferPoolBytes ?? 128 * MiB,
    evictionPolicy: opts.evictionPolicy ?? '2q',
    walSegmentBytes: opts.walSegmentBytes ?? 16 * MiB,
    checkpointHooks: opts.checkpointHooks ?? [],
    checkpointIntervalMs: opts.checkpointIntervalMs ?? 60_000,
    checkpointWalBytes: opts.checkpointWalBytes ?? 256 * MiB,
    walWriterDelayMs: opts.walWriterDelayMs ?? 200,
    bgwriterDelayMs: opts.bgwriterDelayMs ?? 200,
    logger: opts.logger ?? silentLogger,
    faults: opts.faults ?? noFaults,
  };
}

function checkControl(control: ControlData, options: Parts['options']): void {
  if (control.pageSize !== PAGE_SIZE || control.walSegmentBytes !== options.walSegmentBytes) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      'data directory was created with other storage settings',
      {
        detail: `page size ${control.pageSize}, WAL segment ${control.walSegmentBytes} bytes; requested WAL segment ${options.walSegmentBytes} bytes`,
      },
    );
  }
}

/** Initializes an empty data directory: a first checkpoint record and the control file. */
async function bootstrap(options: Parts['options'], segments: WalSegments): Promise<ControlData> {
  if (segments.list().length > 0) {
    throw new KeelError(
      SqlState.DataCorrupted,
      `data directory "${options.dataDir}" has WAL but no control file`,
      { severity: 'PANIC' },
    );
  }
  const wal = new Wal({
    segments,
    startLsn: 0 as Lsn,
    term: 0,
    logger: options.logger,
    faults: options.faults,
    writerDelayMs: 0,
  });
  const end = wal.append({
    rmgr: RmgrId.Xlog,
    info: XlogInfo.Checkpoint,
    xid: InvalidXid,
    payload: encodeCheckpoint({ redoLsn: 0 as Lsn, nextRelId: 1, term: 0 }),
  });
  await wal.flush(end);
  await wal.close();
  const control: ControlData = {
    pageSize: PAGE_SIZE,
    walSegmentBytes: options.walSegmentBytes,
    state: 'shut-down',
    checkpointLsn: 0 as Lsn,
    redoLsn: 0 as Lsn,
    nextRelId: 1,
    term: 0,
  };
  await writeControlFile(options.disk, options.dataDir, control);
  return control;
}
