/**
 * Slotted-page operations on the layout of page-layout.ts: a slot array growing up from the
 * header, items growing down from the special area, lazy compaction. Two slot disciplines:
 * heap pages keep a tuple's slot number for life (deleting leaves an unused slot that a later
 * insert may take), B-tree pages keep slots sorted and shift them on insert and delete.
 * These functions only change bytes; callers run them inside a mini-transaction.
 * Exports: slot accessors, itemSpaceNeeded, insertItemAt, placeItemInFreeSlot, removeItemAt,
 * freeItemSlot, compactPage, pageFreeSpace.
 */
import { assert } from '@keel/errors';
import { OFF_FRAG, OFF_LOWER, OFF_SPECIAL, OFF_UPPER, PAGE_HEADER_SIZE, SLOT_SIZE } from './page-layout.js';

export function slotCount(page: Buffer): number {
  return (page.readUInt16LE(OFF_LOWER) - PAGE_HEADER_SIZE) / SLOT_SIZE;
}

function slotPos(slot: number): number {
  return PAGE_HEADER_SIZE + (slot - 1) * SLOT_SIZE;
}

export function itemOffset(page: Buffer, slot: number): number {
  return page.readUInt16LE(slotPos(slot));
}

export function itemLength(page: Buffer, slot: number): number {
  return page.readUInt16LE(slotPos(slot) + 2);
}

function setSlot(page: Buffer, slot: number, offset: number, length: number): void {
  page.writeUInt16LE(offset, slotPos(slot));
  page.writeUInt16LE(length, slotPos(slot) + 2);
}

/** Free bytes after compaction (contiguous free space plus fragmentation). */
export function pageFreeSpace(page: Buffer): number {
  return page.readUInt16LE(OFF_UPPER) - page.readUInt16LE(OFF_LOWER) + page.readUInt16LE(OFF_FRAG);
}

/** Bytes an item of `length` needs, counting a new slot when `newSlot`. */
export function itemSpaceNeeded(length: number, newSlot: 'new-slot' | 'reused-slot'): number {
  return length + (newSlot === 'new-slot' ? SLOT_SIZE : 0);
}

/** Reserves `length` bytes of item space (compacting when needed); returns the item offset. */
function reserveItemSpace(page: Buffer, length: number, slotBytes: number): number {
  if (page.readUInt16LE(OFF_UPPER) - page.readUInt16LE(OFF_LOWER) < length + slotBytes) compactPage(page);
  const upper = page.readUInt16LE(OFF_UPPER) - length;
  assert(upper >= page.readUInt16LE(OFF_LOWER) + slotBytes, 'slotted page overflow');
  page.writeUInt16LE(upper, OFF_UPPER);
  return upper;
}

/** B-tree discipline: inserts an item as slot `slot` (1-based), shifting later slots up by one. */
export function insertItemAt(page: Buffer, slot: number, item: Uint8Array): void {
  const count = slotCount(page);
  assert(slot >= 1 && slot <= count + 1, 'insert slot out of range');
  const offset = reserveItemSpace(page, item.length, SLOT_SIZE);
  page.copyWithin(slotPos(slot + 1), slotPos(slot), slotPos(count + 1));
  page.writeUInt16LE(slotPos(count + 2), OFF_LOWER);
  setSlot(page, slot, offset, item.length);
  page.set(item, offset);
}

/** Reserves space for a new item in the B-tree discipline and returns its offset (caller fills it). */
export function insertEmptyItemAt(page: Buffer, slot: number, length: number): number {
  const count = slotCount(page);
  assert(slot >= 1 && slot <= count + 1, 'insert slot out of range');
  const offset = reserveItemSpace(page, length, SLOT_SIZE);
  page.copyWithin(slotPos(slot + 1), slotPos(slot), slotPos(count + 1));
  page.writeUInt16LE(slotPos(count + 2), OFF_LOWER);
  setSlot(page, slot, offset, length);
  return offset;
}

/** B-tree discipline: removes slot `slot`, shifting later slots down; the item's bytes become fragmentation. */
export function removeItemAt(page: Buffer, slot: number): void {
  const count = slotCount(page);
  assert(slot >= 1 && slot <= count, 'remove slot out of range');
  const length = itemLength(page, slot);
  page.fill(0, itemOffset(page, slot), itemOffset(page, slot) + length);
  page.copyWithin(slotPos(slot), slotPos(slot + 1), slotPos(count + 1));
  page.fill(0, slotPos(count), slotPos(count + 1));
  page.writeUInt16LE(slotPos(count), OFF_LOWER);
  page.writeUInt16LE(page.readUInt16LE(OFF_FRAG) + length, OFF_FRAG);
}

/** First unused slot, or count + 1 when none (heap discipline). */
export function firstFreeSlot(page: Buffer): number {
  const count = slotCount(page);
  for (let slot = 1; slot <= count; slot++) if (itemOffset(page, slot) === 0) return slot;
  return count + 1;
}

/** Heap discipline: places an item of `length` in `slot` (unused or new); returns its offset. */
export function placeItemInFreeSlot(page: Buffer, slot: number, length: number): number {
  const count = slotCount(page);
  assert(slot >= 1 && slot <= count + 1, 'heap slot out of range');
  const isNew = slot === count + 1;
  const offset = reserveItemSpace(page, length, isNew ? SLOT_SIZE : 0);
  if (isNew) page.writeUInt16LE(slotPos(count + 2), OFF_LOWER);
  setSlot(page, slot, offset, length);
  return offset;
}

/** Heap discipline: frees slot `slot` (trailing unused slots are trimmed from the array). */
export function freeItemSlot(page: Buffer, slot: number): void {
  const length = itemLength(page, slot);
  page.fill(0, itemOffset(page, slot), itemOffset(page, slot) + length);
  setSlot(page, slot, 0, 0);
  page.writeUInt16LE(page.readUInt16LE(OFF_FRAG) + length, OFF_FRAG);
  let count = slotCount(page);
  while (count > 0 && itemOffset(page, count) === 0) count--;
  page.writeUInt16LE(slotPos(count + 1), OFF_LOWER);
}

/** Moves all items to the end of the item area, so free space is one zeroed hole. */
export function compactPage(page: Buffer): void {
  if (page.readUInt16LE(OFF_FRAG) === 0) return;
  const count = slotCount(page);
  const order: number[] = [];
  for (let slot = 1; slot <= count; slot++) if (itemOffset(page, slot) !== 0) order.push(slot);
  order.sort((a, b) => itemOffset(page, b) - itemOffset(page, a));
  let top = page.readUInt16LE(OFF_SPECIAL);
  for (const slot of order) {
    const offset = itemOffset(page, slot);
    const length = itemLength(page, slot);
    top -= length;
    if (top !== offset) page.copyWithin(top, offset, offset + length);
    setSlot(page, slot, top, length);
  }
  page.fill(0, page.readUInt16LE(OFF_LOWER), top);
  page.writeUInt16LE(top, OFF_UPPER);
  page.writeUInt16LE(0, OFF_FRAG);
}
