/**
 * HeapFile: a table's tuples in slotted heap pages, reached through the buffer pool, every
 * change a mini-transaction. A tuple keeps its tid (page, slot) for life; a slot is reused only
 * after `prune` freed it, so VACUUM must remove index entries pointing at the dead tuples
 * before pruning them (bulkDelete with the same dead set, then prune): otherwise an old index
 * entry could reach a new, unrelated tuple. Inserts go to the page of the last insert, then to
 * a page the free space map offers, then to a new page.
 *
 * Scans copy each page's tuples out and unpin before returning, so no pin outlives a call;
 * scanning consecutive pages reads ahead. Tuples larger than a page raise 54000 (there is no
 * TOAST).
 * Exports: HeapFile, HeapTuple, InsertHeader, PruneResult, MAX_HEAP_TUPLE_DATA.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { BufferPool } from '../buffer/buffer-pool.js';
import type { Frame } from '../buffer/frame.js';
import type { RelationFiles } from '../file/relation-files.js';
import {
  InvalidTid,
  InvalidXid,
  makeTid,
  type PageNo,
  type RelFileId,
  type Tid,
  tidPage,
  tidSlot,
  type Xid,
} from '../ids.js';
import type { MiniTransaction } from '../mtr/mini-transaction.js';
import {
  initPage,
  OFF_FLAGS,
  PAGE_HEADER_SIZE,
  PAGE_SIZE,
  PageKind,
  pageKind,
  SLOT_SIZE,
} from '../page/page-layout.js';
import {
  compactPage,
  firstFreeSlot,
  freeItemSlot,
  itemLength,
  itemOffset,
  pageFreeSpace,
  placeItemInFreeSlot,
  slotCount,
} from '../page/slotted-page.js';
import type { FreeSpaceMap } from './free-space-map.js';
import {
  HEAP_TUPLE_HEADER_SIZE,
  type HeaderPatch,
  patchTupleHeader,
  readTupleHeader,
  type TupleHeader,
  writeTupleHeader,
} from './heap-tuple.js';

/** Largest row (bytes after the tuple header) that fits one page. */
export const MAX_HEAP_TUPLE_DATA = PAGE_SIZE - PAGE_HEADER_SIZE - SLOT_SIZE - HEAP_TUPLE_HEADER_SIZE;
/** Page flag: some slot below the last one is unused. */
const HAS_FREE_SLOTS = 0x01;
const SCAN_READ_AHEAD = 16;

export interface HeapTuple {
  tid: Tid;
  header: TupleHeader;
  data: Buffer;
}

export interface InsertHeader {
  xmin: Xid;
  cid: number;
  infomask?: number;
  xmax?: Xid;
}

export interface PruneResult {
  /** Tuples removed. */
  freed: number;
  /** Free bytes on the page afterwards. */
  freeBytes: number;
}

export interface HeapContext {
  pool: BufferPool;
  files: RelationFiles;
  mtr(): MiniTransaction;
}

export class HeapFile {
  private targetPage = -1;
  private lastScanned = -2;

  constructor(
    readonly rel: RelFileId,
    private readonly ctx: HeapContext,
    readonly fsm: FreeSpaceMap,
  ) {}

  /** Pages in the relation (some may be empty). */
  pageCount(): number {
    return this.ctx.files.nblocks(this.rel);
  }

  insert(data: Uint8Array, header: InsertHeader): Tid {
    const need = this.checkSize(data.length);
    const frame = this.pinPageWithSpace(need);
    const mtr = this.ctx.mtr().begin();
    try {
      const page = mtr.modify(frame);
      if (pageKind(page) !== PageKind.Heap) initPage(page, PageKind.Heap, 0);
      const tid = this.placeTuple(page, frame.pageNo, data, header);
      mtr.commit(header.xmin);
      this.noteFree(frame);
      return tid;
    } catch (err) {
      mtr.abort();
      throw err;
    } finally {
      this.ctx.pool.unpin(frame);
    }
  }

