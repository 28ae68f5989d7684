/**
 * Array functions and operators: array_length/upper/lower/ndims/dims, cardinality,
 * array_append/prepend/cat and the || forms (NULL arrays act as empty, as PostgreSQL),
 * array_position(s), array_remove, array_replace, array_fill, containment and overlap
 * (@> <@ &&, NULL elements never match), unnest and generate_series (set-returning), and the
 * three-valued ANY/ALL evaluation the executor uses for `x op ANY (array)`.
 * Exports: registerArrayFunctions, evalAnyAll.
 */
import { KeelError, SqlState } from '@keel/errors';
import { arrayFromList, makeArray } from '../types/array-io.js';
import { comparatorFor } from '../types/compare.js';
import { Numeric } from '../types/numeric.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { elementTypeOf } from '../types/type-registry.js';
import type { ArrayDim, PgArray, Value } from '../types/value.js';
import { addIntervalToTimestamp, addIntervalToTimestamptz } from './datetime-arithmetic.js';
import type { EvalContext } from './eval-context.js';
import {
  defineFunction,
  defineOperator,
  defineSetFunction,
  type Implementation,
} from './function-registry.js';
import { arr, big, interval, num, numeric } from './value-access.js';

/**
 * `left op ANY/ALL (array)` with SQL's three-valued logic: ANY is true if some comparison is
 * true, NULL if none is but some is NULL, else false; ALL is the dual. A NULL array gives NULL.
 */
export function evalAnyAll(
  compare: (left: Value, element: Value) => Value,
  left: Value,
  array: PgArray | null,
  all: boolean,
): boolean | null {
  if (array === null) return null;
  let sawNull = false;
  for (const e of array.values) {
    const r = left === null || e === null ? null : compare(left, e);
    if (r === null) sawNull = true;
    else if (r === !all) return !all;
  }
  if (array.values.length === 0) return all;
  return sawNull ? null : all;
}

function dimsError(): KeelError {
  return new KeelError(SqlState.ArraySubscriptError, 'cannot concatenate incompatible arrays', {
    detail: 'Arrays with differing dimensions are not compatible for concatenation.',
  });
}

function oneDim(values: Value[], lowerBound = 1): ArrayDim[] {
  return values.length === 0 ? [] : [{ length: values.length, lowerBound }];
}

function append(a: PgArray | null, v: Value, element: TypeOid): PgArray {
  if (a === null || a.dims.length === 0) return arrayFromList(element, [v]);
  if (a.dims.length !== 1)
    throw new KeelError(SqlState.DataException, 'argument must be empty or one-dimensional array');
  return makeArray(a.elementType, oneDim([...a.values, v], a.dims[0]?.lowerBound ?? 1), [...a.values, v]);
}

function prepend(v: Value, a: PgArray | null, element: TypeOid): PgArray {
  if (a === null || a.dims.length === 0) return arrayFromList(element, [v]);
  if (a.dims.length !== 1)
    throw new KeelError(SqlState.DataException, 'argument must be empty or one-dimensional array');
  const lb = a.dims[0]?.lowerBound ?? 1;
  return makeArray(a.elementType, oneDim([v, ...a.values], lb), [v, ...a.values]);
}

function cat(a: PgArray | null, b: PgArray | null): PgArray | null {
  if (a === null || a.dims.length === 0) return b;
  if (b === null || b.dims.length === 0) return a;
  const values = [...a.values, ...b.values];
  if (a.dims.length === b.dims.length) {
    if (a.dims.slice(1).some((d, i) => d.length !== b.dims[i + 1]?.length)) throw dimsError();
    const first = a.dims[0];
    const dims = [
      { length: (first?.length ?? 0) + (b.dims[0]?.length ?? 0), lowerBound: first?.lowerBound ?? 1 },
      ...a.dims.slice(1),
    ];
    return makeArray(a.elementType, dims, values);
  }
  if (
    a.dims.length === b.dims.length + 1 &&
    a.dims.slice(1).every((d, i) => d.length === b.dims[i]?.length)
  ) {
    const first = a.dims[0];
    return makeArray(
      a.elementType,
      [{ length: (first?.length ?? 0) + 1, lowerBound: first?.lowerBound ?? 1 }, ...a.dims.slice(1)],
      values,
    );
  }
  if (
    b.dims.length === a.dims.length + 1 &&
    b.dims.slice(1).every((d, i) => d.length === a.dims[i]?.length)
  ) {
    const first = b.dims[0];
    return makeArray(
      a.elementType,
      [{ length: (first?.length ?? 0) + 1, lowerBound: first?.lowerBound ?? 1 }, ...b.dims.slice(1)],
      values,
    );
  }
  throw dimsError();
}

