#!/usr/bin/env node
// Cluster figures beside the failover drill (issue 9, point 10), all on this machine in one run:
// pgbench's TPC-B-like script against
//   keel-1      one Keel node (no replication)
//   keel-async  a 3-node Keel cluster, --sync-replicas 0 (the primary's port)
//   keel-sync   a 3-node Keel cluster, --sync-replicas 1
//   pg15-sync   PostgreSQL 15 with one synchronous streaming replica (initdb + pg_basebackup on
//               loopback, as the unprivileged `postgres` user; synchronous_commit = on)
// reporting throughput, average latency (pgbench's own) and, for the clusters, the replication
// lag the primary reports (max and mean of samples every 250 ms) during the run. Every server
// fsyncs its commits (no fsync=off anywhere), so the figures compare like with like.
//
//   npx tsc -b && node scripts/drill-bench.mjs [--scale 1] [--clients 4] [--duration 20] [--only NAME,...]
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, KeelProcess } from '../packages/testkit/dist/index.js';
import { startLocalCluster } from './drill-cluster.mjs';

const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const scale = option('scale', 1);
const clients = option('clients', 4);
const duration = option('duration', 20);
const bin = '/usr/lib/postgresql/15/bin';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// --only keel-1,keel-async,keel-sync,pg15-sync: run some of the four.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1].split(',') : null;

/**
 * pgbench without blocking this process: the fault proxies between the cluster's nodes live here,
 * and a synchronous spawn would stall every Raft heartbeat meanwhile (the leader lease lapses and
 * an asynchronous primary fences writes). Retries a failed run a few times (pgbench -i drops and
 * recreates its tables).
 */
async function pgbench(port, password, user, args, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    const result = await new Promise((resolve) => {
      execFile(
        `${bin}/pgbench`,
        ['-h', '127.0.0.1', '-p', String(port), '-U', user, ...args],
        { encoding: 'utf8', env: { ...process.env, PGPASSWORD: password }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ ok: error === null, stdout, stderr }),
      );
    });
    if (result.ok) return result.stdout;
    if (attempt >= attempts)
      throw new Error(`pgbench ${args.join(' ')} failed: ${result.stderr.slice(-2000)}`);
    await sleep(1000);
  }
}

/** Runs pgbench asynchronously so lag can be sampled meanwhile. */
function pgbenchAsync(port, password, user, database, sample) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      `${bin}/pgbench`,
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        user,
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(duration),
        database,
      ],
      { env: { ...process.env, PGPASSWORD: password } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    const lags = [];
    const timer = setInterval(async () => {
      const lag = await sample().catch(() => null);
      if (typeof lag === 'number') lags.push(lag);
    }, 250);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`pgbench failed: ${err.slice(-2000)}`));
      else {
        const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
        const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1]);
        const lag =
          lags.length === 0
            ? null
            : {
                maxBytes: Math.max(...lags),
                meanBytes: Math.round(lags.reduce((a, b) => a + b, 0) / lags.length),
              };
        resolve({ tps: Math.round(tps), latencyMs: latency, lag });
      }
    });
  });
}

async function keelSingle() {
  const node = await KeelProcess.start({});
  try {
    await pgbench(node.pgPort, node.adminPassword, 'keel', ['-i', '-s', String(scale), '-q', 'keel']);
    return await pgbenchAsync(node.pgPort, node.adminPassword, 'keel', 'keel', async () => null);
  } finally {
    await node.dispose();
  }
}

async function keelCluster(syncReplicas) {
  const cluster = await startLocalCluster({
    replication: true,
    extraArgs: ['--sync-replicas', String(syncReplicas)],
  });
  try {
    let primary = null;
    for (let i = 0; i < 600 && primary === null; i++) {
      for (const id of cluster.nodes()) {
        const v = await cluster.view(id).catch(() => null);
        if (
          v?.role === 'leader' &&
          v.writable &&
          (v.replication?.replicas ?? []).filter((r) => r.state === 'streaming').length === 2
        )
          primary = id;
      }
      if (primary === null) await sleep(100);
    }
    if (primary === null) throw new Error('no primary with two streaming replicas');
    const port = cluster.pgPort(primary);
    await pgbench(port, cluster.password, 'keel', ['-i', '-s', String(scale), '-q', 'keel']);
    const sample = async () => {
      const v = await cluster.view(primary);
      const replicas = v.replication?.replicas ?? [];
      return replicas.length === 0 ? null : Math.max(...replicas.map((r) => r.lagBytes));
    };
    return await pgbenchAsync(port, cluster.password, 'keel', 'keel', sample);
  } finally {
    await cluster.close();
  }
}

