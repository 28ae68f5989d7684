/**
 * EvalContext: what a function implementation may read besides its arguments: the session's
 * type settings (TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output), the
 * statement and transaction start times, a clock for clock_timestamp(), and the session's
 * random source (random()/setseed()). Everything is injected; no implementation reads the
 * system clock or Math.random directly, so tests are deterministic.
 * Exports: EvalContext, RandomSource, makeEvalContext, seededRandom.
 */
import { defaultTypeSettings, type TypeSettings } from '../types/settings.js';

export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** setseed(x), x in [-1, 1]. */
  seed(x: number): void;
}

export interface EvalContext extends TypeSettings {
  /** Start of the current statement, microseconds since 2000-01-01 UTC (statement_timestamp()). */
  statementTimestamp: bigint;
  /** Current time for clock_timestamp() and timeofday(). */
  clockTimestamp(): bigint;
  random: RandomSource;
}

/** xorshift128+-style generator; seedable, deterministic. */
export function seededRandom(seed = 0x2545f491): RandomSource {
  let s0 = BigInt(seed) | 1n;
  let s1 = 0x9e3779b97f4a7c15n;
  const mask = 0xffffffffffffffffn;
  return {
    next(): number {
      let x = s0;
      const y = s1;
      s0 = y;
      x ^= (x << 23n) & mask;
      s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
      const out = (s1 + y) & mask;
      return Number(out >> 11n) / 2 ** 53;
    },
    seed(x: number): void {
      const bits = BigInt(Math.round((x + 1) * 2 ** 31)) & mask;
      s0 = bits | 1n;
      s1 = 0x9e3779b97f4a7c15n ^ (bits << 7n);
    },
  };
}

/** A context with default settings, a fixed clock at `now`, and a seeded random source. */
export function makeEvalContext(overrides: Partial<EvalContext> = {}): EvalContext {
  const now = overrides.transactionTimestamp ?? 0n;
  return {
    ...defaultTypeSettings(),
    transactionTimestamp: now,
    statementTimestamp: now,
    clockTimestamp: () => now,
    random: seededRandom(),
    ...overrides,
  };
}
