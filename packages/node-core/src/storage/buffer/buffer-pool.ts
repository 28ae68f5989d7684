/**
 * Buffer pool: caches relation pages in memory frames. Access rules (after PostgreSQL's
 * storage/buffer/README, simplified by the single-threaded event loop: no content locks):
 *
 *  1. Pin a page before looking at it, unpin it when done; never hold a pin across an await.
 *  2. Change page bytes only inside a mini-transaction, which logs the change and marks the
 *     frame dirty with the record's LSN before anything else can run.
 *  3. A pinned frame is never evicted; when every frame is pinned a pin fails with 53200.
 *  4. A dirty page is written only after the WAL is durable up to its LSN (WAL-before-data).
 *     Eviction prefers frames the policy offers; if the victim's WAL is not durable yet it is
 *     flushed on the spot (blocking; the background writer keeps this rare).
 *  5. Every page read from disk has its checksum verified; a bad page is never cached.
 *
 * Exports: BufferPool, BufferPoolOptions, BufferPoolStats, WalGate.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { RelationFiles } from '../file/relation-files.js';
import { type Lsn, type PageNo, pageKey, type RelFileId } from '../ids.js';
import { pageIsValid, setPageChecksum, verifyPage } from '../page/page-checksum.js';
import { PAGE_SIZE } from '../page/page-layout.js';
import { Frame } from './frame.js';
import {
  createReplacementPolicy,
  type EvictionPolicyName,
  type ReplacementPolicy,
} from './replacement-policy.js';

/** What the pool needs from the WAL to obey WAL-before-data. */
export interface WalGate {
  readonly flushedLsn: Lsn;
  flushBlocking(lsn: Lsn): void;
}

export interface BufferPoolOptions {
  bytes: number;
  policy: EvictionPolicyName;
  files: RelationFiles;
  wal: WalGate;
}

export interface BufferPoolStats {
  frames: number;
  used: number;
  dirty: number;
  pinned: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Pages written by eviction (a dirty victim). */
  evictionWrites: number;
  /** All page writes (eviction, background writer, checkpoint). */
  writes: number;
  readAheadPages: number;
  /** Evictions that had to flush WAL on the spot. */
  blockingWalFlushes: number;
}

/** Memory is allocated in chunks so huge pools do not need one giant ArrayBuffer. */
const CHUNK_BYTES = 64 * 1024 * 1024;
const MAX_READ_AHEAD = 64;

export class BufferPool {
  wal: WalGate;
  readonly policy: ReplacementPolicy;
  private readonly frames: Frame[] = [];
  private readonly table = new Map<number, Frame>();
  private readonly free: number[] = [];
  private readonly files: RelationFiles;
  private readonly readAheadBuf = Buffer.alloc(MAX_READ_AHEAD * PAGE_SIZE);
  private readonly counters = {
    hits: 0,
    misses: 0,
    evictions: 0,
    evictionWrites: 0,
    writes: 0,
    readAheadPages: 0,
    blockingWalFlushes: 0,
  };
  private readonly canEvict = (f: number): boolean => this.frames[f]?.pinCount === 0;

  constructor(options: BufferPoolOptions) {
    const count = Math.max(8, Math.floor(options.bytes / PAGE_SIZE));
    const perChunk = CHUNK_BYTES / PAGE_SIZE;
    for (let start = 0; start < count; start += perChunk) {
      const n = Math.min(perChunk, count - start);
      const memory = new ArrayBuffer(n * PAGE_SIZE);
      for (let i = 0; i < n; i++) {
        this.frames.push(new Frame(start + i, Buffer.from(memory, i * PAGE_SIZE, PAGE_SIZE)));
      }
    }
    for (let f = count - 1; f >= 0; f--) this.free.push(f);
    this.files = options.files;
    this.wal = options.wal;
    this.policy = createReplacementPolicy(options.policy, count);
  }

  get frameCount(): number {
    return this.frames.length;
  }

  /**
   * Pins a page, reading it on a miss. `readAhead` > 1 reads that many following pages in the
   * same system call and caches them unpinned (sequential scans ask for it).
   */
  pin(rel: RelFileId, pageNo: PageNo, readAhead = 0): Frame {
    const key = pageKey(rel, pageNo);
    const hit = this.table.get(key);
    if (hit) {
      hit.pinCount++;
      this.counters.hits++;
      this.reference(hit);
      return hit;
    }
    this.counters.misses++;
    const count = Math.min(readAhead, MAX_READ_AHEAD, this.files.nblocks(rel) - pageNo);
    const frame = this.takeFrame(key);
    try {
      if (count > 1) this.readWithReadAhead(frame, rel, pageNo, count);
      else this.readInto(frame, rel, pageNo);
    } catch (err) {
      this.free.push(frame.id);
      throw err;
    }
    this.install(frame, rel, pageNo, key);
    frame.pinCount = 1;
    return frame;
  }

  /**
   * Pins a page without reading it: the caller is about to overwrite all of it (a newly
   * extended page, or a full-page image in redo). Its bytes are zero when not already cached.
   */
  pinForOverwrite(rel: RelFileId, pageNo: PageNo): Frame {
    const key = pageKey(rel, pageNo);
    const hit = this.table.get(key);
    if (hit) {
      hit.pinCount++;
      this.reference(hit);
      return hit;
    }
    const frame = this.takeFrame(key);
    frame.page.fill(0);
    this.install(frame, rel, pageNo, key);
    frame.pinCount = 1;
    return frame;
  }

