/**
 * Comparison operators (=, <>, <, <=, >, >=) for every type pair PostgreSQL defines them on:
 * each type with itself, the integer widths with each other, float4 with float8, text with
 * name, and date/timestamp/timestamptz with each other (a date is its midnight; timestamp
 * against timestamptz reads the timestamp in the session time zone). Orders are those of
 * types/compare.ts. Also the btree support function helpers GREATEST/LEAST/COALESCE use.
 * Exports: registerComparisonOperators, crossTypeComparator.
 */
import { comparatorFor } from '../types/compare.js';
import { timestampInfinity, timestampMinusInfinity, usecsPerDay } from '../types/datetime/calendar.js';
import { localToTimestamptz } from '../types/datetime/datetime-io.js';
import { arrayTypeOf } from '../types/type-registry.js';
import { compareCodePoints, type Value } from '../types/value.js';
import type { EvalContext } from './eval-context.js';
import { defineOperator, t } from './function-registry.js';
import { arr } from './value-access.js';

type ContextComparator = (a: Value, b: Value, ctx: EvalContext) => number;

const sameTypes = [
  'bool',
  'char',
  'name',
  'int2',
  'int4',
  'int8',
  'text',
  'oid',
  'float4',
  'float8',
  'bpchar',
  'varchar',
  'bytea',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'numeric',
  'uuid',
  'jsonb',
  'anyarray',
  'record',
];

function dateAsTimestamp(d: Value): bigint {
  const days = d as number;
  if (days === Number.POSITIVE_INFINITY) return timestampInfinity;
  if (days === Number.NEGATIVE_INFINITY) return timestampMinusInfinity;
  return BigInt(days) * usecsPerDay;
}

function localAsTimestamptz(ts: bigint, ctx: EvalContext): bigint {
  if (ts === timestampInfinity || ts === timestampMinusInfinity) return ts;
  return localToTimestamptz(ts, ctx.timeZone);
}

function cmpBig(x: bigint, y: bigint): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function toBig(v: Value): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

/** Comparator for a pair of (possibly different) types, null when PostgreSQL has no such operators. */
export function crossTypeComparator(left: string, right: string): ContextComparator | null {
  const key = `${left}>${right}`;
  switch (key) {
    case 'int2>int4':
    case 'int4>int2':
    case 'float4>float8':
    case 'float8>float4': {
      const c = comparatorFor(t('float8'));
      return (a, b) => c(a, b);
    }
    case 'int2>int8':
    case 'int4>int8':
    case 'int8>int2':
    case 'int8>int4':
      return (a, b) => cmpBig(toBig(a), toBig(b));
    case 'text>name':
    case 'name>text':
      return (a, b) => compareCodePoints(a as string, b as string);
    case 'date>timestamp':
      return (a, b) => cmpBig(dateAsTimestamp(a), b as bigint);
    case 'timestamp>date':
      return (a, b) => cmpBig(a as bigint, dateAsTimestamp(b));
    case 'date>timestamptz':
      return (a, b, ctx) => cmpBig(localAsTimestamptz(dateAsTimestamp(a), ctx), b as bigint);
    case 'timestamptz>date':
      return (a, b, ctx) => cmpBig(a as bigint, localAsTimestamptz(dateAsTimestamp(b), ctx));
    case 'timestamp>timestamptz':
      return (a, b, ctx) => cmpBig(localAsTimestamptz(a as bigint, ctx), b as bigint);
    case 'timestamptz>timestamp':
      return (a, b, ctx) => cmpBig(a as bigint, localAsTimestamptz(b as bigint, ctx));
    default:
      return null;
  }
}

const crossPairs: [string, string][] = [
  ['int2', 'int4'],
  ['int4', 'int2'],
  ['int2', 'int8'],
  ['int8', 'int2'],
  ['int4', 'int8'],
  ['int8', 'int4'],
  ['float4', 'float8'],
  ['float8', 'float4'],
  ['text', 'name'],
  ['name', 'text'],
  ['date', 'timestamp'],
  ['timestamp', 'date'],
  ['date', 'timestamptz'],
  ['timestamptz', 'date'],
  ['timestamp', 'timestamptz'],
  ['timestamptz', 'timestamp'],
];

function registerSix(left: string, right: string, cmp: ContextComparator): void {
  defineOperator('=', [left, right], 'bool', ([a, b], ctx) => cmp(a ?? null, b ?? null, ctx) === 0);
  defineOperator('<>', [left, right], 'bool', ([a, b], ctx) => cmp(a ?? null, b ?? null, ctx) !== 0);
  defineOperator('<', [left, right], 'bool', ([a, b], ctx) => cmp(a ?? null, b ?? null, ctx) < 0);
  defineOperator('<=', [left, right], 'bool', ([a, b], ctx) => cmp(a ?? null, b ?? null, ctx) <= 0);
  defineOperator('>', [left, right], 'bool', ([a, b], ctx) => cmp(a ?? null, b ?? null, ctx) > 0);
  defineOperator('>=', [left, right], 'bool', ([a, b], ctx) => cmp(a ?? null, b ?? null, ctx) >= 0);
}

function polymorphicArrayComparator(): ContextComparator {
  return (a, b) => comparatorFor(arrayTypeOf(arr(a).elementType))(a, b);
}

export function registerComparisonOperators(): void {
  for (const name of sameTypes) {
    if (name === 'anyarray') {
      registerSix(name, name, polymorphicArrayComparator());
      continue;
    }
    const c = comparatorFor(t(name));
    registerSix(name, name, (a, b) => c(a, b));
  }
  for (const [l, r] of crossPairs) {
    const c = crossTypeComparator(l, r);
    if (c !== null) registerSix(l, r, c);
  }
  // Pattern-ordering operators of text_pattern_ops: plain bytewise order.
  for (const name of ['text', 'bpchar']) {
    const c = comparatorFor(t(name));
    defineOperator('~<~', [name, name], 'bool', ([a, b]) => c(a ?? null, b ?? null) < 0);
    defineOperator('~<=~', [name, name], 'bool', ([a, b]) => c(a ?? null, b ?? null) <= 0);
    defineOperator('~>~', [name, name], 'bool', ([a, b]) => c(a ?? null, b ?? null) > 0);
    defineOperator('~>=~', [name, name], 'bool', ([a, b]) => c(a ?? null, b ?? null) >= 0);
  }
}
