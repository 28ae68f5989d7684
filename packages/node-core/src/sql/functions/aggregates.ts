/**
 * Aggregate functions with PostgreSQL's signatures, result types and NULL handling: count(*),
 * count, sum (int2/int4 -> bigint, int8 -> numeric, floats stay floats), avg (numeric for
 * integers, float8 for floats), min, max, string_agg, array_agg (elements and arrays),
 * bool_and/bool_or/every, json(b)_agg, json(b)_object_agg, stddev/variance (sample and
 * population; numeric via PostgreSQL's formula and scale, float8 via Youngs-Cramer as
 * PostgreSQL) and bit_and/bit_or. Each is {init, transition, final, combine?} over a mutable
 * state; `strict` aggregates skip rows whose arguments are NULL, and return NULL for no rows
 * unless noted (count returns 0).
 * Exports: AggregateImpl, AggregateSpec, defineAggregate, resolveAggregate, ResolvedAggregate,
 * registerAggregates.
 */
import { KeelError, SqlState } from '@keel/errors';
import { makeArray } from '../types/array-io.js';
import { int8Checked } from '../types/cast-functions.js';
import { comparatorFor } from '../types/compare.js';
import { jsonbObject, quoteJsonString } from '../types/json-io.js';
import { Numeric, selectDivScale } from '../types/numeric.js';
import { numericSqrt } from '../types/numeric-math.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { formatText } from '../types/text-io.js';
import type { Interval, Jsonb, PgArray, Value } from '../types/value.js';
import { ensureBuiltins } from './builtins.js';
import { intervalAdd, intervalDiv } from './datetime-arithmetic.js';
import type { EvalContext } from './eval-context.js';
import { type FunctionDef, t } from './function-registry.js';
import { toJsonb, toJsonText } from './json-build.js';
import { float8Checked } from './numeric-operators.js';
import { type ResolvedCall, resolveIn } from './resolve.js';
import { big, bool, bytes, num, numeric, str } from './value-access.js';

export interface AggregateImpl<S = unknown> {
  init(): S;
  /** Called for each row (for strict aggregates only rows whose arguments are all non-NULL). */
  transition(state: S, args: Value[], ctx: EvalContext): S;
  final(state: S, ctx: EvalContext): Value;
  /** Merges two partial states (for parallel or two-phase aggregation), when supported. */
  combine?(a: S, b: S): S;
}

export interface AggregateSpec {
  strict: boolean;
  bind(argTypes: TypeOid[], resultType: TypeOid): AggregateImpl;
}

export interface ResolvedAggregate extends ResolvedCall {
  aggregate: AggregateImpl;
  /** Skip rows whose arguments contain a NULL. */
  skipNulls: boolean;
}

const aggregates = new Map<string, { def: FunctionDef; spec: AggregateSpec }[]>();
let nextId = 100_000;

export function defineAggregate(name: string, args: string[], result: string, spec: AggregateSpec): void {
  const def: FunctionDef = {
    name,
    kind: 'function',
    args: args.map(t),
    result: t(result),
    strict: spec.strict,
    volatility: 'immutable',
    variadic: false,
    defaults: 0,
    impl: () => null,
    returnsSet: null,
    id: nextId++,
  };
  const list = aggregates.get(name) ?? [];
  list.push({ def, spec });
  aggregates.set(name, list);
}

export function isAggregateName(name: string): boolean {
  ensureBuiltins();
  return aggregates.has(name.toLowerCase());
}

/** Resolves an aggregate call; count(*) is `resolveAggregate('count', [])`. */
export function resolveAggregate(name: string, argTypes: readonly TypeOid[]): ResolvedAggregate {
  ensureBuiltins();
  const lower = name.toLowerCase();
  const entries = aggregates.get(lower) ?? [];
  const call = resolveIn(
    entries.map((e) => e.def),
    'function',
    lower,
    argTypes,
    {},
  );
  const entry = entries.find((e) => e.def === call.def);
  if (entry === undefined)
    throw new KeelError(SqlState.UndefinedFunction, `function ${lower} does not exist`);
  return {
    ...call,
    aggregate: entry.spec.bind(call.argTypes, call.resultType),
    skipNulls: entry.spec.strict,
  };
}