async function pg15Sync() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'keel-pg15-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(root, uid, gid);
  const as = (cmd, args) => {
    const r = spawnSync(
      'setpriv',
      [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', cmd, ...args],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    return r.stdout;
  };
  const primaryDir = path.join(root, 'primary');
  const standbyDir = path.join(root, 'standby');
  const [p1, p2] = [await freePort(), await freePort()];
  const servers = [];
  try {
    as(`${bin}/initdb`, ['-D', primaryDir, '-A', 'trust', '-U', 'postgres', '--locale=C', '-E', 'UTF8']);
    const conf = [
      `port = ${p1}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      "synchronous_standby_names = 'ANY 1 (*)'",
      'synchronous_commit = on',
      'wal_level = replica',
      'max_wal_senders = 4',
    ];
    writeFileSync(path.join(primaryDir, 'postgresql.auto.conf'), `${conf.join('\n')}\n`);
    writeFileSync(
      path.join(primaryDir, 'pg_hba.conf'),
      'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n',
    );
    chownSync(path.join(primaryDir, 'postgresql.auto.conf'), uid, gid);
    chownSync(path.join(primaryDir, 'pg_hba.conf'), uid, gid);
    as(`${bin}/pg_ctl`, ['-D', primaryDir, '-l', path.join(root, 'primary.log'), '-w', 'start']);
    servers.push(primaryDir);
    as(`${bin}/pg_basebackup`, [
      '-h',
      '127.0.0.1',
      '-p',
      String(p1),
      '-U',
      'postgres',
      '-D',
      standbyDir,
      '-R',
      '-X',
      'stream',
    ]);
    as('sh', ['-c', `echo "port = ${p2}" >> ${standbyDir}/postgresql.auto.conf`]);
    as(`${bin}/pg_ctl`, ['-D', standbyDir, '-l', path.join(root, 'standby.log'), '-w', 'start']);
    servers.push(standbyDir);
    const psql = (sql) =>
      spawnSync(`${bin}/psql`, ['-h', '127.0.0.1', '-p', String(p1), '-U', 'postgres', '-XAtc', sql], {
        encoding: 'utf8',
      }).stdout.trim();
    for (
      let i = 0;
      i < 100 &&
      psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync','quorum')") !== '1';
      i++
    )
      await sleep(100);
    await pgbench(p1, '', 'postgres', ['-i', '-s', String(scale), '-q', 'postgres']);
    const sample = async () => {
      const v = psql(
        'SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0) FROM pg_stat_replication',
      );
      return Number(v);
    };
    return await pgbenchAsync(p1, '', 'postgres', 'postgres', sample);
  } finally {
    for (const dir of servers.reverse()) {
      try {
        as(`${bin}/pg_ctl`, ['-D', dir, '-m', 'fast', '-w', 'stop']);
      } catch {
        // already stopped
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
}

const results = {};
for (const [name, run] of [
  ['keel-1', keelSingle],
  ['keel-async', () => keelCluster(0)],
  ['keel-sync', () => keelCluster(1)],
  ['pg15-sync', pg15Sync],
]) {
  if (only !== null && !only.includes(name)) continue;
  try {
    results[name] = await run();
  } catch (error) {
    results[name] = { error: error instanceof Error ? error.message : String(error) };
  }
  process.stderr.write(`${name}: ${JSON.stringify(results[name])}\n`);
}
process.stdout.write(
  `${JSON.stringify({ scale, clients, duration, load: os.loadavg(), results }, null, 2)}\n`,
);