  /**
   * Inserts the new version and patches the old one (typically xmax, infomask UPDATED, next =
   * the new tid, which the patch may leave out: it is set here) in one mini-transaction.
   */
  update(oldTid: Tid, oldPatch: HeaderPatch, data: Uint8Array, header: InsertHeader): Tid {
    const need = this.checkSize(data.length);
    const oldFrame = this.pinTuplePage(oldTid);
    let newFrame: Frame | null = null;
    const mtr = this.ctx.mtr().begin();
    try {
      const oldPage = mtr.modify(oldFrame);
      const oldOffset = this.tupleOffset(oldPage, oldTid);
      newFrame = this.pinPageWithSpace(need);
      const page = mtr.modify(newFrame);
      if (pageKind(page) !== PageKind.Heap) initPage(page, PageKind.Heap, 0);
      const tid = this.placeTuple(page, newFrame.pageNo, data, header);
      patchTupleHeader(oldPage, oldOffset, { next: tid, ...oldPatch });
      mtr.commit(header.xmin);
      this.noteFree(newFrame);
      return tid;
    } catch (err) {
      mtr.abort();
      throw err;
    } finally {
      this.ctx.pool.unpin(oldFrame);
      if (newFrame) this.ctx.pool.unpin(newFrame);
    }
  }

  /** The tuple at `tid` (copied), or null when the slot is empty or out of range. */
  fetch(tid: Tid): HeapTuple | null {
    return this.withTuple(tid, (page, offset, length) => ({
      tid,
      header: readTupleHeader(page, offset),
      data: Buffer.from(page.subarray(offset + HEAP_TUPLE_HEADER_SIZE, offset + length)),
    }));
  }

  fetchHeader(tid: Tid): TupleHeader | null {
    return this.withTuple(tid, (page, offset) => readTupleHeader(page, offset));
  }

  /** Changes header fields of a tuple (WAL-logged); `xid` is recorded on the WAL record. */
  setHeader(tid: Tid, patch: HeaderPatch, xid: Xid = patch.xmax ?? InvalidXid): void {
    const frame = this.pinTuplePage(tid);
    const mtr = this.ctx.mtr().begin();
    try {
      const page = mtr.modify(frame);
      patchTupleHeader(page, this.tupleOffset(page, tid), patch);
      mtr.commit(xid);
    } catch (err) {
      mtr.abort();
      throw err;
    } finally {
      this.ctx.pool.unpin(frame);
    }
  }

  /** Copies out every tuple of a page; consecutive calls read ahead. */
  scanPage(pageNo: PageNo, options: { readAhead?: number } = {}): HeapTuple[] {
    if (pageNo >= this.pageCount()) return [];
    const readAhead = options.readAhead ?? (pageNo === this.lastScanned + 1 ? SCAN_READ_AHEAD : 0);
    this.lastScanned = pageNo;
    const frame = this.ctx.pool.pin(this.rel, pageNo, readAhead);
    try {
      if (pageKind(frame.page) !== PageKind.Heap) return [];
      const copy = Buffer.from(frame.page);
      const out: HeapTuple[] = [];
      const count = slotCount(copy);
      for (let slot = 1; slot <= count; slot++) {
        const offset = itemOffset(copy, slot);
        if (offset === 0) continue;
        out.push({
          tid: makeTid(pageNo, slot),
          header: readTupleHeader(copy, offset),
          data: copy.subarray(offset + HEAP_TUPLE_HEADER_SIZE, offset + itemLength(copy, slot)),
        });
      }
      return out;
    } finally {
      this.ctx.pool.unpin(frame);
    }
  }

  /**
   * VACUUM: removes the tuples `isDead` accepts from a page, frees their slots for reuse and
   * compacts the page. Remove their index entries first (see the file comment).
   */
  prune(pageNo: PageNo, isDead: (tid: Tid, header: TupleHeader) => boolean): PruneResult {
    if (pageNo >= this.pageCount()) return { freed: 0, freeBytes: 0 };
    const frame = this.ctx.pool.pin(this.rel, pageNo);
    try {
      const page = frame.page;
      if (pageKind(page) !== PageKind.Heap) return { freed: 0, freeBytes: 0 };
      const dead: number[] = [];
      const count = slotCount(page);
      for (let slot = 1; slot <= count; slot++) {
        const offset = itemOffset(page, slot);
        if (offset !== 0 && isDead(makeTid(pageNo, slot), readTupleHeader(page, offset))) dead.push(slot);
      }
      if (dead.length > 0) this.removeSlots(frame, dead);
      this.noteFree(frame);
      return { freed: dead.length, freeBytes: pageFreeSpace(frame.page) };
    } finally {
      this.ctx.pool.unpin(frame);
    }
  }

  private removeSlots(frame: Frame, slots: number[]): void {
    const mtr = this.ctx.mtr().begin();
    try {
      const page = mtr.modify(frame);
      for (const slot of slots) freeItemSlot(page, slot);
      compactPage(page);
      if (firstFreeSlot(page) <= slotCount(page)) page[OFF_FLAGS] = (page[OFF_FLAGS] ?? 0) | HAS_FREE_SLOTS;
      mtr.commit();
    } catch (err) {
      mtr.abort();
      throw err;
    }
  }