function simple<S>(strict: boolean, impl: AggregateImpl<S>): AggregateSpec {
  return { strict, bind: () => impl as AggregateImpl };
}

interface Box<T> {
  value: T | null;
}

function reduceSpec<T>(
  step: (a: T, b: T) => T,
  from: (v: Value) => T,
  to: (v: T) => Value = (v) => v as Value,
): AggregateSpec {
  return simple<Box<T>>(true, {
    init: () => ({ value: null }),
    transition: (s, [v]) => {
      const x = from(v ?? null);
      s.value = s.value === null ? x : step(s.value, x);
      return s;
    },
    final: (s) => (s.value === null ? null : to(s.value)),
    combine: (a, b) => ({
      value: a.value === null ? b.value : b.value === null ? a.value : step(a.value, b.value),
    }),
  });
}

function registerCountSum(): void {
  const counter = simple<{ n: bigint }>(false, {
    init: () => ({ n: 0n }),
    transition: (s) => {
      s.n++;
      return s;
    },
    final: (s) => s.n,
    combine: (a, b) => ({ n: a.n + b.n }),
  });
  defineAggregate('count', [], 'int8', counter);
  defineAggregate('count', ['any'], 'int8', { ...counter, strict: true });
  defineAggregate(
    'sum',
    ['int2'],
    'int8',
    reduceSpec<bigint>(
      (a, b) => a + b,
      (v) => BigInt(num(v)),
    ),
  );
  defineAggregate(
    'sum',
    ['int4'],
    'int8',
    reduceSpec<bigint>(
      (a, b) => int8Checked(a + b),
      (v) => BigInt(num(v)),
    ),
  );
  defineAggregate(
    'sum',
    ['int8'],
    'numeric',
    reduceSpec<Numeric>(
      (a, b) => a.add(b),
      (v) => Numeric.fromInt(big(v)),
    ),
  );
  defineAggregate(
    'sum',
    ['numeric'],
    'numeric',
    reduceSpec<Numeric>(
      (a, b) => a.add(b),
      (v) => numeric(v),
    ),
  );
  defineAggregate(
    'sum',
    ['float4'],
    'float4',
    reduceSpec<number>(
      (a, b) => float8Checked(Math.fround(a + b), !Number.isFinite(a) || !Number.isFinite(b), true),
      num,
    ),
  );
  defineAggregate(
    'sum',
    ['float8'],
    'float8',
    reduceSpec<number>((a, b) => float8Checked(a + b, !Number.isFinite(a) || !Number.isFinite(b), true), num),
  );
  defineAggregate(
    'sum',
    ['interval'],
    'interval',
    reduceSpec<Interval>(intervalAdd, (v) => v as Interval),
  );
}

interface AvgState<T> {
  sum: T | null;
  n: number;
}

function avgSpec<T>(
  add: (a: T, b: T) => T,
  from: (v: Value) => T,
  finish: (sum: T, n: number) => Value,
): AggregateSpec {
  return simple<AvgState<T>>(true, {
    init: () => ({ sum: null, n: 0 }),
    transition: (s, [v]) => {
      const x = from(v ?? null);
      s.sum = s.sum === null ? x : add(s.sum, x);
      s.n++;
      return s;
    },
    final: (s) => (s.sum === null ? null : finish(s.sum, s.n)),
    combine: (a, b) => ({
      sum: a.sum === null ? b.sum : b.sum === null ? a.sum : add(a.sum, b.sum),
      n: a.n + b.n,
    }),
  });
}

