/**
 * Numeric: PostgreSQL's arbitrary-precision decimal. A finite value is a decimal.js Decimal (a
 * private clone, so no other code's settings leak in) plus a display scale (`dscale`, the number
 * of digits after the point that output shows: '1.50' keeps 2). NaN and ±Infinity are the
 * PostgreSQL 14+ special values; NaN sorts above +Infinity and equals itself.
 *
 * Exactness: add, subtract and multiply are exact (the clone's precision is the maximum), and
 * the scale rules follow PostgreSQL: add/sub keep the larger dscale, mul adds them, division
 * uses PostgreSQL's select_div_scale (at least 16 significant digits), rounding half away from
 * zero. Transcendental functions live in numeric-math.ts.
 * Exports: Numeric, Dec (the decimal.js clone), numericTypmod helpers.
 */
import { KeelError, SqlState } from '@keel/errors';
import { Decimal } from 'decimal.js';
import { divisionByZero, featureNotSupported, invalidSyntax, outOfRange } from './errors.js';

/** The decimal.js clone every Numeric uses: plain notation, half-away-from-zero rounding. */
export const Dec = Decimal.clone({
  precision: 1e9,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -9e15,
  toExpPos: 9e15,
  minE: -9e15,
  maxE: 9e15,
});
export type Dec = Decimal;

enum Kind {
  Finite = 0,
  NaN = 1,
  PosInf = 2,
  NegInf = 3,
}

/** Maximum display scale of a result (PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE). */
export const numericMaxDisplayScale = 1000;
/** Minimum significant digits of an inexact result (NUMERIC_MIN_SIG_DIGITS). */
export const numericMinSigDigits = 16;
const maxDscale = 16383;
const numberPattern = /^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?$/;

export class Numeric {
  static readonly NaN = new Numeric(Kind.NaN, new Dec(0), 0);
  static readonly Infinity = new Numeric(Kind.PosInf, new Dec(0), 0);
  static readonly NegativeInfinity = new Numeric(Kind.NegInf, new Dec(0), 0);
  static readonly Zero = new Numeric(Kind.Finite, new Dec(0), 0);
  static readonly One = new Numeric(Kind.Finite, new Dec(1), 0);

  private constructor(
    private readonly special: Kind,
    /** The value when finite (zero otherwise); never negative zero. */
    readonly dec: Dec,
    /** Digits after the decimal point in the text form. */
    readonly dscale: number,
  ) {}

