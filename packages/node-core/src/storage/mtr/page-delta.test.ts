import { describe, expect, it } from 'vitest';
import type { RelFileId } from '../ids.js';
import { initPage, PAGE_SIZE, PageKind } from '../page/page-layout.js';
import {
  insertItemAt,
  pageFreeSpace,
  placeItemInFreeSlot,
  removeItemAt,
  slotCount,
} from '../page/slotted-page.js';
import { seededRandom } from '../testing/storage-test-env.js';
import { applyBlock, type BlockRef, encodeDelta, encodeFullImage, forEachBlock } from './page-delta.js';

const rel = 3 as RelFileId;

/** The bytes both images leave unused (lower..upper of each, when both are valid). */
function sharedHole(before: Buffer, after: Buffer): [number, number] {
  const valid = (p: Buffer) => {
    const lower = p.readUInt16LE(14);
    const upper = p.readUInt16LE(16);
    return lower >= 12 && lower <= upper && upper <= PAGE_SIZE;
  };
  if (!valid(before) || !valid(after)) return [PAGE_SIZE, PAGE_SIZE];
  const from = Math.max(before.readUInt16LE(14), after.readUInt16LE(14));
  const to = Math.min(before.readUInt16LE(16), after.readUInt16LE(16));
  return from < to ? [from, to] : [PAGE_SIZE, PAGE_SIZE];
}

function blocksOf(payload: Buffer): BlockRef[] {
  const blocks: BlockRef[] = [];
  forEachBlock(payload, (b) => blocks.push(b));
  return blocks;
}

describe('page delta', () => {
  it('rebuilds the after-image from the before-image and the delta, for random edits', () => {
    const random = seededRandom(31);
    const out = Buffer.alloc(4 * PAGE_SIZE);
    for (let round = 0; round < 500; round++) {
      const before = Buffer.alloc(PAGE_SIZE);
      for (let i = 12; i < PAGE_SIZE; i++) before[i] = random() < 0.5 ? 0 : Math.floor(random() * 256);
      const after = Buffer.alloc(PAGE_SIZE);
      before.copy(after);
      const edits = Math.floor(random() * 20);
      for (let e = 0; e < edits; e++) {
        const at = 12 + Math.floor(random() * (PAGE_SIZE - 12));
        const length = Math.min(PAGE_SIZE - at, 1 + Math.floor(random() * (random() < 0.1 ? 3000 : 12)));
        for (let i = at; i < at + length; i++) after[i] = Math.floor(random() * 256);
      }
      out.writeUInt16LE(1, 0);
      const end = encodeDelta(out, 2, rel, 7, before, after);
      const [holeFrom, holeTo] = sharedHole(before, after);
      const changed =
        !before.subarray(12, holeFrom).equals(after.subarray(12, holeFrom)) ||
        !before.subarray(holeTo).equals(after.subarray(holeTo));
      expect(end > 2).toBe(changed);
      if (!changed) continue;
      const payload = out.subarray(0, end);
      const [block] = blocksOf(payload);
      expect(block?.end).toBe(end);
      const rebuilt = Buffer.from(before);
      if (block) applyBlock(payload, block, rebuilt);
      expect(rebuilt.subarray(12, holeFrom).equals(after.subarray(12, holeFrom))).toBe(true);
      expect(rebuilt.subarray(holeTo).equals(after.subarray(holeTo))).toBe(true);
      if (edits === 1) expect(end - 2).toBeLessThan(PAGE_SIZE);
    }
  });

  it('rebuilds slotted pages exactly through a long run of item inserts and removals', () => {
    const random = seededRandom(77);
    const out = Buffer.alloc(4 * PAGE_SIZE);
    const page = Buffer.alloc(PAGE_SIZE);
    initPage(page, PageKind.BTreeNode, 16);
    const replica = Buffer.from(page);
    for (let step = 0; step < 2000; step++) {
      const before = Buffer.from(page);
      const count = slotCount(page);
      if (count > 0 && (random() < 0.4 || pageFreeSpace(page) < 300)) {
        removeItemAt(page, 1 + Math.floor(random() * count));
      } else {
        const item = Buffer.alloc(1 + Math.floor(random() * 200), Math.floor(random() * 255) + 1);
        insertItemAt(page, 1 + Math.floor(random() * (count + 1)), item);
      }
      out.writeUInt16LE(1, 0);
      const end = encodeDelta(out, 2, rel, 7, before, page);
      const [block] = blocksOf(out.subarray(0, end));
      if (block) applyBlock(out.subarray(0, end), block, replica);
      expect(replica.subarray(12).equals(page.subarray(12)), `step ${step}`).toBe(true);
    }
  });

  it('does not log the unused hole between lower and upper', () => {
    const before = Buffer.alloc(PAGE_SIZE);
    initPage(before, PageKind.Heap, 0);
    const after = Buffer.from(before);
    const off = placeItemInFreeSlot(after, 1, 100);
    after.fill(9, off, off + 100);
    after.fill(7, 2000, 3000); // garbage inside the hole: unused, so not logged
    const out = Buffer.alloc(2 * PAGE_SIZE);
    const end = encodeDelta(out, 0, rel, 1, before, after);
    expect(end).toBeLessThan(200);
    const rebuilt = Buffer.from(before);
    const [block] = blocksOf(Buffer.concat([Buffer.from([1, 0]), out.subarray(0, end)]));
    if (block) applyBlock(Buffer.concat([Buffer.from([1, 0]), out.subarray(0, end)]), block, rebuilt);
    expect(rebuilt.subarray(off).equals(after.subarray(off))).toBe(true);
    expect(rebuilt.subarray(12, 40).equals(after.subarray(12, 40))).toBe(true);
  });

  it('logs a formatted page as an image without its hole, and restores the hole as zeros', () => {
    const page = Buffer.alloc(PAGE_SIZE);
    initPage(page, PageKind.Heap, 0);
    const off = placeItemInFreeSlot(page, 1, 100);
    page.fill(9, off, off + 100);
    const out = Buffer.alloc(2 * PAGE_SIZE);
    out.writeUInt16LE(1, 0);
    const end = encodeFullImage(out, 2, rel, 1, page);
    expect(end).toBeLessThan(200);
    const restored = Buffer.alloc(PAGE_SIZE, 0xee);
    const [block] = blocksOf(out.subarray(0, end));
    if (block) applyBlock(out.subarray(0, end), block, restored);
    expect(restored.subarray(12).equals(page.subarray(12))).toBe(true);
  });
});
