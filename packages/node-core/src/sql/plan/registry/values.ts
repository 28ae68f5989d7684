/**
 * Interim value semantics for the built-in types: ordering, equality keys for hashing, and text
 * output/input in PostgreSQL's formats. Stands in for src/sql/types until it lands.
 * Exports: compareValues, comparatorFor, hashKeyOf, textOut, textIn, Numeric.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import { Numeric } from '../../types/numeric.js';
import type { PgArray, RecordValue } from '../../types/value.js';
import { elementTypeOf, TypeOid, typeInfo } from './type-ids.js';

export { Numeric };

/** Orders two non-null values of the same type: negative, zero or positive. */
export type Comparator = (a: Value, b: Value) => number;

function compareNumber(a: Value, b: Value): number {
  const x = a as number;
  const y = b as number;
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
  if (Number.isNaN(y)) return -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function comparePrimitive(a: Value, b: Value): number {
  const x = a as string | bigint | boolean;
  const y = b as string | bigint | boolean;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareNumeric(a: Value, b: Value): number {
  return (a as Numeric).compare(b as Numeric);
}

function compareBpchar(a: Value, b: Value): number {
  return comparePrimitive((a as string).replace(/ +$/, ''), (b as string).replace(/ +$/, ''));
}

function compareBytes(a: Value, b: Value): number {
  const x = a as Uint8Array;
  const y = b as Uint8Array;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function listComparator(element: Comparator): (x: Value[], y: Value[]) => number {
  return (x, y) => {
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const u = x[i];
      const v = y[i];
      if (u === null || v === null) {
        if (u === null && v === null) continue;
        return u === null ? 1 : -1;
      }
      const c = element(u, v);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  };
}

function arrayComparator(element: Comparator): Comparator {
  const list = listComparator(element);
  return (a, b) => list((a as PgArray).values, (b as PgArray).values);
}

function recordComparator(): Comparator {
  const list = listComparator(compareAny);
  return (a, b) => list((a as RecordValue).values, (b as RecordValue).values);
}

/** The btree ordering of a type (nulls are handled by the caller). */
export function comparatorFor(typeOid: Oid): Comparator {
  switch (typeOid) {
    case TypeOid.int2:
    case TypeOid.int4:
    case TypeOid.float4:
    case TypeOid.float8:
    case TypeOid.date:
    case TypeOid.oid:
    case TypeOid.regclass:
      return compareNumber;
    case TypeOid.numeric:
      return compareNumeric;
    case TypeOid.bpchar:
      return compareBpchar;
    case TypeOid.bytea:
      return compareBytes;
    case TypeOid.interval:
      return (a, b) => comparePrimitive(intervalMicros(a), intervalMicros(b));
    case TypeOid.record:
      return recordComparator();
    default: {
      const element = elementTypeOf(typeOid);
      if (element !== null) return arrayComparator(comparatorFor(element));
      return comparePrimitive;
    }
  }
}

/** Ordering of values whose type is only known at run time (record fields). */
export function compareAny(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumber(a, b);
  if (a instanceof Numeric && b instanceof Numeric) return compareNumeric(a, b);
  if (typeof a === 'object' && a !== null && 'elementType' in a) return arrayComparator(compareAny)(a, b);
  if (typeof a === 'object' && a !== null && 'kind' in a) return recordComparator()(a, b);
  return comparePrimitive(a, b);
}

/** Compares with PostgreSQL's default NULL placement (nulls sort as larger than any value). */
export function compareValues(typeOid: Oid, a: Value, b: Value): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  return comparatorFor(typeOid)(a, b);
}

export interface Interval {
  months: number;
  days: number;
  micros: bigint;
}

function intervalMicros(v: Value): bigint {
  const i = v as Interval;
  return (BigInt(i.months) * 30n + BigInt(i.days)) * 86_400_000_000n + i.micros;
}

/** A primitive that is equal for equal values, for hash tables (join, aggregate, distinct). */
export function hashKeyOf(value: Value): string | number | bigint | boolean | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
      return value === 0 ? 0 : value;
    case 'string':
    case 'bigint':
    case 'boolean':
      return value;
    default:
      return structuralKey(value);
  }
}

function structuralKey(value: Value): string {
  if (value instanceof Numeric) return `n:${value.isFinite() ? value.dec.toString() : value.toString()}`;
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'object' && value !== null && 'elementType' in value)
    return `a:${listKey((value as PgArray).values)}`;
  if (typeof value === 'object' && value !== null && 'kind' in value)
    return `r:${listKey((value as RecordValue).values)}`;
  if (typeof value === 'object' && value !== null && 'months' in value) return `i:${intervalMicros(value)}`;
  return `o:${JSON.stringify(value)}`;
}

function listKey(values: Value[]): string {
  return `[${values.map((v) => JSON.stringify(String(hashKeyOf(v)))).join(',')}]`;
}

export { intervalMicros };

/** Raised for text that is not a valid value of the type (22P02), with PostgreSQL's message. */
export function invalidInput(typeName: string, text: string): KeelError {
  return new KeelError(
    SqlState.InvalidTextRepresentation,
    `invalid input syntax for type ${typeName}: "${text}"`,
  );
}

export function outOfRange(text: string, typeName: string): KeelError {
  return new KeelError(
    SqlState.NumericValueOutOfRange,
    `value "${text}" is out of range for type ${typeName}`,
  );
}

export { textIn, textOut } from './text-io.js';
export function typeNameOf(oid: Oid): string {
  return typeInfo(oid)?.name ?? String(oid);
}
