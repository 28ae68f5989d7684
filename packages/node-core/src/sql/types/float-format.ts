/**
 * float4/float8 text I/O as PostgreSQL 12+ does it. Output: with extra_float_digits > 0 (the
 * default is 1) the shortest text that reads back to the same value (Ryu's format: exponent
 * form when the decimal exponent is below -4 or at least 15 for float8, 6 for float4, printed as
 * `1e+15`); with extra_float_digits <= 0, C's `%.{15+efd}g` (float8) or `%.{6+efd}g` (float4).
 * Input: strtod's syntax (whitespace, sign, decimal or hex digits, exponent, inf/infinity/nan
 * in any case); overflow and underflow to zero are 22003.
 * Exports: formatFloat8, formatFloat4, formatG, parseFloat8, parseFloat4.
 */

import { KeelError, SqlState } from '@keel/errors';
import { invalidSyntax } from './errors.js';

export function formatFloat8(x: number, extraFloatDigits = 1): string {
  const special = formatSpecial(x);
  if (special !== null) return special;
  if (extraFloatDigits > 0) return formatShortest(x.toExponential(), 15);
  return formatG(x, Math.max(1, 15 + extraFloatDigits));
}

export function formatFloat4(x: number, extraFloatDigits = 1): string {
  const special = formatSpecial(x);
  if (special !== null) return special;
  if (extraFloatDigits > 0) return formatShortest(shortestFloat4(x), 6);
  return formatG(x, Math.max(1, 6 + extraFloatDigits));
}

function formatSpecial(x: number): string | null {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  return null;
}

/**
 * The shortest exponent form that reads back as the same float4. A decimal exactly halfway
 * between two float4 values does not count (PostgreSQL's Ryu f2s excludes the bounds): '-7.04e11'
 * reads as -704000032768 only by round-half-even, so PostgreSQL prints -7.0400003e+11.
 */
function shortestFloat4(x: number): string {
  const [below, above] = float4Midpoints(x);
  for (let p = 1; p < 9; p++) {
    const s = x.toExponential(p - 1);
    const d = Number(s);
    if (Math.fround(d) === x && d !== below && d !== above) return s;
  }
  return x.toExponential(8);
}

/** The midpoints between a float4 and its two neighbours (exact in a double). */
function float4Midpoints(x: number): [number, number] {
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  f[0] = x;
  const self = bits[0] ?? 0;
  bits[0] = self - 1;
  const down = f[0] ?? x;
  bits[0] = self + 1;
  const up = f[0] ?? x;
  return [(x + down) / 2, (x + up) / 2];
}

/** Lays out `d.ddde±x` digits: plain when -4 <= exponent < limit, else `d.ddde±XX`. */
function formatShortest(exponential: string, limit: number): string {
  const [mant = '', expText = '0'] = exponential.split('e');
  const exp = Number(expText);
  const negative = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= limit) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0] ?? '0'}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return sign + placeDigits(digits, exp);
}

function placeDigits(digits: string, exp: number): string {
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return digits + '0'.repeat(exp + 1 - digits.length);
  return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** C printf's `%.{precision}g` for a finite, nonzero x. */
export function formatG(x: number, precision: number): string {
  const p = Math.min(precision, 100);
  const e = x.toExponential(p - 1);
  const [mant = '', expText = '0'] = e.split('e');
  const exp = Number(expText);
  const negative = mant.startsWith('-');
  let digits = mant.replace('-', '').replace('.', '');
  digits = digits.replace(/0+$/, '');
  if (digits === '') digits = '0';
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= p) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0] ?? '0'}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return sign + placeDigits(digits, exp);
}

const decimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const hexPattern = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/;

function parseFloatText(text: string, typeName: string): number {
  const s = text.trim();
  if (s === '') throw invalidSyntax(typeName, text);
  const special = parseSpecialFloat(s);
  if (special !== null) return special;
  if (decimalPattern.test(s)) {
    const x = Number(s);
    if (!Number.isFinite(x) || (x === 0 && /[1-9]/.test(s.replace(/[eE].*$/, '')))) {
      throw new KeelError(SqlState.NumericValueOutOfRange, `"${text}" is out of range for type ${typeName}`);
    }
    return x;
  }
  const hex = hexPattern.exec(s);
  if (hex !== null && (hex[2] !== '' || hex[3] !== '')) return parseHexFloat(hex);
  throw invalidSyntax(typeName, text);
}

function parseSpecialFloat(s: string): number | null {
  const lower = s.toLowerCase();
  const body = lower.startsWith('+') || lower.startsWith('-') ? lower.slice(1) : lower;
  if (body === 'nan') return Number.NaN;
  if (body === 'inf' || body === 'infinity') return lower.startsWith('-') ? -Infinity : Infinity;
  return null;
}

function parseHexFloat(m: RegExpExecArray): number {
  const whole = m[2] ?? '';
  const frac = m[3] ?? '';
  let x = 0;
  for (const c of whole + frac) x = x * 16 + Number.parseInt(c, 16);
  x = x * 2 ** (Number(m[4] ?? '0') - 4 * frac.length);
  return m[1] === '-' ? -x : x;
}

export function parseFloat8(text: string): number {
  return parseFloatText(text, 'double precision');
}

export function parseFloat4(text: string): number {
  const x = parseFloatText(text, 'real');
  const f = Math.fround(x);
  if ((!Number.isFinite(f) && Number.isFinite(x)) || (f === 0 && x !== 0)) {
    throw new KeelError(SqlState.NumericValueOutOfRange, `"${text}" is out of range for type real`);
  }
  return f;
}
