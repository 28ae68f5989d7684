/**
 * The foundation's SQL path through both query protocols of node-postgres: DDL, multi-row
 * INSERT with RETURNING, SELECT with expressions/WHERE/ORDER BY/LIMIT, UPDATE, DELETE,
 * transactions, and PostgreSQL's SQLSTATEs for the usual mistakes.
 */
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let node: KeelProcess;
let client: pg.Client;

beforeAll(async () => {
  node = await KeelProcess.start();
  client = new pg.Client(node.clientConfig());
  await client.connect();
});

afterAll(async () => {
  await client.end();
  await node.dispose();
});

describe('SQL basics', () => {
  it('creates a table, inserts several rows with RETURNING, and reads them back in order', async () => {
    await client.query(
      'CREATE TABLE items (id int4 PRIMARY KEY, qty int8, name text, active bool, price float8)',
    );
    const inserted = await client.query(
      "INSERT INTO items VALUES (1, 10, 'apple', true, 1.5), (2, 20, 'pear', false, 2.25), (3, 30, 'plum', true, 0.5) RETURNING id, name",
    );
    expect(inserted.command).toBe('INSERT');
    expect(inserted.rowCount).toBe(3);
    expect(inserted.rows).toEqual([
      { id: 1, name: 'apple' },
      { id: 2, name: 'pear' },
      { id: 3, name: 'plum' },
    ]);
    const selected = await client.query(
      'SELECT id, qty * 2 AS double, upper(name) AS shout FROM items WHERE active ORDER BY id DESC LIMIT 5',
    );
    expect(selected.rows).toEqual([
      { id: 3, double: '60', shout: 'PLUM' },
      { id: 1, double: '20', shout: 'APPLE' },
    ]);
  });

  it('runs parameterized queries through the extended protocol, with text and binary results', async () => {
    const result = await client.query({ text: 'SELECT name, price FROM items WHERE id = $1', values: [2] });
    expect(result.rows).toEqual([{ name: 'pear', price: 2.25 }]);
    // node-postgres supports binary results (every column in format 1) though its types omit the flag.
    const binaryQuery = {
      text: 'SELECT id, qty FROM items WHERE id = $1',
      values: [3],
      binary: true,
    } as pg.QueryConfig;
    const binary = await client.query(binaryQuery);
    expect(binary.rows[0].id).toBe(3);
    const named = { name: 'by-name', text: 'SELECT id FROM items WHERE name = $1', values: ['apple'] };
    expect((await client.query(named)).rows).toEqual([{ id: 1 }]);
    expect((await client.query({ ...named, values: ['plum'] })).rows).toEqual([{ id: 3 }]);
  });

  it('updates and deletes with the right row counts', async () => {
    const updated = await client.query('UPDATE items SET qty = qty + 1 WHERE id >= 2');
    expect(updated.rowCount).toBe(2);
    const deleted = await client.query('DELETE FROM items WHERE id = 2');
    expect(deleted.rowCount).toBe(1);
    expect((await client.query('SELECT id, qty FROM items ORDER BY id')).rows).toEqual([
      { id: 1, qty: '10' },
      { id: 3, qty: '31' },
    ]);
  });

  it('commits and rolls back transactions', async () => {
    await client.query('BEGIN');
    await client.query("INSERT INTO items VALUES (10, 1, 'kept', true, 1)");
    await client.query('COMMIT');
    await client.query('BEGIN');
    await client.query("INSERT INTO items VALUES (11, 1, 'dropped', true, 1)");
    await client.query('ROLLBACK');
    expect((await client.query('SELECT id FROM items WHERE id >= 10 ORDER BY id')).rows).toEqual([
      { id: 10 },
    ]);
  });

  it('runs several statements in one simple query as one implicit transaction', async () => {
    const results = (await client.query(
      "INSERT INTO items VALUES (20, 1, 'a', true, 1); SELECT count(*) AS n FROM items WHERE id = 20",
    )) as unknown as pg.QueryResult[];
    expect(results).toHaveLength(2);
    expect(results[1]?.rows).toEqual([{ n: '1' }]);
    await expect(
      client.query("INSERT INTO items VALUES (21, 1, 'b', true, 1); SELECT 1/0"),
    ).rejects.toMatchObject({ code: '22012' });
    expect((await client.query('SELECT count(*) AS n FROM items WHERE id = 21')).rows).toEqual([{ n: '0' }]);
  });

  it('reports PostgreSQL SQLSTATEs for the usual mistakes', async () => {
    await expect(client.query('SELECT * FROM missing_table')).rejects.toMatchObject({ code: '42P01' });
    await expect(client.query('SELECT no_such_column FROM items')).rejects.toMatchObject({ code: '42703' });
    await expect(client.query("INSERT INTO items VALUES (1, 1, 'dup', true, 1)")).rejects.toMatchObject({
      code: '23505',
      detail: 'Key (id)=(1) already exists.',
    });
    const syntax = await client.query('SELEC 1').catch((error: unknown) => error);
    expect(syntax).toMatchObject({ code: '42601', position: '1' });
  });

  it('keeps a failed transaction block aborted (25P02) until ROLLBACK, and COMMIT then reports ROLLBACK', async () => {
    await client.query('BEGIN');
    await expect(client.query('SELECT * FROM missing_table')).rejects.toMatchObject({ code: '42P01' });
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    const commit = await client.query('COMMIT');
    expect(commit.command).toBe('ROLLBACK');
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('drops a table', async () => {
    await client.query('DROP TABLE items');
    await expect(client.query('SELECT * FROM items')).rejects.toMatchObject({ code: '42P01' });
  });
});
