/**
 * Seeded simulation of the replication cores: CI runs 150 seeds; `KEEL_SEED=n` replays one with
 * its trace, `KEEL_SEEDS=n` (and `KEEL_SEED_BASE`) runs more. A failure names its seed and the
 * replay command first.
 */
import { describe, expect, test } from 'vitest';
import { silentLogger } from '../logger.js';
import { runSimulation } from './simulation.js';

function seeds(): number[] {
  const one = process.env.KEEL_SEED;
  if (one !== undefined && one !== '') return [Number(one)];
  const count = Number(process.env.KEEL_SEEDS ?? 150);
  const base = Number(process.env.KEEL_SEED_BASE ?? 1);
  return Array.from({ length: count }, (_, i) => base + i);
}

describe('replication simulation', () => {
  test.each(seeds())('seed %i keeps every invariant and converges', (seed) => {
    const result = runSimulation(seed, silentLogger);
    const replay = `KEEL_SEED=${seed} npx vitest run packages/replication/src/sim/simulation.test.ts`;
    const message = `seed ${seed} (replay: ${replay}) profile ${result.profile}\n${result.violations.join('\n')}\n--- last events ---\n${result.trace.join('\n')}`;
    expect(result.violations, message).toEqual([]);
  });

  test('the seeds exercise what they claim to (commits released, failovers happen)', () => {
    let released = 0;
    let failovers = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const result = runSimulation(seed, silentLogger, 600, 2000);
      released += result.released;
      failovers += result.failovers;
    }
    expect(released).toBeGreaterThan(1000);
    expect(failovers).toBeGreaterThan(3);
  });
});
