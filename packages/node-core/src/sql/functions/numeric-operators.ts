/**
 * Arithmetic operators on int2, int4, int8, float4, float8 and numeric, with PostgreSQL's
 * operator set (including the mixed-width integer operators such as int4 + int8 -> int8 and
 * float4 * float8 -> float8) and its errors: 22003 "integer out of range" / "smallint out of
 * range" / "bigint out of range" and "value out of range: overflow|underflow" for floats, 22012
 * "division by zero", 2201F for invalid powers. Integer division truncates toward zero.
 * Exports: registerNumericOperators, float8Checked, int arithmetic helpers.
 */
import { KeelError, SqlState } from '@keel/errors';
import { int2Checked, int4Checked, int8Checked } from '../types/cast-functions.js';
import { divisionByZero, outOfRange } from '../types/errors.js';
import { numericPower } from '../types/numeric-math.js';
import { defineOperator } from './function-registry.js';
import { big, num, numeric } from './value-access.js';

const ints = ['int2', 'int4', 'int8'] as const;
type IntName = (typeof ints)[number];

function wider(a: IntName, b: IntName): IntName {
  return ints[Math.max(ints.indexOf(a), ints.indexOf(b))] ?? 'int8';
}

function check(kind: IntName, n: number): number {
  return kind === 'int2' ? int2Checked(n) : int4Checked(n);
}

