// Storage engine commit benchmark: durable single-client commit latency against the disk's
// fdatasync floor, and durable insert throughput with 1 and 32 clients, beside PostgreSQL 15
// on the same machine when its binaries are present. Keel figures are the storage engine alone
// (heap insert + B-tree insert + commit record + WAL flush; no SQL, no network); PostgreSQL's
// are full INSERT statements over loopback, so read them as a ceiling for the engine's cost.
//
// Usage: npx tsc -b packages/node-core packages/testkit && node scripts/bench/storage-commit.mjs [--commits N] [--dir PATH]
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { StorageEngine } from '../../packages/node-core/dist/storage/index.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const commits = Number(arg('--commits', '2000'));
const baseDir = arg('--dir', os.tmpdir());
const clients32 = 32;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function nodeFdatasyncFloor(dir) {
  const file = path.join(dir, 'floor');
  const fd = fs.openSync(file, 'w+');
  const block = Buffer.alloc(8192, 1);
  for (let i = 0; i < 256; i++) fs.writeSync(fd, block, 0, block.length, i * 8192);
  fs.fdatasyncSync(fd);
  const n = 1000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, block, 0, block.length, (i % 256) * 8192);
    await new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }
  const us = ((performance.now() - start) * 1000) / n;
  fs.closeSync(fd);
  return us;
}

function pgTestFsync(dir) {
  const bin = '/usr/lib/postgresql/15/bin/pg_test_fsync';
  if (!fs.existsSync(bin)) return null;
  const out = execFileSync(bin, ['-s', '2', '-f', path.join(dir, 'pg_test_fsync.out')], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => /^\s*fdatasync\s/.test(l));
  const m = line?.match(/([0-9.]+) usecs\/op/);
  return m ? Number(m[1]) : null;
}

