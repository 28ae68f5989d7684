/**
 * pgbench, unchanged, against a real node: `pgbench -i -s 1` (DROP TABLE IF EXISTS, CREATE TABLE
 * with fillfactor, TRUNCATE, COPY, VACUUM ANALYZE, ALTER TABLE ADD PRIMARY KEY), then short runs
 * of the built-in TPC-B-like script, -S (select-only), -N (simple update) and the extended and
 * prepared query modes. Every run must finish with zero failed transactions and zero errors.
 * Throughput is the benchmark's business (scripts/bench/clients.mjs), not asserted here.
 */
import { spawnSync } from 'node:child_process';
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start();
});

afterAll(async () => {
  await node?.dispose();
});

function pgbench(args: string[]) {
  const result = spawnSync(
    'pgbench',
    ['-h', '127.0.0.1', '-p', String(node.pgPort), '-U', 'keel', ...args, 'keel'],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PGPASSWORD: node.adminPassword } },
  );
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('pgbench', () => {
  it('initializes scale 1 with COPY, VACUUM and primary keys', async () => {
    const init = pgbench(['-i', '-s', '1']);
    expect(init.output).not.toMatch(/error/i);
    expect(init.status).toBe(0);
    expect(init.output).toContain('creating primary keys...');
    const client = new pg.Client(node.clientConfig());
    await client.connect();
    const counts = await client.query(
      `SELECT (SELECT count(*)::int FROM pgbench_accounts) AS accounts, (SELECT count(*)::int FROM pgbench_branches) AS branches,
              (SELECT count(*)::int FROM pgbench_tellers) AS tellers,
              (SELECT count(*)::int FROM pg_index WHERE indisprimary AND indrelid = 'pgbench_accounts'::regclass) AS pkeys`,
    );
    expect(counts.rows[0]).toEqual({ accounts: 100_000, branches: 1, tellers: 10, pkeys: 1 });
    await client.end();
  });

  it.each([
    ['TPC-B-like', []],
    ['select-only', ['-S']],
    ['simple-update', ['-N']],
    ['extended protocol', ['-M', 'extended']],
    ['prepared statements', ['-M', 'prepared']],
    ['select-only prepared', ['-S', '-M', 'prepared']],
  ])('runs %s for 5 s with 4 clients and no failures', (_name, mode) => {
    const run = pgbench(['-c', '4', '-j', '2', '-T', '5', ...mode]);
    expect(run.output).not.toMatch(/error|aborted/i);
    expect(run.status).toBe(0);
    expect(run.output).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
    const processed = /number of transactions actually processed: (\d+)/.exec(run.output);
    expect(Number(processed?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
