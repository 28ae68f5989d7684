// Scan resistance through SQL: the buffer pool hit ratio of each eviction policy (clock, lru,
// 2q, arc) on a workload that mixes hot point reads with large scans, beside a durable
// PostgreSQL 15 (clock sweep, plus ring buffers for large sequential scans) on the same
// machine, in the same run. Every server has an 8 MiB pool; `hot` (primary key lookups) is
// about a fifth of it, `big` (scanned whole, no index) about three times it. Each round is
// 2,000 random point reads on `hot`, then one `SELECT count(*) FROM big`. The point reads'
// hit ratio is what scan resistance protects; the overall ratio is shown beside it.
// Keel's counters come from /metrics, PostgreSQL's from pg_statio.
//
// Usage: npx tsc -b && node scripts/bench/sql-storage-policies.mjs [--rounds 6] [--dir /tmp]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { arg, fmt, startKeel, startPostgres } from './sql-storage-common.mjs';

const rounds = Number(arg('--rounds', '6'));
const hotRows = 10_000;
const bigRows = 170_000;
const reads = 2000;
const work = fs.mkdtempSync(path.join(arg('--dir', os.tmpdir()), 'keel-sql-policies-'));

let seed = 777;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

async function load(c) {
  await c.query('CREATE TABLE hot (id int8 PRIMARY KEY, v text)');
  await c.query('CREATE TABLE big (id int8, v text)');
  await c.query(`INSERT INTO hot SELECT g, repeat('h', 100) FROM generate_series(1, ${hotRows}) AS g`);
  for (let from = 1; from <= bigRows; from += 20000) {
    const to = Math.min(bigRows, from + 19999);
    await c.query(`INSERT INTO big SELECT g, repeat('b', 100) FROM generate_series(${from}, ${to}) AS g`);
  }
}

/** Cumulative hits and misses: everything, and of `hot` alone (PostgreSQL only). */
async function counters(server, c) {
  if (server.pool) return { all: await server.pool(), hot: null };
  await c.query('SELECT pg_stat_clear_snapshot()');
  const r = await c.query(
    `SELECT relname, coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0) AS hits,
            coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) AS misses
       FROM pg_statio_user_tables WHERE relname IN ('hot', 'big')`,
  );
  const of = (name) => {
    const row = r.rows.find((x) => x.relname === name);
    return { hits: Number(row?.hits ?? 0), misses: Number(row?.misses ?? 0) };
  };
  const hot = of('hot');
  const big = of('big');
  return { all: { hits: hot.hits + big.hits, misses: hot.misses + big.misses }, hot };
}

const ratio = (a, b) => {
  const hits = b.hits - a.hits;
  const misses = b.misses - a.misses;
  return { hits, misses };
};

/** One server's rounds; returns the point reads' and the overall hit ratio, and reads/s. */
async function measure(server) {
  const worker = await server.connect();
  const stats = await server.connect();
  await load(worker);
  const flush = async () => {
    if (!server.pool) await worker.query('SELECT pg_stat_force_next_flush()');
  };
  // Warm-up round (not counted).
  for (let i = 0; i < reads; i++)
    await worker.query('SELECT v FROM hot WHERE id = $1', [1 + Math.floor(random() * hotRows)]);
  await worker.query('SELECT count(*) FROM big');
  const point = { hits: 0, misses: 0 };
  const all = { hits: 0, misses: 0 };
  let readSeconds = 0;
  for (let round = 0; round < rounds; round++) {
    await flush();
    const a = await counters(server, stats);
    const t0 = performance.now();
    for (let i = 0; i < reads; i++)
      await worker.query('SELECT v FROM hot WHERE id = $1', [1 + Math.floor(random() * hotRows)]);
    readSeconds += (performance.now() - t0) / 1000;
    await flush();
    const b = await counters(server, stats);
    await worker.query('SELECT count(*) FROM big');
    await flush();
    const c = await counters(server, stats);
    const p = ratio(a.hot ?? a.all, b.hot ?? b.all);
    point.hits += p.hits;
    point.misses += p.misses;
    const o = ratio(a.all, c.all);
    all.hits += o.hits;
    all.misses += o.misses;
  }
  await worker.end();
  await stats.end();
  return {
    point: point.hits / (point.hits + point.misses),
    overall: all.hits / (all.hits + all.misses),
    readsPerSecond: (rounds * reads) / readSeconds,
  };
}

const results = [];
try {
  for (const policy of ['clock', 'lru', '2q', 'arc']) {
    const keel = await startKeel(path.join(work, `keel-${policy}`), [
      '--buffer-pool-mb',
      '8',
      '--eviction-policy',
      policy,
    ]);
    try {
      results.push({ name: `keel ${policy}`, ...(await measure(keel)) });
    } finally {
      await keel.stop();
    }
  }
  const postgres = await startPostgres(work, { shared_buffers: '8MB' }).catch((err) => {
    console.log(`postgresql not started: ${err}`);
    return null;
  });
  if (postgres) {
    try {
      results.push({ name: 'postgresql 15 (clock sweep + scan rings)', ...(await measure(postgres)) });
    } finally {
      await postgres.stop();
    }
  }
  console.log(
    `8 MiB pool; hot: ${hotRows} rows with a primary key; big: ${bigRows} rows, scanned whole; ${rounds} rounds of ${reads} point reads + 1 scan`,
  );
  console.log('| policy | point-read hit ratio | overall hit ratio | point reads/s |');
  console.log('|---|---|---|---|');
  for (const r of results)
    console.log(`| ${r.name} | ${fmt(r.point, 3)} | ${fmt(r.overall, 3)} | ${fmt(r.readsPerSecond)} |`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