  unpin(frame: Frame): void {
    if (frame.pinCount <= 0) throw new KeelError(SqlState.InternalError, 'unpin of an unpinned buffer');
    frame.pinCount--;
  }

  /** Called by the mini-transaction after it logged a change to the page. */
  markDirty(frame: Frame): void {
    frame.dirty = true;
  }

  /** Whether a page is cached (for tests and read-ahead decisions). */
  isCached(rel: RelFileId, pageNo: PageNo): boolean {
    return this.table.has(pageKey(rel, pageNo));
  }

  /** Writes a dirty frame, flushing WAL first when its LSN is not yet durable. */
  writeFrame(frame: Frame): void {
    if (frame.lsn > this.wal.flushedLsn) {
      this.counters.blockingWalFlushes++;
      this.wal.flushBlocking(frame.lsn);
    }
    setPageChecksum(frame.page, frame.rel, frame.pageNo);
    this.files.writePage(frame.rel, frame.pageNo, frame.page);
    frame.dirty = false;
    this.counters.writes++;
  }

  /** The frames dirty now (a checkpoint's to-do list). */
  dirtyFrames(): Frame[] {
    return this.frames.filter((f) => f.dirty);
  }

  /** Up to `limit` frames in the policy's eviction order (the background writer's view). */
  evictionCandidates(limit: number): Frame[] {
    const out: Frame[] = [];
    for (const f of this.policy.evictionOrder(limit)) {
      const frame = this.frames[f];
      if (frame) out.push(frame);
    }
    return out;
  }

  /** Forgets the cached pages of a relation from `fromPage` on, without writing them. */
  dropRelation(rel: RelFileId, fromPage: PageNo = 0): void {
    for (const frame of this.frames) {
      if (frame.key < 0 || frame.rel !== rel || frame.pageNo < fromPage) continue;
      if (frame.pinCount > 0) {
        throw new KeelError(
          SqlState.ObjectInUse,
          `page ${frame.pageNo} of relation file base/${rel} is in use`,
        );
      }
      this.table.delete(frame.key);
      this.policy.forget(frame.id);
      frame.key = -1;
      frame.dirty = false;
      this.free.push(frame.id);
    }
  }

  stats(): BufferPoolStats {
    let dirty = 0;
    let pinned = 0;
    for (const frame of this.frames) {
      if (frame.dirty) dirty++;
      if (frame.pinCount > 0) pinned++;
    }
    return { frames: this.frames.length, used: this.table.size, dirty, pinned, ...this.counters };
  }

  private readInto(frame: Frame, rel: RelFileId, pageNo: PageNo): void {
    this.files.readPages(rel, pageNo, 1, frame.page);
    verifyPage(frame.page, rel, pageNo, this.files.get(rel).name);
  }

  private readWithReadAhead(frame: Frame, rel: RelFileId, pageNo: PageNo, count: number): void {
    // Decide which pages to install before reading: a page cached now may be evicted (and
    // written) while frames are taken below, and then its bytes in the read buffer are stale.
    const wanted: number[] = [];
    for (let i = 1; i < count; i++) if (!this.table.has(pageKey(rel, pageNo + i))) wanted.push(i);
    const buf = this.readAheadBuf;
    this.files.readPages(rel, pageNo, count, buf);
    buf.copy(frame.page, 0, 0, PAGE_SIZE);
    verifyPage(frame.page, rel, pageNo, this.files.get(rel).name);
    frame.pinCount = 1; // hold it while the others take frames
    for (const i of wanted) {
      const key = pageKey(rel, pageNo + i);
      const page = buf.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      if (!pageIsValid(page, rel, pageNo + i)) continue;
      const extra = this.takeFrameOrNull(key);
      if (!extra) break;
      page.copy(extra.page);
      this.install(extra, rel, pageNo + i, key);
      extra.prefetched = true;
      this.counters.readAheadPages++;
    }
    frame.pinCount = 0;
  }

  /** A pin of a resident page: a re-reference for the policy, unless it was only read ahead. */
  private reference(frame: Frame): void {
    if (frame.prefetched) frame.prefetched = false;
    else this.policy.touch(frame.id);
  }

  private install(frame: Frame, rel: RelFileId, pageNo: PageNo, key: number): void {
    frame.rel = rel;
    frame.pageNo = pageNo;
    frame.key = key;
    frame.dirty = false;
    frame.prefetched = false;
    frame.pinCount = 0;
    this.table.set(key, frame);
    this.policy.admit(frame.id, key);
  }

  private takeFrame(incomingKey: number): Frame {
    const frame = this.takeFrameOrNull(incomingKey);
    if (!frame) {
      throw new KeelError(SqlState.OutOfMemory, 'no unpinned buffers available', {
        hint: `all ${this.frames.length} buffer pool frames are pinned; raise --buffer-pool-mb`,
      });
    }
    return frame;
  }

  private takeFrameOrNull(incomingKey: number): Frame | null {
    const freeId = this.free.pop();
    if (freeId !== undefined) return this.frames[freeId] ?? null;
    const victimId = this.policy.evict(incomingKey, this.canEvict);
    const victim = victimId >= 0 ? this.frames[victimId] : undefined;
    if (!victim) return null;
    if (victim.dirty) {
      try {
        this.writeFrame(victim);
      } catch (err) {
        this.policy.admit(victim.id, victim.key);
        throw err;
      }
      this.counters.evictionWrites++;
    }
    this.table.delete(victim.key);
    victim.key = -1;
    this.counters.evictions++;
    return victim;
  }
}