function toBig(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

function registerIntegerArithmetic(): void {
  for (const l of ints) {
    for (const r of ints) {
      const res = wider(l, r);
      if (res === 'int8') registerInt8Ops(l, r);
      else registerSmallOps(l, r, res);
    }
  }
}

function registerSmallOps(l: IntName, r: IntName, res: IntName): void {
  defineOperator('+', [l, r], res, ([a, b]) => check(res, num(a) + num(b)));
  defineOperator('-', [l, r], res, ([a, b]) => check(res, num(a) - num(b)));
  defineOperator('*', [l, r], res, ([a, b]) => check(res, num(a) * num(b)));
  defineOperator('/', [l, r], res, ([a, b]) => {
    if (num(b) === 0) throw divisionByZero();
    return check(res, Math.trunc(num(a) / num(b)));
  });
  if (l === r) {
    defineOperator('%', [l, r], res, ([a, b]) => {
      if (num(b) === 0) throw divisionByZero();
      return (num(a) % num(b)) + 0;
    });
  }
}

function registerInt8Ops(l: IntName, r: IntName): void {
  defineOperator('+', [l, r], 'int8', ([a, b]) => int8Checked(toBig(a) + toBig(b)));
  defineOperator('-', [l, r], 'int8', ([a, b]) => int8Checked(toBig(a) - toBig(b)));
  defineOperator('*', [l, r], 'int8', ([a, b]) => int8Checked(toBig(a) * toBig(b)));
  defineOperator('/', [l, r], 'int8', ([a, b]) => {
    const d = toBig(b);
    if (d === 0n) throw divisionByZero();
    return int8Checked(toBig(a) / d);
  });
  if (l === r) {
    defineOperator('%', [l, r], 'int8', ([a, b]) => {
      const d = big(b);
      if (d === 0n) throw divisionByZero();
      return big(a) % d;
    });
  }
}

function registerIntegerUnaryAndBits(): void {
  for (const k of ints) {
    if (k === 'int8') {
      defineOperator('-', [k], k, ([a]) => int8Checked(-big(a)));
      defineOperator('+', [k], k, ([a]) => a ?? null);
      defineOperator('@', [k], k, ([a]) => int8Checked(big(a) < 0n ? -big(a) : big(a)));
      defineOperator('~', [k], k, ([a]) => ~big(a));
      defineOperator('&', [k, k], k, ([a, b]) => big(a) & big(b));
      defineOperator('|', [k, k], k, ([a, b]) => big(a) | big(b));
      defineOperator('#', [k, k], k, ([a, b]) => big(a) ^ big(b));
      defineOperator('<<', [k, 'int4'], k, ([a, b]) => BigInt.asIntN(64, big(a) << BigInt(num(b) & 63)));
      defineOperator('>>', [k, 'int4'], k, ([a, b]) => big(a) >> BigInt(num(b) & 63));
      continue;
    }
    const bits = k === 'int2' ? 16 : 32;
    const wrap = (n: number) => (bits === 16 ? (n << 16) >> 16 : n | 0);
    defineOperator('-', [k], k, ([a]) => check(k, -num(a)));
    defineOperator('+', [k], k, ([a]) => a ?? null);
    defineOperator('@', [k], k, ([a]) => check(k, Math.abs(num(a))));
    defineOperator('~', [k], k, ([a]) => wrap(~num(a)));
    defineOperator('&', [k, k], k, ([a, b]) => num(a) & num(b));
    defineOperator('|', [k, k], k, ([a, b]) => num(a) | num(b));
    defineOperator('#', [k, k], k, ([a, b]) => num(a) ^ num(b));
    defineOperator('<<', [k, 'int4'], k, ([a, b]) => wrap(num(a) << (num(b) & (bits - 1))));
    defineOperator('>>', [k, 'int4'], k, ([a, b]) => num(a) >> (num(b) & (bits - 1)));
  }
}

/** PostgreSQL's check_float8_val: overflow when an infinity appears from finite inputs, underflow when zero does from nonzero ones. */
export function float8Checked(r: number, infAllowed: boolean, zeroAllowed: boolean): number {
  if (!Number.isFinite(r) && !Number.isNaN(r) && !infAllowed)
    throw outOfRange('value out of range: overflow');
  if (r === 0 && !zeroAllowed) throw outOfRange('value out of range: underflow');
  return r;
}

function registerFloatArithmetic(): void {
  const pairs: [string, string, string][] = [
    ['float4', 'float4', 'float4'],
    ['float4', 'float8', 'float8'],
    ['float8', 'float4', 'float8'],
    ['float8', 'float8', 'float8'],
  ];
  for (const [l, r, res] of pairs) {
    const round = res === 'float4' ? Math.fround : (x: number) => x;
    const inf = (a: number, b: number) => !Number.isFinite(a) || !Number.isFinite(b);
    defineOperator('+', [l, r], res, ([a, b]) =>
      float8Checked(round(num(a) + num(b)), inf(num(a), num(b)), true),
    );
    defineOperator('-', [l, r], res, ([a, b]) =>
      float8Checked(round(num(a) - num(b)), inf(num(a), num(b)), true),
    );
    defineOperator('*', [l, r], res, ([a, b]) =>
      float8Checked(round(num(a) * num(b)), inf(num(a), num(b)), num(a) === 0 || num(b) === 0),
    );
    defineOperator('/', [l, r], res, ([a, b]) => {
      if (num(b) === 0 && !Number.isNaN(num(a))) throw divisionByZero();
      return float8Checked(round(num(a) / num(b)), inf(num(a), 0), num(a) === 0 || !Number.isFinite(num(b)));
    });
  }
  for (const k of ['float4', 'float8']) {
    defineOperator('-', [k], k, ([a]) => -num(a));
    defineOperator('+', [k], k, ([a]) => a ?? null);
    defineOperator('@', [k], k, ([a]) => Math.abs(num(a)));
  }
  defineOperator('^', ['float8', 'float8'], 'float8', ([a, b]) => floatPower(num(a), num(b)));
  defineOperator('|/', ['float8'], 'float8', ([a]) => floatSqrt(num(a)));
  defineOperator('||/', ['float8'], 'float8', ([a]) => Math.cbrt(num(a)));
}

export function floatSqrt(x: number): number {
  if (x < 0)
    throw new KeelError(
      SqlState.InvalidArgumentForPowerFunction,
      'cannot take square root of a negative number',
    );
  return Math.sqrt(x);
}

/** dpow with PostgreSQL's special cases and errors. */
export function floatPower(x: number, y: number): number {
  if (Number.isNaN(x)) return y === 0 ? 1 : Number.NaN;
  if (Number.isNaN(y)) return x === 1 ? 1 : Number.NaN;
  if (x === 0 && y < 0) {
    throw new KeelError(
      SqlState.InvalidArgumentForPowerFunction,
      'zero raised to a negative power is undefined',
    );
  }
  if (x < 0 && Number.isFinite(y) && !Number.isInteger(y)) {
    throw new KeelError(
      SqlState.InvalidArgumentForPowerFunction,
      'a negative number raised to a non-integer power yields a complex result',
    );
  }
  if (x === -1 && !Number.isFinite(y)) return 1;
  const r = x ** y;
  const finiteInputs = Number.isFinite(x) && Number.isFinite(y);
  return float8Checked(r, !finiteInputs, !finiteInputs || x === 0);
}

function registerNumericArithmetic(): void {
  const n = 'numeric';
  defineOperator('+', [n, n], n, ([a, b]) => numeric(a).add(numeric(b)));
  defineOperator('-', [n, n], n, ([a, b]) => numeric(a).sub(numeric(b)));
  defineOperator('*', [n, n], n, ([a, b]) => numeric(a).mul(numeric(b)));
  defineOperator('/', [n, n], n, ([a, b]) => numeric(a).div(numeric(b)));
  defineOperator('%', [n, n], n, ([a, b]) => numeric(a).mod(numeric(b)));
  defineOperator('^', [n, n], n, ([a, b]) => numericPower(numeric(a), numeric(b)));
  defineOperator('-', [n], n, ([a]) => numeric(a).negate());
  defineOperator('+', [n], n, ([a]) => a ?? null);
  defineOperator('@', [n], n, ([a]) => numeric(a).abs());
}

export function registerNumericOperators(): void {
  registerIntegerArithmetic();
  registerIntegerUnaryAndBits();
  registerFloatArithmetic();
  registerNumericArithmetic();
}
