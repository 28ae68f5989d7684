// Shared by the SQL-level storage benchmarks (sql-storage-*.mjs): starting a real `keel`
// process and a durable PostgreSQL 15 on this machine (fsync, synchronous_commit and
// full_page_writes at their defaults, i.e. on; the testkit's reference server turns fsync off
// and is not for benchmarks), the disk's fdatasync floor from pg_test_fsync, Keel's buffer pool
// counters from /metrics, PostgreSQL's from pg_statio, and small statistics helpers.
// Exports: arg, startKeel, startPostgres, pgTestFsync, nodeFdatasyncFloor, percentile, median,
// timeQueries, fmt.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const { default: pg } = await import('../../packages/testkit/node_modules/pg/lib/index.js');

export { pg };

const repo = fileURLToPath(new URL('../..', import.meta.url));
const PG_BIN = '/usr/lib/postgresql/15/bin';

export function arg(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export const fmt = (n, digits = 0) =>
  typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : 'n/a';

/** A `keel start` process on free ports; resolves once it logged "ready". */
export async function startKeel(dataDir, extraArgs = []) {
  const child = spawn(
    process.execPath,
    [
      path.join(repo, 'packages/server/dist/main.js'),
      'start',
      '--data-dir',
      dataDir,
      '--pg-port',
      '0',
      '--http-port',
      '0',
      ...extraArgs,
    ],
    {
      env: { ...process.env, KEEL_ADMIN_PASSWORD: 'bench', KEEL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ports = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (;;) {
        const nl = buffered.indexOf('\n');
        if (nl < 0) break;
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const j = JSON.parse(line);
          if (j.msg === 'ready') resolve({ pgPort: j.pgPort, httpPort: j.httpPort });
        } catch {
          // not JSON
        }
      }
    });
    child.stderr.resume();
    child.once('exit', (code) => reject(new Error(`keel exited (${code}) before ready`)));
  });
  const config = { host: '127.0.0.1', port: ports.pgPort, user: 'keel', password: 'bench', database: 'keel' };
  return {
    name: 'keel',
    pid: child.pid,
    connect: async () => {
      const c = new pg.Client(config);
      await c.connect();
      return c;
    },
    /** Buffer pool counters from /metrics. */
    pool: async () => {
      const text = await (await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`)).text();
      const value = (name) => Number(text.match(new RegExp(`^${name} ([0-9.e+]+)$`, 'm'))?.[1] ?? Number.NaN);
      return { hits: value('keel_buffer_pool_hits_total'), misses: value('keel_buffer_pool_misses_total') };
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

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
 * A durable PostgreSQL 15 (its defaults: fsync, synchronous_commit, full_page_writes on) with
 * `settings` as -c options (e.g. shared_buffers); null when the binaries are missing.
 */
export async function startPostgres(baseDir, settings = {}) {
  if (!fs.existsSync(path.join(PG_BIN, 'postgres'))) return null;
  const root = fs.mkdtempSync(path.join(baseDir, 'pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    fs.chownSync(baseDir, uid, gid);
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
  const options = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${root}`];
  for (const [k, v] of Object.entries(settings)) options.push('-c', `${k}=${v}`);
  const [postgresBin, args] = pgCommand('postgres', ['-D', dataDir, '-p', String(port), ...options]);
  const child = spawn(postgresBin, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const config = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
  for (let i = 0; ; i++) {
    try {
      const c = new pg.Client(config);
      await c.connect();
      await c.end();
      break;
    } catch (err) {
      if (i > 150) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    name: 'postgres',
    connect: async () => {
      const c = new pg.Client(config);
      await c.connect();
      return c;
    },
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** pg_test_fsync's fdatasync figure (usecs/op) for a file in `dir`, or null. */
export function pgTestFsync(dir) {
  const bin = path.join(PG_BIN, 'pg_test_fsync');
  if (!fs.existsSync(bin)) return null;
  const out = execFileSync(bin, ['-s', '2', '-f', path.join(dir, 'pg_test_fsync.out')], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => /^\s*fdatasync\s/.test(l));
  const m = line?.match(/([0-9.]+) usecs\/op/);
  return m ? Number(m[1]) : null;
}

/** 8 KiB pwrite + fdatasync from Node (what one WAL flush costs at least), in us. */
export async function nodeFdatasyncFloor(dir, n = 500) {
  const file = path.join(dir, 'floor');
  const fd = fs.openSync(file, 'w+');
  const block = Buffer.alloc(8192, 1);
  for (let i = 0; i < 256; i++) fs.writeSync(fd, block, 0, block.length, i * 8192);
  fs.fdatasyncSync(fd);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, block, 0, block.length, (i % 256) * 8192);
    await new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }
  const us = ((performance.now() - start) * 1000) / n;
  fs.closeSync(fd);
  fs.rmSync(file);
  return us;
}

/**
 * Runs `perClient` queries on each of `clients` connections at once; `query(i)` gives the
 * i-th statement and its parameters. Returns throughput and latency percentiles.
 */
export async function timeQueries(server, clients, perClient, query) {
  const conns = await Promise.all(Array.from({ length: clients }, () => server.connect()));
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      for (let i = 0; i < perClient; i++) {
        const [sql, params] = query(next++);
        const t0 = performance.now();
        await c.query(sql, params);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(conns.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  return {
    perSecond: (clients * perClient) / seconds,
    p50us: percentile(latencies, 0.5) * 1000,
    p99us: percentile(latencies, 0.99) * 1000,
  };
}
