/**
 * Interim aggregate functions (count, sum, avg, min, max, bool_and/or, every, string_agg,
 * array_agg, stddev/variance) with PostgreSQL's result types: sum(int4) is bigint, sum(int8) and
 * avg(int) are numeric. Each aggregate is init/step/final over a mutable state.
 * Exports: AggregateInfo, resolveAggregate, isAggregateName.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import { Numeric } from '../../types/numeric.js';
import { makeArray } from './arrays.js';
import { chooseCandidate } from './overload.js';
import { arrayTypeOf, TypeOid, typeDisplayName } from './type-ids.js';
import { comparatorFor } from './values.js';

export interface AggregateState {
  value: Value;
  count: number;
  extra: Value;
}

export interface AggregateInfo {
  name: string;
  args: Oid[];
  result: Oid;
  /** Skips rows where an argument is NULL (all but count(*) and array_agg). */
  strict: boolean;
  /** Builds the transition functions for the concrete argument types. */
  make(argTypes: Oid[]): {
    step(state: AggregateState, args: Value[]): void;
    final(state: AggregateState): Value;
  };
}

const table: AggregateInfo[] = [];
const { int2, int4, int8, float4, float8, numeric, text, bool, anyelement, interval } = TypeOid;

function add(name: string, args: Oid[], result: Oid, make: AggregateInfo['make'], strict = true): void {
  table.push({ name, args, result, make, strict });
}

const countMake: AggregateInfo['make'] = () => ({
  step: (s) => {
    s.count++;
  },
  final: (s) => BigInt(s.count),
});
add('count', [], int8, countMake);
add('count', [anyelement], int8, countMake);

function sumOf(toAcc: (v: Value) => Value, plus: (a: Value, b: Value) => Value): AggregateInfo['make'] {
  return () => ({
    step: (s, [v]) => {
      s.value = s.count === 0 ? toAcc(v) : plus(s.value, toAcc(v));
      s.count++;
    },
    final: (s) => (s.count === 0 ? null : s.value),
  });
}
const bigPlus = (a: Value, b: Value) => (a as bigint) + (b as bigint);
const decPlus = (a: Value, b: Value) => (a as Numeric).add(b as Numeric);
const numPlus = (a: Value, b: Value) => (a as number) + (b as number);
add(
  'sum',
  [int2],
  int8,
  sumOf((v) => BigInt(v as number), bigPlus),
);
add(
  'sum',
  [int4],
  int8,
  sumOf((v) => BigInt(v as number), bigPlus),
);
add(
  'sum',
  [int8],
  numeric,
  sumOf((v) => Numeric.fromInt(v as bigint), decPlus),
);
add(
  'sum',
  [numeric],
  numeric,
  sumOf((v) => v, decPlus),
);
add(
  'sum',
  [float4],
  float4,
  sumOf((v) => v, numPlus),
);
add(
  'sum',
  [float8],
  float8,
  sumOf((v) => v, numPlus),
);
add(
  'sum',
  [interval],
  interval,
  sumOf(
    (v) => v,
    (a, b) => {
      const x = a as { months: number; days: number; micros: bigint };
      const y = b as typeof x;
      return { months: x.months + y.months, days: x.days + y.days, micros: x.micros + y.micros };
    },
  ),
);

function avgNumeric(toNumeric: (v: Value) => Numeric): AggregateInfo['make'] {
  return () => ({
    step: (s, [v]) => {
      s.value = s.count === 0 ? toNumeric(v) : (s.value as Numeric).add(toNumeric(v));
      s.count++;
    },
    final: (s) => (s.count === 0 ? null : (s.value as Numeric).div(Numeric.fromInt(s.count))),
  });
}
for (const t of [int2, int4, int8])
  add(
    'avg',
    [t],
    numeric,
    avgNumeric((v) => Numeric.fromInt(v as number | bigint)),
  );
add(
  'avg',
  [numeric],
  numeric,
  avgNumeric((v) => v as Numeric),
);
for (const t of [float4, float8]) {
  add('avg', [t], float8, () => ({
    step: (s, [v]) => {
      s.value = (s.count === 0 ? 0 : (s.value as number)) + (v as number);
      s.count++;
    },
    final: (s) => (s.count === 0 ? null : (s.value as number) / s.count),
  }));
}

function extremum(sign: number): AggregateInfo['make'] {
  return ([t]) => {
    const cmp = comparatorFor(t ?? text);
    return {
      step: (s, [v]) => {
        if (s.count === 0 || sign * cmp(v, s.value) > 0) s.value = v;
        s.count++;
      },
      final: (s) => (s.count === 0 ? null : s.value),
    };
  };
}
add('min', [anyelement], anyelement, extremum(-1));
add('max', [anyelement], anyelement, extremum(1));

