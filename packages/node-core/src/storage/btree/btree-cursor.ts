/**
 * BTreeCursor: a range scan over a B-tree, forward or backward, returned in batches of copied
 * entries (one leaf's worth), so no pin is held between batches and the caller may insert and
 * delete between them. The cursor remembers the leaf, the leaf's LSN and the position; when
 * the leaf's LSN has moved, it re-finds its place from the root by the last (key, tid) it
 * returned, so every entry present throughout the scan is returned exactly once, in order.
 *
 * Bounds compare a key cut to the bound's length with the bound (prefix semantics, so a bound
 * on the leading columns of a composite key works): lower inclusive keeps keys whose prefix
 * is >= the bound, lower exclusive > it, upper inclusive <= it, upper exclusive < it. Each
 * reduces to a plain comparison with the bound or with its prefix successor.
 * Exports: BTreeCursor, ScanOptions, ScanBound, BTreeEntry.
 */
import type { BufferPool } from '../buffer/buffer-pool.js';
import type { Lsn, PageNo, RelFileId, Tid } from '../ids.js';
import { PageKind, pageKind } from '../page/page-layout.js';
import { slotCount } from '../page/slotted-page.js';
import { type BTreeEnv, BTreeOp } from './btree-op.js';
import {
  itemChild,
  itemKeyLength,
  itemKeyStart,
  itemTid,
  lowerBound,
  nodeLeft,
  nodeLevel,
  nodeRight,
} from './btree-page.js';

export interface ScanBound {
  key: Uint8Array;
  inclusive: boolean;
}

export interface ScanOptions {
  lower?: ScanBound;
  upper?: ScanBound;
  direction?: 'forward' | 'backward';
}

export interface BTreeEntry {
  key: Buffer;
  tid: Tid;
}

/** The smallest key greater than every key starting with `prefix`, or null when none exists. */
export function prefixSuccessor(prefix: Uint8Array): Buffer | null {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return null;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1] = (out[end - 1] ?? 0) + 1;
  return out;
}

function toBuffer(key: Uint8Array): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

interface Position {
  pageNo: PageNo;
  lsn: Lsn;
  /** Next slot to read (forward) or previous slot (backward); may lie outside the page. */
  slot: number;
}

export class BTreeCursor implements Iterable<BTreeEntry> {
  /** Keys >= from (null: no lower limit). */
  private readonly from: Buffer | null;
  /** Keys < to (null: no upper limit). */
  private readonly to: Buffer | null;
  private readonly forward: boolean;
  private position: Position | null = null;
  private last: BTreeEntry | null = null;
  private done = false;
  private readonly pool: BufferPool;

  constructor(
    private readonly rel: RelFileId,
    private readonly env: BTreeEnv,
    options: ScanOptions,
  ) {
    this.pool = env.pool;
    this.forward = (options.direction ?? 'forward') === 'forward';
    const lower = options.lower;
    const upper = options.upper;
    this.from = lower ? (lower.inclusive ? toBuffer(lower.key) : prefixSuccessor(lower.key)) : null;
    this.to = upper ? (upper.inclusive ? prefixSuccessor(upper.key) : toBuffer(upper.key)) : null;
    if (lower && !lower.inclusive && this.from === null) this.done = true;
    if (this.from && this.to && this.from.compare(this.to) >= 0) this.done = true;
  }

  *[Symbol.iterator](): Iterator<BTreeEntry> {
    for (let batch = this.nextBatch(); batch; batch = this.nextBatch()) yield* batch;
  }

  /** The next entries (copied), or null at the end. */
  nextBatch(): BTreeEntry[] | null {
    while (!this.done) {
      const batch = this.readBatch();
      if (batch.length > 0) {
        this.last = batch[batch.length - 1] ?? null;
        return batch;
      }
    }
    return null;
  }

  private readBatch(): BTreeEntry[] {
    const pos = this.position ?? this.seek();
    if (!pos) return [];
    const frame = this.pool.pin(this.rel, pos.pageNo);
    try {
      const page = frame.page;
      if (frame.lsn !== pos.lsn || pageKind(page) !== PageKind.BTreeNode || nodeLevel(page) !== 0) {
        this.position = null;
        return [];
      }
      const count = slotCount(page);
      if (this.forward ? pos.slot > count : pos.slot < 1) {
        this.step(this.forward ? nodeRight(page) : nodeLeft(page));
        return [];
      }
      return this.collect(page, pos, count);
    } finally {
      this.pool.unpin(frame);
    }
  }

  /** Copies entries from the position to the end of the leaf (or the bound). */
  private collect(page: Buffer, pos: Position, count: number): BTreeEntry[] {
    const out: BTreeEntry[] = [];
    const delta = this.forward ? 1 : -1;
    let slot = pos.slot;
    for (; slot >= 1 && slot <= count; slot += delta) {
      const start = itemKeyStart(page, slot);
      const end = start + itemKeyLength(page, slot);
      if (this.forward && this.to && this.to.compare(page, start, end) <= 0) {
        this.done = true;
        break;
      }
      if (!this.forward && this.from && this.from.compare(page, start, end) > 0) {
        this.done = true;
        break;
      }
      out.push({ key: Buffer.from(page.subarray(start, end)), tid: itemTid(page, slot) });
    }
    pos.slot = slot;
    return out;
  }

  /** Moves to a sibling leaf (0: end of the tree). */
  private step(pageNo: PageNo): void {
    if (pageNo === 0) {
      this.done = true;
      return;
    }
    const frame = this.pool.pin(this.rel, pageNo);
    try {
      this.position = { pageNo, lsn: frame.lsn, slot: this.forward ? 1 : slotCount(frame.page) };
    } finally {
      this.pool.unpin(frame);
    }
  }

  /** Finds the start (first batch) or re-finds the position after the last returned entry. */
  private seek(): Position | null {
    const op = new BTreeOp(this.rel, this.env);
    try {
      let key: Buffer;
      let tid: number;
      if (this.last) {
        key = this.last.key;
        tid = this.forward ? this.last.tid + 0.5 : this.last.tid;
      } else if (this.forward) {
        key = this.from ?? Buffer.alloc(0);
        tid = Number.NEGATIVE_INFINITY;
      } else if (this.to) {
        key = this.to;
        tid = Number.NEGATIVE_INFINITY;
      } else {
        return this.seekRightmost(op);
      }
      const path = op.descend(key, tid);
      const leaf = path[0]?.pageNo ?? 0;
      const page = op.page(leaf);
      const first = lowerBound(page, key, tid);
      this.position = { pageNo: leaf, lsn: op.frame(leaf).lsn, slot: this.forward ? first : first - 1 };
      return this.position;
    } finally {
      op.finish();
    }
  }

  private seekRightmost(op: BTreeOp): Position {
    let pageNo = op.root;
    let page = op.page(pageNo);
    while (nodeLevel(page) > 0) {
      pageNo = itemChild(page, slotCount(page));
      page = op.page(pageNo);
    }
    this.position = { pageNo, lsn: op.frame(pageNo).lsn, slot: slotCount(page) };
    return this.position;
  }
}