  /** A finite value with the given display scale (rounded to it if it has more digits). */
  static of(dec: Dec, dscale: number): Numeric {
    if (!dec.isFinite()) {
      if (dec.isNaN()) return Numeric.NaN;
      return dec.isNegative() ? Numeric.NegativeInfinity : Numeric.Infinity;
    }
    const scale = Math.min(Math.max(dscale, 0), maxDscale);
    let d = dec.decimalPlaces() > scale ? dec.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP) : dec;
    if (d.isZero() && d.isNegative()) d = d.abs();
    return new Numeric(Kind.Finite, d, scale);
  }

  static fromInt(n: number | bigint): Numeric {
    return new Numeric(Kind.Finite, new Dec(typeof n === 'bigint' ? n.toString() : n === 0 ? 0 : n), 0);
  }

  /** numeric_in: trims whitespace; accepts NaN, [+-]Infinity/inf, and e-notation. */
  static parse(text: string): Numeric {
    const s = text.trim();
    const m = numberPattern.exec(s);
    if (m === null) return Numeric.parseSpecial(s, text);
    const mantissa = m[2] ?? '';
    const exponent = m[3] === undefined ? 0 : Number(m[3]);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1_000_000_000)
      throw invalidSyntax('numeric', text);
    const point = mantissa.indexOf('.');
    const fractionDigits = point < 0 ? 0 : mantissa.length - point - 1;
    const dscale = Math.max(0, fractionDigits - exponent);
    if (dscale > maxDscale) throw outOfRange('value overflows numeric format');
    const d = new Dec(`${m[1] ?? ''}${mantissa.startsWith('.') ? `0${mantissa}` : mantissa}e${exponent}`);
    if (d.e > 131071) throw outOfRange('value overflows numeric format');
    return new Numeric(Kind.Finite, d.isZero() ? new Dec(0) : d, dscale);
  }

  private static parseSpecial(s: string, original: string): Numeric {
    const lower = s.toLowerCase();
    if (lower === 'nan') return Numeric.NaN;
    if (lower === 'infinity' || lower === '+infinity' || lower === 'inf' || lower === '+inf')
      return Numeric.Infinity;
    if (lower === '-infinity' || lower === '-inf') return Numeric.NegativeInfinity;
    throw invalidSyntax('numeric', original);
  }

  /** float8 -> numeric: PostgreSQL prints the float with 15 significant digits first (6 for float4). */
  static fromFloat(x: number, significantDigits: number): Numeric {
    if (Number.isNaN(x)) return Numeric.NaN;
    if (x === Number.POSITIVE_INFINITY) return Numeric.Infinity;
    if (x === Number.NEGATIVE_INFINITY) return Numeric.NegativeInfinity;
    if (x === 0) return Numeric.Zero;
    const text = x.toPrecision(significantDigits);
    const d = new Dec(text);
    // %g strips trailing zeros, so the display scale is that of the shortest form of the rounded value.
    return new Numeric(Kind.Finite, d, Math.max(0, d.decimalPlaces()));
  }

  /**
   * Rebuilds a finite value from `storageParts` without parsing text (the row codec's hot path).
   * Relies on decimal.js 10's representation (sign, exponent, base-1e7 words), pinned in
   * package.json and checked by row-codec.test.ts.
   */
  static fromStorage(sign: number, exponent: number, words: number[], dscale: number): Numeric {
    const d = new Dec(0);
    Object.assign(d, { s: sign, e: exponent, d: words });
    return new Numeric(Kind.Finite, d, dscale);
  }

  /** decimal.js's representation of a finite value: sign (1 or -1), decimal exponent, base-1e7 words. */
  storageParts(): { sign: number; exponent: number; words: readonly number[] } {
    return { sign: this.dec.s, exponent: this.dec.e, words: this.dec.d };
  }

  isNaN(): boolean {
    return this.special === Kind.NaN;
  }

  isFinite(): boolean {
    return this.special === Kind.Finite;
  }

  isInfinite(): boolean {
    return this.special === Kind.PosInf || this.special === Kind.NegInf;
  }

  /** -1, 0 or 1; NaN reports 0 (callers check isNaN first). */
  sign(): number {
    if (this.special === Kind.PosInf) return 1;
    if (this.special === Kind.NegInf) return -1;
    if (this.special === Kind.NaN) return 0;
    return this.dec.isZero() ? 0 : this.dec.isNegative() ? -1 : 1;
  }

  isZero(): boolean {
    return this.special === Kind.Finite && this.dec.isZero();
  }

  toString(): string {
    switch (this.special) {
      case Kind.NaN:
        return 'NaN';
      case Kind.PosInf:
        return 'Infinity';
      case Kind.NegInf:
        return '-Infinity';
      default:
        return this.dec.toFixed(this.dscale);
    }
  }

  /** Total order: -Infinity < finite values < Infinity < NaN; equal values with different scales compare equal. */
  compare(other: Numeric): number {
    const a = this.rank();
    const b = other.rank();
    if (a !== b) return a < b ? -1 : 1;
    if (a !== 1) return 0;
    return this.dec.cmp(other.dec);
  }

  private rank(): number {
    switch (this.special) {
      case Kind.NegInf:
        return 0;
      case Kind.Finite:
        return 1;
      case Kind.PosInf:
        return 2;
      default:
        return 3;
    }
  }

  equals(other: Numeric): boolean {
    return this.compare(other) === 0;
  }

  negate(): Numeric {
    if (this.special === Kind.PosInf) return Numeric.NegativeInfinity;
    if (this.special === Kind.NegInf) return Numeric.Infinity;
    if (this.special === Kind.NaN || this.dec.isZero()) return this;
    return new Numeric(Kind.Finite, this.dec.neg(), this.dscale);
  }

  abs(): Numeric {
    if (this.special === Kind.NegInf) return Numeric.Infinity;
    if (this.special !== Kind.Finite || !this.dec.isNegative()) return this;
    return new Numeric(Kind.Finite, this.dec.abs(), this.dscale);
  }

  add(other: Numeric): Numeric {
    if (this.special !== Kind.Finite || other.special !== Kind.Finite)
      return specialSum(this, other.sign(), other);
    return Numeric.of(this.dec.plus(other.dec), Math.max(this.dscale, other.dscale));
  }

  sub(other: Numeric): Numeric {
    if (this.special !== Kind.Finite || other.special !== Kind.Finite)
      return specialSum(this, -other.sign(), other);
    return Numeric.of(this.dec.minus(other.dec), Math.max(this.dscale, other.dscale));
  }

  mul(other: Numeric): Numeric {
    if (this.special === Kind.NaN || other.special === Kind.NaN) return Numeric.NaN;
    if (this.special !== Kind.Finite || other.special !== Kind.Finite) {
      const s = this.sign() * other.sign();
      return s === 0 ? Numeric.NaN : s > 0 ? Numeric.Infinity : Numeric.NegativeInfinity;
    }
    return Numeric.of(this.dec.times(other.dec), this.dscale + other.dscale);
  }

  /** numeric / numeric with PostgreSQL's result scale (select_div_scale). */
  div(other: Numeric): Numeric {
    const special = divideSpecial(this, other);
    if (special !== null) return special;
    return divideTo(this.dec, other.dec, selectDivScale(this, other));
  }

  /** Division to an explicit scale, rounding half away from zero. */
  divToScale(other: Numeric, scale: number): Numeric {
    const special = divideSpecial(this, other);
    if (special !== null) return special;
    return divideTo(this.dec, other.dec, scale);
  }

  /** div(): the truncated integer quotient. */
  divTrunc(other: Numeric): Numeric {
    if (this.special === Kind.NaN || other.special === Kind.NaN) return Numeric.NaN;
    if (other.isZero()) throw divisionByZero();
    if (this.special !== Kind.Finite) {
      if (other.special !== Kind.Finite) return Numeric.NaN;
      return this.sign() * other.sign() > 0 ? Numeric.Infinity : Numeric.NegativeInfinity;
    }
    if (other.special !== Kind.Finite) return Numeric.Zero;
    return Numeric.of(truncatedQuotient(this.dec, other.dec), 0);
  }

  /** numeric % numeric: sign of the dividend, scale the larger of the two. */
  mod(other: Numeric): Numeric {
    if (this.special === Kind.NaN || other.special === Kind.NaN) return Numeric.NaN;
    if (other.isZero()) throw divisionByZero();
    if (this.special !== Kind.Finite) return Numeric.NaN;
    if (other.special !== Kind.Finite) return this;
    const q = truncatedQuotient(this.dec, other.dec);
    return Numeric.of(this.dec.minus(q.times(other.dec)), Math.max(this.dscale, other.dscale));
  }

  /** round(x, s): half away from zero; s < 0 rounds left of the point. */
  round(scale: number): Numeric {
    if (this.special !== Kind.Finite) return this;
    return roundTo(this.dec, scale, Decimal.ROUND_HALF_UP);
  }

  trunc(scale: number): Numeric {
    if (this.special !== Kind.Finite) return this;
    return roundTo(this.dec, scale, Decimal.ROUND_DOWN);
  }

  ceil(): Numeric {
    if (this.special !== Kind.Finite) return this;
    return Numeric.of(this.dec.ceil(), 0);
  }

  floor(): Numeric {
    if (this.special !== Kind.Finite) return this;
    return Numeric.of(this.dec.floor(), 0);
  }

  /** Rounds to an integer (half away from zero) and checks the target range. */
  toInt(target: 'smallint' | 'integer'): number {
    const d = this.integral(target);
    const limit = target === 'smallint' ? 32768 : 2147483648;
    if (d.gte(limit) || d.lt(-limit)) throw outOfRange(`${target} out of range`);
    return d.toNumber();
  }

  toBigInt(): bigint {
    const d = this.integral('bigint');
    if (d.gte('9223372036854775808') || d.lt('-9223372036854775808')) throw outOfRange('bigint out of range');
    return BigInt(d.toFixed(0));
  }

  private integral(target: string): Dec {
    if (this.special === Kind.NaN) throw featureNotSupported(`cannot convert NaN to ${target}`);
    if (this.special !== Kind.Finite) throw featureNotSupported(`cannot convert infinity to ${target}`);
    return this.dec.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  }

  /** numeric -> float8 (or float4 with `real`): nearest double; out of range is 22003. */
  toFloat(real = false): number {
    if (this.special === Kind.NaN) return Number.NaN;
    if (this.special === Kind.PosInf) return Number.POSITIVE_INFINITY;
    if (this.special === Kind.NegInf) return Number.NEGATIVE_INFINITY;
    const text = this.toString();
    const x = real ? Math.fround(Number(text)) : Number(text);
    if (!Number.isFinite(x) || (x === 0 && !this.dec.isZero())) {
      throw outOfRange(`"${text}" is out of range for type ${real ? 'real' : 'double precision'}`);
    }
    return x;
  }

  /** Applies a numeric(p,s) typmod: rounds to s digits, 22003 when the integer part does not fit. */
  applyTypmod(typmod: number): Numeric {
    if (typmod < 4 || this.special === Kind.NaN) return this;
    const { precision, scale } = numericTypmodParts(typmod);
    if (this.special !== Kind.Finite) {
      throw outOfRange(
        'numeric field overflow',
        `A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`,
      );
    }
    const d = scale < 0 ? roundLeft(this.dec, scale) : this.dec.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
    const maxDigits = precision - scale;
    if (!d.isZero() && d.e >= maxDigits) {
      const limit = maxDigits === 0 ? '1' : `10^${maxDigits}`;
      throw outOfRange(
        'numeric field overflow',
        `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${limit}.`,
      );
    }
    return Numeric.of(d, Math.max(scale, 0));
  }

  /** Weight and first digit in PostgreSQL's base-10000 layout (for scale selection and binary I/O). */
  nbaseWeight(): { weight: number; firstDigit: number } {
    if (this.special !== Kind.Finite || this.dec.isZero()) return { weight: 0, firstDigit: 0 };
    const e = this.dec.e;
    const weight = Math.floor(e / 4);
    const digitsInGroup = e - 4 * weight + 1;
    const sig = this.dec.abs().toExponential(3, Decimal.ROUND_DOWN);
    const digits = sig.replace('.', '').slice(0, digitsInGroup);
    return { weight, firstDigit: Number(digits) };
  }
}

