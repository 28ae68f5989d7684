import { describe, expect, test } from 'vitest';
import { type Entry, type HardState, LogIndex, Term } from '../raft/types.js';
import { MemoryStorage } from '../sim/memory-storage.js';
import { Prng } from '../sim/prng.js';
import { mergePersists, type PersistOutput } from './persist-batch.js';

const e = (index: number, term: number): Entry => ({
  index: LogIndex(index),
  term: Term(term),
  body: { type: 'noop' },
});
const hs = (term: number, commit: number): HardState => ({
  term: Term(term),
  vote: null,
  commit: LogIndex(commit),
});
const p = (parts: Partial<PersistOutput>): PersistOutput => ({
  kind: 'persist',
  hardState: null,
  snapshot: null,
  entries: [],
  ...parts,
});

describe('mergePersists', () => {
  test('later entries overwrite earlier ones from their first index; the last hard state wins', () => {
    const merged = mergePersists([
      p({ hardState: hs(2, 0), entries: [e(1, 1), e(2, 1), e(3, 1)] }),
      p({ entries: [e(3, 2), e(4, 2)] }),
      p({ hardState: hs(2, 2) }),
    ]);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.entries.map((x) => `${x.index}@${x.term}`)).toEqual(['1@1', '2@1', '3@2', '4@2']);
    expect(merged[0]?.hardState).toEqual(hs(2, 2));
  });

  test('a persist with a snapshot stays apart and in order', () => {
    const snap = {
      meta: { index: LogIndex(2), term: Term(1), config: { voters: [], learners: [], addresses: {} } },
      data: new Uint8Array(),
    };
    const merged = mergePersists([
      p({ entries: [e(1, 1)] }),
      p({ snapshot: snap }),
      p({ entries: [e(3, 1)] }),
    ]);
    expect(merged.map((m) => m.snapshot !== null)).toEqual([false, true, false]);
  });

  test('applying the merged batch leaves the same disk as applying each persist (random batches)', () => {
    const rng = new Prng(3);
    for (let round = 0; round < 300; round++) {
      const batch: PersistOutput[] = [];
      let last = 0;
      let term = 1;
      for (let k = 0; k < rng.between(1, 6); k++) {
        if (rng.chance(0.3)) term++;
        const from = Math.max(1, last + 1 - rng.int(3));
        const entries = Array.from({ length: rng.between(0, 3) }, (_, j) => e(from + j, term));
        if (entries.length > 0) last = from + entries.length - 1;
        batch.push(p({ hardState: rng.chance(0.5) ? hs(term, rng.int(last + 1)) : null, entries }));
      }
      const one = new MemoryStorage();
      const all = new MemoryStorage();
      for (const x of batch) one.apply(x);
      for (const x of mergePersists(batch)) all.apply(x);
      expect(all.load()).toEqual(one.load());
    }
  });
});
