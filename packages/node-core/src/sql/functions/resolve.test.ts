/**
 * Overload resolution: PostgreSQL's choices for mixed and unknown argument types, polymorphic
 * binding, variadic packing, and its 42883/42725 errors with message and hint.
 */
import { KeelError } from '@keel/errors';
import { describe, expect, test } from 'vitest';
import { parseJsonb } from '../types/json-io.js';
import { Numeric } from '../types/numeric.js';
import { Oids } from '../types/oids.js';
import { formatType } from '../types/type-registry.js';
import { resolveAggregate } from './aggregates.js';
import { makeEvalContext } from './eval-context.js';
import { selectCommonType } from './polymorphic.js';
import { resolveFunction, resolveOperator } from './resolve.js';

function thrown(fn: () => unknown): KeelError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KeelError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('operator resolution', () => {
  test.each([
    ['+', Oids.int4, Oids.int4, 'integer'],
    ['+', Oids.int4, Oids.int8, 'bigint'],
    ['+', Oids.int2, Oids.int4, 'integer'],
    ['+', Oids.int4, Oids.numeric, 'numeric'],
    ['+', Oids.int4, Oids.float8, 'double precision'],
    ['+', Oids.float4, Oids.numeric, 'double precision'],
    ['+', Oids.unknown, Oids.int4, 'integer'],
    ['||', Oids.unknown, Oids.unknown, 'text'],
    ['||', Oids.unknown, Oids.int4, 'text'],
    ['||', Oids.int4Array, Oids.int4, 'integer[]'],
    ['||', Oids.int4Array, Oids.numeric, 'numeric[]'],
    ['||', Oids.textArray, Oids.unknown, 'text[]'],
    ['-', Oids.date, Oids.date, 'integer'],
    ['-', Oids.timestamptz, Oids.timestamptz, 'interval'],
    ['+', Oids.date, Oids.interval, 'timestamp without time zone'],
    ['->>', Oids.jsonb, Oids.unknown, 'text'],
    ['=', Oids.text, Oids.varchar, 'boolean'],
    ['~~', Oids.varchar, Oids.unknown, 'boolean'],
  ])('%s(%i, %i) -> %s', (op, left, right, result) => {
    expect(formatType(resolveOperator(op, left, right).resultType)).toBe(result);
  });

  test('an unknown literal on one side takes the other side type exactly', () => {
    const call = resolveOperator('+', Oids.int4, Oids.unknown);
    expect(call.argTypes).toEqual([Oids.int4, Oids.int4]);
    expect(call.casts[1]?.method).toBe('io');
  });

  test('missing operators are 42883 with PostgreSQL message and hint', () => {
    const error = thrown(() => resolveOperator('+', Oids.int4, Oids.text));
    expect(error.sqlstate).toBe('42883');
    expect(error.message).toBe('operator does not exist: integer + text');
    expect(error.hint).toBe(
      'No operator matches the given name and argument types. You might need to add explicit type casts.',
    );
    expect(thrown(() => resolveOperator('-', null, Oids.text)).message).toBe(
      'operator does not exist: - text',
    );
  });

  test('ambiguous operators are 42725', () => {
    const error = thrown(() => resolveOperator('@>', Oids.unknown, Oids.unknown));
    expect(error.sqlstate).toBe('42725');
    expect(error.message).toBe('operator is not unique: unknown @> unknown');
  });
});

describe('function resolution', () => {
  test.each([
    ['round', [Oids.int4], 'double precision'],
    ['round', [Oids.numeric, Oids.int4], 'numeric'],
    ['abs', [Oids.unknown], 'double precision'],
    ['length', [Oids.unknown], 'integer'],
    ['length', [Oids.bpchar], 'integer'],
    ['array_length', [Oids.int4Array, Oids.int4], 'integer'],
    ['array_append', [Oids.int4Array, Oids.int8], 'bigint[]'],
  ])('%s(%j) -> %s', (name, args, result) => {
    expect(formatType(resolveFunction(name as string, args as number[]).resultType)).toBe(result);
  });

  test('variadic calls pack their trailing arguments into an array', () => {
    const call = resolveFunction('jsonb_extract_path', [Oids.jsonb, Oids.unknown, Oids.unknown]);
    expect(call.variadicPack).toEqual({ start: 1, arrayType: Oids.textArray });
    expect(call.impl([parseJsonb('{"a":{"b":[1]}}'), 'a', 'b'], makeEvalContext())).toEqual([
      Numeric.fromInt(1),
    ]);
  });

  test('"any" functions see the argument types', () => {
    const call = resolveFunction('concat', [Oids.unknown, Oids.bool, Oids.int4]);
    expect(call.impl(['a', true, 7], makeEvalContext())).toBe('at7');
  });

  test('missing functions are 42883 with the argument types', () => {
    const error = thrown(() => resolveFunction('foo', [Oids.int4, Oids.unknown]));
    expect(error.sqlstate).toBe('42883');
    expect(error.message).toBe('function foo(integer, unknown) does not exist');
    expect(error.hint).toBe(
      'No function matches the given name and argument types. You might need to add explicit type casts.',
    );
  });

  test('polymorphic functions need a known type', () => {
    expect(thrown(() => resolveFunction('array_length', [Oids.unknown, Oids.int4])).sqlstate).toBe('42804');
  });

  test('aggregates resolve with PostgreSQL result types', () => {
    expect(formatType(resolveAggregate('sum', [Oids.int4]).resultType)).toBe('bigint');
    expect(formatType(resolveAggregate('sum', [Oids.int8]).resultType)).toBe('numeric');
    expect(formatType(resolveAggregate('avg', [Oids.int2]).resultType)).toBe('numeric');
    expect(formatType(resolveAggregate('array_agg', [Oids.text]).resultType)).toBe('text[]');
    expect(formatType(resolveAggregate('count', []).resultType)).toBe('bigint');
  });
});

describe('common type selection', () => {
  test.each([
    [[Oids.int4, Oids.numeric], Oids.numeric],
    [[Oids.int4, Oids.int8, Oids.unknown], Oids.int8],
    [[Oids.unknown, Oids.unknown], Oids.text],
    [[Oids.float4, Oids.numeric], Oids.float4],
    [[Oids.varchar, Oids.text], Oids.varchar],
    [[Oids.text, Oids.varchar], Oids.text],
    [[Oids.date, Oids.timestamptz], Oids.timestamptz],
  ])('%j -> %i', (types, expected) => {
    expect(selectCommonType(types, 'CASE')).toBe(expected);
  });

  test('mismatched categories are 42804', () => {
    const error = thrown(() => selectCommonType([Oids.int4, Oids.text], 'CASE'));
    expect(error.sqlstate).toBe('42804');
    expect(error.message).toBe('CASE types integer and text cannot be matched');
  });
});