  private checkSize(length: number): number {
    if (length > MAX_HEAP_TUPLE_DATA) {
      throw new KeelError(
        SqlState.ProgramLimitExceeded,
        `row is too big: size ${length}, maximum size ${MAX_HEAP_TUPLE_DATA}`,
        {
          hint: 'rows larger than one 8 KiB page are not supported (no TOAST)',
        },
      );
    }
    return HEAP_TUPLE_HEADER_SIZE + length;
  }

  /** Writes a tuple into a page that has room; returns its tid. */
  private placeTuple(page: Buffer, pageNo: PageNo, data: Uint8Array, header: InsertHeader): Tid {
    const hasFree = ((page[OFF_FLAGS] ?? 0) & HAS_FREE_SLOTS) !== 0;
    const slot = hasFree ? firstFreeSlot(page) : slotCount(page) + 1;
    if (hasFree && slot > slotCount(page)) page[OFF_FLAGS] = (page[OFF_FLAGS] ?? 0) & ~HAS_FREE_SLOTS;
    const offset = placeItemInFreeSlot(page, slot, HEAP_TUPLE_HEADER_SIZE + data.length);
    writeTupleHeader(page, offset, {
      xmin: header.xmin,
      xmax: header.xmax ?? InvalidXid,
      cid: header.cid,
      infomask: header.infomask ?? 0,
      next: InvalidTid,
    });
    page.set(data, offset + HEAP_TUPLE_HEADER_SIZE);
    return makeTid(pageNo, slot);
  }

  /** Free bytes an insert can use on a page (counting a new slot when no free one exists). */
  private usableSpace(page: Buffer): number {
    if (pageKind(page) !== PageKind.Heap) return PAGE_SIZE - PAGE_HEADER_SIZE - SLOT_SIZE;
    const hasFree = ((page[OFF_FLAGS] ?? 0) & HAS_FREE_SLOTS) !== 0;
    return pageFreeSpace(page) - (hasFree ? 0 : SLOT_SIZE);
  }

  /** Pins a page with `need` usable bytes: the last insert's page, an FSM page, or a new page. */
  private pinPageWithSpace(need: number): Frame {
    const pages = this.pageCount();
    const candidates =
      this.targetPage >= 0 && this.targetPage < pages ? [this.targetPage] : pages > 0 ? [pages - 1] : [];
    for (let attempt = 0; attempt < 1000; attempt++) {
      const pageNo = candidates.pop() ?? this.fsm.find(need + SLOT_SIZE);
      if (pageNo < 0 || pageNo >= pages) break;
      const frame = this.ctx.pool.pin(this.rel, pageNo);
      const space = this.usableSpace(frame.page);
      if (space >= need) {
        this.targetPage = pageNo;
        return frame;
      }
      this.fsm.set(pageNo, Math.max(0, space));
      this.ctx.pool.unpin(frame);
    }
    const pageNo = this.ctx.files.extend(this.rel);
    this.targetPage = pageNo;
    return this.ctx.pool.pinForOverwrite(this.rel, pageNo);
  }

  private noteFree(frame: Frame): void {
    this.fsm.set(frame.pageNo, Math.max(0, this.usableSpace(frame.page)));
  }

  private pinTuplePage(tid: Tid): Frame {
    const pageNo = tidPage(tid);
    assert(pageNo < this.pageCount(), `tid ${tid} beyond the end of relation ${this.rel}`);
    return this.ctx.pool.pin(this.rel, pageNo);
  }

  private tupleOffset(page: Buffer, tid: Tid): number {
    const slot = tidSlot(tid);
    const offset =
      pageKind(page) === PageKind.Heap && slot >= 1 && slot <= slotCount(page) ? itemOffset(page, slot) : 0;
    assert(offset !== 0, `no tuple at tid ${tid} of relation ${this.rel}`);
    return offset;
  }

  private withTuple<T>(tid: Tid, read: (page: Buffer, offset: number, length: number) => T): T | null {
    const pageNo = tidPage(tid);
    const slot = tidSlot(tid);
    if (pageNo >= this.pageCount() || slot < 1) return null;
    const frame = this.ctx.pool.pin(this.rel, pageNo);
    try {
      const page = frame.page;
      if (pageKind(page) !== PageKind.Heap || slot > slotCount(page)) return null;
      const offset = itemOffset(page, slot);
      return offset === 0 ? null : read(page, offset, itemLength(page, slot));
    } finally {
      this.ctx.pool.unpin(frame);
    }
  }
}
