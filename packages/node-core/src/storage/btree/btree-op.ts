/**
 * BTreeOp: one B-tree operation's working set: the pages it pinned (all released at the end),
 * the mini-transaction its changes go through, and page allocation from the tree's free list.
 * Runs synchronously from start to `finish`/`fail`.
 * Exports: BTreeOp, BTreeEnv, PathStep.
 */
import type { BufferPool } from '../buffer/buffer-pool.js';
import type { Frame } from '../buffer/frame.js';
import type { RelationFiles } from '../file/relation-files.js';
import { InvalidXid, type Lsn, type PageNo, type RelFileId, type Xid } from '../ids.js';
import type { LogAs, MiniTransaction } from '../mtr/mini-transaction.js';
import { initPage, PageKind, pageKind } from '../page/page-layout.js';
import {
  childIndex,
  freeNext,
  itemChild,
  META_PAGE,
  metaFreeHead,
  metaLevel,
  metaRoot,
  SPECIAL_SIZE,
  setFreeNext,
  setMetaFreeHead,
  setNodeLevel,
} from './btree-page.js';

export interface BTreeEnv {
  pool: BufferPool;
  files: RelationFiles;
  mtr(): MiniTransaction;
}

/** One level of a root-to-leaf descent: the page and the slot taken there. */
export interface PathStep {
  pageNo: PageNo;
  slot: number;
}

export class BTreeOp {
  private readonly pinned = new Map<PageNo, Frame>();
  private mtr: MiniTransaction | null = null;

  constructor(
    readonly rel: RelFileId,
    private readonly env: BTreeEnv,
  ) {}

  /** Pinned frame of a page (pinned once per operation). */
  frame(pageNo: PageNo): Frame {
    let frame = this.pinned.get(pageNo);
    if (!frame) {
      frame = this.env.pool.pin(this.rel, pageNo);
      this.pinned.set(pageNo, frame);
    }
    return frame;
  }

  page(pageNo: PageNo): Buffer {
    return this.frame(pageNo).page;
  }

  /** The page's bytes, registered with the mini-transaction (started on first use). */
  write(pageNo: PageNo, logAs: LogAs = 'delta'): Buffer {
    this.mtr ??= this.env.mtr().begin();
    return this.mtr.modify(this.frame(pageNo), logAs);
  }

  get root(): PageNo {
    return metaRoot(this.page(META_PAGE));
  }

  get rootLevel(): number {
    return metaLevel(this.page(META_PAGE));
  }

  /** Descends from the root to level `toLevel` along target (key, tid); returns the path, leaf first. */
  descend(key: Uint8Array, tid: number, toLevel = 0): PathStep[] {
    const path: PathStep[] = [];
    let pageNo = this.root;
    for (let level = this.rootLevel; level > toLevel; level--) {
      const page = this.page(pageNo);
      const slot = childIndex(page, key, tid);
      path.push({ pageNo, slot });
      pageNo = itemChild(page, slot);
    }
    path.push({ pageNo, slot: 0 });
    return path.reverse();
  }

  /** A page for a new node at `level`, from the free list or by extending the file. */
  allocNode(level: number): PageNo {
    const head = metaFreeHead(this.page(META_PAGE));
    let pageNo: PageNo;
    if (head !== 0) {
      pageNo = head;
      const next = freeNext(this.page(head));
      setMetaFreeHead(this.write(META_PAGE), next);
    } else {
      pageNo = this.env.files.extend(this.rel);
      const frame = this.env.pool.pinForOverwrite(this.rel, pageNo);
      this.pinned.set(pageNo, frame);
    }
    const page = this.write(pageNo, 'full-image');
    initPage(page, PageKind.BTreeNode, SPECIAL_SIZE);
    setNodeLevel(page, level);
    return pageNo;
  }

  /** Puts a page on the free list. */
  freeNode(pageNo: PageNo): void {
    const meta = this.write(META_PAGE);
    const page = this.write(pageNo, 'full-image');
    initPage(page, PageKind.BTreeFree, SPECIAL_SIZE);
    setFreeNext(page, metaFreeHead(meta));
    setMetaFreeHead(meta, pageNo);
  }

  isNode(pageNo: PageNo): boolean {
    return pageKind(this.page(pageNo)) === PageKind.BTreeNode;
  }

  /** Commits the changes (if any) and releases every pin; returns the record's end LSN. */
  finish(xid: Xid = InvalidXid): Lsn | null {
    let lsn: Lsn | null = null;
    try {
      if (this.mtr) lsn = this.mtr.commit(xid);
    } finally {
      this.mtr = null;
      this.release();
    }
    return lsn;
  }

  /** Undoes the changes and releases every pin. */
  fail(): void {
    this.mtr?.abort();
    this.mtr = null;
    this.release();
  }

  private release(): void {
    for (const frame of this.pinned.values()) this.env.pool.unpin(frame);
    this.pinned.clear();
  }
}
