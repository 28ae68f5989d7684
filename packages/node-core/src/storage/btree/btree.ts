/**
 * BTree: a B+tree index mapping memcomparable keys (the SQL layer encodes typed values so that
 * Buffer.compare orders them) to heap tids. Entries are ordered by (key, tid), so non-unique
 * keys need nothing special; uniqueness is the caller's job (look up equal keys, check their
 * visibility, insert, without awaiting in between). Every operation is one mini-transaction
 * through the buffer pool, so splits, merges and page deletions are atomic and WAL-logged.
 * Keys longer than MAX_KEY_BYTES (2700) raise 54000.
 * Exports: BTree, BulkDeleteResult.
 */
import { KeelError, SqlState } from '@keel/errors';
import { InvalidXid, type PageNo, type RelFileId, type Tid, type Xid } from '../ids.js';
import { initPage, PageKind, SLOT_SIZE } from '../page/page-layout.js';
import { insertEmptyItemAt, pageFreeSpace, removeItemAt, slotCount } from '../page/slotted-page.js';
import { BTreeCursor, type ScanOptions } from './btree-cursor.js';
import { type BTreeEnv, BTreeOp } from './btree-op.js';
import {
  BTREE_MAGIC,
  childIndex,
  compareAt,
  compareKey,
  encodeItem,
  itemChild,
  itemKey,
  itemKeyLength,
  itemKeyStart,
  itemTid,
  leafItemSize,
  lowerBound,
  MAX_KEY_BYTES,
  META_LOWER,
  META_PAGE,
  metaLevel,
  metaRoot,
  nodeRight,
  setMetaFreeHead,
  setMetaRoot,
  writeItemAt,
} from './btree-page.js';
import { rebalance } from './btree-shrink.js';
import { insertIntoNode } from './btree-split.js';

export interface BulkDeleteResult {
  removed: number;
  /** Leaf pages visited. */
  leaves: number;
}

export class BTree {
  constructor(
    readonly rel: RelFileId,
    private readonly env: BTreeEnv,
  ) {}

  /** Formats a new, empty relation as a B-tree (meta page and an empty root leaf). */
  static initialize(rel: RelFileId, env: BTreeEnv): BTree {
    const op = new BTreeOp(rel, env);
    try {
      const metaNo = env.files.extend(rel);
      const metaFrame = env.pool.pinForOverwrite(rel, metaNo);
      env.pool.unpin(metaFrame);
      const meta = op.write(META_PAGE, 'full-image');
      initPage(meta, PageKind.BTreeMeta, 0);
      meta.writeUInt16LE(META_LOWER, 14);
      meta.writeUInt32LE(BTREE_MAGIC, 36);
      setMetaFreeHead(meta, 0);
      const root = op.allocNode(0);
      setMetaRoot(meta, root, 0);
      op.finish();
    } catch (err) {
      op.fail();
      throw err;
    }
    return new BTree(rel, env);
  }

  /** Adds (key, tid); returns false when exactly that entry exists already. */
  insert(key: Uint8Array, tid: Tid, xid: Xid = InvalidXid): boolean {
    checkKey(key);
    return this.run((op) => {
      const path = op.descend(key, tid);
      const leafNo = path[0]?.pageNo ?? 0;
      const page = op.page(leafNo);
      const slot = lowerBound(page, key, tid);
      if (slot <= slotCount(page) && compareAt(page, slot, key, tid) === 0) return false;
      const size = leafItemSize(key.length);
      if (pageFreeSpace(page) >= size + SLOT_SIZE) {
        // The common case: written in place, no temporary item.
        const leaf = op.write(leafNo);
        writeItemAt(leaf, insertEmptyItemAt(leaf, slot, size), key, tid);
        return true;
      }
      insertIntoNode(op, path, 0, encodeItem(key, tid), slot);
      return true;
    }, xid);
  }

  /** Removes (key, tid); returns false when it was not there. */
  delete(key: Uint8Array, tid: Tid, xid: Xid = InvalidXid): boolean {
    return this.run((op) => {
      const path = op.descend(key, tid);
      const leafNo = path[0]?.pageNo ?? 0;
      const page = op.page(leafNo);
      const slot = lowerBound(page, key, tid);
      if (slot > slotCount(page) || compareAt(page, slot, key, tid) !== 0) return false;
      removeItemAt(op.write(leafNo), slot);
      rebalance(op, path, 0);
      return true;
    }, xid);
  }

