/**
 * Ordering, equality and hashing of non-null values, per type, as PostgreSQL's default btree
 * and hash operator classes define them:
 * - text, varchar, name: C collation (code point order = UTF-8 byte order); bpchar ignores
 *   trailing spaces.
 * - float4/float8: NaN equals NaN and sorts above every other value; -0 equals 0.
 * - numeric: NaN above +Infinity; 1.0 equals 1.00.
 * - interval: compared by total length (1 mon = 30 days, 1 day = 24 hours), so '1 day' = '24 hours'.
 * - jsonb: PostgreSQL's jsonb order (object > array > boolean > number > string > null;
 *   longer arrays/objects first compare greater; an empty top-level array sorts below null).
 * - arrays: element by element (NULL elements last), then length, then dimensions.
 * `comparatorFor(oid)` returns one function per type so the executor dispatches once per column.
 * `hashKey` maps equal values to the same JS Map key (SameValueZero), e.g. NaN to NaN and
 * -0 to 0 for floats, normalized decimal text for numeric.
 * Exports: Comparator, comparatorFor, compareValues, equalValues, hashKey, compareJsonb.
 */

import { intervalSpanMicros } from './datetime/interval-io.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import { elementTypeOf } from './type-registry.js';
import {
  compareCodePoints,
  type Interval,
  type Jsonb,
  JsonbObject,
  JsonNull,
  type PgArray,
  type RecordValue,
  type Value,
} from './value.js';

/** Compares two non-null values: negative, zero or positive. */
export type Comparator = (a: Value, b: Value) => number;

function compareNumbers(a: Value, b: Value): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function compareBigints(a: Value, b: Value): number {
  return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
}

/** float order with NaN greatest and equal to itself. */
function compareFloats(a: Value, b: Value): number {
  const x = a as number;
  const y = b as number;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  const xn = Number.isNaN(x);
  const yn = Number.isNaN(y);
  return xn === yn ? 0 : xn ? 1 : -1;
}

function compareBools(a: Value, b: Value): number {
  return a === b ? 0 : a ? 1 : -1;
}

function compareText(a: Value, b: Value): number {
  return compareCodePoints(a as string, b as string);
}

export function trimTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return end === s.length ? s : s.slice(0, end);
}

function compareBpchar(a: Value, b: Value): number {
  return compareCodePoints(trimTrailingSpaces(a as string), trimTrailingSpaces(b as string));
}

function compareBytes(a: Value, b: Value): number {
  const x = a as Uint8Array;
  const y = b as Uint8Array;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareNumerics(a: Value, b: Value): number {
  return (a as Numeric).compare(b as Numeric);
}

function compareIntervals(a: Value, b: Value): number {
  const x = intervalSpanMicros(a as Interval);
  const y = intervalSpanMicros(b as Interval);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareDates(a: Value, b: Value): number {
  return compareNumbers(a, b);
}

function jsonbRank(v: Jsonb): number {
  if (v === JsonNull) return 1;
  if (typeof v === 'string') return 2;
  if (v instanceof Numeric) return 3;
  if (typeof v === 'boolean') return 4;
  if (Array.isArray(v)) return 5;
  return 6;
}

/** PostgreSQL's jsonb btree order. */
export function compareJsonb(a: Jsonb, b: Jsonb, topLevel = true): number {
  if (topLevel) {
    const ea = Array.isArray(a) && a.length === 0;
    const eb = Array.isArray(b) && b.length === 0;
    if (ea || eb) {
      if (ea && eb) return 0;
      return ea ? -1 : 1;
    }
  }
  const ra = jsonbRank(a);
  const rb = jsonbRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'string') return compareCodePoints(a, b as string);
  if (a instanceof Numeric) return a.compare(b as Numeric);
  if (typeof a === 'boolean') return compareBools(a, b);
  if (Array.isArray(a)) return compareJsonbArrays(a, b as Jsonb[]);
  if (a instanceof JsonbObject) return compareJsonbObjects(a, b as JsonbObject);
  return 0;
}

function compareJsonbArrays(a: Jsonb[], b: Jsonb[]): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    const c = compareJsonb(a[i] ?? JsonNull, b[i] ?? JsonNull, false);
    if (c !== 0) return c;
  }
  return 0;
}

function compareJsonbObjects(a: JsonbObject, b: JsonbObject): number {
  if (a.keys.length !== b.keys.length) return a.keys.length < b.keys.length ? -1 : 1;
  for (let i = 0; i < a.keys.length; i++) {
    // Pairs are visited in storage order, but keys compare as plain strings.
    const k = compareCodePoints(a.keys[i] ?? '', b.keys[i] ?? '');
    if (k !== 0) return k;
    const v = compareJsonb(a.values[i] ?? JsonNull, b.values[i] ?? JsonNull, false);
    if (v !== 0) return v;
  }
  return 0;
}

function compareJsonbValues(a: Value, b: Value): number {
  return compareJsonb(a as Jsonb, b as Jsonb);
}

function arrayComparator(elementOid: TypeOid): Comparator {
  const element = comparatorFor(elementOid);
  return (a, b) => compareArrays(a as PgArray, b as PgArray, element);
}

