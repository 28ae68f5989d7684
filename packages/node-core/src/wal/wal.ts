/**
 * Wal: the write-ahead log writer. `append` frames a record into an in-memory buffer and
 * returns its end LSN synchronously; `flush(lsn)` makes the WAL durable up to at least `lsn`.
 * Group commit falls out of the flush loop: while one write+fdatasync runs, every other
 * flush request queues, and the next round writes and syncs all of them with one fdatasync.
 * A background timer flushes every `writerDelayMs` for commits that do not wait
 * (synchronous_commit = off) and prepares the next segment ahead of need.
 *
 * Invariants: flushedLsn <= writtenLsn <= insertLsn; bytes below flushedLsn are durable.
 * A failed fdatasync is not retried (after a failed fsync the kernel may have dropped the
 * dirty pages: PostgreSQL's "fsyncgate"): the WAL turns failed, every later call throws a
 * PANIC-severity error and the server must restart and recover.
 * Exports: Wal, WalOptions, WalStats.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { DiskFile } from '../storage/disk/disk.js';
import type { FaultPoints } from '../storage/disk/fault-points.js';
import type { Lsn } from '../storage/ids.js';
import type { Logger } from '../storage/logger.js';
import { checkRecord, encodeRecord, WAL_RECORD_HEADER_SIZE, type WalRecordInput } from './wal-record.js';
import type { WalSegments } from './wal-segments.js';

export interface WalOptions {
  segments: WalSegments;
  startLsn: Lsn;
  term: number;
  logger: Logger;
  faults: FaultPoints;
  /** Background flush period; 0 disables the timer (tests flush explicitly). */
  writerDelayMs: number;
}

export interface WalStats {
  insertLsn: Lsn;
  writtenLsn: Lsn;
  flushedLsn: Lsn;
  records: number;
  bytes: number;
  /** Flush rounds, each one write + one fdatasync per touched segment. */
  syncRounds: number;
  /** Flush requests that had to wait (the ratio to syncRounds is the group-commit factor). */
  flushWaits: number;
}

