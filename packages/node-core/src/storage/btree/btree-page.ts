/**
 * B+tree page format. Page 0 is the meta page; every other page is a node or a free page.
 *
 * Meta page (after the common header, kept below `lower` so full-page images include it):
 *   24 root u32, 28 rootLevel u16, 30 reserved u16, 32 freeHead u32 (0 = none), 36 magic u32
 * Node page special area (16 bytes at the end): level u16 (0 = leaf), flags u16, left u32,
 *   right u32 (0 = none; page 0 is never a node), reserved u32.
 * Free page: special area holds the next free page (u32) at its start.
 *
 * Items, kept in slot order sorted by (key, tid):
 *   leaf      u16 keyLength, key, tid (8 bytes)
 *   internal  u16 keyLength, key, tid (8 bytes), child u32
 * The first item of an internal page is its "minus infinity" downlink: its key is ignored
 * (and stored empty). Entry (key, tid) pairs are unique, so duplicate keys need no special
 * case anywhere; separators carry the tid too (as PostgreSQL 12+'s heap TID tiebreaker).
 * Exports: layout constants, item and special-area accessors, compareAt, compareKey, lowerBound,
 * childIndex.
 */
import type { PageNo, Tid } from '../ids.js';
import { readU53, writeU53 } from '../int53.js';
import { PAGE_HEADER_SIZE, PAGE_SIZE, SLOT_SIZE } from '../page/page-layout.js';
import { itemLength, itemOffset, slotCount } from '../page/slotted-page.js';

export const META_PAGE = 0;
export const SPECIAL_SIZE = 16;
export const META_LOWER = 40;
export const BTREE_MAGIC = 0x6b62_7472;
/** Bytes available for items and slots on a node page. */
export const NODE_CAPACITY = PAGE_SIZE - PAGE_HEADER_SIZE - SPECIAL_SIZE;
/** Largest key accepted (so that any three entries fit a page and splits always succeed). */
export const MAX_KEY_BYTES = 2700;
const LEAF_OVERHEAD = 2 + 8;
const INTERNAL_OVERHEAD = 2 + 8 + 4;
const SPECIAL = PAGE_SIZE - SPECIAL_SIZE;

export function leafItemSize(keyLength: number): number {
  return LEAF_OVERHEAD + keyLength;
}

export function internalItemSize(keyLength: number): number {
  return INTERNAL_OVERHEAD + keyLength;
}

// Meta page.
export function metaRoot(page: Buffer): PageNo {
  return page.readUInt32LE(24);
}
export function metaLevel(page: Buffer): number {
  return page.readUInt16LE(28);
}
export function metaFreeHead(page: Buffer): PageNo {
  return page.readUInt32LE(32);
}
export function setMetaRoot(page: Buffer, root: PageNo, level: number): void {
  page.writeUInt32LE(root, 24);
  page.writeUInt16LE(level, 28);
}
export function setMetaFreeHead(page: Buffer, head: PageNo): void {
  page.writeUInt32LE(head, 32);
}

// Node special area.
export function nodeLevel(page: Buffer): number {
  return page.readUInt16LE(SPECIAL);
}
export function nodeLeft(page: Buffer): PageNo {
  return page.readUInt32LE(SPECIAL + 4);
}
export function nodeRight(page: Buffer): PageNo {
  return page.readUInt32LE(SPECIAL + 8);
}
export function setNodeLevel(page: Buffer, level: number): void {
  page.writeUInt16LE(level, SPECIAL);
}
export function setNodeLeft(page: Buffer, left: PageNo): void {
  page.writeUInt32LE(left, SPECIAL + 4);
}
export function setNodeRight(page: Buffer, right: PageNo): void {
  page.writeUInt32LE(right, SPECIAL + 8);
}
export function freeNext(page: Buffer): PageNo {
  return page.readUInt32LE(SPECIAL);
}
export function setFreeNext(page: Buffer, next: PageNo): void {
  page.writeUInt32LE(next, SPECIAL);
}