function compareArrays(x: PgArray, y: PgArray, element: Comparator): number {
  const n = Math.min(x.values.length, y.values.length);
  for (let i = 0; i < n; i++) {
    const c = compareNullable(x.values[i] ?? null, y.values[i] ?? null, element);
    if (c !== 0) return c;
  }
  if (x.values.length !== y.values.length) return x.values.length < y.values.length ? -1 : 1;
  if (x.dims.length !== y.dims.length) return x.dims.length < y.dims.length ? -1 : 1;
  for (let i = 0; i < x.dims.length; i++) {
    const dx = x.dims[i];
    const dy = y.dims[i];
    if (dx === undefined || dy === undefined) break;
    if (dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
    if (dx.lowerBound !== dy.lowerBound) return dx.lowerBound < dy.lowerBound ? -1 : 1;
  }
  return 0;
}

/** NULLs sort last (as in arrays and records). */
function compareNullable(a: Value, b: Value, cmp: Comparator): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return cmp(a, b);
}

function compareRecords(a: Value, b: Value): number {
  const x = a as RecordValue;
  const y = b as RecordValue;
  const n = Math.min(x.values.length, y.values.length);
  for (let i = 0; i < n; i++) {
    const c = compareNullable(
      x.values[i] ?? null,
      y.values[i] ?? null,
      comparatorFor(x.types[i] ?? Oids.text),
    );
    if (c !== 0) return c;
  }
  return x.values.length - y.values.length;
}

const comparators = new Map<TypeOid, Comparator>([
  [Oids.bool, compareBools],
  [Oids.int2, compareNumbers],
  [Oids.int4, compareNumbers],
  [Oids.oid, compareNumbers],
  [Oids.regclass, compareNumbers],
  [Oids.regtype, compareNumbers],
  [Oids.regproc, compareNumbers],
  [Oids.regnamespace, compareNumbers],
  [Oids.regprocedure, compareNumbers],
  [Oids.regrole, compareNumbers],
  [Oids.time, compareNumbers],
  [Oids.date, compareDates],
  [Oids.int8, compareBigints],
  [Oids.timestamp, compareBigints],
  [Oids.timestamptz, compareBigints],
  [Oids.float4, compareFloats],
  [Oids.float8, compareFloats],
  [Oids.numeric, compareNumerics],
  [Oids.text, compareText],
  [Oids.varchar, compareText],
  [Oids.name, compareText],
  [Oids.char, compareText],
  [Oids.unknown, compareText],
  [Oids.uuid, compareText],
  [Oids.bpchar, compareBpchar],
  [Oids.bytea, compareBytes],
  [Oids.interval, compareIntervals],
  [Oids.jsonb, compareJsonbValues],
  [Oids.record, compareRecords],
]);

/** The comparator of a type (arrays included); cached per oid. */
export function comparatorFor(oid: TypeOid): Comparator {
  const known = comparators.get(oid);
  if (known !== undefined) return known;
  const element = elementTypeOf(oid);
  const made: Comparator = element !== 0 ? arrayComparator(element) : compareText;
  comparators.set(oid, made);
  return made;
}

/** Compares two values of one type; NULL sorts last (greater than any value). */
export function compareValues(oid: TypeOid, a: Value, b: Value): number {
  return compareNullable(a, b, comparatorFor(oid));
}

/** SQL equality of two non-null values of one type (no NULL handling: callers do three-valued logic). */
export function equalValues(oid: TypeOid, a: Value, b: Value): boolean {
  return comparatorFor(oid)(a, b) === 0;
}

/** A Map key such that equal values (per `equalValues`) share a key. */
export function hashKey(oid: TypeOid, value: Value): string | number | bigint | boolean | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'number':
      return value === 0 ? 0 : value;
    case 'bigint':
      return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
    case 'boolean':
      return value;
    case 'string':
      return oid === Oids.bpchar ? trimTrailingSpaces(value) : value;
    default:
      return objectKey(oid, value);
  }
}

function objectKey(oid: TypeOid, value: Value): string {
  if (value instanceof Numeric) return value.isFinite() ? value.dec.toString() : value.toString();
  if (value instanceof Uint8Array) return `x${Buffer.from(value).toString('hex')}`;
  if (oid === Oids.interval) return `i${intervalSpanMicros(value as Interval)}`;
  if (oid === Oids.jsonb) return `j${jsonbKey(value as Jsonb)}`;
  const element = elementTypeOf(oid);
  if (element !== 0) {
    const arr = value as PgArray;
    const dims = arr.dims.map((d) => `${d.length}:${d.lowerBound}`).join(',');
    return `a${dims}[${arr.values.map((v) => JSON.stringify(String(hashKey(element, v)))).join(',')}]`;
  }
  const rec = value as RecordValue;
  return `r(${rec.values.map((v, i) => JSON.stringify(String(hashKey(rec.types[i] ?? Oids.text, v)))).join(',')})`;
}

/** Canonical jsonb text with normalized numbers (1.0 and 1 are equal jsonb values). */
function jsonbKey(v: Jsonb): string {
  if (v instanceof Numeric) return v.isFinite() ? v.dec.toString() : v.toString();
  if (Array.isArray(v)) return `[${v.map(jsonbKey).join(',')}]`;
  if (v instanceof JsonbObject)
    return `{${v.keys.map((k, i) => `${JSON.stringify(k)}:${jsonbKey(v.values[i] ?? JsonNull)}`).join(',')}}`;
  if (v === JsonNull) return 'null';
  return JSON.stringify(v);
}
