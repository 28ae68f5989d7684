/**
 * Mathematical functions for the integer, float8 and numeric types: abs, sign, ceil/ceiling,
 * floor, round (float8 rounds half to even like C rint; numeric half away from zero, with a
 * scale argument), trunc, sqrt, cbrt, power/pow, exp, ln, log, log10, mod, div, gcd, lcm,
 * factorial, scale helpers, pi, random/setseed (the session's injected random source), degrees,
 * radians, the trigonometric functions (with PostgreSQL's exact results for degree variants at
 * 30/45/60/90 degrees), hyperbolic functions and width_bucket.
 * Exports: registerMathFunctions.
 */
import { KeelError, SqlState } from '@keel/errors';
import { int2Checked, int4Checked, int8Checked, roundHalfEven } from '../types/cast-functions.js';
import { divisionByZero, outOfRange } from '../types/errors.js';
import { Numeric } from '../types/numeric.js';
import {
  numericExp,
  numericFactorial,
  numericGcd,
  numericLcm,
  numericLn,
  numericLog,
  numericMinScale,
  numericPower,
  numericScale,
  numericSqrt,
  numericTrimScale,
} from '../types/numeric-math.js';
import { defineFunction } from './function-registry.js';
import { floatPower, floatSqrt } from './numeric-operators.js';
import { big, num, numeric } from './value-access.js';

function logError(x: number): void {
  if (x === 0) throw new KeelError(SqlState.InvalidArgumentForLogarithm, 'cannot take logarithm of zero');
  if (x < 0)
    throw new KeelError(SqlState.InvalidArgumentForLogarithm, 'cannot take logarithm of a negative number');
}

function floatLn(x: number): number {
  logError(x);
  return Math.log(x);
}

function floatLog10(x: number): number {
  logError(x);
  return Math.log10(x);
}

function floatExp(x: number): number {
  const r = Math.exp(x);
  if (!Number.isFinite(r) && Number.isFinite(x)) throw outOfRange('value out of range: overflow');
  if (r === 0 && Number.isFinite(x)) throw outOfRange('value out of range: underflow');
  return r;
}

function checkedTrig(f: (x: number) => number, x: number): number {
  if (!Number.isFinite(x) && !Number.isNaN(x)) throw outOfRange('input is out of range');
  return f(x);
}

function inverseTrig(f: (x: number) => number, x: number): number {
  if (x < -1 || x > 1) throw outOfRange('input is out of range');
  return f(x);
}

const radiansPerDegree = Math.PI / 180;
const sin30 = Math.sin(30 * radiansPerDegree);
const oneMinusCos60 = 1 - Math.cos(60 * radiansPerDegree);

function sind0to30(x: number): number {
  return Math.sin(x * radiansPerDegree) / sin30 / 2;
}

function cosd0to60(x: number): number {
  return 1 - (1 - Math.cos(x * radiansPerDegree)) / oneMinusCos60 / 2;
}

const asin05 = Math.asin(0.5);
const acos05 = Math.acos(0.5);
const atan10 = Math.atan(1);

/** asind on [0, 1], exact at 0.5 and 1 as PostgreSQL's asind_q1. */
function asindQ1(x: number): number {
  return x <= 0.5 ? (Math.asin(x) / asin05) * 30 : 90 - (Math.acos(x) / acos05) * 60;
}

function acosdQ1(x: number): number {
  return x <= 0.5 ? 90 - (Math.asin(x) / asin05) * 30 : (Math.acos(x) / acos05) * 60;
}

function asind(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < -1 || x > 1) throw outOfRange('input is out of range');
  return x >= 0 ? asindQ1(x) : -asindQ1(-x);
}

function acosd(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < -1 || x > 1) throw outOfRange('input is out of range');
  return x >= 0 ? acosdQ1(x) : 180 - acosdQ1(-x);
}

function sindQ1(x: number): number {
  return x <= 30 ? sind0to30(x) : cosd0to60(90 - x);
}

