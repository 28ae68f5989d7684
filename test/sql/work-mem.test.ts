/**
 * work_mem end to end (issue 6, point 6): a session's `SET work_mem` reaches the executor of a
 * real node, so the same sort and GROUP BY spill to disk under a small setting and stay in memory
 * under the default, with the same answers. (The operators' spill files and their removal are
 * tested in packages/node-core/src/sql/exec/spill.test.ts.)
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KeelProcess } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw, type QueryOutcome, type SqlClient } from './support/sql-client.js';

let keel: KeelProcess;
let client: SqlClient;
/** The process before the restart: it owns (and finally removes) the data directory. */
let firstProcess: KeelProcess | null = null;

beforeAll(async () => {
  keel = await KeelProcess.start();
  client = await connectRaw(keel.clientConfig());
}, 120_000);

afterAll(async () => {
  await client?.close();
  await keel?.stop();
  await keel?.dispose();
  await firstProcess?.dispose();
});

async function ok(sql: string): Promise<(string | null)[][]> {
  const r: QueryOutcome = await client.query(sql);
  if (!r.ok) throw new Error(`${sql}: ${r.code} ${r.message}`);
  return r.rows;
}

async function plan(sql: string): Promise<string> {
  return (await ok(`EXPLAIN ANALYZE ${sql}`)).map((r) => r[0]).join('\n');
}

const sortSql = 'SELECT g, md5(g::text) FROM generate_series(1, 20000) g ORDER BY md5(g::text), g';
const groupSql = 'SELECT g % 7000, count(*), sum(g) FROM generate_series(1, 20000) g GROUP BY 1 ORDER BY 1';

describe('SET work_mem', () => {
  it('decides whether a sort and a hash aggregate spill, with the same answers', async () => {
    const sortedInMemory = await ok(sortSql);
    const groupedInMemory = await ok(groupSql);
    expect(await plan(sortSql)).toMatch(/Sort Method: quicksort/);
    expect(await plan(groupSql)).not.toMatch(/Disk Usage/);

    await ok("SET work_mem = '64kB'");
    expect((await ok('SHOW work_mem'))[0]?.[0]).toBe('64kB');
    expect(await plan(sortSql)).toMatch(/Sort Method: external merge {2}Disk: \d+kB/);
    expect(await plan(groupSql)).toMatch(/Disk Usage: \d+kB/);
    expect(await ok(sortSql)).toEqual(sortedInMemory);
    expect(await ok(groupSql)).toEqual(groupedInMemory);

    await ok('RESET work_mem');
    expect(await plan(sortSql)).toMatch(/Sort Method: quicksort/);

    // The spill files lived in the data directory's pgsql_tmp, in this process's own
    // sub-directory, and are gone once the statements ended.
    const temp = path.join(keel.dataDir, 'pgsql_tmp');
    const dirs = readdirSync(temp);
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(new RegExp(`^${keel.child.pid}-`));
    expect(readdirSync(path.join(temp, dirs[0] ?? ''))).toEqual([]);
  }, 120_000);

  it('removes spill files an earlier process left behind when the node starts', async () => {
    const leftover = path.join(keel.dataDir, 'pgsql_tmp', '999999-crashed');
    mkdirSync(leftover, { recursive: true });
    writeFileSync(path.join(leftover, 'sort-1.spill'), 'rows of a sort that never finished');
    await client.close();
    const first = keel;
    await first.kill9();
    keel = await first.restart();
    firstProcess = first;
    client = await connectRaw(keel.clientConfig());
    expect(readdirSync(path.join(keel.dataDir, 'pgsql_tmp'))).not.toContain('999999-crashed');
    expect(await ok('SELECT 1')).toEqual([['1']]);
  }, 120_000);
});
