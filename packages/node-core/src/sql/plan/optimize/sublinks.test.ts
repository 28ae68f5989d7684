/**
 * Sub-queries in every position a plan node holds an expression. Each of these shapes once
 * reached the executor unplanned and failed the invariant "sub-links are planned into Apply
 * nodes before execution" (which stops the node); TypeORM's `synchronize` hit it through
 * LEFT JOIN ... ON x = (correlated sub-query). Shapes without a sound plan are 0A000 at plan
 * time. The same shapes run against PostgreSQL 15 in testdata/sql-corpus/19-sublink-positions.sql.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { MemoryDatabase } from '../../testing/memory-database.js';
import { runSql } from '../../testing/run-sql.js';
import { TypeOid } from '../registry/registry.js';

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

async function rows(sql: string): Promise<unknown[][]> {
  return (await runSql(db, sql)).rows;
}

describe('sub-queries in join conditions', () => {
  test("TypeORM's shape: LEFT JOIN ... ON col = (sub-query correlated to the left side)", async () => {
    db.createTable('cls', [
      { name: 'oid', type: TypeOid.int4 },
      { name: 'relname', type: TypeOid.text },
    ]);
    db.createTable('attr', [
      { name: 'attrelid', type: TypeOid.int4 },
      { name: 'attname', type: TypeOid.text },
      { name: 'attnum', type: TypeOid.int4 },
    ]);
    db.createTable('cols', [
      { name: 'table_name', type: TypeOid.text },
      { name: 'column_name', type: TypeOid.text },
    ]);
    await runSql(db, "INSERT INTO cls VALUES (100, 'emp'), (200, 'dept')");
    await runSql(db, "INSERT INTO attr VALUES (100, 'id', 1), (100, 'name', 2), (200, 'id', 1)");
    await runSql(db, "INSERT INTO cols VALUES ('emp', 'id'), ('emp', 'name'), ('dept', 'id'), ('gone', 'x')");
    const r = await rows(
      'SELECT c.table_name, c.column_name, a.attnum FROM cols c LEFT JOIN attr a ON a.attname = c.column_name AND a.attrelid = (SELECT cls.oid FROM cls WHERE cls.relname = c.table_name) ORDER BY 1, 2',
    );
    expect(r).toEqual([
      ['dept', 'id', 1],
      ['emp', 'id', 1],
      ['emp', 'name', 2],
      ['gone', 'x', null],
    ]);
  });

  test('LEFT JOIN keeps unmatched rows when the ON sub-query reads the left, the right or both sides', async () => {
    expect(
      await rows(
        'SELECT t.id, u.tag FROM t LEFT JOIN u ON u.tid = t.id AND u.tag = (SELECT max(tag) FROM u u2 WHERE u2.tid = t.id) ORDER BY 1',
      ),
    ).toEqual([
      [1, 'y'],
      [2, null],
      [3, 'z'],
    ]);
    expect(
      await rows(
        "SELECT t.id, u.tag FROM t LEFT JOIN u ON u.tid = t.id AND EXISTS (SELECT 1 FROM u u2 WHERE u2.tid = t.id AND u2.tag = 'y') ORDER BY 1, 2",
      ),
    ).toEqual([
      [1, 'x'],
      [1, 'y'],
      [2, null],
      [3, null],
    ]);
    expect(
      await rows(
        "SELECT t.id, u.tag FROM t LEFT JOIN u ON u.tid = t.id AND u.tag IN (SELECT tag FROM u WHERE tag > 'x') ORDER BY 1, 2",
      ),
    ).toEqual([
      [1, 'y'],
      [2, null],
      [3, 'z'],
    ]);
    expect(
      await rows(
        'SELECT t.id, u.tag FROM t LEFT JOIN u ON u.tid = t.id AND u.tag = (SELECT min(tag) FROM u u2 WHERE u2.tid = t.id AND u2.tag >= u.tag) ORDER BY 1, 2',
      ),
    ).toEqual([
      [1, 'x'],
      [1, 'y'],
      [2, null],
      [3, 'z'],
    ]);
  });

  test('inner, right and full joins', async () => {
    expect(
      await rows(
        'SELECT t.id, u.tag FROM t JOIN u ON u.tid = t.id AND u.tag = (SELECT max(tag) FROM u u2 WHERE u2.tid = t.id) ORDER BY 1',
      ),
    ).toEqual([
      [1, 'y'],
      [3, 'z'],
    ]);
    expect(
      await rows(
        'SELECT t.id, u.tag FROM t RIGHT JOIN u ON u.tid = t.id AND t.name = (SELECT min(name) FROM t t2 WHERE t2.score > 5) ORDER BY 2',
      ),
    ).toEqual([
      [1, 'x'],
      [1, 'y'],
      [null, 'z'],
    ]);
    expect(
      await rows(
        "SELECT t.id, u.tag FROM t FULL JOIN u ON u.tid = t.id AND u.tag IN (SELECT tag FROM u WHERE tag <> 'x') ORDER BY 1, 2",
      ),
    ).toEqual([
      [1, 'y'],
      [2, null],
      [3, 'z'],
      [null, 'x'],
    ]);
  });

  test('a sub-query reading both sides of a RIGHT or FULL join is 0A000, not a crash', async () => {
    for (const type of ['RIGHT', 'FULL'])
      await expect(
        runSql(
          db,
          `SELECT t.id FROM t ${type} JOIN u ON u.tid = t.id AND u.tag = (SELECT max(tag) FROM u u2 WHERE u2.tid = t.id AND u2.tag <> u.tag)`,
        ),
      ).rejects.toMatchObject({ sqlstate: '0A000' });
  });
});

describe('sub-queries evaluated per row below other nodes', () => {
  test('aggregate arguments, FILTER, ORDER BY inside the call and GROUP BY keys', async () => {
    expect(await rows('SELECT sum((SELECT count(*) FROM u WHERE u.tid = t.id))::int4 FROM t')).toEqual([[3]]);
    expect(await rows('SELECT count(*) FILTER (WHERE id IN (SELECT tid FROM u)) FROM t')).toEqual([[2n]]);
    expect(
      await rows(
        "SELECT string_agg(name, ',' ORDER BY (SELECT count(*) FROM u WHERE tid = t.id), id) FROM t",
      ),
    ).toEqual([['b,c,a']]);
    expect(
      await rows(
        'SELECT (SELECT count(*) FROM u WHERE u.tid = t.id) c, count(*) FROM t GROUP BY c ORDER BY 1',
      ),
    ).toEqual([
      [0n, 1n],
      [1n, 1n],
      [2n, 1n],
    ]);
  });

  test('window keys, sort keys and DISTINCT', async () => {
    expect(
      await rows(
        'SELECT id, row_number() OVER (ORDER BY (SELECT count(*) FROM u WHERE u.tid = t.id), id) FROM t ORDER BY 1',
      ),
    ).toEqual([
      [1, 3n],
      [2, 1n],
      [3, 2n],
    ]);
    expect(
      await rows('SELECT id FROM t ORDER BY (SELECT count(*) FROM u WHERE u.tid = t.id) DESC, id'),
    ).toEqual([[1], [3], [2]]);
    expect(
      await rows('SELECT DISTINCT (SELECT count(*) FROM u WHERE u.tid = t.id) > 0 FROM t ORDER BY 1'),
    ).toEqual([[false], [true]]);
  });

  test('a sub-query among the left operands of another', async () => {
    expect(await rows('SELECT (SELECT 1) IN (SELECT tid FROM u)')).toEqual([[true]]);
    expect(
      await rows(
        'SELECT id FROM t WHERE (SELECT max(tid) FROM u WHERE u.tid = t.id) IN (SELECT tid FROM u) ORDER BY 1',
      ),
    ).toEqual([[1], [3]]);
  });
});

describe('sub-queries computed once per execution', () => {
  test('LIMIT and OFFSET', async () => {
    expect(
      await rows("SELECT id FROM t ORDER BY id LIMIT (SELECT count(*) FROM u WHERE tag <> 'x')"),
    ).toEqual([[1], [2]]);
    expect(await rows('SELECT id FROM t ORDER BY id OFFSET (SELECT count(*) - 1 FROM u)')).toEqual([[3]]);
  });

  test('VALUES rows, in a query and in INSERT', async () => {
    expect(await rows('VALUES ((SELECT count(*) FROM u)), (2)')).toEqual([[3n], [2n]]);
    expect(await rows("INSERT INTO u VALUES ((SELECT max(id) FROM t), 'q') RETURNING tid, tag")).toEqual([
      [3, 'q'],
    ]);
  });

  test('function-scan arguments, also LATERAL', async () => {
    expect(await rows('SELECT g FROM generate_series(1, (SELECT count(*)::int4 FROM u)) g')).toEqual([
      [1],
      [2],
      [3],
    ]);
    expect(
      await rows(
        'SELECT t.id, g FROM t, LATERAL generate_series(1, (SELECT count(*)::int4 FROM u WHERE u.tid = t.id)) g ORDER BY 1, 2',
      ),
    ).toEqual([
      [1, 1],
      [1, 2],
      [3, 1],
    ]);
  });
});

describe('positions without a plan are 0A000 at plan time', () => {
  test('window frame offsets and ON CONFLICT DO UPDATE', async () => {
    await expect(
      runSql(
        db,
        'SELECT sum(id) OVER (ORDER BY id ROWS BETWEEN (SELECT 1) PRECEDING AND CURRENT ROW) FROM t',
      ),
    ).rejects.toMatchObject({ sqlstate: '0A000' });
    await expect(
      runSql(
        db,
        "INSERT INTO t VALUES (1, 'a', 1) ON CONFLICT (id) DO UPDATE SET score = (SELECT count(*) FROM u)",
      ),
    ).rejects.toMatchObject({ sqlstate: '0A000' });
  });
});
