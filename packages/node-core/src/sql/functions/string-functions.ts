/**
 * String functions: length family, case mapping (ASCII only, as PostgreSQL under the C locale
 * Keel's reference cluster uses), substr/substring, position/strpos, trim family, padding,
 * replace/translate/split_part, repeat/reverse/left/right, md5, ascii/chr, starts_with, to_hex,
 * encode/decode, and the || operators. Lengths and positions count characters (code points).
 * Exports: registerStringFunctions, codePoints, asciiLower, asciiUpper.
 */
import { createHash } from 'node:crypto';
import { KeelError, SqlState } from '@keel/errors';
import { trimTrailingSpaces } from '../types/compare.js';
import { utf8Length } from '../types/value.js';
import { defineFunction, defineOperator } from './function-registry.js';
import { big, bytes, num, str } from './value-access.js';

export function codePoints(s: string): string[] {
  return Array.from(s);
}

function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

function initcap(s: string): string {
  let out = '';
  let inWord = false;
  for (const c of s) {
    // Under the C locale only ASCII letters and digits are word characters.
    const alnum = /[A-Za-z0-9]/.test(c);
    out += alnum ? (inWord ? asciiLower(c) : asciiUpper(c)) : c;
    inWord = alnum;
  }
  return out;
}

/** substr(s, start, count) with SQL semantics for positions before 1. */
export function substring(s: string, start: number, count: number | null): string {
  if (count !== null && count < 0)
    throw new KeelError(SqlState.SubstringError, 'negative substring length not allowed');
  const chars = s.length === charLength(s) ? null : codePoints(s);
  const length = chars === null ? s.length : chars.length;
  const from = Math.max(start, 1);
  const end = count === null ? length + 1 : Math.min(start + count, length + 1);
  if (end <= from) return '';
  return chars === null ? s.slice(from - 1, end - 1) : chars.slice(from - 1, end - 1).join('');
}

function strpos(s: string, sub: string): number {
  const i = s.indexOf(sub);
  if (i < 0) return 0;
  return charLength(s.slice(0, i)) + 1;
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(codePoints(chars));
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && set.has(cps[a] ?? '')) a++;
  if (right) while (b > a && set.has(cps[b - 1] ?? '')) b--;
  return cps.slice(a, b).join('');
}

function pad(s: string, length: number, fill: string, left: boolean): string {
  if (length <= 0) return '';
  const cps = codePoints(s);
  if (cps.length >= length) return cps.slice(0, length).join('');
  const fillCps = codePoints(fill);
  if (fillCps.length === 0) return s;
  let padding = '';
  for (let i = 0; i < length - cps.length; i++) padding += fillCps[i % fillCps.length];
  return left ? padding + s : s + padding;
}

function translate(s: string, from: string, to: string): string {
  const f = codePoints(from);
  const t = codePoints(to);
  const map = new Map<string, string | null>();
  f.forEach((c, i) => {
    if (!map.has(c)) map.set(c, t[i] ?? null);
  });
  let out = '';
  for (const c of s) {
    const m = map.get(c);
    if (m === undefined) out += c;
    else if (m !== null) out += m;
  }
  return out;
}

function splitPart(s: string, delimiter: string, n: number): string {
  if (n === 0) throw new KeelError(SqlState.InvalidParameterValue, 'field position must not be zero');
  const parts = delimiter === '' ? [s] : s.split(delimiter);
  const index = n > 0 ? n - 1 : parts.length + n;
  return parts[index] ?? '';
}

function leftChars(s: string, n: number): string {
  const cps = codePoints(s);
  return (n >= 0 ? cps.slice(0, n) : cps.slice(0, Math.max(cps.length + n, 0))).join('');
}

function rightChars(s: string, n: number): string {
  const cps = codePoints(s);
  return (n >= 0 ? cps.slice(Math.max(cps.length - n, 0)) : cps.slice(Math.min(-n, cps.length))).join('');
}

function chr(code: number): string {
  if (code === 0) throw new KeelError(SqlState.ProgramLimitExceeded, 'null character not permitted');
  if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
    throw new KeelError(SqlState.ProgramLimitExceeded, `requested character too large for encoding: ${code}`);
  }
  return String.fromCodePoint(code);
}

function toHex(n: bigint, bits: 32 | 64): string {
  return BigInt.asUintN(bits, n).toString(16);
}

function encode(data: Uint8Array, format: string): string {
  switch (format.toLowerCase()) {
    case 'hex':
      return Buffer.from(data).toString('hex');
    case 'base64':
      return (
        Buffer.from(data)
          .toString('base64')
          .match(/.{1,76}/g) ?? ['']
      ).join('\n');
    case 'escape': {
      let out = '';
      for (const b of data) {
        if (b === 0x5c) out += '\\\\';
        else if (b === 0 || b >= 0x80) out += `\\${b.toString(8).padStart(3, '0')}`;
        else out += String.fromCharCode(b);
      }
      return out;
    }
    default:
      throw new KeelError(SqlState.InvalidParameterValue, `unrecognized encoding: "${format}"`);
  }
}

