import { describe, expect, it } from 'vitest';
import type { RelFileId } from '../ids.js';
import { initPage, PAGE_SIZE, PageKind } from '../page/page-layout.js';
import { placeItemInFreeSlot } from '../page/slotted-page.js';
import { seededRandom } from '../testing/storage-test-env.js';
import { applyBlock, type BlockRef, encodeDelta, encodeFullImage, forEachBlock } from './page-delta.js';

const rel = 3 as RelFileId;

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
      const changed = !before.subarray(12).equals(after.subarray(12));
      expect(end > 2).toBe(changed);
      if (!changed) continue;
      const payload = out.subarray(0, end);
      const [block] = blocksOf(payload);
      expect(block?.end).toBe(end);
      const rebuilt = Buffer.from(before);
      if (block) applyBlock(payload, block, rebuilt);
      expect(rebuilt.subarray(12).equals(after.subarray(12))).toBe(true);
      if (edits === 1) expect(end - 2).toBeLessThan(PAGE_SIZE);
    }
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