function registerAvg(): void {
  const numericAvg = (sum: Numeric, n: number) => sum.div(Numeric.fromInt(n));
  for (const type of ['int2', 'int4', 'int8']) {
    defineAggregate(
      'avg',
      [type],
      'numeric',
      avgSpec<Numeric>(
        (a, b) => a.add(b),
        (v) => Numeric.fromInt(v as number | bigint),
        numericAvg,
      ),
    );
  }
  defineAggregate(
    'avg',
    ['numeric'],
    'numeric',
    avgSpec<Numeric>((a, b) => a.add(b), numeric, numericAvg),
  );
  for (const type of ['float4', 'float8']) {
    defineAggregate(
      'avg',
      [type],
      'float8',
      avgSpec<number>(
        (a, b) => a + b,
        num,
        (sum, n) => sum / n,
      ),
    );
  }
  defineAggregate(
    'avg',
    ['interval'],
    'interval',
    avgSpec<Interval>(
      intervalAdd,
      (v) => v as Interval,
      (sum, n) => intervalDiv(sum, n),
    ),
  );
}

// PostgreSQL 15's min/max input types among Keel's (no min/max for bool, bytea, uuid or jsonb).
const comparableTypes = [
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'text',
  'bpchar',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'oid',
  'anyarray',
];

function extremum(sign: 1 | -1): AggregateSpec {
  return {
    strict: true,
    bind: (argTypes) => {
      const cmp = comparatorFor(argTypes[0] ?? Oids.text);
      const pick = (a: Value, b: Value) => (cmp(b, a) * sign > 0 ? b : a);
      return {
        init: () => ({ value: null as Value }),
        transition: (s: { value: Value }, [v]: Value[]) => {
          s.value = s.value === null ? (v ?? null) : pick(s.value, v ?? null);
          return s;
        },
        final: (s: { value: Value }) => s.value,
        combine: (a: { value: Value }, b: { value: Value }) => ({
          value: a.value === null ? b.value : b.value === null ? a.value : pick(a.value, b.value),
        }),
      } as AggregateImpl;
    },
  };
}

function registerMinMax(): void {
  for (const type of comparableTypes) {
    defineAggregate('min', [type], type, extremum(-1));
    defineAggregate('max', [type], type, extremum(1));
  }
}

function registerBoolBits(): void {
  const and = reduceSpec<boolean>((a, b) => a && b, bool);
  const or = reduceSpec<boolean>((a, b) => a || b, bool);
  defineAggregate('bool_and', ['bool'], 'bool', and);
  defineAggregate('every', ['bool'], 'bool', and);
  defineAggregate('bool_or', ['bool'], 'bool', or);
  for (const type of ['int2', 'int4']) {
    defineAggregate(
      'bit_and',
      [type],
      type,
      reduceSpec<number>((a, b) => a & b, num),
    );
    defineAggregate(
      'bit_or',
      [type],
      type,
      reduceSpec<number>((a, b) => a | b, num),
    );
  }
  defineAggregate(
    'bit_and',
    ['int8'],
    'int8',
    reduceSpec<bigint>((a, b) => a & b, big),
  );
  defineAggregate(
    'bit_or',
    ['int8'],
    'int8',
    reduceSpec<bigint>((a, b) => a | b, big),
  );
}

interface ListState {
  items: Value[];
  any: boolean;
}

function listSpec(
  strict: boolean,
  finish: (items: Value[], argTypes: TypeOid[], ctx: EvalContext) => Value,
  args = 1,
): AggregateSpec {
  return {
    strict,
    bind: (argTypes) =>
      ({
        init: () => ({ items: [], any: false }),
        transition: (s: ListState, values: Value[]) => {
          for (let i = 0; i < args; i++) s.items.push(values[i] ?? null);
          s.any = true;
          return s;
        },
        final: (s: ListState, ctx: EvalContext) => (s.any ? finish(s.items, argTypes, ctx) : null),
        combine: (a: ListState, b: ListState) => ({ items: [...a.items, ...b.items], any: a.any || b.any }),
      }) as AggregateImpl,
  };
}

function stringAgg(items: Value[]): Value {
  let out = '';
  for (let i = 0; i < items.length; i += 2) {
    if (i > 0) out += items[i + 1] === null ? '' : str(items[i + 1]);
    out += str(items[i]);
  }
  return out;
}

