/**
 * Interim text input and output of the built-in types in PostgreSQL's formats (DateStyle ISO,
 * TimeZone UTC, extra_float_digits 1): what casts to and from text, literals and the
 * differential tests see. Stands in for src/sql/types until it lands.
 * Exports: textOut, textIn.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import { Numeric } from '../../types/numeric.js';
import type { PgArray, RecordValue } from '../../types/value.js';
import { makeArray } from './arrays.js';
import { elementTypeOf, TypeOid, typeInfo } from './type-ids.js';
import type { Interval } from './values.js';

const microsPerDay = 86_400_000_000n;

function formatFloat(x: number, digitsThreshold: number, precise: string): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  const [mantissa = '0', expText = '0'] = precise.split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= digitsThreshold) {
    const sign = exp < 0 ? '-' : '+';
    const abs = Math.abs(exp);
    return `${mantissa}e${sign}${abs < 10 ? `0${abs}` : abs}`;
  }
  return String(Number(precise)).includes('e') ? Number(precise).toFixed(Math.max(0, -exp + 20)) : String(x);
}

function float4Text(x: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = x.toExponential(p - 1);
    if (Math.fround(Number(s)) === x) return formatFloat(Number(s), 6, s);
  }
  return formatFloat(x, 6, x.toExponential());
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** Days since 2000-01-01 -> YYYY-MM-DD (proleptic Gregorian, ISO). */
function dateText(days: number): string {
  if (days === Number.POSITIVE_INFINITY) return 'infinity';
  if (days === Number.NEGATIVE_INFINITY) return '-infinity';
  const d = new Date(Date.UTC(2000, 0, 1) + days * 86_400_000);
  const y = d.getUTCFullYear();
  const year = y > 0 ? pad(y, 4) : pad(1 - y, 4);
  return `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}${y > 0 ? '' : ' BC'}`;
}

function timeOfDayText(micros: bigint): string {
  const secs = micros / 1_000_000n;
  const frac = micros % 1_000_000n;
  const base = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
  return frac === 0n ? base : `${base}.${pad(frac, 6).replace(/0+$/, '')}`;
}

function timestampText(micros: bigint, withZone: boolean): string {
  let days = micros / microsPerDay;
  let rest = micros % microsPerDay;
  if (rest < 0n) {
    rest += microsPerDay;
    days -= 1n;
  }
  const date = dateText(Number(days));
  const bc = date.endsWith(' BC');
  const text = `${bc ? date.slice(0, -3) : date} ${timeOfDayText(rest)}${withZone ? '+00' : ''}`;
  return bc ? `${text} BC` : text;
}

function intervalText(v: Interval): string {
  const parts: string[] = [];
  const years = Math.trunc(v.months / 12);
  const months = v.months % 12;
  if (years !== 0) parts.push(`${years} year${Math.abs(years) === 1 ? '' : 's'}`);
  if (months !== 0) parts.push(`${months} mon${Math.abs(months) === 1 ? '' : 's'}`);
  if (v.days !== 0) parts.push(`${v.days} day${Math.abs(v.days) === 1 ? '' : 's'}`);
  if (v.micros !== 0n || parts.length === 0) {
    const neg = v.micros < 0n;
    const abs = neg ? -v.micros : v.micros;
    parts.push(`${neg ? '-' : ''}${timeOfDayText(abs)}`);
  }
  return parts.join(' ');
}

