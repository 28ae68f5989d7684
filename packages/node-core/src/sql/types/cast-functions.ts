/**
 * The conversion functions behind pg_cast's function casts: integer narrowing with 22003,
 * float to integer with round-half-even (rint) as PostgreSQL, float/numeric conversions through
 * PostgreSQL's 15 (float8) or 6 (float4) significant digits, bpchar to text dropping trailing
 * spaces, date/timestamp/timestamptz/time/interval conversions in the session time zone, and
 * jsonb scalar extraction (22023 when the jsonb is not a scalar of the target kind).
 * Exports: castFunction, CastFunction, roundHalfEven, int2Checked, int4Checked, int8Checked.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import { trimTrailingSpaces } from './compare.js';
import { splitDays, timestampInfinity, timestampMinusInfinity, usecsPerDay } from './datetime/calendar.js';
import { localToTimestamptz, timestampToLocal } from './datetime/datetime-io.js';
import { outOfRange } from './errors.js';
import { formatJsonb, parseJsonb } from './json-io.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import type { TypeSettings } from './settings.js';
import { formatType } from './type-registry.js';
import { type Interval, type Jsonb, JsonbObject, JsonNull, type Value } from './value.js';

export type CastFunction = (value: Value, settings: TypeSettings) => Value;

/** C rint(): nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function int2Checked(n: number): number {
  if (n < -32768 || n > 32767 || Number.isNaN(n)) throw outOfRange('smallint out of range');
  return n;
}

export function int4Checked(n: number): number {
  if (n < -2147483648 || n > 2147483647 || Number.isNaN(n)) throw outOfRange('integer out of range');
  return n;
}

export function int8Checked(n: bigint): bigint {
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw outOfRange('bigint out of range');
  return n;
}

function floatToInt8(x: number): bigint {
  const r = roundHalfEven(x);
  if (Number.isNaN(r) || r < -(2 ** 63) || r >= 2 ** 63) throw outOfRange('bigint out of range');
  return BigInt(r);
}

function float8ToFloat4(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) && Number.isFinite(x)) throw outOfRange('value out of range: overflow');
  if (f === 0 && x !== 0) throw outOfRange('value out of range: underflow');
  return f;
}

function dateToTimestamp(days: number): bigint {
  if (days === Number.POSITIVE_INFINITY) return timestampInfinity;
  if (days === Number.NEGATIVE_INFINITY) return timestampMinusInfinity;
  return BigInt(days) * usecsPerDay;
}

function timestampToDate(ts: bigint): number {
  if (ts === timestampInfinity) return Number.POSITIVE_INFINITY;
  if (ts === timestampMinusInfinity) return Number.NEGATIVE_INFINITY;
  return splitDays(ts).days;
}

function toLocal(ts: bigint, settings: TypeSettings): bigint {
  if (ts === timestampInfinity || ts === timestampMinusInfinity) return ts;
  return timestampToLocal(ts, settings.timeZone).local;
}

function fromLocal(ts: bigint, settings: TypeSettings): bigint {
  if (ts === timestampInfinity || ts === timestampMinusInfinity) return ts;
  return localToTimestamptz(ts, settings.timeZone);
}

function jsonbKindName(v: Jsonb): string {
  if (v === JsonNull) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Numeric) return 'numeric';
  return v instanceof JsonbObject ? 'object' : 'array';
}

function jsonbScalar(v: Value, want: 'numeric' | 'boolean', target: TypeOid): Numeric | boolean {
  const j = v as Jsonb;
  if (want === 'numeric' && j instanceof Numeric) return j;
  if (want === 'boolean' && typeof j === 'boolean') return j;
  throw new KeelError(
    SqlState.InvalidParameterValue,
    `cannot cast jsonb ${jsonbKindName(j)} to type ${formatType(target)}`,
  );
}

function jsonbNumeric(v: Value, target: TypeOid): Numeric {
  const n = jsonbScalar(v, 'numeric', target);
  assert(n instanceof Numeric, 'jsonb numeric scalar');
  return n;
}

type Table = Record<string, CastFunction>;

function numberCasts(): Table {
  const n = (v: Value) => v as number;
  const big = (v: Value) => v as bigint;
  return {
    'int8>int2': (v) => int2Checked(Number(int8Checked(big(v)))),
    'int8>int4': (v) => int4Checked(Number(big(v))),
    'int8>float4': (v) => Math.fround(Number(big(v))),
    'int8>float8': (v) => Number(big(v)),
    'int8>numeric': (v) => Numeric.fromInt(big(v)),
    'int8>oid': (v) => Number(BigInt.asUintN(32, big(v))),
    'int2>int8': (v) => BigInt(n(v)),
    'int2>int4': (v) => n(v),
    'int4>int8': (v) => BigInt(n(v)),
    'int4>int2': (v) => int2Checked(n(v)),
    'int2>float4': (v) => n(v),
    'int2>float8': (v) => n(v),
    'int4>float4': (v) => Math.fround(n(v)),
    'int4>float8': (v) => n(v),
    'int2>numeric': (v) => Numeric.fromInt(n(v)),
    'int4>numeric': (v) => Numeric.fromInt(n(v)),
    'int4>bool': (v) => n(v) !== 0,
    'bool>int4': (v) => (v ? 1 : 0),
    'int4>char': (v) => String.fromCharCode(n(v) & 0xff),
    'char>int4': (v) => {
      const c = (v as string).charCodeAt(0) || 0;
      return c >= 128 ? c - 256 : c;
    },
    'float4>int2': (v) => int2Checked(roundHalfEven(n(v))),
    'float4>int4': (v) => int4Checked(roundHalfEven(n(v))),
    'float4>int8': (v) => floatToInt8(n(v)),
    'float8>int2': (v) => int2Checked(roundHalfEven(n(v))),
    'float8>int4': (v) => int4Checked(roundHalfEven(n(v))),
    'float8>int8': (v) => floatToInt8(n(v)),
    'float4>float8': (v) => n(v),
    'float8>float4': (v) => float8ToFloat4(n(v)),
    'float4>numeric': (v) => Numeric.fromFloat(n(v), 6),
    'float8>numeric': (v) => Numeric.fromFloat(n(v), 15),
    'numeric>int2': (v) => (v as Numeric).toInt('smallint'),
    'numeric>int4': (v) => (v as Numeric).toInt('integer'),
    'numeric>int8': (v) => (v as Numeric).toBigInt(),
    'numeric>float4': (v) => (v as Numeric).toFloat(true),
    'numeric>float8': (v) => (v as Numeric).toFloat(),
    'regproc>int8': (v) => BigInt(n(v)),
    'oid>int8': (v) => BigInt(n(v)),
    'regclass>int8': (v) => BigInt(n(v)),
    'regtype>int8': (v) => BigInt(n(v)),
    'regnamespace>int8': (v) => BigInt(n(v)),
    'regprocedure>int8': (v) => BigInt(n(v)),
    'regrole>int8': (v) => BigInt(n(v)),
    // int8 -> reg*: PostgreSQL's oid(int8), as int8 -> oid.
    'int8>regproc': (v) => Number(BigInt.asUintN(32, big(v))),
    'int8>regprocedure': (v) => Number(BigInt.asUintN(32, big(v))),
    'int8>regclass': (v) => Number(BigInt.asUintN(32, big(v))),
    'int8>regtype': (v) => Number(BigInt.asUintN(32, big(v))),
    'int8>regnamespace': (v) => Number(BigInt.asUintN(32, big(v))),
    'int8>regrole': (v) => Number(BigInt.asUintN(32, big(v))),
  };
}

function stringCasts(): Table {
  const s = (v: Value) => v as string;
  return {
    'bool>text': (v) => (v ? 'true' : 'false'),
    'bool>varchar': (v) => (v ? 'true' : 'false'),
    'bool>bpchar': (v) => (v ? 'true' : 'false'),
    'char>text': (v) => s(v),
    'char>varchar': (v) => s(v),
    'char>bpchar': (v) => s(v),
    'name>text': (v) => s(v),
    'name>varchar': (v) => s(v),
    'name>bpchar': (v) => s(v),
    'text>char': (v) => s(v).charAt(0),
    'varchar>char': (v) => s(v).charAt(0),
    'bpchar>char': (v) => s(v).charAt(0),
    'text>name': (v) => truncateName(s(v)),
    'varchar>name': (v) => truncateName(s(v)),
    'bpchar>name': (v) => truncateName(trimTrailingSpaces(s(v))),
    'bpchar>text': (v) => trimTrailingSpaces(s(v)),
    'bpchar>varchar': (v) => trimTrailingSpaces(s(v)),
  };
}

function truncateName(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= 63) return s;
  let end = 63;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

function temporalCasts(): Table {
  const ts = (v: Value) => v as bigint;
  return {
    'date>timestamp': (v) => dateToTimestamp(v as number),
    'date>timestamptz': (v, st) => fromLocal(dateToTimestamp(v as number), st),
    'timestamp>date': (v) => timestampToDate(ts(v)),
    'timestamp>time': (v) => splitDays(ts(v)).timeUs,
    'timestamp>timestamptz': (v, st) => fromLocal(ts(v), st),
    'timestamptz>date': (v, st) => timestampToDate(toLocal(ts(v), st)),
    'timestamptz>time': (v, st) => splitDays(toLocal(ts(v), st)).timeUs,
    'timestamptz>timestamp': (v, st) => toLocal(ts(v), st),
    'time>interval': (v) => ({ months: 0, days: 0, micros: BigInt(v as number) }),
    'interval>time': (v) => {
      const us = (v as Interval).micros % usecsPerDay;
      return Number(us < 0n ? us + usecsPerDay : us);
    },
  };
}

function jsonCasts(): Table {
  return {
    'json>jsonb': (v) => parseJsonb(v as string),
    'jsonb>json': (v) => formatJsonb(v as Jsonb),
    'jsonb>bool': (v) => jsonbScalar(v, 'boolean', Oids.bool),
    'jsonb>numeric': (v) => jsonbNumeric(v, Oids.numeric),
    'jsonb>int2': (v) => jsonbNumeric(v, Oids.int2).toInt('smallint'),
    'jsonb>int4': (v) => jsonbNumeric(v, Oids.int4).toInt('integer'),
    'jsonb>int8': (v) => jsonbNumeric(v, Oids.int8).toBigInt(),
    'jsonb>float4': (v) => jsonbNumeric(v, Oids.float4).toFloat(true),
    'jsonb>float8': (v) => jsonbNumeric(v, Oids.float8).toFloat(),
  };
}

const byName: Table = { ...numberCasts(), ...stringCasts(), ...temporalCasts(), ...jsonCasts() };
const typnames: Record<number, string> = {
  [Oids.bool]: 'bool',
  [Oids.char]: 'char',
  [Oids.name]: 'name',
  [Oids.int8]: 'int8',
  [Oids.int2]: 'int2',
  [Oids.int4]: 'int4',
  [Oids.regproc]: 'regproc',
  [Oids.text]: 'text',
  [Oids.oid]: 'oid',
  [Oids.json]: 'json',
  [Oids.float4]: 'float4',
  [Oids.float8]: 'float8',
  [Oids.bpchar]: 'bpchar',
  [Oids.varchar]: 'varchar',
  [Oids.date]: 'date',
  [Oids.time]: 'time',
  [Oids.timestamp]: 'timestamp',
  [Oids.timestamptz]: 'timestamptz',
  [Oids.interval]: 'interval',
  [Oids.numeric]: 'numeric',
  [Oids.regclass]: 'regclass',
  [Oids.regtype]: 'regtype',
  [Oids.jsonb]: 'jsonb',
  [Oids.regnamespace]: 'regnamespace',
  [Oids.regprocedure]: 'regprocedure',
  [Oids.regrole]: 'regrole',
};

const identity: CastFunction = (v) => v;

/** The conversion function of a pg_cast function cast (identity for relabels and oid-family casts). */
export function castFunction(from: TypeOid, to: TypeOid): CastFunction {
  return byName[`${typnames[from] ?? from}>${typnames[to] ?? to}`] ?? identity;
}
