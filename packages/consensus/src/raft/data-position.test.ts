import { describe, expect, test } from 'vitest';
import { acceptAnyDataPosition, compareTermLsn } from './data-position.js';

const pos = (term: number, lsn: bigint) => ({ term, lsn });

describe('data position comparators', () => {
  test('the default accepts every candidate', () => {
    expect(acceptAnyDataPosition(null, pos(9, 9n))).toBe(0);
    expect(acceptAnyDataPosition(pos(0, 0n), pos(9, 9n))).toBe(0);
  });

  test('compareTermLsn orders by term, then LSN', () => {
    expect(compareTermLsn(pos(2, 5n), pos(1, 500n))).toBeGreaterThan(0);
    expect(compareTermLsn(pos(1, 500n), pos(2, 5n))).toBeLessThan(0);
    expect(compareTermLsn(pos(1, 10n), pos(1, 20n))).toBeLessThan(0);
    expect(compareTermLsn(pos(1, 20n), pos(1, 20n))).toBe(0);
    // LSNs beyond 2^53 compare exactly.
    expect(compareTermLsn(pos(1, 2n ** 60n + 1n), pos(1, 2n ** 60n))).toBeGreaterThan(0);
  });

  test('a missing position counts as the lowest', () => {
    expect(compareTermLsn(null, pos(0, 0n))).toBeLessThan(0);
    expect(compareTermLsn(pos(0, 0n), null)).toBeGreaterThan(0);
    expect(compareTermLsn(null, null)).toBe(0);
  });
});