// Items.
export function itemKeyLength(page: Buffer, slot: number): number {
  return page.readUInt16LE(itemOffset(page, slot));
}
export function itemKeyStart(page: Buffer, slot: number): number {
  return itemOffset(page, slot) + 2;
}
export function itemKey(page: Buffer, slot: number): Buffer {
  const start = itemKeyStart(page, slot);
  return page.subarray(start, start + itemKeyLength(page, slot));
}
export function itemTid(page: Buffer, slot: number): Tid {
  return readU53(page, itemKeyStart(page, slot) + itemKeyLength(page, slot)) as Tid;
}
export function itemChild(page: Buffer, slot: number): PageNo {
  return page.readUInt32LE(itemKeyStart(page, slot) + itemKeyLength(page, slot) + 8);
}
export function setItemChild(page: Buffer, slot: number, child: PageNo): void {
  page.writeUInt32LE(child, itemKeyStart(page, slot) + itemKeyLength(page, slot) + 8);
}

/** Encodes a leaf item (child undefined) or an internal item. */
export function encodeItem(key: Uint8Array, tid: Tid, child?: PageNo): Buffer {
  const item = Buffer.allocUnsafe(
    child === undefined ? leafItemSize(key.length) : internalItemSize(key.length),
  );
  writeItemAt(item, 0, key, tid, child);
  return item;
}

/** Writes an item's bytes at page[offset] (in place, so an insert needs no temporary buffer). */
export function writeItemAt(page: Buffer, offset: number, key: Uint8Array, tid: Tid, child?: PageNo): void {
  page.writeUInt16LE(key.length, offset);
  page.set(key, offset + 2);
  writeU53(page, offset + 2 + key.length, tid);
  if (child !== undefined) page.writeUInt32LE(child, offset + 2 + key.length + 8);
}

/** A stored item's bytes, as a view into the page (valid while the page is unchanged). */
export function itemView(page: Buffer, slot: number): Buffer {
  const offset = itemOffset(page, slot);
  return page.subarray(offset, offset + itemLength(page, slot));
}

/** Copy of a stored item's bytes. */
export function copyItem(page: Buffer, slot: number): Buffer {
  const offset = itemOffset(page, slot);
  const length = itemLength(page, slot);
  const item = Buffer.allocUnsafe(length);
  page.copy(item, 0, offset, offset + length);
  return item;
}

/** Bytes used by items and slots on a node page. */
export function usedBytes(page: Buffer): number {
  let used = 0;
  const count = slotCount(page);
  for (let slot = 1; slot <= count; slot++) used += itemLength(page, slot) + SLOT_SIZE;
  return used;
}

/**
 * Compares the search target (key, tid) with the item in `slot`: negative when the target is
 * smaller. `tid` may be fractional or +-Infinity to search between entries.
 */
export function compareAt(page: Buffer, slot: number, key: Uint8Array, tid: number): number {
  const start = itemKeyStart(page, slot);
  const end = start + page.readUInt16LE(start - 2);
  const c = compareKey(key, page, start, end);
  if (c !== 0) return c;
  const itemTidValue = readU53(page, end);
  return tid < itemTidValue ? -1 : tid > itemTidValue ? 1 : 0;
}

/** Keys up to this long are compared in JS; longer ones by memcmp (the call costs more than a short loop). */
const SHORT_KEY = 32;

/** Orders `key` against page[start, end) as Buffer.compare would (sign only). */
export function compareKey(key: Uint8Array, page: Buffer, start: number, end: number): number {
  const keyLength = key.length;
  const storedLength = end - start;
  if (keyLength > SHORT_KEY && storedLength > SHORT_KEY) {
    return Buffer.compare(key, page.subarray(start, end));
  }
  const n = Math.min(keyLength, storedLength);
  for (let i = 0; i < n; i++) {
    const a = key[i] as number;
    const b = page[start + i] as number;
    if (a !== b) return a < b ? -1 : 1;
  }
  return keyLength === storedLength ? 0 : keyLength < storedLength ? -1 : 1;
}

/** First slot (1-based) whose item is >= target; count + 1 when none (leaf pages). */
export function lowerBound(page: Buffer, key: Uint8Array, tid: number): number {
  let lo = 1;
  let hi = slotCount(page) + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAt(page, mid, key, tid) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Slot of the downlink to follow for target (last item <= target; item 1 is minus infinity). */
export function childIndex(page: Buffer, key: Uint8Array, tid: number): number {
  let lo = 2;
  let hi = slotCount(page) + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAt(page, mid, key, tid) >= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
