/**
 * Value: the JS representation of one SQL datum (see README.md for the table). SQL NULL is
 * `null`; every other value is a plain JS primitive or one of the small records below, chosen so
 * that the hot paths (compare, hash, row decode) touch no wrapper objects for the common types.
 * Exports: Value, Interval, PgArray, ArrayDim, Jsonb, JsonbObject, JsonNull, RecordValue.
 */
import type { Numeric } from './numeric.js';
import type { TypeOid } from './oids.js';

/** interval: months and days are kept apart from the time part, as PostgreSQL does. */
export interface Interval {
  months: number;
  days: number;
  micros: bigint;
}

export interface ArrayDim {
  length: number;
  lowerBound: number;
}

/** An array value: elements flattened in row-major order; `dims` is empty for an empty array. */
export interface PgArray {
  elementType: TypeOid;
  dims: ArrayDim[];
  values: Value[];
}

/** JSON null inside a jsonb value (distinct from SQL NULL, which is `null`). */
export const JsonNull: unique symbol = Symbol('json null');
export type JsonNullType = typeof JsonNull;

/**
 * A jsonb object: keys in PostgreSQL's storage order (shorter keys first, then bytewise), no
 * duplicates (the last duplicate wins on input), values parallel to keys.
 */
export class JsonbObject {
  constructor(
    readonly keys: string[],
    readonly values: Jsonb[],
  ) {}

  get(key: string): Jsonb | undefined {
    const index = this.indexOf(key);
    return index < 0 ? undefined : this.values[index];
  }

  /** Binary search in storage order. */
  indexOf(key: string): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareJsonbKeys(this.keys[mid] ?? '', key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** A jsonb value: numbers are Numeric (exact), strings are JS strings. */
export type Jsonb = JsonNullType | boolean | string | Numeric | Jsonb[] | JsonbObject;

/** A ROW(...) value. */
export interface RecordValue {
  kind: 'record';
  types: TypeOid[];
  values: Value[];
  /** Column names when known (row_to_json uses them); f1, f2, ... otherwise. */
  names?: string[];
}

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Numeric
  | Uint8Array
  | Interval
  | PgArray
  | Jsonb
  | RecordValue;

/** jsonb key order: shorter keys first, then by UTF-8 bytes (code points). */
export function compareJsonbKeys(a: string, b: string): number {
  const la = utf8Length(a);
  const lb = utf8Length(b);
  if (la !== lb) return la < lb ? -1 : 1;
  return compareCodePoints(a, b);
}

/** Length of a string's UTF-8 encoding, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * C-collation string order: by Unicode code point, which is UTF-8 byte order. UTF-16 code
 * unit order differs only when a surrogate meets a unit in U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      // A surrogate encodes a code point above U+FFFF: greater than any unit that is not one.
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function isPgArray(value: Value): value is PgArray {
  return typeof value === 'object' && value !== null && 'dims' in value && 'elementType' in value;
}

export function isInterval(value: Value): value is Interval {
  return typeof value === 'object' && value !== null && 'months' in value && 'micros' in value;
}

export function isRecord(value: Value): value is RecordValue {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'record';
}
