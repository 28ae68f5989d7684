/**
 * Small helpers over src/sql/types' PgArray and RecordValue for the query processor: building
 * one-dimensional arrays and rows, reading their elements. The executor's values are `unknown`
 * (the access layer's Value); these helpers are the one place that narrows them.
 * Exports: makeArray, arrayItems, makeRecord, recordItems.
 */
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import type { PgArray, RecordValue, Value as TypedValue } from '../../types/value.js';

export function makeArray(elementType: Oid, values: Value[]): PgArray {
  const items = values as TypedValue[];
  return {
    elementType,
    dims: items.length === 0 ? [] : [{ length: items.length, lowerBound: 1 }],
    values: items,
  };
}

export function arrayItems(value: Value): Value[] {
  return (value as PgArray).values;
}

export function makeRecord(types: Oid[], values: Value[], names?: string[]): RecordValue {
  const items = values as TypedValue[];
  return names === undefined
    ? { kind: 'record', types, values: items }
    : { kind: 'record', types, values: items, names };
}

export function recordItems(value: Value): Value[] {
  return (value as RecordValue).values;
}