interface Waiter {
  lsn: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * WAL buffer size (PostgreSQL's wal_buffers is 1/32 of shared_buffers, 4 MiB at its default).
 * When it is full, append writes it out to the OS without syncing and reuses it: growing it
 * instead would copy it and touch fresh memory on every doubling, which showed up as a tenth
 * of the time of a bulk insert. Only a single record larger than the buffer grows it.
 */
const BUFFER_BYTES = 4 * 1024 * 1024;
const resolved = Promise.resolve();

export class Wal {
  private buf = Buffer.alloc(BUFFER_BYTES);
  private bufLen = 0;
  private insert: number;
  private written: number;
  private flushed: number;
  private term: number;
  private readonly writeFiles = new Map<number, DiskFile>();
  private unsynced = new Set<DiskFile>();
  private inflight: DiskFile[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  /** A segment is being made ahead of need (see maybePrepareNextSegment). */
  private preparing = false;
  private failure: KeelError | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly floors = new Map<string, Lsn>();
  private localAppendsRefused: string | null = null;
  private readonly counters = { records: 0, bytes: 0, syncRounds: 0, flushWaits: 0 };
  private readonly segments: WalSegments;
  private readonly logger: Logger;
  private readonly faults: FaultPoints;
  /** Insert position that fires `volumeCallback` (Infinity: nobody is watching). */
  private volumeMark = Number.POSITIVE_INFINITY;
  private volumeCallback: (() => void) | null = null;

  constructor(options: WalOptions) {
    this.segments = options.segments;
    this.logger = options.logger;
    this.faults = options.faults;
    this.insert = options.startLsn;
    this.written = options.startLsn;
    this.flushed = options.startLsn;
    this.term = options.term;
    if (options.writerDelayMs > 0) {
      this.timer = setInterval(() => this.tick(), options.writerDelayMs);
      this.timer.unref();
    }
  }

  get insertLsn(): Lsn {
    return this.insert as Lsn;
  }

  get writtenLsn(): Lsn {
    return this.written as Lsn;
  }

  get flushedLsn(): Lsn {
    return this.flushed as Lsn;
  }

  get segmentBytes(): number {
    return this.segments.segmentBytes;
  }

  get currentTerm(): number {
    return this.term;
  }

  /** The cluster term stamped on every record appended from now on. */
  setTerm(term: number): void {
    assert(Number.isSafeInteger(term) && term >= this.term, 'term must not go back');
    this.term = term;
  }

  /**
   * On a hot standby the WAL is the primary's, byte for byte: local appends are refused (a bug
   * that wrote there would fork the node's WAL from its primary's). null allows them again.
   */
  refuseLocalAppends(reason: string | null): void {
    this.localAppendsRefused = reason;
  }

  /** Appends a record; returns its end LSN (flush to it to make the record durable). */
  append(rec: WalRecordInput): Lsn {
    this.throwIfFailed();
    if (this.localAppendsRefused !== null) {
      throw new KeelError(SqlState.ReadOnlySqlTransaction, `cannot write WAL: ${this.localAppendsRefused}`);
    }
    const length = WAL_RECORD_HEADER_SIZE + rec.payload.length;
    this.reserve(length);
    encodeRecord(this.buf, this.bufLen, this.insert as Lsn, this.term, rec);
    this.bufLen += length;
    this.insert += length;
    this.counters.records++;
    this.counters.bytes += length;
    if (this.insert >= this.volumeMark) this.volumeCrossed();
    return this.insert as Lsn;
  }

  /**
   * Calls `callback` once, on a later turn of the event loop, when the insert position reaches
   * `mark` (the checkpointer's WAL-volume trigger). Checked on every append rather than on the
   * background tick, so it works with the tick off; deferred because append runs inside a
   * mini-transaction, where a checkpoint must not start. A new call replaces the old watch.
   */
  watchVolume(mark: Lsn, callback: () => void): void {
    this.volumeMark = mark;
    this.volumeCallback = callback;
    if (this.insert >= mark) this.volumeCrossed();
  }

  /** Stops watching the WAL volume. */
  unwatchVolume(): void {
    this.volumeMark = Number.POSITIVE_INFINITY;
    this.volumeCallback = null;
  }

  private volumeCrossed(): void {
    this.volumeMark = Number.POSITIVE_INFINITY;
    const callback = this.volumeCallback;
    if (callback) setImmediate(callback);
  }

  /**
   * Appends framed records received from a primary at `lsn`, which must be this WAL's insert
   * position; they are kept byte for byte (their LSNs and terms are the primary's).
   */
  appendReceived(raw: Buffer, lsn: Lsn): Lsn {
    this.throwIfFailed();
    assert(lsn === this.insert, `received WAL at ${lsn} but insert position is ${this.insert}`);
    for (let off = 0; off < raw.length; ) {
      const length = raw.readUInt32LE(off);
      const check = checkRecord(raw.subarray(off, off + length), (lsn + off) as Lsn);
      if (check !== 'ok' || length < WAL_RECORD_HEADER_SIZE) {
        throw new KeelError(
          SqlState.DataCorrupted,
          `received WAL record at ${lsn + off} is invalid: ${check}`,
        );
      }
      off += length;
    }
    this.reserve(raw.length);
    raw.copy(this.buf, this.bufLen);
    this.bufLen += raw.length;
    this.insert += raw.length;
    if (this.insert >= this.volumeMark) this.volumeCrossed();
    return this.insert as Lsn;
  }

  /** Resolves once the WAL is durable up to `upTo` (default: everything appended so far). */
  flush(upTo: Lsn = this.insert as Lsn): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (upTo <= this.flushed) return resolved;
    assert(upTo <= this.insert, 'flush beyond the insert position');
    this.counters.flushWaits++;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ lsn: upTo, resolve, reject }));
    if (!this.flushing) void this.flushLoop();
    return done;
  }

  /**
   * Flushes on the calling thread. Only the buffer pool's eviction of a page whose WAL is not
   * yet durable uses it (the background writer makes that rare).
   */
  flushBlocking(upTo: Lsn): void {
    this.throwIfFailed();
    if (upTo <= this.flushed) return;
    const target = this.insert;
    this.writeOut();
    try {
      for (const file of new Set([...this.unsynced, ...this.inflight])) file.datasyncBlocking();
      // A segment created by this writeOut (or just before) must be findable after a power
      // loss before the page that needs its records reaches disk.
      this.segments.syncDirBlocking();
    } catch (err) {
      throw this.fail(err);
    }
    this.unsynced.clear();
    this.counters.syncRounds++;
    this.flushed = Math.max(this.flushed, target);
    this.wakeWaiters();
  }

  /** Holds WAL from `lsn` on for a named consumer (replication slot); null releases it. */
  setRetentionFloor(name: string, lsn: Lsn | null): void {
    if (lsn === null) this.floors.delete(name);
    else this.floors.set(name, lsn);
  }

  /** The lowest retention floor, or null when none is set. */
  retentionFloor(): Lsn | null {
    let min: number | null = null;
    for (const lsn of this.floors.values()) min = min === null ? lsn : Math.min(min, lsn);
    return min as Lsn | null;
  }

  /** Removes or recycles segments wholly before `lsn` and every retention floor. */
  retireSegments(lsn: Lsn, keepRecycled: number): number {
    const floor = this.retentionFloor();
    const limit = floor === null ? lsn : Math.min(lsn, floor);
    const current = this.segments.segmentOf(this.written);
    for (const [segNo, file] of this.writeFiles) {
      if (segNo < current && !this.unsynced.has(file) && !this.inflight.includes(file)) {
        file.close();
        this.writeFiles.delete(segNo);
      }
    }
    return this.segments.retire(limit as Lsn, current, keepRecycled);
  }

  stats(): WalStats {
    return {
      insertLsn: this.insertLsn,
      writtenLsn: this.writtenLsn,
      flushedLsn: this.flushedLsn,
      ...this.counters,
    };
  }

  /** Flushes everything and closes the segment files. */
  async close(): Promise<void> {
    this.stopTimer();
    await this.flush();
    for (const file of this.writeFiles.values()) file.close();
    this.writeFiles.clear();
  }

  /** Drops everything without writing (simulated crash in tests). */
  abandon(): void {
    this.stopTimer();
    this.failure ??= new KeelError(SqlState.AdminShutdown, 'WAL abandoned', { severity: 'PANIC' });
    for (const file of this.writeFiles.values()) file.close();
    this.writeFiles.clear();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (this.failure) return;
    if (this.insert > this.flushed && !this.flushing) {
      this.flush().catch((err) => this.logger.error({ err }, 'background WAL flush failed'));
    }
    this.maybePrepareNextSegment();
  }

  /**
   * Makes the next segment once the current one is half used, off the commit path and off the
   * event loop (zero-filling 16 MiB synchronously stalled every session for a moment).
   */
  private maybePrepareNextSegment(): void {
    const segBytes = this.segments.segmentBytes;
    const next = this.segments.segmentOf(this.insert) + 1;
    if (this.insert % segBytes < segBytes / 2 || this.preparing || this.writeFiles.has(next)) return;
    if (this.segments.isReady(next)) return; // recycled, or prepared already
    this.preparing = true;
    this.segments
      .prepare(next)
      .catch((err) => this.fail(err))
      .finally(() => {
        this.preparing = false;
      });
  }

  private reserve(length: number): void {
    if (this.bufLen + length <= this.buf.length) return;
    if (this.bufLen > 0) this.writeOut();
    if (length <= this.buf.length) return;
    let size = this.buf.length;
    while (size < length) size *= 2;
    this.buf = Buffer.alloc(size);
  }

  /** Writes the buffered bytes to their segment files (no sync). */
  private writeOut(): void {
    const segBytes = this.segments.segmentBytes;
    let off = 0;
    while (off < this.bufLen) {
      const pos = this.written + off;
      const segNo = this.segments.segmentOf(pos);
      const file = this.fileFor(segNo);
      const chunk = Math.min(this.bufLen - off, (segNo + 1) * segBytes - pos);
      file.write(this.buf.subarray(off, off + chunk), pos - segNo * segBytes);
      this.unsynced.add(file);
      off += chunk;
    }
    this.written += this.bufLen;
    this.bufLen = 0;
  }

  private fileFor(segNo: number): DiskFile {
    let file = this.writeFiles.get(segNo);
    if (!file) {
      file = this.segments.openForWrite(segNo);
      this.writeFiles.set(segNo, file);
    }
    return file;
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiters.length > 0 && !this.failure) {
        const target = this.insert;
        this.writeOut();
        if (this.faults.reached('wal-after-write-before-fsync'))
          this.faults.crash('wal-after-write-before-fsync');
        this.inflight = [...this.unsynced];
        this.unsynced.clear();
        await Promise.all(this.inflight.map((file) => file.datasync()));
        await this.segments.syncDir();
        this.inflight = [];
        this.counters.syncRounds++;
        this.flushed = Math.max(this.flushed, target);
        if (this.faults.reached('wal-after-fsync')) this.faults.crash('wal-after-fsync');
        this.wakeWaiters();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.flushing = false;
    }
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const pending: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.lsn <= this.flushed) waiter.resolve();
      else pending.push(waiter);
    }
    this.waiters = pending;
  }

  private fail(err: unknown): KeelError {
    if (!this.failure) {
      this.failure = new KeelError(SqlState.IoError, 'could not flush the write-ahead log', {
        cause: err,
        severity: 'PANIC',
      });
      this.logger.error({ err }, 'WAL flush failed; the server must restart and recover');
    }
    for (const waiter of this.waiters) waiter.reject(this.failure);
    this.waiters = [];
    return this.failure;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