function boolAgg(isAnd: boolean): AggregateInfo['make'] {
  return () => ({
    step: (s, [v]) => {
      s.value =
        s.count === 0
          ? v
          : isAnd
            ? (s.value as boolean) && (v as boolean)
            : (s.value as boolean) || (v as boolean);
      s.count++;
    },
    final: (s) => (s.count === 0 ? null : s.value),
  });
}
add('bool_and', [bool], bool, boolAgg(true));
add('every', [bool], bool, boolAgg(true));
add('bool_or', [bool], bool, boolAgg(false));

add('string_agg', [text, text], text, () => ({
  step: (s, [v, d]) => {
    s.value = s.count === 0 ? v : `${s.value as string}${(d as string | null) ?? ''}${v as string}`;
    s.count++;
  },
  final: (s) => (s.count === 0 ? null : s.value),
}));
// string_agg skips NULL values but not NULL delimiters, so it is non-strict with its own check.
const stringAgg = table[table.length - 1];
if (stringAgg !== undefined) {
  const inner = stringAgg.make;
  stringAgg.strict = false;
  stringAgg.make = (types) => {
    const m = inner(types);
    return { step: (s, args) => (args[0] === null ? undefined : m.step(s, args)), final: m.final };
  };
}

add(
  'array_agg',
  [anyelement],
  TypeOid.anyarray,
  ([elementType = text]) => ({
    step: (s, [v]) => {
      if (s.count === 0) s.value = [];
      (s.value as Value[]).push(v ?? null);
      s.count++;
    },
    final: (s) => (s.count === 0 ? null : makeArray(elementType, s.value as Value[])),
  }),
  false,
);

function variance(kind: 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop'): AggregateInfo['make'] {
  return ([t]) => ({
    step: (s, [v]) => {
      const x = t === numeric ? (v as Numeric) : Numeric.fromInt(v as number | bigint);
      const acc = (s.value as [Numeric, Numeric] | null) ?? [Numeric.Zero, Numeric.Zero];
      s.value = [acc[0].add(x), acc[1].add(x.mul(x))];
      s.count++;
    },
    final: (s) => {
      const n = s.count;
      const sample = kind.endsWith('samp');
      if (n === 0 || (sample && n === 1)) return null;
      const [sum, sumSq] = s.value as [Numeric, Numeric];
      const count = Numeric.fromInt(n);
      const numerator = sumSq.mul(count).sub(sum.mul(sum));
      const v = numerator.div(Numeric.fromInt(sample ? n * (n - 1) : n * n));
      if (!kind.startsWith('stddev')) return v;
      return Numeric.of(v.dec.sqrt(), v.dscale);
    },
  });
}
for (const t of [int4, int8, numeric]) {
  add('variance', [t], numeric, variance('var_samp'));
  add('var_samp', [t], numeric, variance('var_samp'));
  add('var_pop', [t], numeric, variance('var_pop'));
  add('stddev', [t], numeric, variance('stddev_samp'));
  add('stddev_samp', [t], numeric, variance('stddev_samp'));
  add('stddev_pop', [t], numeric, variance('stddev_pop'));
}

const byName = new Map<string, AggregateInfo[]>();
for (const a of table) {
  const list = byName.get(a.name) ?? [];
  list.push(a);
  byName.set(a.name, list);
}

export function isAggregateName(name: string): boolean {
  return byName.has(name);
}

/** Resolves an aggregate call by argument types; the result type is concrete. */
export function resolveAggregate(
  name: string,
  argTypes: Oid[],
  position?: number,
): { agg: AggregateInfo; args: Oid[]; result: Oid } {
  const chosen = chooseCandidate(
    byName.get(name) ?? [],
    argTypes,
    () => `function ${name}(${argTypes.map(typeDisplayName).join(', ')})`,
  );
  if (chosen === null) {
    throw new KeelError(
      SqlState.UndefinedFunction,
      `function ${name}(${argTypes.map(typeDisplayName).join(', ')}) does not exist`,
      {
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
        position,
      },
    );
  }
  const args = chosen.args;
  let result = chosen.item.result;
  if (result === anyelement) result = args[0] ?? text;
  if (result === TypeOid.anyarray) result = arrayTypeOf(args[0] ?? text) ?? TypeOid.anyarray;
  return { agg: chosen.item, args, result };
}
