import { beforeEach, describe, expect, test } from 'vitest';
import { TypeOid } from '../plan/registry/registry.js';
import { MemoryDatabase } from '../testing/memory-database.js';
import { runSql } from '../testing/run-sql.js';

let db: MemoryDatabase;

beforeEach(async () => {
  db = new MemoryDatabase();
  db.createTable(
    't',
    [
      { name: 'id', type: TypeOid.int4 },
      { name: 'name', type: TypeOid.text },
      { name: 'score', type: TypeOid.int4 },
    ],
    ['id'],
  );
  db.createTable('u', [
    { name: 'tid', type: TypeOid.int4 },
    { name: 'tag', type: TypeOid.text },
  ]);
  await runSql(db, "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', NULL)");
  await runSql(db, "INSERT INTO u VALUES (1, 'x'), (1, 'y'), (3, 'z')");
});

describe('query processor', () => {
  test('select with where, order by and limit', async () => {
    const r = await runSql(db, 'SELECT id, name FROM t WHERE id > 1 ORDER BY id DESC LIMIT 1');
    expect(r.rows).toEqual([[3, 'c']]);
    expect(r.tag).toBe('SELECT 1');
  });

  test('insert returning and command tag', async () => {
    const r = await runSql(db, "INSERT INTO t (id, name) VALUES (4, 'd') RETURNING id, score");
    expect(r.rows).toEqual([[4, null]]);
    expect(r.tag).toBe('INSERT 0 1');
  });

  test('update and delete', async () => {
    expect((await runSql(db, 'UPDATE t SET score = score + 1 WHERE score IS NOT NULL')).tag).toBe('UPDATE 2');
    expect((await runSql(db, 'SELECT sum(score) FROM t')).rows).toEqual([[32n]]);
    expect((await runSql(db, 'DELETE FROM t WHERE id = 3 RETURNING name')).rows).toEqual([['c']]);
  });

  test('joins, aggregates and subqueries', async () => {
    const r = await runSql(
      db,
      'SELECT t.name, count(u.tag) FROM t LEFT JOIN u ON u.tid = t.id GROUP BY t.name ORDER BY 1',
    );
    expect(r.rows).toEqual([
      ['a', 2n],
      ['b', 0n],
      ['c', 1n],
    ]);
    const s = await runSql(
      db,
      'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.tid = t.id) ORDER BY id',
    );
    expect(s.rows).toEqual([[1], [3]]);
    const n = await runSql(db, 'SELECT id, (SELECT max(tag) FROM u WHERE u.tid = t.id) FROM t ORDER BY id');
    expect(n.rows).toEqual([
      [1, 'y'],
      [2, null],
      [3, 'z'],
    ]);
  });

  test('window functions, set operations and recursive CTE', async () => {
    const w = await runSql(db, 'SELECT id, row_number() OVER (ORDER BY id DESC) FROM t ORDER BY id');
    expect(w.rows).toEqual([
      [1, 3n],
      [2, 2n],
      [3, 1n],
    ]);
    const u = await runSql(db, 'SELECT tid FROM u UNION SELECT id FROM t ORDER BY 1');
    expect(u.rows).toEqual([[1], [2], [3]]);
    const c = await runSql(
      db,
      'WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5) SELECT sum(n) FROM s',
    );
    expect(c.rows).toEqual([[15n]]);
  });

  test('binding errors carry SQLSTATE and position', async () => {
    await expect(runSql(db, 'SELECT nope FROM t')).rejects.toMatchObject({ sqlstate: '42703', position: 8 });
    await expect(runSql(db, 'SELECT * FROM missing')).rejects.toMatchObject({
      sqlstate: '42P01',
      position: 15,
    });
    await expect(runSql(db, 'SELECT tid FROM u, u AS v')).rejects.toMatchObject({ sqlstate: '42702' });
    await expect(runSql(db, 'SELECT name, count(*) FROM t')).rejects.toMatchObject({ sqlstate: '42803' });
  });

  test('constraints: not null and unique', async () => {
    await expect(runSql(db, "INSERT INTO t VALUES (NULL, 'x', 1)")).rejects.toMatchObject({
      sqlstate: '23502',
    });
    await expect(runSql(db, "INSERT INTO t VALUES (1, 'x', 1)")).rejects.toMatchObject({ sqlstate: '23505' });
    const r = await runSql(
      db,
      "INSERT INTO t VALUES (1, 'x', 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name RETURNING name",
    );
    expect(r.rows).toEqual([['x']]);
  });

  test('parameters are inferred from context', async () => {
    const r = await runSql(db, 'SELECT name FROM t WHERE id = $1', [2]);
    expect(r.rows).toEqual([['b']]);
    await expect(runSql(db, 'SELECT $1')).rejects.toMatchObject({ sqlstate: '42P18' });
  });

  test('explain shows an index scan for a key lookup', async () => {
    const r = await runSql(db, 'EXPLAIN SELECT * FROM t WHERE id = 2');
    expect(String(r.rows[0]?.[0])).toMatch(/^Index Scan using t_pkey on t/);
  });
});