  /**
   * Tids of the entries whose key equals `key` exactly, in tid order. Every unique check calls
   * this, so it walks the pages itself (one pin at a time, nothing copied) instead of opening
   * a cursor: it runs synchronously, so no page can change under it.
   */
  lookup(key: Uint8Array): Tid[] {
    const out: Tid[] = [];
    const pool = this.env.pool;
    let pageNo = this.leafFor(key, Number.NEGATIVE_INFINITY);
    let slot = -1;
    while (pageNo !== 0) {
      const frame = pool.pin(this.rel, pageNo);
      try {
        const page = frame.page;
        const count = slotCount(page);
        if (slot < 0) slot = lowerBound(page, key, Number.NEGATIVE_INFINITY);
        for (; slot <= count; slot++) {
          const start = itemKeyStart(page, slot);
          if (compareKey(key, page, start, start + itemKeyLength(page, slot)) !== 0) return out;
          out.push(itemTid(page, slot));
        }
        pageNo = nodeRight(page);
        slot = 1;
      } finally {
        pool.unpin(frame);
      }
    }
    return out;
  }

  /** A range scan; see BTreeCursor for bounds and for modifying the tree during the scan. */
  scan(options: ScanOptions = {}): BTreeCursor {
    return new BTreeCursor(this.rel, this.env, options);
  }

  /** VACUUM: removes every entry whose tid `isDead` accepts, one leaf per mini-transaction. */
  bulkDelete(isDead: (tid: Tid) => boolean, xid: Xid = InvalidXid): BulkDeleteResult {
    const result: BulkDeleteResult = { removed: 0, leaves: 0 };
    let pageNo = this.leftmostLeaf();
    while (pageNo !== 0) {
      result.leaves++;
      pageNo = this.bulkDeleteLeaf(pageNo, isDead, xid, result);
    }
    return result;
  }

  /** Height of the tree (1 = a single leaf). */
  height(): number {
    return this.run((op) => op.rootLevel + 1, InvalidXid);
  }

  /** The leaf where the target (key, tid) belongs, found without keeping any pin. */
  private leafFor(key: Uint8Array, tid: number): PageNo {
    const pool = this.env.pool;
    const meta = pool.pin(this.rel, META_PAGE);
    let pageNo: PageNo;
    let level: number;
    try {
      pageNo = metaRoot(meta.page);
      level = metaLevel(meta.page);
    } finally {
      pool.unpin(meta);
    }
    for (; level > 0; level--) {
      const frame = pool.pin(this.rel, pageNo);
      try {
        pageNo = itemChild(frame.page, childIndex(frame.page, key, tid));
      } finally {
        pool.unpin(frame);
      }
    }
    return pageNo;
  }

  private leftmostLeaf(): PageNo {
    return this.run((op) => {
      let pageNo = op.root;
      for (let level = op.rootLevel; level > 0; level--) pageNo = itemChild(op.page(pageNo), 1);
      return pageNo;
    }, InvalidXid);
  }

  /** Cleans one leaf; returns the next leaf to visit (0 at the end). */
  private bulkDeleteLeaf(
    pageNo: PageNo,
    isDead: (tid: Tid) => boolean,
    xid: Xid,
    result: BulkDeleteResult,
  ): PageNo {
    return this.run((op) => {
      const page = op.page(pageNo);
      const right = nodeRight(page);
      const count = slotCount(page);
      const dead: number[] = [];
      for (let slot = 1; slot <= count; slot++) if (isDead(itemTid(page, slot))) dead.push(slot);
      if (dead.length === 0) return right;
      const path = op.descend(Buffer.from(itemKey(page, 1)), itemTid(page, 1));
      if (path[0]?.pageNo !== pageNo) {
        throw new KeelError(
          SqlState.IndexCorrupted,
          `index relation ${this.rel}: leaf ${pageNo} not reachable`,
        );
      }
      const leaf = op.write(pageNo);
      for (let i = dead.length - 1; i >= 0; i--) removeItemAt(leaf, dead[i] ?? 0);
      result.removed += dead.length;
      const outcome = rebalance(op, path, 0);
      if (outcome === 'absorbed-right') return pageNo;
      if (outcome === 'kept') return nodeRight(op.page(pageNo));
      return right;
    }, xid);
  }

  private run<T>(body: (op: BTreeOp) => T, xid: Xid): T {
    const op = new BTreeOp(this.rel, this.env);
    let value: T;
    try {
      value = body(op);
    } catch (err) {
      op.fail();
      throw err;
    }
    op.finish(xid);
    return value;
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length > MAX_KEY_BYTES) {
    throw new KeelError(
      SqlState.ProgramLimitExceeded,
      `index row size ${key.length} exceeds btree maximum, ${MAX_KEY_BYTES}`,
      { hint: 'values larger than a third of a page cannot be indexed' },
    );
  }
}
