/**
 * B-tree insertion into a node, splitting it when full. A split moves the upper part of the
 * entries (by bytes, balanced; but a split caused by appending at the right end of the
 * rightmost page keeps the left page 90% full, as PostgreSQL does, so ascending inserts pack
 * pages) to a new right sibling, links it into the level's doubly linked list and inserts its
 * first (key, tid) as separator into the parent, splitting upward as needed; a root split adds
 * a level. All pages of one insert change in the caller's single mini-transaction.
 * Exports: insertIntoNode, itemParts.
 */
import { assert } from '@keel/errors';
import type { PageNo, Tid } from '../ids.js';
import { readU53 } from '../int53.js';
import { initPage, PAGE_SIZE, PageKind, SLOT_SIZE } from '../page/page-layout.js';
import { insertItemAt, pageFreeSpace, slotCount } from '../page/slotted-page.js';
import type { BTreeOp, PathStep } from './btree-op.js';
import {
  encodeItem,
  itemView,
  META_PAGE,
  NODE_CAPACITY,
  nodeLeft,
  nodeLevel,
  nodeRight,
  SPECIAL_SIZE,
  setMetaRoot,
  setNodeLeft,
  setNodeLevel,
  setNodeRight,
} from './btree-page.js';

const RIGHTMOST_FILL = 0.9;
const EMPTY_KEY = Buffer.alloc(0);
/**
 * Copy of the page being split. One is enough: a split finishes with the items before it
 * recurses into the parent, and the parent's new item (the downlink) is a buffer of its own.
 */
const splitScratch = Buffer.alloc(PAGE_SIZE);

/** Key, tid and (internal items) child of an encoded item. */
export function itemParts(item: Buffer): { key: Buffer; tid: Tid; child: PageNo } {
  const keyLength = item.readUInt16LE(0);
  const key = item.subarray(2, 2 + keyLength);
  const tid = readU53(item, 2 + keyLength) as Tid;
  const child = item.length >= 2 + keyLength + 12 ? item.readUInt32LE(2 + keyLength + 8) : 0;
  return { key, tid, child };
}

/** Inserts `item` as slot `slot` of the node at path[level], splitting when it does not fit. */
export function insertIntoNode(
  op: BTreeOp,
  path: PathStep[],
  level: number,
  item: Buffer,
  slot: number,
): void {
  const step = path[level];
  assert(step !== undefined, 'btree path too short');
  if (pageFreeSpace(op.page(step.pageNo)) >= item.length + SLOT_SIZE) {
    insertItemAt(op.write(step.pageNo), slot, item);
    return;
  }
  splitNode(op, path, level, item, slot);
}

function splitNode(op: BTreeOp, path: PathStep[], level: number, item: Buffer, slot: number): void {
  const step = path[level];
  assert(step !== undefined, 'btree path too short');
  const leftNo = step.pageNo;
  const old = op.page(leftNo);
  const nodeLvl = nodeLevel(old);
  const count = slotCount(old);
  // The page is rebuilt below, so its items are read from a copy: one page copy and views
  // into it, not a buffer per item (allocating those was a tenth of a bulk insert's time).
  old.copy(splitScratch);
  const items: Buffer[] = [];
  for (let s = 1; s <= count; s++) items.push(itemView(splitScratch, s));
  items.splice(slot - 1, 0, item);
  const appendAtEnd = nodeRight(old) === 0 && slot === count + 1;
  const k = chooseSplit(items, nodeLvl > 0, appendAtEnd);
  const oldLeft = nodeLeft(old);
  const oldRight = nodeRight(old);
  const rightNo = op.allocNode(nodeLvl);

  const left = op.write(leftNo, 'full-image');
  initPage(left, PageKind.BTreeNode, SPECIAL_SIZE);
  setNodeLevel(left, nodeLvl);
  setNodeLeft(left, oldLeft);
  setNodeRight(left, rightNo);
  for (let i = 0; i < k; i++) insertItemAt(left, i + 1, items[i] ?? EMPTY_KEY);

  const separator = itemParts(items[k] ?? EMPTY_KEY);
  const right = op.write(rightNo, 'full-image');
  setNodeLeft(right, leftNo);
  setNodeRight(right, oldRight);
  for (let i = k; i < items.length; i++) {
    const moved = i === k && nodeLvl > 0 ? encodeItem(EMPTY_KEY, 0 as Tid, separator.child) : items[i];
    insertItemAt(right, i - k + 1, moved ?? EMPTY_KEY);
  }
  if (oldRight !== 0) setNodeLeft(op.write(oldRight), rightNo);

  const downlink = encodeItem(separator.key, separator.tid, rightNo);
  const parent = path[level + 1];
  if (parent) {
    insertIntoNode(op, path, level + 1, downlink, parent.slot + 1);
    return;
  }
  const rootNo = op.allocNode(nodeLvl + 1);
  const root = op.write(rootNo);
  insertItemAt(root, 1, encodeItem(EMPTY_KEY, 0 as Tid, leftNo));
  insertItemAt(root, 2, downlink);
  setMetaRoot(op.write(META_PAGE), rootNo, nodeLvl + 1);
}

/** Number of items that stay on the left page. */
function chooseSplit(items: Buffer[], internal: boolean, appendAtEnd: boolean): number {
  const sizes = items.map((it) => it.length + SLOT_SIZE);
  const total = sizes.reduce((a, b) => a + b, 0);
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  let leftBytes = 0;
  for (let k = 1; k < items.length; k++) {
    leftBytes += sizes[k - 1] ?? 0;
    const first = items[k];
    const strip = internal && first ? first.readUInt16LE(0) : 0;
    const rightBytes = total - leftBytes - strip;
    if (leftBytes > NODE_CAPACITY || rightBytes > NODE_CAPACITY) continue;
    const score = appendAtEnd
      ? Math.abs(leftBytes - RIGHTMOST_FILL * NODE_CAPACITY)
      : Math.abs(leftBytes - rightBytes);
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  assert(best > 0, 'no valid B-tree split point');
  return best;
}