function contains(a: PgArray, b: PgArray): boolean {
  const cmp = comparatorFor(a.elementType);
  return b.values.every((x) => x !== null && a.values.some((y) => y !== null && cmp(x, y) === 0));
}

function overlaps(a: PgArray, b: PgArray): boolean {
  const cmp = comparatorFor(a.elementType);
  return b.values.some((x) => x !== null && a.values.some((y) => y !== null && cmp(x, y) === 0));
}

function notDistinct(cmp: (a: Value, b: Value) => number, a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  return cmp(a, b) === 0;
}

function position(a: PgArray, v: Value, start: number): number | null {
  if (a.dims.length > 1) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      'searching for elements in multidimensional arrays is not supported',
    );
  }
  const cmp = comparatorFor(a.elementType);
  const lb = a.dims[0]?.lowerBound ?? 1;
  for (let i = Math.max(start - lb, 0); i < a.values.length; i++) {
    if (notDistinct(cmp, a.values[i] ?? null, v)) return i + lb;
  }
  return null;
}

function positions(a: PgArray, v: Value): PgArray {
  if (a.dims.length > 1) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      'searching for elements in multidimensional arrays is not supported',
    );
  }
  const cmp = comparatorFor(a.elementType);
  const lb = a.dims[0]?.lowerBound ?? 1;
  const out: Value[] = [];
  a.values.forEach((x, i) => {
    if (notDistinct(cmp, x, v)) out.push(i + lb);
  });
  return arrayFromList(Oids.int4, out);
}

function remove(a: PgArray, v: Value): PgArray {
  if (a.dims.length > 1) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      'removing elements from multidimensional arrays is not supported',
    );
  }
  const cmp = comparatorFor(a.elementType);
  const kept = a.values.filter((x) => !notDistinct(cmp, x, v));
  return makeArray(a.elementType, oneDim(kept, a.dims[0]?.lowerBound ?? 1), kept);
}

function replace(a: PgArray, from: Value, to: Value): PgArray {
  const cmp = comparatorFor(a.elementType);
  return { ...a, values: a.values.map((x) => (notDistinct(cmp, x, from) ? to : x)) };
}

function dimsText(a: PgArray): string | null {
  if (a.dims.length === 0) return null;
  return a.dims.map((d) => `[${d.lowerBound}:${d.lowerBound + d.length - 1}]`).join('');
}

function dimAt(a: PgArray, d: number): ArrayDim | null {
  return a.dims[d - 1] ?? null;
}

function fill(value: Value, lengths: PgArray, bounds: PgArray | null, element: TypeOid): PgArray {
  const ls = lengths.values.map((x) => {
    if (x === null) throw new KeelError(SqlState.NullValueNotAllowed, 'dimension values cannot be null');
    return num(x);
  });
  const lbs = bounds?.values.map((x) => num(x)) ?? ls.map(() => 1);
  if (lbs.length !== ls.length) {
    throw new KeelError(SqlState.ArraySubscriptError, 'wrong number of array subscripts', {
      detail: 'Low bound array has different size than dimensions array.',
    });
  }
  const total = ls.reduce((p, n) => p * n, 1);
  if (ls.length === 0 || total === 0) return makeArray(element, [], []);
  return makeArray(
    element,
    ls.map((length, i) => ({ length, lowerBound: lbs[i] ?? 1 })),
    new Array(total).fill(value),
  );
}

function requireDims(v: Value | undefined): PgArray {
  if (v === null || v === undefined) {
    throw new KeelError(SqlState.NullValueNotAllowed, 'dimension array or low bound array cannot be null');
  }
  return arr(v);
}

function resultElement(result: TypeOid): TypeOid {
  return elementTypeOf(result) || Oids.text;
}

