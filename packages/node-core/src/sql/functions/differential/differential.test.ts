/**
 * Differential test of the type system and function library against a real PostgreSQL 15:
 * every corpus expression runs as `SELECT <expr>` on both; the result type, the text output of
 * every row, or the error's SQLSTATE must match. Prints the match count; every mismatch must be
 * listed in knownDifferences (mirrored in src/sql/functions/README.md).
 */

import { isKeelError } from '@keel/errors';
import { type PostgresReference, type ReferenceClient, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseTimestamptz } from '../../types/datetime/datetime-io.js';
import {
  defaultTypeSettings,
  parseDateStyle,
  parseIntervalStyle,
  parseTimeZoneSetting,
} from '../../types/settings.js';
import { type EvalContext, makeEvalContext } from '../eval-context.js';
import { datetimeCorpus } from './corpus-datetime.js';
import { extraCorpus } from './corpus-extra.js';
import { functionCorpus } from './corpus-functions.js';
import { probeCorpus, probeCorpus2 } from './corpus-probe.js';
import { settingsCorpus } from './corpus-settings.js';
import { typeCorpus } from './corpus-types.js';
import { evaluateExpression, loadEvaluator } from './expression-evaluator.js';
import { knownDifferences } from './known-differences.js';

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

type Outcome =
  | { kind: 'value'; type: number; rows: (string | null)[] }
  | { kind: 'error'; code: string; message: string };

function describe(o: Outcome): string {
  return o.kind === 'value' ? `${o.type}: ${JSON.stringify(o.rows)}` : `ERROR ${o.code}: ${o.message}`;
}

async function referenceOutcome(
  expr: string,
  settings: Record<string, string>,
): Promise<{ outcome: Outcome; now: string | null }> {
  await client.query('BEGIN');
  for (const [name, value] of Object.entries(settings))
    await client.query(`SET LOCAL "${name}" = '${value}'`);
  const now = await client.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')");
  const r = await client.query(`SELECT ${expr}`);
  await client.query('ROLLBACK');
  const nowText = now.ok ? (now.rows[0]?.[0] ?? null) : null;
  if (!r.ok) return { outcome: { kind: 'error', code: r.code, message: r.message }, now: nowText };
  return {
    outcome: { kind: 'value', type: r.fields[0]?.typeOid ?? 0, rows: r.rows.map((row) => row[0] ?? null) },
    now: nowText,
  };
}

function contextFor(settings: Record<string, string>, now: string | null): EvalContext {
  const base = defaultTypeSettings();
  const ts = now === null ? 0n : parseTimestamptz(`${now}+00`, base);
  const ctx = makeEvalContext({ transactionTimestamp: ts, statementTimestamp: ts, clockTimestamp: () => ts });
  for (const [name, value] of Object.entries(settings)) {
    if (name === 'TimeZone') ctx.timeZone = parseTimeZoneSetting(value);
    else if (name === 'DateStyle') ctx.dateStyle = parseDateStyle(value, ctx.dateStyle);
    else if (name === 'IntervalStyle') ctx.intervalStyle = parseIntervalStyle(value);
    else if (name === 'extra_float_digits') ctx.extraFloatDigits = Number(value);
    else if (name === 'bytea_output') ctx.byteaOutput = value === 'escape' ? 'escape' : 'hex';
  }
  return ctx;
}

function keelOutcome(expr: string, settings: Record<string, string>, now: string | null): Outcome {
  const ctx = contextFor(settings, now);
  try {
    const r = evaluateExpression(expr, ctx);
    return { kind: 'value', type: r.type, rows: r.rows };
  } catch (error) {
    if (!isKeelError(error)) return { kind: 'error', code: 'internal', message: String(error) };
    return { kind: 'error', code: error.sqlstate, message: error.message };
  }
}

function same(a: Outcome, b: Outcome): boolean {
  if (a.kind === 'error' && b.kind === 'error') return a.code === b.code;
  if (a.kind === 'error' || b.kind === 'error') return false;
  return a.type === b.type && JSON.stringify(a.rows) === JSON.stringify(b.rows);
}

test('expressions evaluate as in PostgreSQL 15', async () => {
  const plain = [
    ...typeCorpus,
    ...datetimeCorpus,
    ...functionCorpus,
    ...extraCorpus,
    ...probeCorpus,
    ...probeCorpus2,
  ].map((expr) => ({ expr, settings: {} }));
  const withSettings = settingsCorpus.flatMap((g) => g.exprs.map((expr) => ({ expr, settings: g.settings })));
  const cases = [...plain, ...withSettings];
  const mismatches: string[] = [];
  const messageDiffs: string[] = [];
  let matched = 0;
  for (const { expr, settings } of cases) {
    const { outcome: pg, now } = await referenceOutcome(expr, settings);
    const keel = keelOutcome(expr, settings, now);
    if (same(pg, keel)) {
      matched++;
      if (pg.kind === 'error' && keel.kind === 'error' && pg.message !== keel.message) {
        messageDiffs.push(`${expr}\n    pg:   ${pg.message}\n    keel: ${keel.message}`);
      }
    } else if (
      !knownDifferences.has(Object.keys(settings).length === 0 ? expr : `${JSON.stringify(settings)} ${expr}`)
    ) {
      const label = Object.keys(settings).length === 0 ? expr : `${JSON.stringify(settings)} ${expr}`;
      mismatches.push(`${label}\n    pg:   ${describe(pg)}\n    keel: ${describe(keel)}`);
    }
  }
  const known = cases.filter((c) => knownDifferences.has(c.expr)).length;
  console.log(
    `differential: ${matched}/${cases.length} expressions matched PostgreSQL 15` +
      ` (${known} listed as known differences, ${mismatches.length} unexpected mismatches,` +
      ` ${messageDiffs.length} error messages differ in wording)`,
  );
  if (process.env.KEEL_DIFF_VERBOSE === '1' && messageDiffs.length > 0) console.log(messageDiffs.join('\n'));
  expect(mismatches).toEqual([]);
});
