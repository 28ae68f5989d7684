import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/storage-test-env.js';
import { FreeSpaceMap } from './free-space-map.js';

describe('FreeSpaceMap', () => {
  it('finds the lowest page with enough space, like a linear search over the recorded values', () => {
    const random = seededRandom(23);
    const fsm = new FreeSpaceMap();
    const model: number[] = [];
    for (let step = 0; step < 5000; step++) {
      const pageNo = Math.floor(random() * 3000);
      const free = Math.floor(random() * 8192);
      fsm.set(pageNo, free);
      while (model.length <= pageNo) model.push(0);
      model[pageNo] = Math.floor(Math.min(255 * 32, free) / 32) * 32;
      const need = Math.floor(random() * 8192);
      const want = model.findIndex((f) => f >= need && f >= Math.ceil(need / 32) * 32);
      expect(fsm.find(need)).toBe(want);
    }
  });

  it('round-trips through serialize', () => {
    const fsm = new FreeSpaceMap();
    for (let p = 0; p < 100; p++) fsm.set(p, p * 40);
    const copy = new FreeSpaceMap(fsm.serialize());
    expect(copy.pageCount).toBe(100);
    for (let p = 0; p < 100; p++) expect(copy.get(p)).toBe(fsm.get(p));
    expect(copy.find(3000)).toBe(fsm.find(3000));
    copy.set(3, 0);
    expect(new FreeSpaceMap(copy.serialize()).pageCount).toBe(100);
  });
});
