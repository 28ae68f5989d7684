import { describe, expect, test } from 'vitest';
import { Prng } from '../sim/prng.js';
import { committedIndex, hasQuorum, majority, voteOutcome } from './quorum.js';

// Naive models: count, for every candidate value, how many voters satisfy it.
function naiveCommitted(matches: number[]): number {
  let best = 0;
  for (const candidate of matches) {
    const holders = matches.filter((m) => m >= candidate).length;
    if (holders >= majority(matches.length) && candidate > best) best = candidate;
  }
  return best;
}

function naiveOutcome(voters: number, granted: number, rejected: number): string {
  if (granted * 2 > voters) return 'won';
  if ((voters - rejected) * 2 <= voters) return 'lost';
  return 'pending';
}

describe('quorum arithmetic against a naive model', () => {
  test('majority', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(majority)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  test('committedIndex equals the largest value a majority reaches (2000 random cases)', () => {
    const rng = new Prng(42);
    for (let round = 0; round < 2000; round++) {
      const voters = Array.from({ length: rng.between(1, 9) }, (_, k) => `v${k}`);
      const match = new Map(voters.map((v) => [v, rng.int(20)]));
      const fast = committedIndex(voters, (id) => match.get(id) ?? 0);
      expect(fast, JSON.stringify([...match])).toBe(naiveCommitted([...match.values()]));
    }
  });

  test('an empty voter set commits nothing and wins nothing', () => {
    expect(committedIndex([], () => 5)).toBe(0);
    expect(voteOutcome([], new Map())).toBe('lost');
    expect(hasQuorum([], () => true)).toBe(false);
  });

  test('voteOutcome matches the naive count; votes from non-voters are ignored', () => {
    const rng = new Prng(9);
    for (let round = 0; round < 2000; round++) {
      const voters = Array.from({ length: rng.between(1, 7) }, (_, k) => `v${k}`);
      const votes = new Map<string, boolean>();
      for (const v of voters) if (rng.chance(0.7)) votes.set(v, rng.chance(0.5));
      votes.set('outsider', true);
      const granted = voters.filter((v) => votes.get(v) === true).length;
      const rejected = voters.filter((v) => votes.get(v) === false).length;
      expect(voteOutcome(voters, votes)).toBe(naiveOutcome(voters.length, granted, rejected));
    }
  });

  test('hasQuorum needs a strict majority', () => {
    const voters = ['a', 'b', 'c', 'd'];
    expect(hasQuorum(voters, (id) => id === 'a' || id === 'b')).toBe(false);
    expect(hasQuorum(voters, (id) => id !== 'd')).toBe(true);
  });
});
