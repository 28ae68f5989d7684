/**
 * postgres.js (the `postgres` package), its typical workflow against a real node: tagged
 * template queries with parameters (extended protocol, prepared statements), dynamic inserts of
 * objects, sql.begin transactions committed and rolled back, errors with their SQLSTATE, a
 * large result read with .cursor(), and query.cancel(), which sends the protocol's CancelRequest.
 */
import { KeelProcess } from '@keel/testkit';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdRowLock, waitUntilWaiting } from './client-workflow.js';

let node: KeelProcess;
let sql: postgres.Sql;

beforeAll(async () => {
  node = await KeelProcess.start();
  sql = postgres({ ...node.clientConfig(), username: 'keel', max: 3, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await node?.dispose();
});

describe('postgres.js', () => {
  it('creates a schema, inserts objects and queries with parameters', async () => {
    await sql`CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, age int, joined date DEFAULT current_date)`;
    const inserted = await sql`INSERT INTO users ${sql([
      { name: 'ada', age: 36 },
      { name: 'linus', age: 54 },
    ])} RETURNING id, name`;
    expect(inserted.map((r) => r.name)).toEqual(['ada', 'linus']);
    const minimum = 40;
    const found = await sql`SELECT name, age FROM users WHERE age > ${minimum} ORDER BY id`;
    expect([...found]).toEqual([{ name: 'linus', age: 54 }]);
    const [ada] = await sql`SELECT joined FROM users WHERE name = ${'ada'}`;
    expect(ada?.joined).toBeInstanceOf(Date);
  });

  it('commits and rolls back transactions and reports errors', async () => {
    await sql.begin(async (tx) => {
      await tx`UPDATE users SET age = age + 1 WHERE name = 'ada'`;
    });
    await expect(
      sql.begin(async (tx) => {
        await tx`UPDATE users SET age = 0`;
        await tx`INSERT INTO users (id, name) VALUES (1, 'duplicate')`;
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const ages = await sql`SELECT age FROM users ORDER BY id`;
    expect(ages.map((r) => r.age)).toEqual([37, 54]);
  });

  it('reads a large result with a cursor', async () => {
    await sql`CREATE TABLE series AS SELECT g AS n FROM generate_series(1, 25000) AS g`;
    let total = 0;
    let sum = 0;
    for await (const rows of sql`SELECT n FROM series`.cursor(2000)) {
      total += rows.length;
      for (const row of rows) sum += row.n as number;
    }
    expect(total).toBe(25_000);
    expect(sum).toBe((25_000 * 25_001) / 2);
  });

  it('cancels a waiting query with CancelRequest', async () => {
    const lock = await holdRowLock(node, 'users', 1);
    try {
      const query = sql`UPDATE users SET age = 1 WHERE id = 1 /* postgres-js-cancel */`;
      const outcome = query.then(
        () => null,
        (error: unknown) => error,
      );
      await waitUntilWaiting(node, 'postgres-js-cancel');
      query.cancel();
      expect(await outcome).toMatchObject({ code: '57014' });
      expect(await sql`SELECT 1 AS ok`).toEqual([{ ok: 1 }]);
    } finally {
      await lock.release();
    }
  });
});
