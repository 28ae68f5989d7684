/**
 * Which seeds a simulation test runs: `KEEL_SEED=s` replays exactly one, `KEEL_SEEDS=n` runs n
 * consecutive seeds from a base (`KEEL_SEED_BASE`, default 1), and otherwise the CI default.
 * Exports: seedsFromEnv, replayCommand.
 */

function parseCount(raw: string | undefined, name: string): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function seedsFromEnv(defaultCount: number, env: NodeJS.ProcessEnv = process.env): number[] {
  const one = parseCount(env.KEEL_SEED, 'KEEL_SEED');
  if (one !== null) return [one];
  const count = parseCount(env.KEEL_SEEDS, 'KEEL_SEEDS') ?? defaultCount;
  const base = parseCount(env.KEEL_SEED_BASE, 'KEEL_SEED_BASE') ?? 1;
  return Array.from({ length: count }, (_, i) => base + i);
}

/** The command that replays one seed of the simulation test with a trace. */
export function replayCommand(seed: number): string {
  return `KEEL_SEED=${seed} npx vitest run packages/consensus/src/sim/simulation.test.ts`;
}
