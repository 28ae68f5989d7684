import { KeelError } from '@keel/errors';
import { describe, expect, it } from 'vitest';
import type { RelFileId } from '../ids.js';
import { seededRandom } from '../testing/storage-test-env.js';
import { pageIsValid, setPageChecksum, verifyPage } from './page-checksum.js';
import { initPage, PAGE_SIZE, PageKind, pageLsn, setPageLsn } from './page-layout.js';
import {
  compactPage,
  firstFreeSlot,
  freeItemSlot,
  insertItemAt,
  itemLength,
  itemOffset,
  pageFreeSpace,
  placeItemInFreeSlot,
  removeItemAt,
  slotCount,
} from './slotted-page.js';

const rel = 5 as RelFileId;

function items(page: Buffer): string[] {
  const out: string[] = [];
  for (let s = 1; s <= slotCount(page); s++) {
    const off = itemOffset(page, s);
    out.push(off === 0 ? '-' : page.subarray(off, off + itemLength(page, s)).toString());
  }
  return out;
}

describe('slotted page', () => {
  it('matches an array model under random sorted inserts and removes (B-tree discipline)', () => {
    const random = seededRandom(17);
    const page = Buffer.alloc(PAGE_SIZE);
    initPage(page, PageKind.BTreeNode, 16);
    const model: string[] = [];
    for (let step = 0; step < 20000; step++) {
      if (random() < 0.55) {
        const item = `item-${step}-${'z'.repeat(Math.floor(random() * 60))}`;
        if (pageFreeSpace(page) < item.length + 4) continue;
        const at = 1 + Math.floor(random() * (model.length + 1));
        insertItemAt(page, at, Buffer.from(item));
        model.splice(at - 1, 0, item);
      } else if (model.length > 0) {
        const at = 1 + Math.floor(random() * model.length);
        removeItemAt(page, at);
        model.splice(at - 1, 1);
      }
      if (random() < 0.01) compactPage(page);
      expect(items(page)).toEqual(model);
    }
    const used = model.reduce((sum, it) => sum + it.length + 4, 0);
    expect(pageFreeSpace(page)).toBe(PAGE_SIZE - 24 - 16 - used);
  });

  it('keeps heap slots stable, reuses freed ones and zeroes the hole on compaction', () => {
    const page = Buffer.alloc(PAGE_SIZE);
    initPage(page, PageKind.Heap, 0);
    for (let i = 1; i <= 10; i++) {
      const off = placeItemInFreeSlot(page, firstFreeSlot(page), 100);
      page.fill(i, off, off + 100);
    }
    freeItemSlot(page, 3);
    freeItemSlot(page, 10);
    expect(slotCount(page)).toBe(9);
    expect(firstFreeSlot(page)).toBe(3);
    compactPage(page);
    expect(page[itemOffset(page, 4)]).toBe(4);
    expect(page[itemOffset(page, 9)]).toBe(9);
    const lower = page.readUInt16LE(14);
    const upper = page.readUInt16LE(16);
    expect(page.subarray(lower, upper).every((b) => b === 0)).toBe(true);
    expect(pageFreeSpace(page)).toBe(PAGE_SIZE - 24 - 9 * 4 - 8 * 100);
  });
});

describe('page checksum', () => {
  it('detects any flipped byte and a page written to the wrong place, accepts all-zero pages', () => {
    const page = Buffer.alloc(PAGE_SIZE);
    initPage(page, PageKind.Heap, 0);
    setPageLsn(page, 123456789012 as never);
    page.fill(7, 4000, 5000);
    setPageChecksum(page, rel, 9);
    expect(() => verifyPage(page, rel, 9, 'base/5')).not.toThrow();
    expect(pageLsn(page)).toBe(123456789012);
    for (const at of [0, 8, 12, 100, 4500, PAGE_SIZE - 1]) {
      const bad = Buffer.from(page);
      bad[at] = (bad[at] ?? 0) ^ 0x10;
      expect(pageIsValid(bad, rel, 9)).toBe(false);
    }
    expect(pageIsValid(page, rel, 10)).toBe(false);
    expect(pageIsValid(page, 6 as RelFileId, 9)).toBe(false);
    expect(pageIsValid(Buffer.alloc(PAGE_SIZE), rel, 3)).toBe(true);
    const bad = Buffer.from(page);
    bad[4242] = 1;
    expect(() => verifyPage(bad, rel, 9, 'base/5')).toThrow(KeelError);
    expect(() => verifyPage(bad, rel, 9, 'base/5')).toThrow(
      'invalid page in block 9 of relation file base/5',
    );
  });
});