function quoteArrayElement(text: string): string {
  if (text === '' || /[{},"\\\s]/.test(text) || text.toUpperCase() === 'NULL') {
    return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
  return text;
}

function arrayText(elementOid: Oid, array: PgArray): string {
  const parts = array.values.map((item) =>
    item === null ? 'NULL' : quoteArrayElement(textOut(elementOid, item)),
  );
  return `{${parts.join(',')}}`;
}

function recordText(record: RecordValue): string {
  const parts = record.values.map((item) => {
    if (item === null) return '';
    const text = anyText(item);
    return text === '' || /[(),"\\\s]/.test(text) ? `"${text.replace(/[\\"]/g, (c) => `${c}${c}`)}"` : text;
  });
  return `(${parts.join(',')})`;
}

function anyText(v: Value): string {
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Numeric) return v.toString();
  if (typeof v === 'number') return formatFloat(v, 15, v.toExponential());
  if (typeof v === 'object' && v !== null && 'elementType' in v)
    return arrayText((v as PgArray).elementType, v as PgArray);
  if (typeof v === 'object' && v !== null && 'kind' in v) return recordText(v as RecordValue);
  return String(v);
}

/** PostgreSQL's text output of a non-null value of the given type. */
export function textOut(typeOid: Oid, value: Value): string {
  switch (typeOid) {
    case TypeOid.bool:
      return value ? 't' : 'f';
    case TypeOid.int2:
    case TypeOid.int4:
    case TypeOid.int8:
    case TypeOid.oid:
    case TypeOid.regclass:
      return String(value);
    case TypeOid.float8:
      return formatFloat(value as number, 15, (value as number).toExponential());
    case TypeOid.float4:
      return float4Text(value as number);
    case TypeOid.numeric:
      return (value as Numeric).toString();
    case TypeOid.date:
      return dateText(value as number);
    case TypeOid.timestamp:
      return timestampText(value as bigint, false);
    case TypeOid.timestamptz:
      return timestampText(value as bigint, true);
    case TypeOid.interval:
      return intervalText(value as Interval);
    case TypeOid.bytea:
      return `\\x${Buffer.from(value as Uint8Array).toString('hex')}`;
    case TypeOid.record:
      return recordText(value as RecordValue);
    default: {
      const element = elementTypeOf(typeOid);
      if (element !== null) return arrayText(element, value as PgArray);
      return anyText(value);
    }
  }
}

const boolWords: Record<string, boolean> = {
  t: true,
  tr: true,
  tru: true,
  true: true,
  y: true,
  ye: true,
  yes: true,
  on: true,
  '1': true,
  f: false,
  fa: false,
  fal: false,
  fals: false,
  false: false,
  n: false,
  no: false,
  of: false,
  off: false,
  '0': false,
};

function invalid(typeOid: Oid, text: string): KeelError {
  const name = typeInfo(typeOid)?.name ?? String(typeOid);
  return new KeelError(
    SqlState.InvalidTextRepresentation,
    `invalid input syntax for type ${name}: "${text}"`,
  );
}

function outOfRange(typeOid: Oid, text: string): KeelError {
  const name = typeInfo(typeOid)?.name ?? String(typeOid);
  return new KeelError(SqlState.NumericValueOutOfRange, `value "${text}" is out of range for type ${name}`);
}

const intRanges: Record<number, [bigint, bigint]> = {
  [TypeOid.int2]: [-32768n, 32767n],
  [TypeOid.int4]: [-2147483648n, 2147483647n],
  [TypeOid.int8]: [-9223372036854775808n, 9223372036854775807n],
  [TypeOid.oid]: [0n, 4294967295n],
};

function intIn(typeOid: Oid, text: string): Value {
  const s = text.trim();
  if (!/^[+-]?\d+$/.test(s)) throw invalid(typeOid, text);
  const n = BigInt(s);
  const [lo, hi] = intRanges[typeOid] ?? [0n, 0n];
  if (n < lo || n > hi) throw outOfRange(typeOid, text);
  return typeOid === TypeOid.int8 ? n : Number(n);
}

function floatIn(typeOid: Oid, text: string): number {
  const s = text.trim().toLowerCase();
  const special: Record<string, number> = {
    nan: Number.NaN,
    infinity: Number.POSITIVE_INFINITY,
    '+infinity': Number.POSITIVE_INFINITY,
    inf: Number.POSITIVE_INFINITY,
    '+inf': Number.POSITIVE_INFINITY,
    '-infinity': Number.NEGATIVE_INFINITY,
    '-inf': Number.NEGATIVE_INFINITY,
  };
  const sv = special[s];
  if (sv !== undefined) return sv;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) throw invalid(typeOid, text);
  const x = Number(s);
  const v = typeOid === TypeOid.float4 ? Math.fround(x) : x;
  if (!Number.isFinite(v)) throw outOfRange(typeOid, text);
  return v;
}

function numericIn(text: string): Numeric {
  return Numeric.parse(text);
}

function dateIn(text: string): number {
  const m = /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
  if (m === null)
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type date: "${text}"`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new KeelError(SqlState.DatetimeFieldOverflow, `date/time field value out of range: "${text}"`);
  }
  return Math.round((ms - Date.UTC(2000, 0, 1)) / 86_400_000);
}

function timestampIn(text: string, typeOid: Oid): bigint {
  const m =
    /^\s*(\d{4,}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(?:(z|utc|[+-]\d{2}(?::?\d{2})?))?\s*$/i.exec(
      text,
    );
  if (m === null) {
    const name = typeInfo(typeOid)?.name ?? 'timestamp';
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type ${name}: "${text}"`);
  }
  const days = BigInt(dateIn(m[1] ?? ''));
  const h = BigInt(m[2] ?? '0');
  const mi = BigInt(m[3] ?? '0');
  const s = BigInt(m[4] ?? '0');
  const frac = BigInt((m[5] ?? '').padEnd(6, '0'));
  let micros = days * microsPerDay + ((h * 60n + mi) * 60n + s) * 1_000_000n + frac;
  const zone = m[6];
  if (typeOid === TypeOid.timestamptz && zone !== undefined && /^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offset = BigInt(digits.slice(0, 2)) * 60n + BigInt(digits.slice(2, 4) || '0');
    micros -= sign * offset * 60_000_000n;
  }
  return micros;
}

function intervalIn(text: string): Interval {
  const result: Interval = { months: 0, days: 0, micros: 0n };
  const re =
    /(-?\d+(?:\.\d+)?)\s*(years?|mons?|months?|days?|hours?|mins?|minutes?|secs?|seconds?)|(-?)(\d+):(\d{2})(?::(\d{2}))?/gi;
  let matched = false;
  for (const m of text.matchAll(re)) {
    matched = true;
    if (m[2] !== undefined) {
      const n = Number(m[1]);
      const unit = m[2].toLowerCase();
      if (unit.startsWith('y')) result.months += n * 12;
      else if (unit.startsWith('mon')) result.months += n;
      else if (unit.startsWith('d')) result.days += n;
      else if (unit.startsWith('h')) result.micros += BigInt(Math.round(n * 3_600_000_000));
      else if (unit.startsWith('mi')) result.micros += BigInt(Math.round(n * 60_000_000));
      else result.micros += BigInt(Math.round(n * 1_000_000));
    } else {
      const sign = m[3] === '-' ? -1n : 1n;
      const secs = BigInt(m[4] ?? '0') * 3600n + BigInt(m[5] ?? '0') * 60n + BigInt(m[6] ?? '0');
      result.micros += sign * secs * 1_000_000n;
    }
  }
  if (!matched)
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type interval: "${text}"`);
  return result;
}

function arrayIn(elementOid: Oid, text: string): PgArray {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) {
    throw new KeelError(SqlState.InvalidTextRepresentation, `malformed array literal: "${text}"`);
  }
  const body = s.slice(1, -1);
  if (body.trim() === '') return makeArray(elementOid, []);
  const items: Value[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*?))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null = re.exec(body);
  while (m !== null && m[0] !== '') {
    if (m[1] !== undefined) items.push(textIn(elementOid, m[1].replace(/\\(.)/g, '$1')));
    else if ((m[2] ?? '').toUpperCase() === 'NULL') items.push(null);
    else items.push(textIn(elementOid, m[2] ?? ''));
    if (re.lastIndex >= body.length) break;
    m = re.exec(body);
  }
  return makeArray(elementOid, items);
}

/** PostgreSQL's text input of a value of the given type; throws 22P02/22003/22007 as PostgreSQL does. */
export function textIn(typeOid: Oid, text: string): Value {
  switch (typeOid) {
    case TypeOid.bool: {
      const v = boolWords[text.trim().toLowerCase()];
      if (v === undefined) throw invalid(typeOid, text);
      return v;
    }
    case TypeOid.int2:
    case TypeOid.int4:
    case TypeOid.int8:
    case TypeOid.oid:
      return intIn(typeOid, text);
    case TypeOid.float4:
    case TypeOid.float8:
      return floatIn(typeOid, text);
    case TypeOid.numeric:
      return numericIn(text);
    case TypeOid.date:
      return dateIn(text);
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      return timestampIn(text, typeOid);
    case TypeOid.interval:
      return intervalIn(text);
    case TypeOid.bytea:
      return text.startsWith('\\x') ? Uint8Array.from(Buffer.from(text.slice(2), 'hex')) : Buffer.from(text);
    case TypeOid.uuid:
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(text.trim())) {
        throw invalid(typeOid, text);
      }
      return text.trim().toLowerCase();
    default: {
      const element = elementTypeOf(typeOid);
      if (element !== null) return arrayIn(element, text);
      return text;
    }
  }
}
