/**
 * Transcendental and integer functions on numeric with PostgreSQL's result scales: sqrt, exp,
 * ln, log(b, x), power (integer exponents exactly, at scale max(16, base scale); other exponents
 * through exp(y * ln x) at 16 significant digits), gcd, lcm, factorial and the scale helpers.
 * Errors as PostgreSQL: 2201E for logarithms of zero or negatives, 2201F for invalid powers and
 * square roots of negatives.
 * Exports: numericSqrt, numericExp, numericLn, numericLog, numericPower, numericGcd, numericLcm,
 * numericFactorial, numericScale, numericMinScale, numericTrimScale.
 */
import { KeelError, SqlState } from '@keel/errors';
import { Decimal } from 'decimal.js';
import { outOfRange } from './errors.js';
import { Dec, Numeric, numericMaxDisplayScale, numericMinSigDigits, withPrecision } from './numeric.js';

/** PostgreSQL's literal for log10(e) in its scale estimates (kept verbatim so truncations agree). */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: must equal PostgreSQL's constant, not Math.LOG10E
const log10e = 0.434294481903252;

function clampScale(rscale: number, ...others: number[]): number {
  return Math.min(Math.max(rscale, ...others, 0), numericMaxDisplayScale);
}

function roundTo(d: Dec, scale: number): Numeric {
  return Numeric.of(d, scale);
}

/** Digits of working precision for a result with `scale` decimals and decimal exponent about `e`. */
function digitsFor(e: number, scale: number): number {
  return Math.max(e, 0) + scale + 10;
}

export function numericSqrt(x: Numeric): Numeric {
  if (x.isNaN()) return x;
  if (x.sign() < 0) {
    throw new KeelError(
      SqlState.InvalidArgumentForPowerFunction,
      'cannot take square root of a negative number',
    );
  }
  if (x.isInfinite()) return x;
  const { weight } = x.nbaseWeight();
  const sweight = Math.trunc(((weight + 1) * 4) / 2) - 1;
  const rscale = clampScale(numericMinSigDigits - sweight, x.dscale);
  if (x.isZero()) return Numeric.of(new Dec(0), rscale);
  const r = withPrecision(digitsFor(x.dec.e / 2 + 1, rscale), Decimal.ROUND_DOWN, () => x.dec.sqrt());
  return roundTo(r, rscale);
}

export function numericExp(x: Numeric): Numeric {
  if (x.isNaN()) return x;
  if (x.isInfinite()) return x.sign() > 0 ? x : Numeric.Zero;
  let val = x.dec.toNumber() * log10e;
  val = Math.min(Math.max(val, -numericMaxDisplayScale), numericMaxDisplayScale);
  const rscale = clampScale(numericMinSigDigits - Math.trunc(val), x.dscale);
  if (val > 131072) throw outOfRange('value overflows numeric format');
  const r = withPrecision(digitsFor(Math.ceil(val) + 1, rscale), Decimal.ROUND_DOWN, () => x.dec.exp());
  return roundTo(r, rscale);
}

/** PostgreSQL's estimate of the decimal weight of ln(x). */
function estimateLnWeight(x: Numeric): number {
  if (x.sign() <= 0) return 0;
  const d = x.dec;
  if (d.gte('0.9') && d.lte('1.1')) {
    const y = d.minus(1);
    return y.isZero() ? 0 : y.e;
  }
  const { weight, firstDigit } = x.nbaseWeight();
  const lnValue = Math.log(firstDigit) + weight * 4 * Math.LN10;
  return Math.trunc(Math.log10(Math.abs(lnValue)));
}

function checkLogArgument(x: Numeric): void {
  if (x.isZero()) throw new KeelError(SqlState.InvalidArgumentForLogarithm, 'cannot take logarithm of zero');
  if (x.sign() < 0)
    throw new KeelError(SqlState.InvalidArgumentForLogarithm, 'cannot take logarithm of a negative number');
}

export function numericLn(x: Numeric): Numeric {
  if (x.isNaN()) return x;
  checkLogArgument(x);
  if (x.isInfinite()) return x;
  const rscale = clampScale(numericMinSigDigits - estimateLnWeight(x), x.dscale);
  const r = withPrecision(digitsFor(6, rscale), Decimal.ROUND_DOWN, () => x.dec.ln());
  return roundTo(r, rscale);
}

/** log(base, x). */
export function numericLog(base: Numeric, x: Numeric): Numeric {
  if (base.isNaN() || x.isNaN()) return Numeric.NaN;
  checkLogArgument(base);
  checkLogArgument(x);
  if (base.isInfinite() || x.isInfinite()) {
    if (base.isInfinite() && x.isInfinite()) return Numeric.NaN;
    return x.isInfinite() ? Numeric.Infinity : Numeric.Zero;
  }
  if (base.dec.eq(1)) throw new KeelError(SqlState.DivisionByZero, 'division by zero');
  const weight = estimateLnWeight(x) - estimateLnWeight(base);
  const rscale = clampScale(numericMinSigDigits - weight, base.dscale, x.dscale);
  const r = withPrecision(digitsFor(Math.abs(weight) + 16, rscale), Decimal.ROUND_DOWN, () =>
    x.dec.ln().div(base.dec.ln()),
  );
  return roundTo(r, rscale);
}

function powerError(message: string): KeelError {
  return new KeelError(SqlState.InvalidArgumentForPowerFunction, message);
}

function isInteger(n: Numeric): boolean {
  return n.isFinite() && n.dec.isInteger();
}