function decode(text: string, format: string): Uint8Array {
  switch (format.toLowerCase()) {
    case 'hex': {
      const clean = text.replace(/\s+/g, '');
      if (/[^0-9a-fA-F]/.test(clean)) {
        const bad = /[^0-9a-fA-F]/.exec(clean)?.[0] ?? '';
        throw new KeelError(SqlState.InvalidParameterValue, `invalid hexadecimal digit: "${bad}"`);
      }
      if (clean.length % 2 !== 0) {
        throw new KeelError(SqlState.InvalidParameterValue, 'invalid hexadecimal data: odd number of digits');
      }
      return new Uint8Array(Buffer.from(clean, 'hex'));
    }
    case 'base64': {
      const clean = text.replace(/\s+/g, '');
      if (/[^A-Za-z0-9+/=]/.test(clean)) {
        const bad = /[^A-Za-z0-9+/=]/.exec(clean)?.[0] ?? '';
        throw new KeelError(
          SqlState.InvalidParameterValue,
          `invalid symbol "${bad}" found while decoding base64 sequence`,
        );
      }
      return new Uint8Array(Buffer.from(clean, 'base64'));
    }
    case 'escape':
      return decodeEscape(text);
    default:
      throw new KeelError(SqlState.InvalidParameterValue, `unrecognized encoding: "${format}"`);
  }
}

function decodeEscape(text: string): Uint8Array {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const b = src[i] ?? 0;
    if (b !== 0x5c) {
      out.push(b);
      continue;
    }
    if (src[i + 1] === 0x5c) {
      out.push(0x5c);
      i++;
      continue;
    }
    const oct = src.subarray(i + 1, i + 4).toString('latin1');
    if (!/^[0-3][0-7]{2}$/.test(oct))
      throw new KeelError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type bytea');
    out.push(Number.parseInt(oct, 8));
    i += 3;
  }
  return new Uint8Array(out);
}

function registerLengths(): void {
  for (const name of ['length', 'char_length', 'character_length']) {
    defineFunction(name, ['text'], 'int4', ([s]) => charLength(str(s)));
    defineFunction(name, ['bpchar'], 'int4', ([s]) => charLength(trimTrailingSpaces(str(s))));
  }
  defineFunction('length', ['bytea'], 'int4', ([b]) => bytes(b).length);
  defineFunction('octet_length', ['text'], 'int4', ([s]) => utf8Length(str(s)));
  defineFunction('octet_length', ['bpchar'], 'int4', ([s]) => utf8Length(str(s)));
  defineFunction('octet_length', ['bytea'], 'int4', ([b]) => bytes(b).length);
  defineFunction('bit_length', ['text'], 'int4', ([s]) => utf8Length(str(s)) * 8);
  defineFunction('bit_length', ['bytea'], 'int4', ([b]) => bytes(b).length * 8);
}

/** PostgreSQL's text_overlay: the part of `a` before `from`, then `b`, then `a` after `count` characters. */
function overlay(a: string, b: string, from: number, count: number): string {
  if (from <= 0) throw new KeelError(SqlState.SubstringError, 'negative substring length not allowed');
  const end = from + count;
  if (end > 2147483647 || end < -2147483648)
    throw new KeelError(SqlState.NumericValueOutOfRange, 'integer out of range');
  return substring(a, 1, from - 1) + b + substring(a, end, null);
}

function registerCaseAndSlices(): void {
  defineFunction('lower', ['text'], 'text', ([s]) => asciiLower(str(s)));
  defineFunction('upper', ['text'], 'text', ([s]) => asciiUpper(str(s)));
  defineFunction('initcap', ['text'], 'text', ([s]) => initcap(str(s)));
  defineFunction('substr', ['text', 'int4'], 'text', ([s, f]) => substring(str(s), num(f), null));
  defineFunction('substr', ['text', 'int4', 'int4'], 'text', ([s, f, c]) =>
    substring(str(s), num(f), num(c)),
  );
  defineFunction('substring', ['text', 'int4'], 'text', ([s, f]) => substring(str(s), num(f), null));
  defineFunction('substring', ['text', 'int4', 'int4'], 'text', ([s, f, c]) =>
    substring(str(s), num(f), num(c)),
  );
  defineFunction('substr', ['bytea', 'int4'], 'bytea', ([b, f]) => byteaSub(bytes(b), num(f), null));
  defineFunction('substr', ['bytea', 'int4', 'int4'], 'bytea', ([b, f, c]) =>
    byteaSub(bytes(b), num(f), num(c)),
  );
  defineFunction('substring', ['bytea', 'int4', 'int4'], 'bytea', ([b, f, c]) =>
    byteaSub(bytes(b), num(f), num(c)),
  );
  // OVERLAY(a PLACING b FROM s [FOR n]): the grammar's overlay(a, b, s[, n]); n defaults to b's length.
  defineFunction('overlay', ['text', 'text', 'int4', 'int4'], 'text', ([a, b, f, c]) =>
    overlay(str(a), str(b), num(f), num(c)),
  );
  defineFunction('overlay', ['text', 'text', 'int4'], 'text', ([a, b, f]) =>
    overlay(str(a), str(b), num(f), [...str(b)].length),
  );
  defineFunction('strpos', ['text', 'text'], 'int4', ([s, sub]) => strpos(str(s), str(sub)));
  defineFunction('position', ['text', 'text'], 'int4', ([s, sub]) => strpos(str(s), str(sub)));
  defineFunction('left', ['text', 'int4'], 'text', ([s, n]) => leftChars(str(s), num(n)));
  defineFunction('right', ['text', 'int4'], 'text', ([s, n]) => rightChars(str(s), num(n)));
  defineFunction('reverse', ['text'], 'text', ([s]) => codePoints(str(s)).reverse().join(''));
  defineFunction('repeat', ['text', 'int4'], 'text', ([s, n]) => (num(n) <= 0 ? '' : str(s).repeat(num(n))));
  defineFunction('starts_with', ['text', 'text'], 'bool', ([s, p]) => str(s).startsWith(str(p)));
  defineOperator('^@', ['text', 'text'], 'bool', ([s, p]) => str(s).startsWith(str(p)));
}