function registerShape(): void {
  defineFunction(
    'array_length',
    ['anyarray', 'int4'],
    'int4',
    ([a, d]) => dimAt(arr(a), num(d))?.length ?? null,
  );
  defineFunction(
    'array_lower',
    ['anyarray', 'int4'],
    'int4',
    ([a, d]) => dimAt(arr(a), num(d))?.lowerBound ?? null,
  );
  defineFunction('array_upper', ['anyarray', 'int4'], 'int4', ([a, d]) => {
    const dim = dimAt(arr(a), num(d));
    return dim === null ? null : dim.lowerBound + dim.length - 1;
  });
  defineFunction('array_ndims', ['anyarray'], 'int4', ([a]) =>
    arr(a).dims.length === 0 ? null : arr(a).dims.length,
  );
  defineFunction('array_dims', ['anyarray'], 'text', ([a]) => dimsText(arr(a)));
  defineFunction('cardinality', ['anyarray'], 'int4', ([a]) => arr(a).values.length);
}

function nullable(v: Value | undefined): PgArray | null {
  return v === null || v === undefined ? null : arr(v);
}

function registerBuild(): void {
  const lax = { strict: false };
  const bindAppend =
    (_t: TypeOid[], r: TypeOid): Implementation =>
    ([a, v]) =>
      append(nullable(a), v ?? null, resultElement(r));
  const bindPrepend =
    (_t: TypeOid[], r: TypeOid): Implementation =>
    ([v, a]) =>
      prepend(v ?? null, nullable(a), resultElement(r));
  const bindCat =
    (): Implementation =>
    ([a, b]) =>
      cat(nullable(a), nullable(b));
  defineFunction('array_append', ['anycompatiblearray', 'anycompatible'], 'anycompatiblearray', () => null, {
    ...lax,
    bind: bindAppend,
  });
  defineFunction('array_prepend', ['anycompatible', 'anycompatiblearray'], 'anycompatiblearray', () => null, {
    ...lax,
    bind: bindPrepend,
  });
  defineFunction(
    'array_cat',
    ['anycompatiblearray', 'anycompatiblearray'],
    'anycompatiblearray',
    () => null,
    { ...lax, bind: bindCat },
  );
  defineOperator('||', ['anycompatiblearray', 'anycompatible'], 'anycompatiblearray', () => null, {
    ...lax,
    bind: bindAppend,
  });
  defineOperator('||', ['anycompatible', 'anycompatiblearray'], 'anycompatiblearray', () => null, {
    ...lax,
    bind: bindPrepend,
  });
  defineOperator('||', ['anycompatiblearray', 'anycompatiblearray'], 'anycompatiblearray', () => null, {
    ...lax,
    bind: bindCat,
  });
  defineFunction('array_fill', ['anyelement', '_int4'], 'anyarray', () => null, {
    strict: false,
    bind:
      (types) =>
      ([v, l]) =>
        fill(v ?? null, requireDims(l), null, types[0] ?? Oids.text),
  });
  defineFunction('array_fill', ['anyelement', '_int4', '_int4'], 'anyarray', () => null, {
    strict: false,
    bind:
      (types) =>
      ([v, l, b]) =>
        fill(v ?? null, requireDims(l), requireDims(b), types[0] ?? Oids.text),
  });
}

function registerSearch(): void {
  const lax = { strict: false };
  defineFunction(
    'array_position',
    ['anycompatiblearray', 'anycompatible'],
    'int4',
    ([a, v]) => (a === null || a === undefined ? null : position(arr(a), v ?? null, 1)),
    lax,
  );
  defineFunction(
    'array_position',
    ['anycompatiblearray', 'anycompatible', 'int4'],
    'int4',
    ([a, v, s]) =>
      a === null || a === undefined || s === null || s === undefined
        ? null
        : position(arr(a), v ?? null, num(s)),
    lax,
  );
  defineFunction(
    'array_positions',
    ['anycompatiblearray', 'anycompatible'],
    '_int4',
    ([a, v]) => (a === null || a === undefined ? null : positions(arr(a), v ?? null)),
    lax,
  );
  defineFunction(
    'array_remove',
    ['anycompatiblearray', 'anycompatible'],
    'anycompatiblearray',
    ([a, v]) => (a === null || a === undefined ? null : remove(arr(a), v ?? null)),
    lax,
  );
  defineFunction(
    'array_replace',
    ['anycompatiblearray', 'anycompatible', 'anycompatible'],
    'anycompatiblearray',
    ([a, f, t]) => (a === null || a === undefined ? null : replace(arr(a), f ?? null, t ?? null)),
    lax,
  );
  defineOperator('@>', ['anyarray', 'anyarray'], 'bool', ([a, b]) => contains(arr(a), arr(b)));
  defineOperator('<@', ['anyarray', 'anyarray'], 'bool', ([a, b]) => contains(arr(b), arr(a)));
  defineOperator('&&', ['anyarray', 'anyarray'], 'bool', ([a, b]) => overlaps(arr(a), arr(b)));
}