function specialSum(a: Numeric, bSign: number, b: Numeric): Numeric {
  if (a.isNaN() || b.isNaN()) return Numeric.NaN;
  const aInf = a.isInfinite() ? a.sign() : 0;
  const bInf = b.isInfinite() ? bSign : 0;
  if (aInf !== 0 && bInf !== 0)
    return aInf === bInf ? (aInf > 0 ? Numeric.Infinity : Numeric.NegativeInfinity) : Numeric.NaN;
  const s = aInf !== 0 ? aInf : bInf;
  return s > 0 ? Numeric.Infinity : Numeric.NegativeInfinity;
}

function divideSpecial(a: Numeric, b: Numeric): Numeric | null {
  if (a.isNaN() || b.isNaN()) return Numeric.NaN;
  if (a.isInfinite()) {
    if (b.isInfinite()) return Numeric.NaN;
    if (b.isZero()) throw divisionByZero();
    return a.sign() * b.sign() > 0 ? Numeric.Infinity : Numeric.NegativeInfinity;
  }
  if (b.isInfinite()) return Numeric.Zero;
  if (b.isZero()) throw divisionByZero();
  return null;
}

/** PostgreSQL's select_div_scale: about 16 significant digits, never fewer than either input's scale. */
export function selectDivScale(a: Numeric, b: Numeric): number {
  const x = a.nbaseWeight();
  const y = b.nbaseWeight();
  let qweight = x.weight - y.weight;
  if (x.firstDigit <= y.firstDigit) qweight--;
  const rscale = Math.max(numericMinSigDigits - qweight * 4, a.dscale, b.dscale, 0);
  return Math.min(rscale, numericMaxDisplayScale);
}

