/**
 * Differential corpus, part 5: aggregates over small inputs. Each case runs in PostgreSQL as
 * `SELECT <fn>(x<extra>) FROM (VALUES (v1::type), ...) t(x)` and in Keel through
 * resolveAggregate with the same values.
 * Exports: AggregateCase, aggregateCorpus.
 */
export interface AggregateCase {
  fn: string;
  type: string;
  values: string[];
  /** Constant trailing arguments (string_agg's delimiter, jsonb_object_agg's value expression is x). */
  extra?: string[];
}

const ints = ['1', '2', '3', 'NULL', '10'];
const bigs = ['9223372036854775807', '1', 'NULL'];
const nums = ['1.5', '2.25', 'NULL', '-3', '0.125'];
const floats = ['1.5', '2.25', 'NULL', '-3', '0.1'];
const none: string[] = [];
const nullsOnly = ['NULL', 'NULL'];

function each(fns: string[], type: string, values: string[]): AggregateCase[] {
  return fns.map((fn) => ({ fn, type, values }));
}

const statistics = ['stddev', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop'];

export const aggregateCorpus: AggregateCase[] = [
  ...each(['count', 'sum', 'avg', 'min', 'max', 'bit_and', 'bit_or', ...statistics], 'int4', ints),
  ...each(['count', 'sum', 'avg', 'min', 'max', ...statistics], 'int2', ints),
  ...each(['count', 'sum', 'avg', 'min', 'max'], 'int8', bigs),
  ...each(['sum', 'avg', 'min', 'max', ...statistics], 'int8', ['1', '2', '4']),
  ...each(['count', 'sum', 'avg', 'min', 'max', ...statistics], 'numeric', nums),
  ...each(['sum', 'avg', ...statistics], 'numeric', ['1', '1']),
  ...each(['sum', 'avg', ...statistics], 'numeric', ['7']),
  ...each(['count', 'sum', 'avg', 'min', 'max', ...statistics], 'float8', floats),
  ...each(['sum', 'avg', 'min', 'max', ...statistics], 'float4', floats),
  ...each(['count', 'sum', 'avg', 'min', 'max', ...statistics], 'int4', none),
  ...each(['count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg'], 'int4', nullsOnly).filter(
    (c) => c.fn !== 'string_agg',
  ),
  ...each(['min', 'max', 'count'], 'text', ["'b'", "'a'", 'NULL', "'c'"]),
  ...each(['min', 'max'], 'varchar', ["'b'", "'a'"]),
  ...each(['min', 'max'], 'bool', ['true', 'false']),
  ...each(['min', 'max'], 'bpchar', ["'b '", "'a'"]),
  ...each(['array_agg'], 'int4[]', ["'{1,2}'", 'NULL']),
  ...each(['array_agg'], 'int4[]', ["'{}'", "'{1}'"]),
  ...each(['min', 'max'], 'date', ["'2024-01-02'", "'2023-05-06'", "'infinity'"]),
  ...each(['min', 'max', 'sum', 'avg'], 'interval', ["'1 day'", "'25 hours'", "'1 mon'"]),
  ...each(['min', 'max'], 'timestamptz', ["'2024-01-02 10:00+00'", "'2024-01-02 09:00-02'"]),
  ...each(['bool_and', 'bool_or', 'every'], 'bool', ['true', 'NULL', 'false']),
  ...each(['bool_and', 'bool_or'], 'bool', ['true', 'true']),
  ...each(['array_agg', 'jsonb_agg', 'json_agg'], 'int4', ints),
  ...each(['array_agg', 'jsonb_agg', 'json_agg'], 'text', ["'a'", 'NULL', "'b\"c'"]),
  ...each(['array_agg'], 'int4[]', ["'{1,2}'", "'{3,4}'"]),
  ...each(['array_agg'], 'int4[]', ["'{1,2}'", "'{3}'"]),
  ...each(['min', 'max'], 'int4[]', ["'{1,2}'", "'{1,2,3}'", "'{0,9}'"]),
  ...each(['jsonb_agg', 'min', 'max'], 'jsonb', ['\'{"a":1}\'', "'[1,2]'", "'null'", 'NULL']),
  ...each(['jsonb_agg'], 'timestamptz', ["'2024-01-02 10:00+00'"]),
  { fn: 'string_agg', type: 'text', values: ["'a'", 'NULL', "'b'", "'c'"], extra: ["', '"] },
  { fn: 'string_agg', type: 'text', values: ["'a'", "'b'"], extra: ['NULL'] },
  { fn: 'string_agg', type: 'text', values: none, extra: ["','"] },
  { fn: 'string_agg', type: 'bytea', values: ["'\\x01'", "'\\x02'"], extra: ["'\\xff'::bytea"] },
  { fn: 'jsonb_object_agg', type: 'text', values: ["'a'", "'b'", "'a'"], extra: ['1'] },
  { fn: 'json_object_agg', type: 'text', values: ["'a'", "'b'"], extra: ['true'] },
];