function cosdQ1(x: number): number {
  return x <= 60 ? cosd0to60(x) : sind0to30(90 - x);
}

function sind(x: number): number {
  if (Number.isNaN(x)) return x;
  if (!Number.isFinite(x)) throw outOfRange('input is out of range');
  let a = x % 360;
  let sign = 1;
  if (a < 0) {
    a = -a;
    sign = -1;
  }
  if (a > 180) {
    a -= 180;
    sign = -sign;
  }
  if (a > 90) a = 180 - a;
  return sign * sindQ1(a) + 0;
}

function cosd(x: number): number {
  if (Number.isNaN(x)) return x;
  if (!Number.isFinite(x)) throw outOfRange('input is out of range');
  let a = Math.abs(x % 360);
  let sign = 1;
  if (a > 180) a = 360 - a;
  if (a > 90) {
    a = 180 - a;
    sign = -1;
  }
  return sign * cosdQ1(a) + 0;
}

function widthBucketFloat(x: number, low: number, high: number, count: number): number {
  if (count <= 0)
    throw new KeelError(SqlState.InvalidArgumentForWidthBucketFunction, 'count must be greater than zero');
  if (Number.isNaN(x) || Number.isNaN(low) || Number.isNaN(high)) {
    throw new KeelError(
      SqlState.InvalidArgumentForWidthBucketFunction,
      'operand, lower bound, and upper bound cannot be NaN',
    );
  }
  if (!Number.isFinite(low) || !Number.isFinite(high)) {
    throw new KeelError(
      SqlState.InvalidArgumentForWidthBucketFunction,
      'lower and upper bounds must be finite',
    );
  }
  if (low === high) {
    throw new KeelError(
      SqlState.InvalidArgumentForWidthBucketFunction,
      'lower bound cannot equal upper bound',
    );
  }
  if (low < high) {
    if (x < low) return 0;
    if (x >= high) return int4Checked(count + 1);
    return Math.floor((count * (x - low)) / (high - low)) + 1;
  }
  if (x > low) return 0;
  if (x <= high) return int4Checked(count + 1);
  return Math.floor((count * (low - x)) / (low - high)) + 1;
}

function registerAbsSignRounding(): void {
  defineFunction('abs', ['int2'], 'int2', ([x]) => int2Checked(Math.abs(num(x))));
  defineFunction('abs', ['int4'], 'int4', ([x]) => int4Checked(Math.abs(num(x))));
  defineFunction('abs', ['int8'], 'int8', ([x]) => int8Checked(big(x) < 0n ? -big(x) : big(x)));
  defineFunction('abs', ['float4'], 'float4', ([x]) => Math.abs(num(x)));
  defineFunction('abs', ['float8'], 'float8', ([x]) => Math.abs(num(x)));
  defineFunction('abs', ['numeric'], 'numeric', ([x]) => numeric(x).abs());
  defineFunction('sign', ['float8'], 'float8', ([x]) => (num(x) > 0 ? 1 : num(x) < 0 ? -1 : 0));
  defineFunction('sign', ['numeric'], 'numeric', ([x]) =>
    numeric(x).isNaN() ? Numeric.NaN : Numeric.fromInt(numeric(x).sign()),
  );
  for (const name of ['ceil', 'ceiling']) {
    defineFunction(name, ['float8'], 'float8', ([x]) => Math.ceil(num(x)) + 0);
    defineFunction(name, ['numeric'], 'numeric', ([x]) => numeric(x).ceil());
  }
  defineFunction('floor', ['float8'], 'float8', ([x]) => Math.floor(num(x)));
  defineFunction('floor', ['numeric'], 'numeric', ([x]) => numeric(x).floor());
  defineFunction('round', ['float8'], 'float8', ([x]) => roundHalfEven(num(x)));
  defineFunction('round', ['numeric'], 'numeric', ([x]) => numeric(x).round(0));
  defineFunction('round', ['numeric', 'int4'], 'numeric', ([x, s]) => numeric(x).round(num(s)));
  defineFunction('trunc', ['float8'], 'float8', ([x]) => Math.trunc(num(x)));
  defineFunction('trunc', ['numeric'], 'numeric', ([x]) => numeric(x).trunc(0));
  defineFunction('trunc', ['numeric', 'int4'], 'numeric', ([x, s]) => numeric(x).trunc(num(s)));
  defineFunction('scale', ['numeric'], 'int4', ([x]) => numericScale(numeric(x)));
  defineFunction('min_scale', ['numeric'], 'int4', ([x]) => numericMinScale(numeric(x)));
  defineFunction('trim_scale', ['numeric'], 'numeric', ([x]) => numericTrimScale(numeric(x)));
}

