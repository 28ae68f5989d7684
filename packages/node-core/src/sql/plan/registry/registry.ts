/**
 * The one door from the query processor to type and function knowledge. Everything here comes
 * from src/sql/types and src/sql/functions (one implementation of each type's semantics); this
 * file only gives the binder and executor one import and a few SQL-layer names for them.
 * `makeArray(element, values)` and `typeInfo` (returning undefined for an unknown oid) keep the
 * shapes the engine's system views already import.
 * Exports: type facts (TypeOid, typeDisplayName, typeOidByName, arrayTypeOf, elementTypeOf,
 * typeInfo), casts (findCast, castValue, canCoerce, applyTypmod), ordering and hashing
 * (comparatorFor, hashKey, comparatorForPair), resolution (resolveOperator, resolveFunction,
 * resolveAggregate, isAggregateName, selectCommonType), values (Numeric, makeArray, makeRecord).
 */
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import { crossTypeComparator } from '../../functions/comparison-operators.js';
import type { EvalContext } from '../../functions/eval-context.js';
import type { ResolvedCall } from '../../functions/resolve.js';
import { arrayFromList } from '../../types/array-io.js';
import { comparatorFor as typedComparatorFor } from '../../types/compare.js';
import { Oids } from '../../types/oids.js';
import { findType, formatType, typeByName } from '../../types/type-registry.js';
import type { RecordValue, Value as TypedValue } from '../../types/value.js';

export {
  type AggregateImpl,
  isAggregateName,
  type ResolvedAggregate,
  resolveAggregate,
} from '../../functions/aggregates.js';
export { evalAnyAll } from '../../functions/array-functions.js';
export { type EvalContext, makeEvalContext, seededRandom } from '../../functions/eval-context.js';
export type { Implementation, RowsImplementation, Volatility } from '../../functions/function-registry.js';
export { selectCommonType } from '../../functions/polymorphic.js';
export { type ResolvedCall, resolveFunction, resolveOperator } from '../../functions/resolve.js';
export { type CastContext, canCoerce, castValue, findCast } from '../../types/casts.js';
export { hashKey } from '../../types/compare.js';
export { Numeric } from '../../types/numeric.js';
export { parseTimeZoneSetting, type TypeSettings } from '../../types/settings.js';
export { formatText, parseText } from '../../types/text-io.js';
export { arrayTypeOf, elementTypeOf, findType, formatType } from '../../types/type-registry.js';
export { applyTypmod, type CoercionKind } from '../../types/typmod.js';
export { isPgArray, type PgArray } from '../../types/value.js';

/** Orders two non-null values of one type: negative, zero or positive. */
export type Comparator = (a: Value, b: Value) => number;

/**
 * The btree order of a type over the executor's values. The access layer's `Value` is
 * `unknown`; the values of a column are its type's representation (src/sql/types/README.md).
 */
export function comparatorFor(oid: Oid): Comparator {
  return typedComparatorFor(oid) as Comparator;
}

/** PostgreSQL's type oids by name (TypeOid.int4 is 23). */
export const TypeOid = Oids;

/** format_type's name, used in error messages ("integer", "text[]"). */
export function typeDisplayName(oid: Oid): string {
  return formatType(oid);
}

/** Oid of a type by one of its SQL names (lower case, without modifiers), or null. */
export function typeOidByName(name: string): Oid | null {
  return typeByName(name)?.oid ?? null;
}

/** The registry entry of a type, undefined when Keel does not know the oid. */
export function typeInfo(oid: Oid): ReturnType<typeof findType> {
  return findType(oid);
}

/** A one-dimensional array (lower bound 1) of the given element type. */
export function makeArray(elementType: Oid, values: Value[]): TypedValue {
  return arrayFromList(elementType, values as TypedValue[]);
}

export function makeRecord(types: Oid[], values: Value[], names?: string[]): RecordValue {
  const items = values as TypedValue[];
  return names === undefined
    ? { kind: 'record', types, values: items }
    : { kind: 'record', types, values: items, names };
}

const comparisonTests: Record<string, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/**
 * A resolved binary operator as a function of two non-null operands. Comparisons call the
 * type's btree comparator directly (what their implementations do, without an argument array).
 */
export function operatorFunction(
  name: string,
  resolved: ResolvedCall,
): (a: Value, b: Value, ctx: EvalContext) => Value {
  const test = comparisonTests[name];
  const [left = 0, right = 0] = resolved.argTypes;
  const compare =
    test === undefined || resolved.resultType !== Oids.bool ? null : comparatorForPair(left, right);
  if (test !== undefined && compare !== null) return (a, b, ctx) => test(compare(a, b, ctx));
  const impl = resolved.impl;
  return (a, b, ctx) => impl([a as TypedValue, b as TypedValue], ctx);
}

/**
 * An ordering of values of `left` against values of `right` (the btree comparison PostgreSQL
 * uses for `left op right`), or null when the pair has no such operators. The context is the
 * statement's EvalContext (timestamp against timestamptz reads the session time zone).
 */
export function comparatorForPair(
  left: Oid,
  right: Oid,
): ((a: Value, b: Value, ctx: EvalContext) => number) | null {
  if (left === right) {
    const c = comparatorFor(left);
    return (a, b) => c(a as TypedValue, b as TypedValue);
  }
  const l = findType(left);
  const r = findType(right);
  if (l === undefined || r === undefined) return null;
  const cross = crossTypeComparator(l.name, r.name);
  return cross === null ? null : (a, b, ctx) => cross(a as TypedValue, b as TypedValue, ctx);
}