function byteaAgg(items: Value[]): Value {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < items.length; i += 2) {
    if (i > 0 && items[i + 1] !== null) parts.push(bytes(items[i + 1]));
    parts.push(bytes(items[i]));
  }
  return new Uint8Array(Buffer.concat(parts));
}

function arrayOfArrays(items: Value[], element: TypeOid): Value {
  const arrays = items.map((v) => {
    if (v === null) throw new KeelError(SqlState.NullValueNotAllowed, 'cannot accumulate null arrays');
    return v as PgArray;
  });
  const first = arrays[0];
  if (first === undefined || first.dims.length === 0) {
    throw new KeelError(SqlState.ArraySubscriptError, 'cannot accumulate empty arrays');
  }
  for (const a of arrays) {
    if (a.dims.length !== first.dims.length || a.dims.some((d, i) => d.length !== first.dims[i]?.length)) {
      throw new KeelError(
        SqlState.ArraySubscriptError,
        'cannot accumulate arrays of different dimensionality',
      );
    }
  }
  return makeArray(
    element,
    [{ length: arrays.length, lowerBound: 1 }, ...first.dims],
    arrays.flatMap((a) => a.values),
  );
}

function registerCollections(): void {
  const rowsWithValue: AggregateSpec = listSpec(false, (items) => stringAgg(items), 2);
  defineAggregate('string_agg', ['text', 'text'], 'text', {
    strict: false,
    bind: (types, result) => skipNullValues(rowsWithValue.bind(types, result)),
  });
  const byteaRows = listSpec(false, (items) => byteaAgg(items), 2);
  defineAggregate('string_agg', ['bytea', 'bytea'], 'bytea', {
    strict: false,
    bind: (types, result) => skipNullValues(byteaRows.bind(types, result)),
  });
  defineAggregate(
    'array_agg',
    ['anynonarray'],
    'anyarray',
    listSpec(false, (items, types) =>
      makeArray(types[0] ?? Oids.text, [{ length: items.length, lowerBound: 1 }], items),
    ),
  );
  defineAggregate(
    'array_agg',
    ['anyarray'],
    'anyarray',
    listSpec(false, (items, types) =>
      arrayOfArrays(
        items,
        (items.find((v) => v !== null) as PgArray | undefined)?.elementType ?? types[0] ?? Oids.text,
      ),
    ),
  );
  defineAggregate(
    'jsonb_agg',
    ['anyelement'],
    'jsonb',
    listSpec(false, (items, types, ctx) => items.map((v) => toJsonb(types[0] ?? Oids.text, v, ctx))),
  );
  defineAggregate(
    'json_agg',
    ['anyelement'],
    'json',
    listSpec(
      false,
      (items, types, ctx) => `[${items.map((v) => toJsonText(types[0] ?? Oids.text, v, ctx)).join(', ')}]`,
    ),
  );
  defineAggregate('jsonb_object_agg', ['any', 'any'], 'jsonb', listSpec(false, jsonbObjectAgg, 2));
  defineAggregate('json_object_agg', ['any', 'any'], 'json', listSpec(false, jsonObjectAgg, 2));
}

/** string_agg skips rows whose value (not delimiter) is NULL. */
function skipNullValues(inner: AggregateImpl): AggregateImpl {
  return {
    init: () => inner.init(),
    transition: (s, args, ctx) =>
      args[0] === null || args[0] === undefined ? s : inner.transition(s, args, ctx),
    final: (s, ctx) => inner.final(s, ctx),
  };
}

function objectKey(type: TypeOid, v: Value, ctx: EvalContext): string {
  if (v === null) throw new KeelError(SqlState.InvalidParameterValue, 'field name must not be null');
  return formatText(type, v, ctx);
}

