/**
 * Mini-transaction: the unit of atomic, logged page change. Code that changes pages calls
 * `modify(frame)` before touching a page (the mtr keeps a pin and a before-image), changes the
 * bytes, and calls `commit(xid)`: one WAL record then describes every touched page, as a
 * full-page image when the page was last logged before the current checkpoint's redo point
 * (so a page torn on disk is always rebuilt from the log) and as a byte-range delta otherwise.
 * The record's end LSN becomes every touched page's LSN and the frames turn dirty.
 *
 * An mtr runs synchronously from first modify to commit: with no await in between, no other
 * code can see a page changed but not logged. `abort()` puts the before-images back (used when
 * a step fails after modifying, e.g. a B-tree split that runs out of frames).
 * Exports: MiniTransaction, MtrContext.
 */
import { assert } from '@keel/errors';
import type { Wal } from '../../wal/wal.js';
import { PageInfo, RmgrId } from '../../wal/wal-record.js';
import type { BufferPool } from '../buffer/buffer-pool.js';
import type { Frame } from '../buffer/frame.js';
import { InvalidXid, type Lsn, type Xid } from '../ids.js';
import { PAGE_SIZE, setPageLsn } from '../page/page-layout.js';
import { encodeDelta, encodeFullImage, MAX_BLOCK_BYTES } from './page-delta.js';

/** What mini-transactions share: the WAL, the pool, and the current redo point. */
export interface MtrContext {
  wal: Wal;
  pool: BufferPool;
  /** Redo LSN of the latest checkpoint (started): pages last logged at or before it get a full image. */
  redoLsn: Lsn;
}

export type LogAs = 'delta' | 'full-image';

export class MiniTransaction {
  private readonly frames: Frame[] = [];
  private readonly befores: Buffer[] = [];
  private readonly fullImage: boolean[] = [];
  private readonly spare: Buffer[] = [];
  private record = Buffer.alloc(4 * MAX_BLOCK_BYTES);
  private active = false;

  constructor(private readonly ctx: MtrContext) {}

  /** Starts the mtr; there is one per engine and mtrs do not nest. */
  begin(): this {
    assert(!this.active, 'mini-transactions do not nest');
    this.active = true;
    return this;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Registers a page about to change and returns its bytes. */
  modify(frame: Frame, logAs: LogAs = 'delta'): Buffer {
    assert(this.active, 'modify outside a mini-transaction');
    const index = this.frames.indexOf(frame);
    if (index >= 0) {
      if (logAs === 'full-image') this.fullImage[index] = true;
      return frame.page;
    }
    frame.pinCount++;
    const before = this.spare.pop() ?? Buffer.alloc(PAGE_SIZE);
    frame.page.copy(before);
    this.frames.push(frame);
    this.befores.push(before);
    this.fullImage.push(logAs === 'full-image' || frame.lsn <= this.ctx.redoLsn);
    return frame.page;
  }

  /** Logs all changes as one record; returns its end LSN (the insert LSN when nothing changed). */
  commit(xid: Xid = InvalidXid): Lsn {
    assert(this.active, 'commit outside a mini-transaction');
    this.ensureRecordCapacity(2 + this.frames.length * MAX_BLOCK_BYTES);
    let pos = 2;
    let blocks = 0;
    const logged: Frame[] = [];
    for (let i = 0; i < this.frames.length; i++) {
      const frame = this.frames[i];
      const before = this.befores[i];
      if (!frame || !before) continue;
      const at = pos;
      pos = this.fullImage[i]
        ? encodeFullImage(this.record, pos, frame.rel, frame.pageNo, frame.page)
        : encodeDelta(this.record, pos, frame.rel, frame.pageNo, before, frame.page);
      if (pos === at) continue;
      blocks++;
      logged.push(frame);
    }
    let lsn = this.ctx.wal.insertLsn;
    if (blocks > 0) {
      this.record.writeUInt16LE(blocks, 0);
      const payload = this.record.subarray(0, pos);
      try {
        lsn = this.ctx.wal.append({ rmgr: RmgrId.Page, info: PageInfo.Mtr, xid, payload });
      } catch (err) {
        this.abort();
        throw err;
      }
      for (const frame of logged) {
        setPageLsn(frame.page, lsn);
        this.ctx.pool.markDirty(frame);
      }
    }
    this.finish();
    return lsn;
  }

  /** Undoes every change made since begin and ends the mtr without logging. */
  abort(): void {
    if (!this.active) return;
    for (let i = 0; i < this.frames.length; i++)
      this.befores[i]?.copy(this.frames[i]?.page ?? Buffer.alloc(0));
    this.finish();
  }

  private finish(): void {
    for (const frame of this.frames) this.ctx.pool.unpin(frame);
    for (const before of this.befores) if (this.spare.length < 16) this.spare.push(before);
    this.frames.length = 0;
    this.befores.length = 0;
    this.fullImage.length = 0;
    this.active = false;
  }

  private ensureRecordCapacity(bytes: number): void {
    if (this.record.length < bytes) this.record = Buffer.alloc(bytes);
  }
}
