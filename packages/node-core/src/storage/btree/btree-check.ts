/**
 * checkBTree: verifies a B-tree's structure (amcheck's job in PostgreSQL) and returns its
 * entries in order. Checked: entries strictly ascending by (key, tid) within each node;
 * every subtree within the bounds of its downlink and the next; all leaves at level 0 and one
 * level per step down; each level's sibling links form a consistent doubly linked list in key
 * order. Throws XX002 (index_corrupted) with the first violation. Used by tests and available
 * to an amcheck-like SQL function later.
 * Exports: checkBTree, BTreeShape.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { PageNo, RelFileId, Tid } from '../ids.js';
import { PageKind, pageKind } from '../page/page-layout.js';
import { slotCount } from '../page/slotted-page.js';
import type { BTreeEntry } from './btree-cursor.js';
import type { BTreeEnv } from './btree-op.js';
import {
  itemChild,
  itemKey,
  itemTid,
  META_PAGE,
  metaLevel,
  metaRoot,
  nodeLeft,
  nodeLevel,
  nodeRight,
} from './btree-page.js';

export interface BTreeShape {
  entries: BTreeEntry[];
  height: number;
  nodes: number;
}

interface Bound {
  key: Buffer;
  tid: number;
}

function cmp(a: Bound, b: Bound): number {
  const c = a.key.compare(b.key);
  return c !== 0 ? c : a.tid - b.tid;
}

export function checkBTree(rel: RelFileId, env: BTreeEnv): BTreeShape {
  const readPage = (pageNo: PageNo): Buffer => {
    const frame = env.pool.pin(rel, pageNo);
    const copy = Buffer.from(frame.page);
    env.pool.unpin(frame);
    return copy;
  };
  const fail = (msg: string): never => {
    throw new KeelError(SqlState.IndexCorrupted, `index relation ${rel}: ${msg}`);
  };
  const levels = new Map<number, PageNo[]>();
  const entries: BTreeEntry[] = [];
  let nodes = 0;
  const visit = (pageNo: PageNo, level: number, low: Bound | null, high: Bound | null): void => {
    nodes++;
    const page = readPage(pageNo);
    if (pageKind(page) !== PageKind.BTreeNode) fail(`page ${pageNo} is not a node`);
    if (nodeLevel(page) !== level) fail(`page ${pageNo} has level ${nodeLevel(page)}, expected ${level}`);
    const list = levels.get(level) ?? [];
    list.push(pageNo);
    levels.set(level, list);
    const count = slotCount(page);
    if (level > 0 && count === 0) fail(`internal page ${pageNo} is empty`);
    let prev: Bound | null = null;
    for (let slot = 1; slot <= count; slot++) {
      const here: Bound = { key: Buffer.from(itemKey(page, slot)), tid: itemTid(page, slot) };
      const isMinusInfinity = level > 0 && slot === 1;
      if (!isMinusInfinity) {
        if (prev && cmp(prev, here) >= 0) fail(`page ${pageNo} slot ${slot} out of order`);
        if (low && cmp(here, low) < 0) fail(`page ${pageNo} slot ${slot} below its lower bound`);
        if (high && cmp(here, high) >= 0) fail(`page ${pageNo} slot ${slot} not below its upper bound`);
        prev = here;
      }
      if (level === 0) {
        entries.push({ key: here.key, tid: here.tid as Tid });
        continue;
      }
      const childLow = isMinusInfinity ? low : here;
      const next =
        slot < count ? { key: Buffer.from(itemKey(page, slot + 1)), tid: itemTid(page, slot + 1) } : high;
      visit(itemChild(page, slot), level - 1, childLow, next);
    }
  };
  const meta = readPage(META_PAGE);
  const height = metaLevel(meta) + 1;
  visit(metaRoot(meta), metaLevel(meta), null, null);
  for (const [level, pages] of levels) {
    pages.forEach((pageNo, i) => {
      const page = readPage(pageNo);
      if (nodeLeft(page) !== (pages[i - 1] ?? 0)) fail(`level ${level} page ${pageNo} has a wrong left link`);
      if (nodeRight(page) !== (pages[i + 1] ?? 0))
        fail(`level ${level} page ${pageNo} has a wrong right link`);
    });
  }
  return { entries, height, nodes };
}