function registerPowersAndLogs(): void {
  defineFunction('sqrt', ['float8'], 'float8', ([x]) => floatSqrt(num(x)));
  defineFunction('sqrt', ['numeric'], 'numeric', ([x]) => numericSqrt(numeric(x)));
  defineFunction('cbrt', ['float8'], 'float8', ([x]) => Math.cbrt(num(x)));
  for (const name of ['power', 'pow']) {
    defineFunction(name, ['float8', 'float8'], 'float8', ([x, y]) => floatPower(num(x), num(y)));
    defineFunction(name, ['numeric', 'numeric'], 'numeric', ([x, y]) => numericPower(numeric(x), numeric(y)));
  }
  defineFunction('exp', ['float8'], 'float8', ([x]) => floatExp(num(x)));
  defineFunction('exp', ['numeric'], 'numeric', ([x]) => numericExp(numeric(x)));
  defineFunction('ln', ['float8'], 'float8', ([x]) => floatLn(num(x)));
  defineFunction('ln', ['numeric'], 'numeric', ([x]) => numericLn(numeric(x)));
  defineFunction('log', ['float8'], 'float8', ([x]) => floatLog10(num(x)));
  defineFunction('log10', ['float8'], 'float8', ([x]) => floatLog10(num(x)));
  const ten = Numeric.fromInt(10);
  defineFunction('log', ['numeric'], 'numeric', ([x]) => numericLog(ten, numeric(x)));
  defineFunction('log10', ['numeric'], 'numeric', ([x]) => numericLog(ten, numeric(x)));
  defineFunction('log', ['numeric', 'numeric'], 'numeric', ([b, x]) => numericLog(numeric(b), numeric(x)));
  defineFunction('factorial', ['int8'], 'numeric', ([n]) => numericFactorial(Number(big(n))));
}

function intMod(a: number, b: number): number {
  if (b === 0) throw divisionByZero();
  return (a % b) + 0;
}

