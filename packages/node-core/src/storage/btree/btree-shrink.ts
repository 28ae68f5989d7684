/**
 * B-tree shrinking after deletes: a node left empty is deleted (its downlink removed from the
 * parent, the node unlinked from its level's sibling list and put on the free list; a parent
 * left without children goes with it); a node under a quarter full is merged with a sibling
 * under the same parent when both fit in three quarters of a page; a root with one child is
 * replaced by that child. Deleted pages are reused at once: a scan cursor notices because any
 * change moves the page's LSN, and then re-finds its position from the root.
 * Exports: rebalance, Rebalanced.
 */
import { assert } from '@keel/errors';
import type { PageNo, Tid } from '../ids.js';
import { insertItemAt, removeItemAt, slotCount } from '../page/slotted-page.js';
import type { BTreeOp, PathStep } from './btree-op.js';
import {
  copyItem,
  encodeItem,
  itemChild,
  itemKey,
  itemTid,
  META_PAGE,
  NODE_CAPACITY,
  nodeLeft,
  nodeRight,
  setMetaRoot,
  setNodeLeft,
  setNodeRight,
  usedBytes,
} from './btree-page.js';
import { itemParts } from './btree-split.js';

/** What happened to the node that was rebalanced. */
export type Rebalanced = 'kept' | 'deleted' | 'merged-into-left' | 'absorbed-right';

const UNDERFULL = NODE_CAPACITY / 4;
const MERGED_MAX = (NODE_CAPACITY * 3) / 4;

function stepAt(path: PathStep[], level: number): PathStep {
  const step = path[level];
  assert(step !== undefined, 'btree path too short');
  return step;
}

/** Restores the tree's shape after entries were removed from the node at path[level]. */
export function rebalance(op: BTreeOp, path: PathStep[], level: number): Rebalanced {
  const pageNo = stepAt(path, level).pageNo;
  if (level === path.length - 1) {
    collapseRoot(op);
    return 'kept';
  }
  const page = op.page(pageNo);
  if (slotCount(page) === 0) {
    deleteNode(op, path, level);
    return 'deleted';
  }
  if (usedBytes(page) >= UNDERFULL) return 'kept';
  return tryMerge(op, path, level);
}

/** Removes the empty node at path[level] and every ancestor that would be left childless. */
function deleteNode(op: BTreeOp, path: PathStep[], level: number): void {
  let top = level + 1;
  while (top < path.length - 1 && slotCount(op.page(stepAt(path, top).pageNo)) === 1) top++;
  const topStep = stepAt(path, top);
  if (slotCount(op.page(topStep.pageNo)) === 1) {
    // A single chain from the root down to this empty leaf: it becomes the whole tree.
    for (let l = level + 1; l <= top; l++) op.freeNode(stepAt(path, l).pageNo);
    setMetaRoot(op.write(META_PAGE), stepAt(path, level).pageNo, level);
    return;
  }
  removeItemAt(op.write(topStep.pageNo), topStep.slot);
  for (let l = level; l < top; l++) unlinkAndFree(op, stepAt(path, l).pageNo);
  rebalance(op, path, top);
}

function unlinkAndFree(op: BTreeOp, pageNo: PageNo): void {
  const page = op.page(pageNo);
  const left = nodeLeft(page);
  const right = nodeRight(page);
  if (left !== 0) setNodeRight(op.write(left), right);
  if (right !== 0) setNodeLeft(op.write(right), left);
  op.freeNode(pageNo);
}

function tryMerge(op: BTreeOp, path: PathStep[], level: number): Rebalanced {
  const step = stepAt(path, level);
  const parentStep = stepAt(path, level + 1);
  const parent = op.page(parentStep.pageNo);
  const internal = level > 0;
  const used = usedBytes(op.page(step.pageNo));
  if (parentStep.slot > 1) {
    const leftNo = itemChild(parent, parentStep.slot - 1);
    const extra = internal ? itemKey(parent, parentStep.slot).length : 0;
    if (used + usedBytes(op.page(leftNo)) + extra <= MERGED_MAX) {
      mergeInto(op, path, level, leftNo, step.pageNo, parentStep.slot);
      return 'merged-into-left';
    }
  }
  if (parentStep.slot < slotCount(parent)) {
    const rightNo = itemChild(parent, parentStep.slot + 1);
    const extra = internal ? itemKey(parent, parentStep.slot + 1).length : 0;
    if (used + usedBytes(op.page(rightNo)) + extra <= MERGED_MAX) {
      mergeInto(op, path, level, step.pageNo, rightNo, parentStep.slot + 1);
      return 'absorbed-right';
    }
  }
  return 'kept';
}

/**
 * Appends the entries of `src` to its left sibling `dst` (same parent; `sepSlot` is src's
 * downlink there), frees src and removes its downlink. An internal src's minus-infinity item
 * takes the parent's separator as its key.
 */
function mergeInto(
  op: BTreeOp,
  path: PathStep[],
  level: number,
  dst: PageNo,
  src: PageNo,
  sepSlot: number,
): void {
  const parentNo = stepAt(path, level + 1).pageNo;
  const parent = op.page(parentNo);
  const srcPage = op.page(src);
  const count = slotCount(srcPage);
  const items: Buffer[] = [];
  for (let s = 1; s <= count; s++) items.push(copyItem(srcPage, s));
  const first = items[0];
  if (level > 0 && first) {
    items[0] = encodeItem(itemKey(parent, sepSlot), itemTid(parent, sepSlot) as Tid, itemParts(first).child);
  }
  const dstPage = op.write(dst);
  let at = slotCount(dstPage) + 1;
  for (const item of items) insertItemAt(dstPage, at++, item);
  unlinkAndFree(op, src);
  removeItemAt(op.write(parentNo), sepSlot);
  rebalance(op, path, level + 1);
}

/** While the root is an internal node with a single child, that child becomes the root. */
function collapseRoot(op: BTreeOp): void {
  for (;;) {
    const rootNo = op.root;
    const level = op.rootLevel;
    const root = op.page(rootNo);
    if (level === 0 || slotCount(root) !== 1) return;
    const child = itemChild(root, 1);
    op.freeNode(rootNo);
    setMetaRoot(op.write(META_PAGE), child, level - 1);
  }
}