async function keel(dir, clients, perClient) {
  const engine = await StorageEngine.open({ dataDir: dir });
  const heap = engine.heap(engine.createRelation('heap'));
  const index = engine.btree(engine.createRelation('btree'));
  const row = Buffer.alloc(100, 7);
  const commitPayload = Buffer.alloc(16);
  const key = Buffer.alloc(8);
  let xid = 1;
  const latencies = [];
  const client = async () => {
    for (let i = 0; i < perClient; i++) {
      const t0 = performance.now();
      const myXid = xid++;
      const tid = heap.insert(row, { xmin: myXid, cid: 0 });
      key.writeDoubleBE(myXid);
      index.insert(key, tid, myXid);
      const lsn = engine.wal.append({ rmgr: 16, info: 1, xid: myXid, payload: commitPayload });
      await engine.wal.flush(lsn);
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, () => client()));
  const seconds = (performance.now() - start) / 1000;
  const stats = engine.stats();
  await engine.close();
  latencies.sort((a, b) => a - b);
  return {
    tps: (clients * perClient) / seconds,
    p50us: percentile(latencies, 0.5) * 1000,
    p99us: percentile(latencies, 0.99) * 1000,
    syncRounds: stats.wal.syncRounds,
  };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Runs a PostgreSQL binary, as the `postgres` OS user when this process is root. */
function pgCommand(binary, argv) {
  if (process.getuid?.() !== 0) return [path.join(PG_BIN, binary), argv];
  const uid = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  return [
    'setpriv',
    [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', path.join(PG_BIN, binary), ...argv],
  ];
}

/**
 * A PostgreSQL 15 server with its durable defaults (fsync, synchronous_commit and
 * full_page_writes on; the testkit's reference server turns them off, so it is not used here)
 * and a `bench` table; null when the binaries are missing.
 */
async function startPostgres(dir) {
  if (!fs.existsSync(path.join(PG_BIN, 'postgres'))) return null;
  const { default: pg } = await import('../../packages/testkit/node_modules/pg/lib/index.js');
  const root = fs.mkdtempSync(path.join(dir, 'pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    fs.chownSync(dir, uid, gid);
    fs.chownSync(root, uid, gid);
  }
  const dataDir = path.join(root, 'data');
  const [initdb, initArgs] = pgCommand('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-instructions',
  ]);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const [postgresBin, args] = pgCommand('postgres', [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${root}`,
  ]);
  const child = spawn(postgresBin, args, { stdio: 'ignore' });
  const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    try {
      const c = new pg.Client({ connectionString });
      await c.connect();
      await c.query('CREATE TABLE bench (id bigint PRIMARY KEY, v text)');
      await c.end();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const server = {
    connectionString,
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
  let id = 1;
  const run = async (clients, perClient) => {
    const conns = await Promise.all(
      Array.from({ length: clients }, async () => {
        const c = new pg.Client({ connectionString: server.connectionString });
        await c.connect();
        return c;
      }),
    );
    const latencies = [];
    const v = 'x'.repeat(100);
    const start = performance.now();
    await Promise.all(
      conns.map(async (c) => {
        for (let i = 0; i < perClient; i++) {
          const t0 = performance.now();
          await c.query('INSERT INTO bench VALUES ($1, $2)', [id++, v]);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    await Promise.all(conns.map((c) => c.end()));
    latencies.sort((a, b) => a - b);
    return {
      tps: (clients * perClient) / seconds,
      p50us: percentile(latencies, 0.5) * 1000,
      p99us: percentile(latencies, 0.99) * 1000,
    };
  };
  return { run, stop: () => server.stop() };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const work = fs.mkdtempSync(path.join(baseDir, 'keel-bench-'));
const rounds = Number(arg('--rounds', '3'));
let pgServer = null;
try {
  pgServer = await startPostgres(work).catch((err) => {
    console.log(`postgresql not started: ${err}`);
    return null;
  });
  // The figures are interleaved round by round (the disk's sync latency drifts on shared
  // machines); medians are reported.
  const r = { floor: [], pgFloor: [], k1: [], k32: [], p1: [], p32: [] };
  for (let round = 0; round < rounds; round++) {
    r.floor.push(await nodeFdatasyncFloor(work));
    const pf = pgTestFsync(work);
    if (pf !== null) r.pgFloor.push(pf);
    r.k1.push(await keel(fs.mkdtempSync(path.join(work, 'k1-')), 1, commits));
    if (pgServer) r.p1.push(await pgServer.run(1, commits));
    r.k32.push(await keel(fs.mkdtempSync(path.join(work, 'k32-')), clients32, Math.ceil(commits / 4)));
    if (pgServer) r.p32.push(await pgServer.run(clients32, Math.ceil(commits / 4)));
  }
  const m = (list, field) => (list.length ? median(list.map((x) => (field ? x[field] : x))) : undefined);
  const fmt = (n) => (typeof n === 'number' ? n.toFixed(0) : 'n/a');
  const floor = m(r.pgFloor) ?? m(r.floor);
  console.log(`rounds: ${rounds}, commits per single-client run: ${commits}`);
  console.log(
    `fdatasync floor (median): node 8kB write+fdatasync ${fmt(m(r.floor))} us/op; pg_test_fsync fdatasync ${fmt(m(r.pgFloor))} us/op`,
  );
  console.log('| workload | keel storage engine | postgresql 15 |');
  console.log('|---|---|---|');
  console.log(`| 1 client durable commit p50 (us) | ${fmt(m(r.k1, 'p50us'))} | ${fmt(m(r.p1, 'p50us'))} |`);
  console.log(`| 1 client durable commit p99 (us) | ${fmt(m(r.k1, 'p99us'))} | ${fmt(m(r.p1, 'p99us'))} |`);
  console.log(`| 1 client commits/s | ${fmt(m(r.k1, 'tps'))} | ${fmt(m(r.p1, 'tps'))} |`);
  console.log(`| 32 clients durable inserts/s | ${fmt(m(r.k32, 'tps'))} | ${fmt(m(r.p32, 'tps'))} |`);
  console.log(
    `| 32 clients commits per fdatasync round | ${((clients32 * Math.ceil(commits / 4)) / (m(r.k32, 'syncRounds') ?? 1)).toFixed(1)} | |`,
  );
  console.log(`single-client p50 / fdatasync floor: ${((m(r.k1, 'p50us') ?? 0) / floor).toFixed(2)}x`);
} finally {
  await pgServer?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
