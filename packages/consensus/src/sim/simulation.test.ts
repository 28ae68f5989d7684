/**
 * Deterministic simulation over many seeds (see simulation.ts). Each failure message starts
 * with its seed and the command that replays it; a replay (KEEL_SEED=s) prints the trace.
 */
import { describe, expect, test } from 'vitest';
import { replayCommand, seedsFromEnv } from './seeds.js';
import { Simulation } from './simulation.js';

// Sized to finish in well under a minute on two cores; KEEL_SEEDS=n runs more.
const defaultSeeds = 3000;

function failureReport(seed: number): string {
  const replay = new Simulation({ seed, trace: true }).run();
  return [
    `seed ${seed}: replay with: ${replayCommand(seed)}`,
    `profile: ${replay.profile}`,
    'violations:',
    ...replay.violations.map((v) => `  ${v}`),
    'final status:',
    ...replay.finalStatus.map((line) => `  ${line}`),
    `last ${replay.trace.length} events:`,
    ...replay.trace.map((line) => `  ${line}`),
  ].join('\n');
}

describe('raft under simulated faults', () => {
  const seeds = seedsFromEnv(defaultSeeds);
  test.each(seeds)('seed %i keeps every safety invariant and recovers after healing', (seed) => {
    const result = new Simulation({ seed, trace: seeds.length === 1 }).run();
    if (result.violations.length > 0) expect.fail(failureReport(seed));
    expect(result.stats.committed, `seed ${seed}: nothing committed; ${replayCommand(seed)}`).toBeGreaterThan(
      0,
    );
  });
});