function gcdBig(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function registerIntegerMath(): void {
  defineFunction('mod', ['int2', 'int2'], 'int2', ([a, b]) => intMod(num(a), num(b)));
  defineFunction('mod', ['int4', 'int4'], 'int4', ([a, b]) => intMod(num(a), num(b)));
  defineFunction('mod', ['int8', 'int8'], 'int8', ([a, b]) => {
    if (big(b) === 0n) throw divisionByZero();
    return big(a) % big(b);
  });
  defineFunction('mod', ['numeric', 'numeric'], 'numeric', ([a, b]) => numeric(a).mod(numeric(b)));
  defineFunction('div', ['numeric', 'numeric'], 'numeric', ([a, b]) => numeric(a).divTrunc(numeric(b)));
  defineFunction('gcd', ['int4', 'int4'], 'int4', ([a, b]) =>
    int4Checked(Number(gcdBig(BigInt(num(a)), BigInt(num(b))))),
  );
  defineFunction('gcd', ['int8', 'int8'], 'int8', ([a, b]) => int8Checked(gcdBig(big(a), big(b))));
  defineFunction('gcd', ['numeric', 'numeric'], 'numeric', ([a, b]) => numericGcd(numeric(a), numeric(b)));
  defineFunction('lcm', ['int4', 'int4'], 'int4', ([a, b]) =>
    int4Checked(Number(lcmBig(BigInt(num(a)), BigInt(num(b))))),
  );
  defineFunction('lcm', ['int8', 'int8'], 'int8', ([a, b]) => int8Checked(lcmBig(big(a), big(b))));
  defineFunction('lcm', ['numeric', 'numeric'], 'numeric', ([a, b]) => numericLcm(numeric(a), numeric(b)));
}

function lcmBig(a: bigint, b: bigint): bigint {
  if (a === 0n || b === 0n) return 0n;
  const r = (a / gcdBig(a, b)) * b;
  return r < 0n ? -r : r;
}

function registerTrig(): void {
  const unary: [string, (x: number) => number][] = [
    ['sin', (x) => checkedTrig(Math.sin, x)],
    ['cos', (x) => checkedTrig(Math.cos, x)],
    ['tan', (x) => checkedTrig(Math.tan, x)],
    ['cot', (x) => checkedTrig((y) => 1 / Math.tan(y), x)],
    ['asin', (x) => inverseTrig(Math.asin, x)],
    ['acos', (x) => inverseTrig(Math.acos, x)],
    ['atan', Math.atan],
    ['sinh', Math.sinh],
    ['cosh', Math.cosh],
    ['tanh', Math.tanh],
    ['asinh', Math.asinh],
    ['acosh', (x) => inverseRange(Math.acosh, x, x < 1)],
    ['atanh', (x) => inverseRange(Math.atanh, x, x < -1 || x > 1)],
    ['sind', sind],
    ['cosd', cosd],
    ['tand', (x) => sind(x) / cosd(x)],
    ['cotd', (x) => cosd(x) / sind(x)],
    ['asind', asind],
    ['acosd', acosd],
    ['atand', (x) => (Math.atan(x) / atan10) * 45],
    ['degrees', (x) => x / radiansPerDegree],
    ['radians', (x) => x * radiansPerDegree],
  ];
  for (const [name, f] of unary) defineFunction(name, ['float8'], 'float8', ([x]) => f(num(x)));
  defineFunction('atan2', ['float8', 'float8'], 'float8', ([y, x]) => Math.atan2(num(y), num(x)));
  defineFunction(
    'atan2d',
    ['float8', 'float8'],
    'float8',
    ([y, x]) => (Math.atan2(num(y), num(x)) / atan10) * 45,
  );
  defineFunction('pi', [], 'float8', () => Math.PI);
}

function inverseRange(f: (x: number) => number, x: number, bad: boolean): number {
  if (bad) throw outOfRange('input is out of range');
  return f(x);
}

function registerRandomAndBuckets(): void {
  defineFunction('random', [], 'float8', (_args, ctx) => ctx.random.next(), { volatility: 'volatile' });
  defineFunction(
    'setseed',
    ['float8'],
    'void',
    ([x], ctx) => {
      const seed = num(x);
      if (!(seed >= -1 && seed <= 1)) {
        throw new KeelError(
          SqlState.InvalidParameterValue,
          `setseed parameter ${seed} is out of allowed range [-1,1]`,
        );
      }
      ctx.random.seed(seed);
      return null;
    },
    { volatility: 'volatile' },
  );
  defineFunction('width_bucket', ['float8', 'float8', 'float8', 'int4'], 'int4', ([x, lo, hi, n]) =>
    widthBucketFloat(num(x), num(lo), num(hi), num(n)),
  );
  defineFunction('width_bucket', ['numeric', 'numeric', 'numeric', 'int4'], 'int4', ([x, lo, hi, n]) =>
    widthBucketFloat(numeric(x).toFloat(), numeric(lo).toFloat(), numeric(hi).toFloat(), num(n)),
  );
}

export function registerMathFunctions(): void {
  registerAbsSignRounding();
  registerPowersAndLogs();
  registerIntegerMath();
  registerTrig();
  registerRandomAndBuckets();
}
