#!/usr/bin/env node
// Transaction benchmark for issue 5: pgbench's TPC-B-like transaction, driven by node-postgres
// clients (the same driver and the same statements for both servers), on Keel and on a
// PostgreSQL 15 reference server in the same run, with 1, 8 and 32 clients, printed as a table
// of Keel / PostgreSQL throughput ratios.
//
// The transaction is pgbench's built-in one (simple query protocol, literals in the text):
//   BEGIN; UPDATE pgbench_accounts ... WHERE aid = A; SELECT abalance ... WHERE aid = A;
//   UPDATE pgbench_tellers ... WHERE tid = T; UPDATE pgbench_branches ... WHERE bid = B;
//   INSERT INTO pgbench_history ...; END;
// with pgbench's tables and scale (100,000 accounts, 10 tellers, 1 branch per scale unit), so
// with few branches every transaction meets on the branch row, as in pgbench.
// As in scripts/bench/clients.mjs, neither server waits for the WAL flush at commit (the
// reference runs fsync=off, synchronous_commit=off; Keel's sessions SET synchronous_commit=off):
// the figures compare transaction processing, not disks. --isolation runs the transaction at
// another level (read committed by default); serialization failures are retried and counted.
// --profile writes a CPU profile of the Keel process (node --cpu-prof) and prints where its
// time goes. --autovacuum-naptime-ms sets Keel's autovacuum_naptime (1000 by default, see below).
//
// Build first, then from the repository root:
//   npx tsc -b && node scripts/bench/tpcb.mjs [--scale 1] [--duration 15] [--isolation serializable]
//     [--autovacuum-naptime-ms 1000] [--profile]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KeelProcess, keelBinaryPath, startPostgresReference } from '../../packages/testkit/dist/index.js';
import pg from '../../test/node_modules/pg/lib/index.js';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  return typeof fallback === 'number' ? Number(value) : value;
}

const scale = option('scale', 1);
const duration = option('duration', 15);
const isolation = option('isolation', 'read committed');
const profile = process.argv.includes('--profile');
// Keel has no HOT updates or on-access page pruning, so the one-row branch table collects a
// dead version per transaction until VACUUM; PostgreSQL prunes it as it goes. A short autovacuum
// naptime keeps the comparison about transaction processing (0 = Keel's default, 1 min).
const naptimeMs = option('autovacuum-naptime-ms', 1000);
const keelEnv = naptimeMs > 0 ? { KEEL_AUTOVACUUM_NAPTIME_MS: String(naptimeMs) } : {};
const clientCounts = [1, 8, 32];
const retryable = new Set(['40001', '40P01']);

/** A tiny seeded PRNG, so both servers see the same sequence of accounts per client. */
function prng(seed) {
  let state = seed >>> 0;
  return (min, max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return min + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * (max - min + 1));
  };
}

async function load(config) {
  const client = new pg.Client(config);
  await client.connect();
  const statements = [
    'DROP TABLE IF EXISTS pgbench_history, pgbench_tellers, pgbench_accounts, pgbench_branches',
    'CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))',
    'CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84))',
    'CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))',
    'CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))',
    `INSERT INTO pgbench_branches SELECT g, 0, '' FROM generate_series(1, ${scale}) AS g`,
    `INSERT INTO pgbench_tellers SELECT g, (g - 1) / 10 + 1, 0, '' FROM generate_series(1, ${10 * scale}) AS g`,
    `INSERT INTO pgbench_accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, ${100_000 * scale}) AS g`,
    'ANALYZE pgbench_branches',
    'ANALYZE pgbench_tellers',
    'ANALYZE pgbench_accounts',
  ];
  for (const sql of statements) await client.query(sql);
  await client.end();
}