function specialPower(base: Numeric, exp: Numeric): Numeric | null {
  if (base.isNaN()) return exp.isZero() ? Numeric.of(new Dec(1), 0) : Numeric.NaN;
  if (exp.isNaN()) return base.isFinite() && base.dec.eq(1) ? Numeric.of(new Dec(1), 0) : Numeric.NaN;
  if (base.isZero() && exp.sign() < 0) throw powerError('zero raised to a negative power is undefined');
  if (base.sign() < 0 && exp.isFinite() && !isInteger(exp)) {
    throw powerError('a negative number raised to a non-integer power yields a complex result');
  }
  if (exp.isInfinite()) return infiniteExponent(base, exp);
  if (base.isInfinite()) return infiniteBase(base, exp);
  return null;
}

function infiniteExponent(base: Numeric, exp: Numeric): Numeric {
  const abs = base.abs();
  const cmp = abs.compare(Numeric.One);
  if (cmp === 0) return Numeric.of(new Dec(1), 0);
  const grows = cmp > 0 === exp.sign() > 0;
  return grows ? Numeric.Infinity : Numeric.Zero;
}

function infiniteBase(base: Numeric, exp: Numeric): Numeric {
  if (exp.isZero()) return Numeric.of(new Dec(1), 0);
  if (exp.sign() < 0) return Numeric.Zero;
  if (base.sign() > 0) return Numeric.Infinity;
  const odd = isInteger(exp) && exp.dec.mod(2).abs().eq(1);
  return odd ? Numeric.NegativeInfinity : Numeric.Infinity;
}

/** numeric ^ numeric (numeric_power). */
export function numericPower(base: Numeric, exp: Numeric): Numeric {
  const special = specialPower(base, exp);
  if (special !== null) return special;
  if (isInteger(exp) && exp.dec.abs().lte(2147483647)) return integerPower(base, exp.dec.toNumber());
  return generalPower(base, exp);
}

function integerPower(base: Numeric, n: number): Numeric {
  const rscale = clampScale(numericMinSigDigits, base.dscale);
  if (n === 0) return Numeric.of(new Dec(1), rscale);
  if (base.isZero()) return Numeric.of(new Dec(0), rscale);
  const approxWeight = Math.abs(n) * Math.log10(Math.abs(base.dec.toNumber()) || 1e-300);
  if (approxWeight > 131072 * 4) throw outOfRange('value overflows numeric format');
  const magnitude = base.dec.abs().e + 1;
  if (n < 0 && -n * magnitude > 2000) return Numeric.of(new Dec(0), rscale);
  const exactDigits = (base.dec.precision(true) + 1) * Math.abs(n);
  const digits = Math.min(exactDigits + 5, Math.max(approxWeight, 0) + rscale + 40);
  const r = withPrecision(digits, Decimal.ROUND_HALF_UP, () => {
    const p = base.dec.pow(Math.abs(n));
    return n < 0 ? new Dec(1).div(p) : p;
  });
  return roundTo(r, rscale);
}

function generalPower(base: Numeric, exp: Numeric): Numeric {
  if (base.isZero()) return Numeric.of(new Dec(0), clampScale(numericMinSigDigits, base.dscale, exp.dscale));
  const lnBase = Math.log(base.dec.toNumber());
  let val = lnBase * exp.dec.toNumber() * log10e;
  if (!Number.isFinite(val) || val > 131072 * 4) throw outOfRange('value overflows numeric format');
  val = Math.min(Math.max(val, -numericMaxDisplayScale), numericMaxDisplayScale);
  const rscale = clampScale(numericMinSigDigits - Math.trunc(val), base.dscale, exp.dscale);
  const r = withPrecision(digitsFor(Math.ceil(val) + 1, rscale) + 10, Decimal.ROUND_DOWN, () =>
    base.dec.pow(exp.dec),
  );
  return roundTo(r, rscale);
}

function integralArgument(x: Numeric, what: string): Dec {
  if (!x.isFinite())
    throw new KeelError(SqlState.FeatureNotSupported, `cannot compute ${what} of infinity or NaN`);
  return x.dec;
}

export function numericGcd(a: Numeric, b: Numeric): Numeric {
  if (a.isNaN() || b.isNaN()) return Numeric.NaN;
  let x = integralArgument(a, 'gcd').abs();
  let y = integralArgument(b, 'gcd').abs();
  while (!y.isZero()) {
    const r = x.mod(y);
    x = y;
    y = r;
  }
  return Numeric.of(x, Math.max(a.dscale, b.dscale));
}

export function numericLcm(a: Numeric, b: Numeric): Numeric {
  if (a.isNaN() || b.isNaN()) return Numeric.NaN;
  const scale = Math.max(a.dscale, b.dscale);
  if (a.isZero() || b.isZero()) return Numeric.of(new Dec(0), scale);
  const g = numericGcd(a, b).dec;
  return Numeric.of(a.dec.abs().div(g).times(b.dec.abs()), scale);
}

export function numericFactorial(n: number): Numeric {
  if (n < 0)
    throw new KeelError(SqlState.NumericValueOutOfRange, 'factorial of a negative number is undefined');
  let r = new Dec(1);
  for (let i = 2; i <= n; i++) r = r.times(i);
  return Numeric.of(r, 0);
}

/** scale(): the display scale. */
export function numericScale(x: Numeric): number | null {
  return x.isFinite() ? x.dscale : null;
}

/** min_scale(): the smallest scale that represents the value exactly. */
export function numericMinScale(x: Numeric): number | null {
  return x.isFinite() ? Math.max(x.dec.decimalPlaces(), 0) : null;
}

export function numericTrimScale(x: Numeric): Numeric {
  if (!x.isFinite()) return x;
  return Numeric.of(x.dec, Math.max(x.dec.decimalPlaces(), 0));
}
