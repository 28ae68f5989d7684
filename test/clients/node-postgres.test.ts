/**
 * node-postgres (pg) with pg-cursor and pg-copy-streams, its typical workflow against a real
 * node: pool, schema, parameterised inserts and queries (extended protocol, typed results),
 * a transaction rolled back, errors with their SQLSTATE and fields, a large result read through
 * a cursor in batches, COPY in and out, and a statement waiting on a row lock cancelled from
 * another session with pg_cancel_backend (pg has no public CancelRequest API; the protocol's
 * CancelRequest is exercised by the postgres.js, psycopg2 and JDBC tests).
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelBackend, holdRowLock, waitUntilWaiting } from './client-workflow.js';

let node: KeelProcess;
let pool: pg.Pool;

beforeAll(async () => {
  node = await KeelProcess.start();
  pool = new pg.Pool({ ...node.clientConfig(), max: 4 });
});

afterAll(async () => {
  await pool?.end();
  await node?.dispose();
});

describe('node-postgres', () => {
  it('creates a schema, inserts with parameters and reads typed values back', async () => {
    await pool.query(`CREATE TABLE accounts (id serial PRIMARY KEY, email text UNIQUE NOT NULL,
      balance numeric(12,2) NOT NULL DEFAULT 0, active boolean NOT NULL DEFAULT true, opened timestamptz DEFAULT now(),
      tags text[], profile jsonb)`);
    for (const [email, balance] of [
      ['ada@example.com', '10.50'],
      ['bob@example.com', '0'],
    ]) {
      await pool.query('INSERT INTO accounts (email, balance, tags, profile) VALUES ($1, $2, $3, $4)', [
        email,
        balance,
        ['a', 'b'],
        { plan: 'pro' },
      ]);
    }
    const result = await pool.query(
      'SELECT id, email, balance, active, tags, profile, opened FROM accounts WHERE balance > $1',
      ['1'],
    );
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({
      email: 'ada@example.com',
      balance: '10.50',
      active: true,
      tags: ['a', 'b'],
    });
    expect(result.rows[0].profile).toEqual({ plan: 'pro' });
    expect(result.rows[0].opened).toBeInstanceOf(Date);
    expect(result.fields.map((f) => f.dataTypeID)).toEqual([23, 25, 1700, 16, 1009, 3802, 1184]);
  });

  it('rolls back a transaction and reports constraint errors with their fields', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("UPDATE accounts SET balance = balance - 5 WHERE email = 'ada@example.com'");
      await client.query('ROLLBACK');
      const after = await client.query("SELECT balance FROM accounts WHERE email = 'ada@example.com'");
      expect(after.rows[0]).toEqual({ balance: '10.50' });
      await expect(
        client.query("INSERT INTO accounts (email) VALUES ('ada@example.com')"),
      ).rejects.toMatchObject({
        code: '23505',
        constraint: 'accounts_email_key',
        table: 'accounts',
      });
      await expect(client.query('SELECT nope FROM accounts')).rejects.toMatchObject({ code: '42703' });
    } finally {
      client.release();
    }
  });

  it('reads a large result through a cursor in batches', async () => {
    await pool.query('CREATE TABLE numbers AS SELECT g AS n FROM generate_series(1, 30000) AS g');
    const client = await pool.connect();
    try {
      const cursor = client.query(new Cursor('SELECT n FROM numbers ORDER BY n'));
      let total = 0;
      let batches = 0;
      for (let rows = await cursor.read(1000); rows.length > 0; rows = await cursor.read(1000)) {
        total += rows.length;
        batches++;
      }
      await cursor.close();
      expect(total).toBe(30_000);
      expect(batches).toBe(30);
    } finally {
      client.release();
    }
  });

  it('streams COPY in and out with pg-copy-streams', async () => {
    const client = await pool.connect();
    try {
      await client.query('CREATE TABLE events (id int PRIMARY KEY, kind text)');
      const lines = Array.from({ length: 5000 }, (_v, i) => `${i},kind-${i % 3}\n`).join('');
      await pipeline(Readable.from([lines]), client.query(copyFrom('COPY events FROM STDIN (FORMAT csv)')));
      const chunks: Buffer[] = [];
      await pipeline(
        client.query(
          copyTo('COPY (SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind) TO STDOUT'),
        ),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      expect(Buffer.concat(chunks).toString()).toBe('kind-0\t1667\nkind-1\t1667\nkind-2\t1666\n');
    } finally {
      client.release();
    }
  });

  it('cancels a waiting statement', async () => {
    const lock = await holdRowLock(node, 'accounts', 1);
    const client = await pool.connect();
    try {
      const waiting = client
        .query('UPDATE accounts SET active = false WHERE id = 1 /* node-postgres-cancel */')
        .then(
          () => null,
          (error: unknown) => error,
        );
      await cancelBackend(node, await waitUntilWaiting(node, 'node-postgres-cancel'));
      expect(await waiting).toMatchObject({ code: '57014' });
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      client.release();
      await lock.release();
    }
  });
});