function byteaSub(b: Uint8Array, start: number, count: number | null): Uint8Array {
  if (count !== null && count < 0)
    throw new KeelError(SqlState.SubstringError, 'negative substring length not allowed');
  const from = Math.max(start, 1);
  const end = count === null ? b.length + 1 : Math.min(start + count, b.length + 1);
  return end <= from ? new Uint8Array(0) : b.slice(from - 1, end - 1);
}

function registerTrimAndPad(): void {
  defineFunction('btrim', ['text'], 'text', ([s]) => trimChars(str(s), ' ', true, true));
  defineFunction('btrim', ['text', 'text'], 'text', ([s, c]) => trimChars(str(s), str(c), true, true));
  defineFunction('ltrim', ['text'], 'text', ([s]) => trimChars(str(s), ' ', true, false));
  defineFunction('ltrim', ['text', 'text'], 'text', ([s, c]) => trimChars(str(s), str(c), true, false));
  defineFunction('rtrim', ['text'], 'text', ([s]) => trimChars(str(s), ' ', false, true));
  defineFunction('rtrim', ['text', 'text'], 'text', ([s, c]) => trimChars(str(s), str(c), false, true));
  defineFunction('lpad', ['text', 'int4'], 'text', ([s, n]) => pad(str(s), num(n), ' ', true));
  defineFunction('lpad', ['text', 'int4', 'text'], 'text', ([s, n, f]) => pad(str(s), num(n), str(f), true));
  defineFunction('rpad', ['text', 'int4'], 'text', ([s, n]) => pad(str(s), num(n), ' ', false));
  defineFunction('rpad', ['text', 'int4', 'text'], 'text', ([s, n, f]) => pad(str(s), num(n), str(f), false));
}

function registerReplaceAndCodes(): void {
  defineFunction('replace', ['text', 'text', 'text'], 'text', ([s, f, r]) =>
    str(f) === '' ? str(s) : str(s).split(str(f)).join(str(r)),
  );
  defineFunction('translate', ['text', 'text', 'text'], 'text', ([s, f, r]) =>
    translate(str(s), str(f), str(r)),
  );
  defineFunction('split_part', ['text', 'text', 'int4'], 'text', ([s, d, n]) =>
    splitPart(str(s), str(d), num(n)),
  );
  defineFunction('md5', ['text'], 'text', ([s]) => createHash('md5').update(str(s), 'utf8').digest('hex'));
  defineFunction('md5', ['bytea'], 'text', ([b]) => createHash('md5').update(bytes(b)).digest('hex'));
  defineFunction(
    'sha256',
    ['bytea'],
    'bytea',
    ([b]) => new Uint8Array(createHash('sha256').update(bytes(b)).digest()),
  );
  defineFunction('ascii', ['text'], 'int4', ([s]) => str(s).codePointAt(0) ?? 0);
  defineFunction('chr', ['int4'], 'text', ([n]) => chr(num(n)));
  defineFunction('to_hex', ['int4'], 'text', ([n]) => toHex(BigInt(num(n)), 32));
  defineFunction('to_hex', ['int8'], 'text', ([n]) => toHex(big(n), 64));
  defineFunction('encode', ['bytea', 'text'], 'text', ([b, f]) => encode(bytes(b), str(f)));
  defineFunction('decode', ['text', 'text'], 'bytea', ([s, f]) => decode(str(s), str(f)));
  defineFunction(
    'convert_to',
    ['text', 'name'],
    'bytea',
    ([s]) => new Uint8Array(Buffer.from(str(s), 'utf8')),
  );
  defineFunction('convert_from', ['bytea', 'name'], 'text', ([b]) => Buffer.from(bytes(b)).toString('utf8'));
  defineOperator('||', ['text', 'text'], 'text', ([a, b]) => str(a) + str(b));
  defineOperator('||', ['bytea', 'bytea'], 'bytea', ([a, b]) => {
    const x = bytes(a);
    const y = bytes(b);
    const out = new Uint8Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  });
}

export function registerStringFunctions(): void {
  registerLengths();
  registerCaseAndSlices();
  registerTrimAndPad();
  registerReplaceAndCodes();
}
