import { describe, expect, test } from 'vitest';
import { Prng } from '../sim/prng.js';
import { quorumLsn } from './quorum.js';

/** The naive rule: the largest L such that at least n positions are >= L (among the positions). */
function naive(positions: number[], n: number): number {
  if (n <= 0) return Number.POSITIVE_INFINITY;
  let best = -1;
  for (const candidate of positions) {
    if (positions.filter((p) => p >= candidate).length >= n) best = Math.max(best, candidate);
  }
  return best;
}

describe('quorumLsn', () => {
  test('agrees with the naive rule on random inputs', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 5000; i++) {
      const positions = Array.from({ length: rng.between(0, 6) }, () => rng.between(0, 50));
      const n = rng.between(0, 7);
      expect(quorumLsn(positions, n), JSON.stringify({ positions, n })).toBe(naive(positions, n));
    }
  });

  test('fewer replicas than needed means no quorum', () => {
    expect(quorumLsn([100], 2)).toBe(-1);
    expect(quorumLsn([100, 50, 70], 2)).toBe(70);
  });
});
