#!/usr/bin/env node
// Client-facing benchmark for issue 7, Keel beside PostgreSQL 15 in the same run, same machine,
// same pgbench binary and scale:
//
//   select-only    pgbench -S, simple and prepared protocol, 1 / 8 / 32 clients
//   tpc-b          pgbench's built-in TPC-B-like script (simple protocol), 1 / 8 / 32 clients
//   copy           COPY of one million rows (4 columns) through psql's \copy from a file
//
// Both servers skip waiting for the WAL flush at commit: the PostgreSQL reference runs with
// fsync=off and synchronous_commit=off (testkit's throwaway server), and Keel's sessions get
// synchronous_commit=off through PGOPTIONS, so the figures compare query processing, not disks.
// Ratios are Keel / PostgreSQL (1.00 = as fast; 0.10 = a tenth of PostgreSQL's throughput).
//
// Build first, then from the repository root:
//   npx tsc -b && node scripts/bench/clients.mjs [--scale 10] [--duration 30] [--copy-rows 1000000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KeelProcess, startPostgresReference } from '../../packages/testkit/dist/index.js';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const scale = option('scale', 10);
const duration = option('duration', 30);
const copyRows = option('copy-rows', 1_000_000);
const clientCounts = [1, 8, 32];

function run(command, args, env, input) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    input,
    maxBuffer: 64 << 20,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${output}`);
  return output;
}

function pgbench(target, args) {
  return run(
    'pgbench',
    ['-h', '127.0.0.1', '-p', String(target.port), '-U', target.user, ...args, target.database],
    target.env,
  );
}

function psql(target, args, input) {
  return run(
    'psql',
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '127.0.0.1',
      '-p',
      String(target.port),
      '-U',
      target.user,
      '-d',
      target.database,
      ...args,
    ],
    target.env,
    input,
  );
}

function tps(output) {
  const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
  const failed = /number of failed transactions: (\d+)/.exec(output);
  if (match === null) throw new Error(`no tps in pgbench output:\n${output}`);
  return { tps: Number(match[1]), failed: Number(failed?.[1] ?? 0) };
}

function workloads() {
  const list = [];
  for (const clients of clientCounts) {
    const threads = String(Math.min(clients, 2));
    list.push({
      name: `select-only simple, ${clients} client${clients > 1 ? 's' : ''}`,
      args: ['-S', '-M', 'simple', '-c', String(clients), '-j', threads],
    });
    list.push({
      name: `select-only prepared, ${clients} client${clients > 1 ? 's' : ''}`,
      args: ['-S', '-M', 'prepared', '-c', String(clients), '-j', threads],
    });
    list.push({
      name: `TPC-B-like, ${clients} client${clients > 1 ? 's' : ''}`,
      args: ['-c', String(clients), '-j', threads],
    });
  }
  return list;
}

function copyFile(directory) {
  const file = path.join(directory, 'copy-bench.tsv');
  const lines = new Array(copyRows);
  for (let i = 0; i < copyRows; i++)
    lines[i] =
      `${i + 1}\t${i % 1000}\tname-${i}\t2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:00:00+00`;
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function copyRun(target, file) {
  psql(target, [
    '-c',
    'DROP TABLE IF EXISTS copy_bench',
    '-c',
    'CREATE TABLE copy_bench (id int PRIMARY KEY, grp int, name text, at timestamptz)',
  ]);
  const started = performance.now();
  psql(target, ['-c', `\\copy copy_bench FROM '${file}'`]);
  const seconds = (performance.now() - started) / 1000;
  const count = psql(target, ['-At', '-c', 'SELECT count(*) FROM copy_bench']).trim();
  if (Number(count) !== copyRows) throw new Error(`COPY loaded ${count} rows, expected ${copyRows}`);
  return { seconds, rowsPerSecond: copyRows / seconds };
}

async function main() {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'keel-bench-clients-'));
  const started = await Promise.allSettled([
    startPostgresReference(),
    KeelProcess.start({ args: ['--max-connections', '200'] }),
  ]);
  const [referenceStart, keelStart] = started;
  if (referenceStart.status === 'rejected' || keelStart.status === 'rejected') {
    if (referenceStart.status === 'fulfilled') await referenceStart.value.stop();
    if (keelStart.status === 'fulfilled') await keelStart.value.dispose();
    throw started.find((s) => s.status === 'rejected')?.reason;
  }
  const reference = referenceStart.value;
  const keel = keelStart.value;
  try {
    const targets = {
      postgres: { port: reference.port, user: 'postgres', database: 'postgres', env: {} },
      keel: {
        port: keel.pgPort,
        user: 'keel',
        database: 'keel',
        env: { PGPASSWORD: keel.adminPassword, PGOPTIONS: '-c synchronous_commit=off' },
      },
    };
    const init = {};
    for (const [name, target] of Object.entries(targets)) {
      const started = performance.now();
      pgbench(target, ['-i', '-q', '-s', String(scale)]);
      init[name] = (performance.now() - started) / 1000;
      console.error(`${name}: pgbench -i -s ${scale} took ${init[name].toFixed(1)} s`);
    }
    const rows = [];
    for (const workload of workloads()) {
      const result = {};
      for (const [name, target] of Object.entries(targets)) {
        result[name] = tps(pgbench(target, [...workload.args, '-T', String(duration)]));
      }
      rows.push({ name: workload.name, ...result });
      console.error(
        `${workload.name}: keel ${result.keel.tps.toFixed(1)} tps, postgres ${result.postgres.tps.toFixed(1)} tps`,
      );
    }
    const file = copyFile(directory);
    const copy = { postgres: copyRun(targets.postgres, file), keel: copyRun(targets.keel, file) };

    console.log(
      `\nKeel vs PostgreSQL 15, pgbench scale ${scale}, ${duration} s per run, ${os.cpus().length} cores\n`,
    );
    console.log('| workload | Keel | PostgreSQL 15 | Keel / PostgreSQL | failed (Keel/PG) |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      console.log(
        `| ${row.name} | ${row.keel.tps.toFixed(1)} tps | ${row.postgres.tps.toFixed(1)} tps | ${(row.keel.tps / row.postgres.tps).toFixed(3)} | ${row.keel.failed}/${row.postgres.failed} |`,
      );
    }
    console.log(
      `| COPY ${copyRows.toLocaleString('en-US')} rows | ${copy.keel.seconds.toFixed(1)} s (${Math.round(copy.keel.rowsPerSecond)} rows/s) | ${copy.postgres.seconds.toFixed(1)} s (${Math.round(copy.postgres.rowsPerSecond)} rows/s) | ${(copy.keel.rowsPerSecond / copy.postgres.rowsPerSecond).toFixed(3)} | |`,
    );
    console.log(
      `| pgbench -i -s ${scale} | ${init.keel.toFixed(1)} s | ${init.postgres.toFixed(1)} s | ${(init.postgres / init.keel).toFixed(3)} | |`,
    );
  } finally {
    await keel.dispose();
    await reference.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
