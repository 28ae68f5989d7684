/**
 * Differential test of the aggregates against PostgreSQL 15: each case aggregates the same
 * values in both; the result type and text (or the error's SQLSTATE) must match.
 */
import { isKeelError } from '@keel/errors';
import { type PostgresReference, type ReferenceClient, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { castValue } from '../../types/casts.js';
import { formatText } from '../../types/text-io.js';
import type { Value } from '../../types/value.js';
import { resolveAggregate } from '../aggregates.js';
import { makeEvalContext } from '../eval-context.js';
import { type AggregateCase, aggregateCorpus } from './corpus-aggregates.js';
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

function sqlOf(c: AggregateCase): string {
  const extra = (c.extra ?? []).map((e) => `, ${e}`).join('');
  const source =
    c.values.length === 0
      ? `(SELECT NULL::${c.type} AS x WHERE false) t`
      : `(VALUES ${c.values.map((v) => `(${v}::${c.type})`).join(', ')}) t(x)`;
  return `SELECT ${c.fn}(x${extra}) FROM ${source}`;
}

function keelResult(c: AggregateCase): string {
  const ctx = makeEvalContext();
  try {
    const rows = c.values.map((v) => evaluateValue(`${v}::${c.type}`, ctx));
    const extras = (c.extra ?? []).map((e) => evaluateValue(e, ctx));
    const argType = evaluateValue(`NULL::${c.type}`, ctx).type;
    const call = resolveAggregate(c.fn, [argType, ...extras.map((e) => e.type)]);
    const agg = call.aggregate;
    let state = agg.init();
    for (const row of rows) {
      const args: Value[] = [row, ...extras].map((a, i) => {
        const target = call.argTypes[i] ?? a.type;
        return a.type === target ? a.value : castValue(a.value, a.type, target, -1, ctx);
      });
      if (call.skipNulls && args.some((a) => a === null)) continue;
      state = agg.transition(state, args, ctx);
    }
    const out = agg.final(state, ctx);
    return `${call.resultType}: ${out === null ? 'NULL' : formatText(call.resultType, out, ctx)}`;
  } catch (error) {
    if (!isKeelError(error)) return `internal: ${String(error)}`;
    return `ERROR ${error.sqlstate}`;
  }
}

test('aggregates match PostgreSQL 15', async () => {
  const mismatches: string[] = [];
  for (const c of aggregateCorpus) {
    const r = await client.query(sqlOf(c));
    const pg = r.ok ? `${r.fields[0]?.typeOid}: ${r.rows[0]?.[0] ?? 'NULL'}` : `ERROR ${r.code}`;
    const keel = keelResult(c);
    if (pg !== keel) mismatches.push(`${sqlOf(c)}\n    pg:   ${pg}\n    keel: ${keel}`);
  }
  console.log(
    `aggregate differential: ${aggregateCorpus.length - mismatches.length}/${aggregateCorpus.length} matched`,
  );
  expect(mismatches).toEqual([]);
});
