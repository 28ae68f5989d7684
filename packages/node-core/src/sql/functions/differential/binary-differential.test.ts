/**
 * Binary I/O against PostgreSQL 15: for each value, PostgreSQL's typsend function (int4send,
 * numeric_send, array_send, ...) must produce exactly the bytes sendBinary produces, and
 * receiveBinary must read those bytes back to a value that prints the same.
 */
import { type PostgresReference, type ReferenceClient, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { receiveBinary, sendBinary } from '../../types/binary-io.js';
import { formatText } from '../../types/text-io.js';
import { makeEvalContext } from '../eval-context.js';
import { evaluateValue, loadEvaluator } from './expression-evaluator.js';

let reference: PostgresReference;
let client: ReferenceClient;

beforeAll(async () => {
  reference = await startPostgresReference();
  client = await reference.connect();
  await loadEvaluator();
});

afterAll(async () => {
  await client?.close();
  await reference?.stop();
});

const cases: [send: string, exprs: string[]][] = [
  ['boolsend', ['true', 'false']],
  ['int2send', ['0::int2', '(-32768)::int2', '32767::int2']],
  ['int4send', ['0', '-1', '2147483647', '-2147483648']],
  ['int8send', ['0::int8', '-1::int8', '9223372036854775807']],
  ['float4send', ['1.5::float4', "'NaN'::float4", "'-inf'::float4", '-0.0::float4']],
  ['float8send', ['0.1::float8', "'inf'::float8", '1e308::float8', '-2.5::float8']],
  [
    'numeric_send',
    [
      '0::numeric',
      '12.5',
      '-12.50',
      '0.0001',
      '123456789.123456789',
      '1e20',
      "'NaN'::numeric",
      "'inf'::numeric",
      "'-inf'::numeric",
      '0.000',
      '10000::numeric',
      '-0.5',
    ],
  ],
  ['textsend', ["'abc'::text", "'héllo'::text", "''::text"]],
  ['varcharsend', ["'abc'::varchar(5)"]],
  ['bpcharsend', ["'ab'::char(4)"]],
  ['namesend', ["'abc'::name"]],
  ['charsend', ['\'a\'::"char"']],
  ['byteasend', ["'\\x00ff10'::bytea", "''::bytea"]],
  ['uuid_send', ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid"]],
  [
    'date_send',
    [
      "'2024-01-02'::date",
      "'1999-12-31'::date",
      "'infinity'::date",
      "'-infinity'::date",
      "'0044-03-15 BC'::date",
    ],
  ],
  ['time_send', ["'13:45:00.25'::time", "'00:00'::time"]],
  [
    'timestamp_send',
    ["'2024-01-02 03:04:05.123456'::timestamp", "'infinity'::timestamp", "'1900-01-01'::timestamp"],
  ],
  ['timestamptz_send', ["'2024-01-02 03:04:05+02'::timestamptz", "'-infinity'::timestamptz"]],
  ['interval_send', ["'1 year 2 mons 3 days 04:05:06.5'::interval", "'-1 day'::interval"]],
  ['jsonb_send', ['\'{"b":[1,2.50,"x"],"a":null}\'::jsonb', "'1'::jsonb"]],
  ['json_send', ['\'{"a" : 1}\'::json']],
  ['oidsend', ["'4294967295'::oid", '23::oid']],
  [
    'array_send',
    [
      "'{1,2,NULL}'::int4[]",
      "'{}'::int4[]",
      "'{{a,b},{c,d}}'::text[]",
      "'[0:1]={1.5,2}'::numeric[]",
      "'{t}'::bool[]",
    ],
  ],
];

test('binary send formats match PostgreSQL 15 and read back', async () => {
  const ctx = makeEvalContext();
  const mismatches: string[] = [];
  let total = 0;
  for (const [send, exprs] of cases) {
    for (const expr of exprs) {
      total++;
      const r = await client.query(`SELECT encode(${send}(${expr}), 'hex')`);
      const pgHex = r.ok ? (r.rows[0]?.[0] ?? '') : `ERROR ${r.code}`;
      const { type, value } = evaluateValue(expr, ctx);
      const bytes = sendBinary(type, value);
      const keelHex = Buffer.from(bytes).toString('hex');
      const back = receiveBinary(type, bytes);
      const same = formatText(type, back, ctx) === formatText(type, value, ctx);
      if (pgHex !== keelHex || !same)
        mismatches.push(`${send}(${expr})\n    pg:   ${pgHex}\n    keel: ${keelHex} roundtrip=${same}`);
    }
  }
  console.log(`binary differential: ${total - mismatches.length}/${total} matched`);
  expect(mismatches).toEqual([]);
});
