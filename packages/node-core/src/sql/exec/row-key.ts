/**
 * Hash keys of rows for hash tables (hash join, aggregation, DISTINCT, set operations, sub-plan
 * caches): equal rows get equal keys, by each column type's equality (src/sql/types' hashKey:
 * 1.0 = 1.00, '1 day' = '24 hours', 'a ' = 'a' as char(n), an int4 and an int8 of equal value).
 * A column whose type is not known (0) gets a structural key.
 * Exports: RowKey, rowKeyOf, valueKeyOf.
 */
import type { Value } from '../../access/table-access.js';
import type { Oid } from '../../catalog/objects.js';
import { hashKey } from '../types/compare.js';
import { Numeric } from '../types/numeric.js';
import { isInterval, isPgArray, isRecord, type Value as TypedValue } from '../types/value.js';

export type RowKey = (values: readonly Value[]) => unknown;

const BYTEA = 17;
const INTERVAL = 1186;
const NUMERIC = 1700;
const JSONB = 3802;

type Key = string | number | bigint | boolean | null;

/** The key of one value of type `type` (0 when unknown). */
export function valueKeyOf(type: Oid, value: Value): Key {
  if (value === null || value === undefined) return null;
  if (type !== 0) return hashKey(type, value as TypedValue);
  return structuralKey(value as TypedValue);
}

function structuralKey(value: TypedValue): Key {
  if (value === null) return null;
  switch (typeof value) {
    case 'number':
      return value === 0 ? 0 : value;
    case 'bigint':
      return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
    case 'string':
    case 'boolean':
      return value;
    default:
      break;
  }
  if (isPgArray(value))
    return `a[${value.values.map((v) => JSON.stringify(String(structuralKey(v)))).join(',')}]`;
  if (isRecord(value)) {
    return `r(${value.values.map((v, i) => JSON.stringify(String(valueKeyOf(value.types[i] ?? 0, v)))).join(',')})`;
  }
  if (isInterval(value)) return hashKey(INTERVAL, value);
  if (value instanceof Numeric) return hashKey(NUMERIC, value);
  if (value instanceof Uint8Array) return hashKey(BYTEA, value);
  return hashKey(JSONB, value);
}

/** A key function for rows of the given column types. */
export function rowKeyOf(types: readonly Oid[]): RowKey {
  if (types.length === 1) {
    const type = types[0] ?? 0;
    return (values) => valueKeyOf(type, values[0] ?? null);
  }
  return (values) => {
    let out = '';
    for (let i = 0; i < values.length; i++) {
      const k = valueKeyOf(types[i] ?? 0, values[i] ?? null);
      out += k === null ? '\u0001N' : `\u0001${typeof k}${String(k)}`;
    }
    return out;
  };
}