function jsonbObjectAgg(items: Value[], types: TypeOid[], ctx: EvalContext): Value {
  const keys: string[] = [];
  const values: Jsonb[] = [];
  for (let i = 0; i < items.length; i += 2) {
    keys.push(objectKey(types[0] ?? Oids.text, items[i] ?? null, ctx));
    values.push(toJsonb(types[1] ?? Oids.text, items[i + 1] ?? null, ctx));
  }
  return jsonbObject(keys, values);
}

function jsonObjectAgg(items: Value[], types: TypeOid[], ctx: EvalContext): Value {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const key = objectKey(types[0] ?? Oids.text, items[i] ?? null, ctx);
    parts.push(`${quoteJsonString(key)} : ${toJsonText(types[1] ?? Oids.text, items[i + 1] ?? null, ctx)}`);
  }
  return `{ ${parts.join(', ')} }`;
}

interface NumericMoments {
  n: number;
  sum: Numeric;
  sumSquares: Numeric;
}

function numericMoments(kind: 'var' | 'stddev', sample: boolean): AggregateSpec {
  return simple<NumericMoments>(true, {
    init: () => ({ n: 0, sum: Numeric.Zero, sumSquares: Numeric.Zero }),
    transition: (s, [v]) => {
      const x = v instanceof Numeric ? v : Numeric.fromInt(v as number | bigint);
      s.n++;
      s.sum = s.sum.add(x);
      s.sumSquares = s.sumSquares.add(x.mul(x));
      return s;
    },
    final: (s) => numericVariance(s, kind, sample),
  });
}

function numericVariance(s: NumericMoments, kind: 'var' | 'stddev', sample: boolean): Value {
  if (s.n === 0 || (sample && s.n === 1)) return null;
  if (s.sum.isNaN() || s.sumSquares.isNaN()) return Numeric.NaN;
  const n = Numeric.fromInt(s.n);
  const numerator = n.mul(s.sumSquares).sub(s.sum.mul(s.sum));
  if (numerator.sign() <= 0) return Numeric.Zero;
  const denominator = sample ? n.mul(Numeric.fromInt(s.n - 1)) : n.mul(n);
  const scale = selectDivScale(numerator, denominator);
  const variance = numerator.divToScale(denominator, scale);
  return kind === 'var' ? variance : numericSqrt(variance).round(scale);
}

interface FloatMoments {
  n: number;
  sx: number;
  sxx: number;
}

function floatMoments(kind: 'var' | 'stddev', sample: boolean): AggregateSpec {
  return simple<FloatMoments>(true, {
    init: () => ({ n: 0, sx: 0, sxx: 0 }),
    transition: (s, [v]) => {
      const x = num(v);
      s.n++;
      s.sx += x;
      if (s.n > 1) {
        const tmp = x * s.n - s.sx;
        s.sxx += (tmp * tmp) / (s.n * (s.n - 1));
      } else if (!Number.isFinite(x)) s.sxx = Number.NaN;
      return s;
    },
    final: (s) => {
      if (s.n === 0 || (sample && s.n === 1)) return null;
      const variance = s.sxx / (sample ? s.n - 1 : s.n);
      return kind === 'var' ? variance : Math.sqrt(variance);
    },
  });
}

function registerStatistics(): void {
  const forms: [string, 'var' | 'stddev', boolean][] = [
    ['stddev', 'stddev', true],
    ['stddev_samp', 'stddev', true],
    ['stddev_pop', 'stddev', false],
    ['variance', 'var', true],
    ['var_samp', 'var', true],
    ['var_pop', 'var', false],
  ];
  for (const [name, kind, sample] of forms) {
    for (const type of ['int2', 'int4', 'int8', 'numeric'])
      defineAggregate(name, [type], 'numeric', numericMoments(kind, sample));
    for (const type of ['float4', 'float8'])
      defineAggregate(name, [type], 'float8', floatMoments(kind, sample));
  }
}

let registered = false;

export function registerAggregates(): void {
  if (registered) return;
  registered = true;
  registerCountSum();
  registerAvg();
  registerMinMax();
  registerBoolBits();
  registerCollections();
  registerStatistics();
}
