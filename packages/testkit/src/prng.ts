/**
 * A small seeded PRNG (mulberry32) for reproducible randomized tests: the same seed gives the
 * same sequence on every machine. Print the seed in every failure so it can be replayed.
 * Exports: Prng, seedFromEnv.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** KEEL_SEED=<n> replays one seed; otherwise `count` seeds from `base`. */
export function seedFromEnv(count: number, base = 1): number[] {
  const fixed = process.env.KEEL_SEED;
  if (fixed !== undefined && fixed !== '') return [Number(fixed)];
  const requested = Number(process.env.KEEL_SEEDS ?? count);
  return Array.from({ length: requested }, (_, i) => base + i);
}
