/**
 * Text I/O for the simple scalar types: bool, int2/int4/int8, oid, "char", name, bytea, uuid.
 * Each parser accepts what PostgreSQL's input function accepts (surrounding whitespace for
 * numbers and booleans, bool prefixes like 'ye' and 'of', bytea hex and escape formats, uuid with
 * or without hyphens and braces) and fails with its SQLSTATE and message.
 * Exports: parseBool, formatBool, parseInt2, parseInt4, parseInt8, parseOid, parseChar,
 * parseName, parseBytea, formatBytea, parseUuid.
 */
import { KeelError, SqlState } from '@keel/errors';
import { invalidSyntax, outOfRangeInput } from './errors.js';
import type { ByteaOutput } from './settings.js';

const boolWords: [string, boolean, number][] = [
  ['true', true, 1],
  ['yes', true, 1],
  ['on', true, 2],
  ['false', false, 1],
  ['no', false, 1],
  ['off', false, 2],
];

/** boolin: t/true/y/yes/on/1 and f/false/n/no/off/0, any unique prefix, case-insensitive. */
export function parseBool(text: string): boolean {
  const s = text.trim().toLowerCase();
  if (s === '1') return true;
  if (s === '0') return false;
  if (s.length > 0) {
    for (const [word, value, minLength] of boolWords) {
      if (s.length >= minLength && word.startsWith(s)) return value;
    }
  }
  throw invalidSyntax('boolean', text);
}

export function formatBool(value: boolean): string {
  return value ? 't' : 'f';
}

const intPattern = /^[+-]?\d+$/;

function parseInteger(text: string, typeName: string, min: number, max: number): number {
  const s = text.trim();
  if (!intPattern.test(s)) throw invalidSyntax(typeName, text);
  const n = Number(s);
  if (n < min || n > max) throw outOfRangeInput(typeName, text);
  return n;
}

export function parseInt2(text: string): number {
  return parseInteger(text, 'smallint', -32768, 32767);
}

export function parseInt4(text: string): number {
  return parseInteger(text, 'integer', -2147483648, 2147483647);
}

const int8Min = -(2n ** 63n);
const int8Max = 2n ** 63n - 1n;

export function parseInt8(text: string): bigint {
  const s = text.trim();
  if (!intPattern.test(s)) throw invalidSyntax('bigint', text);
  const n = BigInt(s);
  if (n < int8Min || n > int8Max) throw outOfRangeInput('bigint', text);
  return n;
}

/** oidin: unsigned 32-bit; negative input down to -2^31 wraps around, as in PostgreSQL. */
export function parseOid(text: string, typeName = 'oid'): number {
  const s = text.trim();
  if (!intPattern.test(s)) throw invalidSyntax(typeName, text);
  const n = Number(s);
  if (n > 4294967295 || n < -2147483648) throw outOfRangeInput(typeName, text);
  return n < 0 ? n + 4294967296 : n;
}

/** "char": the first byte; PostgreSQL 15 also reads '\ooo' octal escapes. */
export function parseChar(text: string): string {
  const m = /^\\([0-3][0-7]{2})$/.exec(text);
  if (m !== null) return String.fromCharCode(Number.parseInt(m[1] ?? '0', 8));
  const cp = text.codePointAt(0);
  if (cp === undefined) return '';
  return cp < 0x80
    ? text.charAt(0)
    : String.fromCharCode(Buffer.from(text.slice(0, cp > 0xffff ? 2 : 1))[0] ?? 0);
}

/** "char" output: non-ASCII bytes print as '\ooo'. */
export function formatChar(value: string): string {
  const c = value.charCodeAt(0);
  if (Number.isNaN(c)) return '';
  if (c >= 0x80) return `\\${c.toString(8).padStart(3, '0')}`;
  return value;
}

/** name: at most 63 bytes, cut at a character boundary. */
export function parseName(text: string): string {
  if (text.length <= 21) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 63) return text;
  let end = 63;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

const hexDigit = /^[0-9a-fA-F]$/;

/** byteain: '\x' hex (whitespace between digit pairs allowed) or the escape format. */
export function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x') || text.startsWith('\\X')) return parseHexBytea(text);
  return parseEscapeBytea(text);
}

function parseHexBytea(text: string): Uint8Array {
  const out = new Uint8Array((text.length - 2) >> 1);
  let n = 0;
  let i = 2;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (!hexDigit.test(c)) throw invalidHex(c);
    const d = text.charAt(i + 1);
    if (d === '') {
      throw new KeelError(SqlState.InvalidParameterValue, 'invalid hexadecimal data: odd number of digits');
    }
    if (!hexDigit.test(d)) throw invalidHex(d);
    out[n++] = Number.parseInt(c + d, 16);
    i += 2;
  }
  return out.subarray(0, n);
}

function invalidHex(c: string): KeelError {
  return new KeelError(SqlState.InvalidParameterValue, `invalid hexadecimal digit: "${c}"`);
}

function parseEscapeBytea(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b !== 0x5c) {
      out[n++] = b;
      continue;
    }
    const b1 = bytes[i + 1];
    if (b1 === 0x5c) {
      out[n++] = 0x5c;
      i++;
    } else if (isOctal(b1, 0x33) && isOctal(bytes[i + 2], 0x37) && isOctal(bytes[i + 3], 0x37)) {
      out[n++] = ((b1 ?? 0) - 0x30) * 64 + ((bytes[i + 2] ?? 0) - 0x30) * 8 + ((bytes[i + 3] ?? 0) - 0x30);
      i += 3;
    } else {
      throw new KeelError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type bytea');
    }
  }
  return out.subarray(0, n);
}

function isOctal(b: number | undefined, max: number): boolean {
  return b !== undefined && b >= 0x30 && b <= max;
}

const hexTable = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatBytea(bytes: Uint8Array, style: ByteaOutput = 'hex'): string {
  if (style === 'hex') {
    let s = '\\x';
    for (let i = 0; i < bytes.length; i++) s += hexTable[bytes[i] ?? 0];
    return s;
  }
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0x5c) s += '\\\\';
    else if (b < 0x20 || b > 0x7e) s += `\\${b.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** uuid_in: 32 hex digits, optional braces, optional hyphen after any group of four digits. */
export function parseUuid(text: string): string {
  let s = text;
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw invalidSyntax('uuid', text);
    s = s.slice(1, -1);
  }
  let hex = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '-' && hex.length > 0 && hex.length % 4 === 0 && hex.length < 32 && s.charAt(i + 1) !== '-')
      continue;
    if (!hexDigit.test(c)) throw invalidSyntax('uuid', text);
    hex += c;
  }
  if (hex.length !== 32) throw invalidSyntax('uuid', text);
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
