// Point lookups through SQL, in and out of the buffer pool: a real `keel` process beside a
// durable PostgreSQL 15 on the same machine, in the same run, both with a 16 MiB buffer pool
// (--buffer-pool-mb 16, shared_buffers = 16MB) and a table of ~60 MB (heap + primary key).
//   - in the pool: random `SELECT v FROM lk WHERE id = $1` over 2,000 hot ids, after a warm-up;
//   - out of the pool: the same over all ids, so most pages are not cached (they come from the
//     OS page cache, not the disk: caches are not dropped, which would disturb the machine).
// One client; lookups per second, p50 latency, and the pool's hit ratio during each phase
// (Keel's /metrics counters, PostgreSQL's pg_statio for the table and its index).
//
// Usage: npx tsc -b && node scripts/bench/sql-storage-lookups.mjs [--rows 300000] [--lookups 5000] [--dir /tmp]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { arg, fmt, startKeel, startPostgres } from './sql-storage-common.mjs';

const rows = Number(arg('--rows', '300000'));
const lookups = Number(arg('--lookups', '5000'));
const hotIds = 2000;
const work = fs.mkdtempSync(path.join(arg('--dir', os.tmpdir()), 'keel-sql-lookups-'));

async function load(server) {
  const c = await server.connect();
  await c.query('CREATE TABLE lk (id int8 PRIMARY KEY, v text)');
  for (let from = 1; from <= rows; from += 20000) {
    const to = Math.min(rows, from + 19999);
    await c.query(`INSERT INTO lk SELECT g, repeat('v', 100) FROM generate_series(${from}, ${to}) AS g`);
  }
  await c.end();
}

/** Hits and misses of the pool so far (Keel: /metrics; PostgreSQL: pg_statio of lk). */
async function poolCounters(server) {
  if (server.pool) return server.pool();
  const c = await server.connect();
  await c.query('SELECT pg_stat_clear_snapshot()');
  const r = await c.query(
    `SELECT coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0) AS hits,
            coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) AS misses
       FROM pg_statio_user_tables WHERE relname = 'lk'`,
  );
  await c.end();
  return { hits: Number(r.rows[0].hits), misses: Number(r.rows[0].misses) };
}

/** Runs a lookup phase on one connection and measures it, with the pool's hit ratio. */
async function phase(server, idOf) {
  const before = await poolCounters(server);
  const c = await server.connect();
  const latencies = [];
  const start = performance.now();
  for (let i = 0; i < lookups; i++) {
    const t0 = performance.now();
    await c.query('SELECT v FROM lk WHERE id = $1', [idOf(i)]);
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - start) / 1000;
  // PostgreSQL reports a backend's counters when it next goes idle; this makes it report now.
  if (!server.pool) await c.query('SELECT pg_stat_force_next_flush()');
  await c.end();
  const after = await poolCounters(server);
  latencies.sort((a, b) => a - b);
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  return {
    perSecond: lookups / seconds,
    p50us: latencies[Math.floor(latencies.length / 2)] * 1000,
    hitRatio: hits / (hits + misses),
  };
}

let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

const keel = await startKeel(path.join(work, 'keel'), ['--buffer-pool-mb', '16']);
const postgres = await startPostgres(work, { shared_buffers: '16MB' }).catch((err) => {
  console.log(`postgresql not started: ${err}`);
  return null;
});
try {
  const results = {};
  for (const server of [keel, ...(postgres ? [postgres] : [])]) {
    await load(server);
    await phase(server, () => 1 + Math.floor(random() * hotIds)); // warm the hot set
    results[server.name] = {
      hot: await phase(server, () => 1 + Math.floor(random() * hotIds)),
      cold: await phase(server, () => 1 + Math.floor(random() * rows)),
    };
  }
  console.log(
    `${rows} rows (~${Math.round((rows * 140) / 1e6)} MB of heap), 16 MiB pool, ${lookups} lookups per phase, 1 client`,
  );
  console.log('| point lookups | keel | postgresql 15 |');
  console.log('|---|---|---|');
  const line = (label, p, field, digits = 0) =>
    console.log(
      `| ${label} | ${fmt(results.keel?.[p]?.[field], digits)} | ${fmt(results.postgres?.[p]?.[field], digits)} |`,
    );
  line(`in pool (${hotIds} hot ids): lookups/s`, 'hot', 'perSecond');
  line('in pool: p50 (us)', 'hot', 'p50us');
  line('in pool: pool hit ratio', 'hot', 'hitRatio', 3);
  line('out of pool (all ids): lookups/s', 'cold', 'perSecond');
  line('out of pool: p50 (us)', 'cold', 'p50us');
  line('out of pool: pool hit ratio', 'cold', 'hitRatio', 3);
} finally {
  await keel.stop();
  await postgres?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
