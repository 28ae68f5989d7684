/**
 * Differential testing of the query processor against PostgreSQL 15 (issue 6, point 7): the
 * shared schema and data of packages/node-core/testdata/sql-corpus are loaded into a real Keel
 * node and a throwaway PostgreSQL 15; then every corpus query and a seeded stream of random
 * queries (random/generator.ts) run on both, one connection per side, and must return the same
 * rows (in order when the query orders them, else as multisets) or errors of the same SQLSTATE
 * class. Ternary logic partitioning (SQLancer's TLP) checks each random predicate p on Keel
 * alone: the rows where p, NOT p and p IS NULL hold add up to the whole table.
 * Every mismatch must be listed in src/sql/README.md (section "Differential testing"); a listed
 * entry that matches again fails too. KEEL_DIFF_VERBOSE=1 prints every mismatch's detail;
 * KEEL_SEED=<n> replays one random seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeelProcess, type PostgresReference, seedFromEnv, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomQueries, tlpQueries } from './random/generator.js';
import { compareOutcomes } from './support/compare.js';
import { type CorpusQuery, readCorpus, readSchema } from './support/corpus.js';
import { readKnownDifferences } from './support/known-differences.js';
import { connectRaw, type QueryOutcome, type SqlClient } from './support/sql-client.js';

let keel: KeelProcess;
const dataDir = mkdtempSync(join(tmpdir(), 'keel-sql-diff-'));
let reference: PostgresReference;
let onKeel: SqlClient;
let onPg: SqlClient;
const known = readKnownDifferences();
const seen = new Set<string>();
const verbose = process.env.KEEL_DIFF_VERBOSE === '1';

const sessionSetup = ["SET statement_timeout = '20s'", "SET TimeZone = 'UTC'", 'SET extra_float_digits = 1'];

beforeAll(async () => {
  [keel, reference] = await Promise.all([KeelProcess.start({ dataDir }), startPostgresReference()]);
  [onKeel, onPg] = await Promise.all([
    connectKeel(),
    connectRaw({ connectionString: reference.connectionString }),
  ]);
  for (const s of sessionSetup) await onPg.query(s);
  for (const statement of readSchema()) {
    const [k, p] = await Promise.all([onKeel.query(statement), onPg.query(statement)]);
    if (!k.ok || !p.ok) {
      const why = !k.ok ? `keel: ${k.code} ${k.message}` : !p.ok ? `pg: ${p.code} ${p.message}` : '';
      throw new Error(`schema statement failed (${why}): ${statement.slice(0, 200)}`);
    }
  }
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([onKeel?.close(), onPg?.close()]);
  await Promise.allSettled([keel?.stop(), reference?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

async function connectKeel(): Promise<SqlClient> {
  const client = await connectRaw(keel.clientConfig());
  for (const s of sessionSetup) await client.query(s);
  return client;
}

/**
 * A query that crashed the node (an InvariantError is a bug, and bugs stop the process) is a
 * mismatch; the node restarts on its data directory so the rest of the run goes on.
 */
async function restartAfterCrash(id: string): Promise<string> {
  const log = keel.logs
    .filter((l) => /Error|invariant/i.test(l))
    .slice(-3)
    .join(' | ');
  await onKeel.close().catch(() => undefined);
  await keel.stop().catch(() => undefined);
  keel = await KeelProcess.start({ dataDir });
  onKeel = await connectKeel();
  return `${id} crashed the Keel node: ${log}`;
}

async function run(client: SqlClient, q: CorpusQuery): Promise<QueryOutcome> {
  if (!q.write) return client.query(q.sql);
  await client.query('BEGIN');
  try {
    return await client.query(q.sql);
  } finally {
    await client.query('ROLLBACK');
  }
}

interface Tally {
  total: number;
  matched: number;
  /** Matches where both sides failed (with the same SQLSTATE class). */
  bothFailed: number;
  knownMismatches: string[];
  unexpected: string[];
}

async function compareAll(label: string, queries: CorpusQuery[]): Promise<Tally> {
  const tally: Tally = { total: 0, matched: 0, bothFailed: 0, knownMismatches: [], unexpected: [] };
  for (const q of queries) {
    const id = `${label}:${q.id}`;
    const [k, p] = await Promise.all([run(onKeel, q).catch(() => null), run(onPg, q)]);
    if (k === null) {
      tally.total++;
      tally.unexpected.push(`${await restartAfterCrash(id)}\n    ${q.sql}`);
      continue;
    }
    const verdict = compareOutcomes(k, p, q.ordered);
    seen.add(id);
    tally.total++;
    if (verdict.match) {
      tally.matched++;
      if (!k.ok) tally.bothFailed++;
      if (known.has(id)) tally.unexpected.push(`${id} is listed as a known difference but matches now`);
      continue;
    }
    const line = `${id} ${verdict.reason}\n    ${q.sql.replace(/\s+/g, ' ')}`;
    if (known.has(id)) tally.knownMismatches.push(line);
    else tally.unexpected.push(line);
  }
  return tally;
}

function report(label: string, t: Tally): void {
  console.log(
    `${label}: ${t.matched}/${t.total} queries matched PostgreSQL 15 (${t.bothFailed} of them errors on both sides; ${t.knownMismatches.length} known differences, ${t.unexpected.length} unexpected)`,
  );
  if (verbose) for (const line of t.knownMismatches) console.log(`  known ${line}`);
  for (const line of t.unexpected) console.log(`  UNEXPECTED ${line}`);
}

describe('SQL differential against PostgreSQL 15', () => {
  it('runs the corpus with the same answers', async () => {
    const corpus = readCorpus();
    const tally = await compareAll('corpus', corpus);
    report('corpus', tally);
    expect(tally.unexpected).toEqual([]);
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
  }, 600_000);

  it('lists only corpus queries that exist as known differences', () => {
    const ids = new Set(readCorpus().map((q) => `corpus:${q.id}`));
    expect([...known].filter((id) => id.startsWith('corpus:') && !ids.has(id))).toEqual([]);
  });

  it.each(seedFromEnv(3))(
    'runs random queries with the same answers, seed %s',
    async (seed) => {
      const tally = await compareAll(`random`, randomQueries(seed, 150));
      report(`random seed ${seed} (replay: KEEL_SEED=${seed})`, tally);
      expect(tally.unexpected).toEqual([]);
    },
    300_000,
  );

  it.each(seedFromEnv(3))(
    'partitions random predicates into true, false and null, seed %s',
    async (seed) => {
      const failures: string[] = [];
      for (const check of tlpQueries(seed, 60)) {
        const [whole, parts] = await Promise.all([
          onKeel.query(check.whole),
          onKeel.query(check.partitioned),
        ]);
        const verdict = compareOutcomes(parts, whole, false);
        if (!verdict.match) failures.push(`${check.id} ${verdict.reason}\n    ${check.partitioned}`);
      }
      console.log(
        `TLP seed ${seed}: ${60 - failures.length}/60 partitions add up (replay: KEEL_SEED=${seed})`,
      );
      expect(failures).toEqual([]);
    },
    300_000,
  );
});
