// Durable commits through SQL: a real `keel` process beside a durable PostgreSQL 15 on the same
// machine, in the same run, over loopback with node-postgres.
//   - single-client durable commit latency (autocommit INSERT of one row into a table with a
//     bigint primary key), against the disk's fdatasync floor from pg_test_fsync;
//   - durable inserts per second with 1 and 32 clients;
//   - the same single-client INSERT with synchronous_commit = off, which is the statement's
//     cost without the flush (so latency - this ~ what the durable commit adds).
// Targets (storage issue, point 8): single-client latency within 1.5x the fdatasync floor;
// 32-client throughput at least PostgreSQL's. Rounds interleave Keel and PostgreSQL (a shared
// disk's sync latency drifts); medians are printed.
//
// Usage: npx tsc -b && node scripts/bench/sql-storage-commit.mjs [--commits 1000] [--rounds 3] [--dir /tmp]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  arg,
  fmt,
  median,
  nodeFdatasyncFloor,
  pgTestFsync,
  startKeel,
  startPostgres,
  timeQueries,
} from './sql-storage-common.mjs';

const commits = Number(arg('--commits', '1000'));
const rounds = Number(arg('--rounds', '3'));
const work = fs.mkdtempSync(path.join(arg('--dir', os.tmpdir()), 'keel-sql-bench-'));
const value = 'x'.repeat(100);

async function prepare(server) {
  const c = await server.connect();
  await c.query('CREATE TABLE bench (id bigint PRIMARY KEY, v text)');
  await c.end();
  let id = 0;
  return {
    run: (clients, perClient) =>
      timeQueries(server, clients, perClient, () => {
        id++;
        return ['INSERT INTO bench VALUES ($1, $2)', [id, value]];
      }),
    server,
  };
}

/** synchronous_commit = off for one connection's run (a session setting). */
async function runAsync(server, perClient, firstId) {
  const c = await server.connect();
  await c.query('SET synchronous_commit = off');
  const latencies = [];
  const start = performance.now();
  for (let i = 0; i < perClient; i++) {
    const t0 = performance.now();
    await c.query('INSERT INTO bench VALUES ($1, $2)', [firstId + i, value]);
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - start) / 1000;
  await c.end();
  latencies.sort((a, b) => a - b);
  return { perSecond: perClient / seconds, p50us: latencies[Math.floor(latencies.length / 2)] * 1000 };
}

const keel = await startKeel(path.join(work, 'keel'));
const postgres = await startPostgres(work).catch((err) => {
  console.log(`postgresql not started: ${err}`);
  return null;
});
try {
  const targets = [await prepare(keel), ...(postgres ? [await prepare(postgres)] : [])];
  const r = { floor: [], nodeFloor: [] };
  for (const t of targets) r[t.server.name] = { one: [], many: [], async: [] };
  let asyncId = 1e9;
  for (let round = 0; round < rounds; round++) {
    const floor = pgTestFsync(work);
    if (floor !== null) r.floor.push(floor);
    r.nodeFloor.push(await nodeFdatasyncFloor(work));
    for (const t of targets) {
      const into = r[t.server.name];
      into.one.push(await t.run(1, commits));
      into.many.push(await t.run(32, Math.ceil(commits / 4)));
      into.async.push(await runAsync(t.server, commits, asyncId));
      asyncId += commits;
    }
  }
  const m = (name, kind, field) => (r[name] ? median(r[name][kind].map((x) => x[field])) : undefined);
  const floor = r.floor.length > 0 ? median(r.floor) : median(r.nodeFloor);
  console.log(
    `rounds: ${rounds}; single-client commits per round: ${commits}; 32 clients x ${Math.ceil(commits / 4)}`,
  );
  console.log(
    `fdatasync floor (median): pg_test_fsync ${fmt(median(r.floor) ?? Number.NaN)} us/op; node 8 KiB pwrite+fdatasync ${fmt(median(r.nodeFloor))} us/op`,
  );
  console.log('| workload | keel | postgresql 15 |');
  console.log('|---|---|---|');
  const row = (label, kind, field, digits = 0) =>
    console.log(
      `| ${label} | ${fmt(m('keel', kind, field), digits)} | ${fmt(m('postgres', kind, field), digits)} |`,
    );
  row('1 client durable INSERT commit p50 (us)', 'one', 'p50us');
  row('1 client durable INSERT commit p99 (us)', 'one', 'p99us');
  row('1 client durable inserts/s', 'one', 'perSecond');
  row('32 clients durable inserts/s', 'many', 'perSecond');
  row('32 clients durable INSERT p50 (us)', 'many', 'p50us');
  row('1 client INSERT, synchronous_commit=off, p50 (us)', 'async', 'p50us');
  const k1 = m('keel', 'one', 'p50us');
  const p1 = m('postgres', 'one', 'p50us');
  console.log(
    `single-client p50 / fdatasync floor: keel ${fmt(k1 / floor, 2)}x (target <= 1.5x), postgresql ${fmt(p1 / floor, 2)}x`,
  );
  const k32 = m('keel', 'many', 'perSecond');
  const p32 = m('postgres', 'many', 'perSecond');
  console.log(`32-client throughput keel / postgresql: ${fmt(k32 / p32, 2)} (target >= 1)`);
} finally {
  await keel.stop();
  await postgres?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
