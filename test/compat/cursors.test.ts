/**
 * SQL cursors as psql (FETCH_COUNT) and drivers' named cursors use them: DECLARE in a
 * transaction block, FETCH n / FETCH ALL / MOVE forward, CLOSE, WITH HOLD cursors that outlive
 * COMMIT, and PostgreSQL's errors (25P01 outside a block, 42P03 duplicate, 34000 unknown,
 * 55000 backward fetch on a forward-only cursor).
 */
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keelTarget, runPsql } from './psql-runner.js';

let node: KeelProcess;
let client: pg.Client;

beforeAll(async () => {
  node = await KeelProcess.start();
  client = new pg.Client(node.clientConfig());
  await client.connect();
  await client.query('CREATE TABLE numbers AS SELECT g AS n FROM generate_series(1, 2500) AS g');
});

afterAll(async () => {
  await client?.end();
  await node?.dispose();
});

const values = (result: pg.QueryResult) => result.rows.map((r) => r.n);

describe('cursors', () => {
  it('fetches forward in pieces and closes', async () => {
    await client.query('BEGIN');
    await client.query('DECLARE c NO SCROLL CURSOR FOR SELECT n FROM numbers WHERE n <= 10 ORDER BY n');
    expect(values(await client.query('FETCH 3 FROM c'))).toEqual([1, 2, 3]);
    expect(values(await client.query('FETCH NEXT FROM c'))).toEqual([4]);
    const moved = await client.query('MOVE 2 IN c');
    expect(moved.command).toBe('MOVE');
    expect(moved.rowCount).toBe(2);
    const rest = await client.query('FETCH ALL FROM c');
    expect(values(rest)).toEqual([7, 8, 9, 10]);
    expect(rest.command).toBe('FETCH');
    expect(values(await client.query('FETCH 5 FROM c'))).toEqual([]);
    await expect(client.query('FETCH BACKWARD 1 FROM c')).rejects.toMatchObject({ code: '55000' });
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await client.query('DECLARE c CURSOR FOR SELECT n FROM numbers');
    await expect(client.query('DECLARE c CURSOR FOR SELECT 1')).rejects.toMatchObject({ code: '42P03' });
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await client.query('DECLARE d CURSOR FOR SELECT n FROM numbers');
    await client.query('CLOSE d');
    await expect(client.query('FETCH 1 FROM d')).rejects.toMatchObject({ code: '34000' });
    await client.query('ROLLBACK');
  });

  it('ends cursors with their transaction unless WITH HOLD', async () => {
    await expect(client.query('DECLARE x CURSOR FOR SELECT 1')).rejects.toMatchObject({ code: '25P01' });
    await client.query('BEGIN');
    await client.query('DECLARE plain CURSOR FOR SELECT n FROM numbers ORDER BY n');
    await client.query('DECLARE kept CURSOR WITH HOLD FOR SELECT n FROM numbers ORDER BY n DESC');
    await client.query('COMMIT');
    await expect(client.query('FETCH 1 FROM plain')).rejects.toMatchObject({ code: '34000' });
    expect(values(await client.query('FETCH 2 FROM kept'))).toEqual([2500, 2499]);
    await client.query('CLOSE ALL');
    await expect(client.query('FETCH 1 FROM kept')).rejects.toMatchObject({ code: '34000' });
  });

  it('serves psql with FETCH_COUNT', () => {
    const out = runPsql(keelTarget(node), [
      '-At',
      '-v',
      'FETCH_COUNT=1000',
      '-c',
      'SELECT n FROM numbers ORDER BY n',
    ]);
    const lines = out.stdout.trim().split('\n');
    expect(out.stderr).toBe('');
    expect(lines).toHaveLength(2500);
    expect(lines[2499]).toBe('2500');
  });
});