/** One client's loop: the TPC-B-like transaction until the deadline. */
async function clientLoop(config, seed, deadline) {
  const client = new pg.Client(config);
  await client.connect();
  await client.query('SET synchronous_commit = off');
  const random = prng(seed);
  let done = 0;
  let retries = 0;
  let latencyMs = 0;
  while (performance.now() < deadline) {
    const aid = random(1, 100_000 * scale);
    const bid = random(1, scale);
    const tid = random(1, 10 * scale);
    const delta = random(-5000, 5000);
    const started = performance.now();
    for (;;) {
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
        await client.query(`UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid}`);
        await client.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid}`);
        await client.query(`UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid}`);
        await client.query(`UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid}`);
        await client.query(
          `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP)`,
        );
        await client.query('END');
        break;
      } catch (error) {
        await client.query('ROLLBACK');
        if (!retryable.has(error.code)) throw error;
        retries++;
      }
    }
    latencyMs += performance.now() - started;
    done++;
  }
  await client.end();
  return { done, retries, latencyMs };
}

async function run(config, clients) {
  const started = performance.now();
  const deadline = started + duration * 1000;
  const results = await Promise.all(
    Array.from({ length: clients }, (_, i) => clientLoop(config, i + 1, deadline)),
  );
  const seconds = (performance.now() - started) / 1000;
  const done = results.reduce((sum, r) => sum + r.done, 0);
  return {
    tps: done / seconds,
    latencyMs: results.reduce((sum, r) => sum + r.latencyMs, 0) / Math.max(done, 1),
    retries: results.reduce((sum, r) => sum + r.retries, 0),
  };
}

/** Self time per function and per source file of a .cpuprofile, largest first. */
function summarizeProfile(file) {
  const profileJson = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profileJson.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profileJson.timeDeltas;
  for (let i = 0; i < profileJson.samples.length; i++) {
    self.set(profileJson.samples[i], (self.get(profileJson.samples[i]) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byFile = new Map();
  const byArea = new Map();
  // Keel's layers by directory; everything else by what it is.
  const areaOf = (url, functionName) => {
    const keel = /packages\/([a-z-]+)\/dist\/([a-z-]+)\//.exec(url);
    if (keel !== null) return keel[1] === 'node-core' ? `node-core/${keel[2]}` : keel[1];
    if (url.includes('libpg-query') || url.startsWith('wasm://')) return 'libpg-query (parser, wasm)';
    if (url.includes('node_modules/')) return 'other node_modules';
    if (url.startsWith('node:')) return 'node.js runtime (JS)';
    return `(${functionName || 'native'})`;
  };
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame;
    const url = (frame?.url ?? '')
      .replace(/^file:\/\//, '')
      .replace(/.*\/packages\//, 'packages/')
      .replace(/.*node_modules\//, 'node_modules/');
    const fn = `${frame?.functionName || '(anonymous)'} ${url}:${(frame?.lineNumber ?? 0) + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    const file = url === '' ? `(${frame?.functionName || 'native'})` : url;
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
    const area = areaOf(frame?.url ?? '', frame?.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => `  ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`);
  return [
    'self time by area:',
    ...top(byArea, 30),
    'self time by file (top 15):',
    ...top(byFile, 15),
    'self time by function (top 20):',
    ...top(byFunction, 20),
  ].join('\n');
}

/**
 * Starts keel under `node --cpu-prof` (KeelProcess cannot pass node flags, and NODE_OPTIONS may
 * not carry --cpu-prof); the profile is written when the process exits on SIGTERM.
 */
async function startProfiledKeel(profileDir) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-tpcb-data-'));
  const password = 'bench';
  const child = spawn(
    process.execPath,
    [
      `--cpu-prof`,
      `--cpu-prof-dir=${profileDir}`,
      keelBinaryPath,
      'start',
      '--data-dir',
      dataDir,
      '--pg-port',
      '0',
      '--http-port',
      '0',
      '--max-connections',
      '200',
    ],
    {
      env: { ...process.env, ...keelEnv, KEEL_ADMIN_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const pgPort = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) {
        if (line.includes('"msg":"ready"')) resolve(JSON.parse(line).pgPort);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`keel exited (${code}) before ready`)));
  });
  child.stdout.resume();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    config: { host: '127.0.0.1', port: pgPort, user: 'keel', password, database: 'keel' },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main() {
  const profileDir = profile ? mkdtempSync(path.join(os.tmpdir(), 'keel-tpcb-prof-')) : null;
  const [reference, keel] = await Promise.all([
    startPostgresReference(),
    profileDir === null
      ? KeelProcess.start({ args: ['--max-connections', '200'], env: keelEnv }).then((node) => ({
          config: node.clientConfig(),
          stop: () => node.dispose(),
        }))
      : startProfiledKeel(profileDir),
  ]);
  let keelStopped = false;
  try {
    const targets = {
      keel: keel.config,
      postgres: { connectionString: reference.connectionString },
    };
    for (const [name, config] of Object.entries(targets)) {
      const started = performance.now();
      await load(config);
      console.error(
        `${name}: loaded scale ${scale} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    const rows = [];
    for (const clients of clientCounts) {
      const result = {};
      for (const [name, config] of Object.entries(targets)) {
        result[name] = await run(config, clients);
        console.error(
          `${clients} clients, ${name}: ${result[name].tps.toFixed(1)} tps, ${result[name].latencyMs.toFixed(2)} ms avg, ${result[name].retries} retries`,
        );
      }
      rows.push({ clients, ...result });
    }
    console.log(
      `\nTPC-B-like (node-postgres, simple protocol), ${isolation}, scale ${scale}, ${duration} s per run, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, synchronous_commit off, Keel autovacuum_naptime ${naptimeMs || 60_000} ms\n`,
    );
    console.log(
      '| clients | Keel tps | PostgreSQL 15 tps | Keel / PostgreSQL | Keel avg latency | PG avg latency | retries (Keel/PG) |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      console.log(
        `| ${row.clients} | ${row.keel.tps.toFixed(1)} | ${row.postgres.tps.toFixed(1)} | ${(row.keel.tps / row.postgres.tps).toFixed(3)} | ${row.keel.latencyMs.toFixed(2)} ms | ${row.postgres.latencyMs.toFixed(2)} ms | ${row.keel.retries}/${row.postgres.retries} |`,
      );
    }
    if (profileDir !== null) {
      await keel.stop();
      keelStopped = true;
      const [file] = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) console.log('\n(no CPU profile was written)');
      else
        console.log(
          `\nKeel CPU profile (${path.join(profileDir, file)}):\n${summarizeProfile(path.join(profileDir, file))}`,
        );
    }
  } finally {
    if (!keelStopped) await keel.stop();
    await reference.stop();
  }
}

await main();