/** Runs `fn` with the clone's precision and rounding temporarily changed (single-threaded, restored on exit). */
export function withPrecision<T>(digits: number, rounding: Decimal.Rounding, fn: () => T): T {
  const saved = { precision: Dec.precision, rounding: Dec.rounding };
  Dec.set({ precision: Math.min(Math.max(Math.ceil(digits), 1), 1e9), rounding });
  try {
    return fn();
  } finally {
    Dec.set(saved);
  }
}

/** a / b rounded half away from zero to `scale` decimals (exact: truncating first keeps the tie side). */
export function divideTo(a: Dec, b: Dec, scale: number): Numeric {
  if (a.isZero()) return Numeric.of(new Dec(0), scale);
  const q = withPrecision(Math.max(a.e - b.e + scale + 6, 6), Decimal.ROUND_DOWN, () => a.div(b));
  return Numeric.of(q, scale);
}

function truncatedQuotient(a: Dec, b: Dec): Dec {
  return withPrecision(Math.max(a.e - b.e + 6, 6), Decimal.ROUND_DOWN, () => a.div(b)).toDecimalPlaces(
    0,
    Decimal.ROUND_DOWN,
  );
}

function roundLeft(d: Dec, scale: number, mode: Decimal.Rounding = Decimal.ROUND_HALF_UP): Dec {
  const factor = new Dec(10).pow(-scale);
  return d.div(factor).toDecimalPlaces(0, mode).times(factor);
}

function roundTo(d: Dec, scale: number, mode: Decimal.Rounding): Numeric {
  if (scale >= 0) return Numeric.of(d.toDecimalPlaces(Math.min(scale, maxDscale), mode), scale);
  return Numeric.of(roundLeft(d, Math.max(scale, -maxDscale), mode), 0);
}

/** numeric(p,s) typmod parts; s may be negative (PostgreSQL 15). */
export function numericTypmodParts(typmod: number): { precision: number; scale: number } {
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: ((t & 0x7ff) ^ 1024) - 1024 };
}

/** Builds a numeric(p,s) typmod, validating the ranges as PostgreSQL does (22023). */
export function makeNumericTypmod(precision: number, scale = 0): number {
  if (precision < 1 || precision > 1000) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `NUMERIC precision ${precision} must be between 1 and 1000`,
    );
  }
  if (scale < -1000 || scale > 1000) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `NUMERIC scale ${scale} must be between -1000 and 1000`,
    );
  }
  return ((precision << 16) | (scale & 0x7ff)) + 4;
}