function seriesNumbers(start: bigint, stop: bigint, step: bigint, asInt4: boolean): Value[][] {
  if (step === 0n) throw new KeelError(SqlState.InvalidParameterValue, 'step size cannot equal zero');
  const rows: Value[][] = [];
  for (let v = start; step > 0n ? v <= stop : v >= stop; v += step) rows.push([asInt4 ? Number(v) : v]);
  return rows;
}

function seriesNumeric(start: Numeric, stop: Numeric, step: Numeric): Value[][] {
  if (step.isZero()) throw new KeelError(SqlState.InvalidParameterValue, 'step size cannot equal zero');
  for (const [v, what] of [
    [start, 'start'],
    [stop, 'stop'],
    [step, 'step size'],
  ] as const) {
    if (v.isNaN()) throw new KeelError(SqlState.InvalidParameterValue, `${what} value cannot be NaN`);
    if (v.isInfinite())
      throw new KeelError(SqlState.InvalidParameterValue, `${what} value cannot be infinity`);
  }
  const rows: Value[][] = [];
  const up = step.sign() > 0;
  for (let v = start; up ? v.compare(stop) <= 0 : v.compare(stop) >= 0; v = v.add(step)) rows.push([v]);
  return rows;
}

function seriesTimestamps(start: bigint, stop: bigint, step: Value, add: (t: bigint) => bigint): Value[][] {
  const iv = interval(step);
  if (iv.months === 0 && iv.days === 0 && iv.micros === 0n) {
    throw new KeelError(SqlState.InvalidParameterValue, 'step size cannot equal zero');
  }
  const up = iv.months * 30 * 86400e6 + iv.days * 86400e6 + Number(iv.micros) > 0;
  const rows: Value[][] = [];
  for (let t = start; up ? t <= stop : t >= stop; t = add(t)) rows.push([t]);
  return rows;
}

function registerSets(): void {
  defineSetFunction('unnest', ['anyarray'], [['unnest', 'anyelement']], ([a]) =>
    arr(a).values.map((v) => [v]),
  );
  defineSetFunction('generate_series', ['int4', 'int4'], [['generate_series', 'int4']], ([a, b]) =>
    seriesNumbers(BigInt(num(a)), BigInt(num(b)), 1n, true),
  );
  defineSetFunction('generate_series', ['int4', 'int4', 'int4'], [['generate_series', 'int4']], ([a, b, s]) =>
    seriesNumbers(BigInt(num(a)), BigInt(num(b)), BigInt(num(s)), true),
  );
  defineSetFunction('generate_series', ['int8', 'int8'], [['generate_series', 'int8']], ([a, b]) =>
    seriesNumbers(big(a), big(b), 1n, false),
  );
  defineSetFunction('generate_series', ['int8', 'int8', 'int8'], [['generate_series', 'int8']], ([a, b, s]) =>
    seriesNumbers(big(a), big(b), big(s), false),
  );
  defineSetFunction('generate_series', ['numeric', 'numeric'], [['generate_series', 'numeric']], ([a, b]) =>
    seriesNumeric(numeric(a), numeric(b), Numeric.One),
  );
  defineSetFunction(
    'generate_series',
    ['numeric', 'numeric', 'numeric'],
    [['generate_series', 'numeric']],
    ([a, b, s]) => seriesNumeric(numeric(a), numeric(b), numeric(s)),
  );
  defineSetFunction(
    'generate_series',
    ['timestamp', 'timestamp', 'interval'],
    [['generate_series', 'timestamp']],
    ([a, b, s]) => seriesTimestamps(big(a), big(b), s ?? null, (t) => addIntervalToTimestamp(t, interval(s))),
  );
  defineSetFunction(
    'generate_series',
    ['timestamptz', 'timestamptz', 'interval'],
    [['generate_series', 'timestamptz']],
    ([a, b, s], ctx: EvalContext) =>
      seriesTimestamps(big(a), big(b), s ?? null, (t) =>
        addIntervalToTimestamptz(t, interval(s), ctx.timeZone),
      ),
    { volatility: 'stable' },
  );
}

export function registerArrayFunctions(): void {
  registerShape();
  registerBuild();
  registerSearch();
  registerSets();
}
