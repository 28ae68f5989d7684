/**
 * The plan cache returns the same plan for the same text, parameter types, catalog version and
 * planning settings, a new one when any of them changes, and cached plans run correctly again and
 * concurrently, reading the clock at each execution.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { ExecutionContext } from './context.js';
import { loadParser, parseSql } from './parse/parser.js';
import { TypeOid } from './plan/registry/registry.js';
import { PlanCache } from './plan-cache.js';
import { MemoryDatabase } from './testing/memory-database.js';
import { runSql } from './testing/run-sql.js';

let db: MemoryDatabase;
let cache: PlanCache;

beforeEach(async () => {
  await loadParser();
  db = new MemoryDatabase();
  db.createTable(
    't',
    [
      { name: 'id', type: TypeOid.int4 },
      { name: 'v', type: TypeOid.text },
    ],
    ['id'],
  );
  await runSql(db, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  cache = new PlanCache(4);
});

function statement(sql: string) {
  const [s] = parseSql(sql);
  if (s === undefined) throw new Error('no statement');
  return s;
}

function planning(version: number | null) {
  return { ...db.planning(), catalogVersion: version };
}

async function rows(sql: string, version: number | null, ctx: ExecutionContext = db.execution()) {
  return cache.prepare(statement(sql), planning(version), []).execute(ctx).fetch(0);
}

describe('plan cache', () => {
  test('reuses a plan for the same text, version and settings', () => {
    const a = cache.prepare(statement('SELECT v FROM t WHERE id = 2'), planning(7), []);
    const b = cache.prepare(statement('SELECT v FROM t WHERE id = 2'), planning(7), []);
    expect(b).toBe(a);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  test('plans again for another catalog version, parameter types, search_path or TimeZone', () => {
    const sql = 'SELECT v FROM t WHERE id = $1';
    const first = cache.prepare(statement(sql), planning(1), [TypeOid.int4]);
    expect(cache.prepare(statement(sql), planning(2), [TypeOid.int4])).not.toBe(first);
    expect(cache.prepare(statement(sql), planning(1), [TypeOid.int8])).not.toBe(first);
    db.settings.set('search_path', 'other, public');
    expect(cache.prepare(statement(sql), planning(1), [TypeOid.int4])).not.toBe(first);
    db.settings.delete('search_path');
    db.settings.set('TimeZone', 'Europe/Paris');
    expect(cache.prepare(statement(sql), planning(1), [TypeOid.int4])).not.toBe(first);
  });

  test('does not cache without a catalog version, nor EXPLAIN', () => {
    const a = cache.prepare(statement('SELECT 1'), planning(null), []);
    expect(cache.prepare(statement('SELECT 1'), planning(null), [])).not.toBe(a);
    const e = cache.prepare(statement('EXPLAIN SELECT 1'), planning(3), []);
    expect(cache.prepare(statement('EXPLAIN SELECT 1'), planning(3), [])).not.toBe(e);
    expect(cache.stats.entries).toBe(0);
  });

  test('evicts the least recently used plan', () => {
    const keep = cache.prepare(statement('SELECT 0'), planning(1), []);
    for (let i = 1; i <= 4; i++) {
      cache.prepare(statement(`SELECT ${i}`), planning(1), []);
      cache.prepare(statement('SELECT 0'), planning(1), []);
    }
    expect(cache.prepare(statement('SELECT 0'), planning(1), [])).toBe(keep);
    expect(cache.stats.entries).toBe(4);
  });

  test('a cached plan runs again, and twice at once, with the right rows', async () => {
    const sql = 'SELECT id, v FROM t WHERE id >= 2 ORDER BY id';
    expect(await rows(sql, 5)).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    const prepared = cache.prepare(statement(sql), planning(5), []);
    const [x, y] = await Promise.all([
      prepared.execute(db.execution()).fetch(0),
      prepared.execute(db.execution()).fetch(0),
    ]);
    expect(x).toEqual(y);
    expect(x).toHaveLength(2);
    expect(cache.stats.hits).toBe(1);
  });

  test("a cached plan reads 'now' at each execution", async () => {
    const at = (micros: bigint) => ({
      ...db.execution(),
      transactionTimestamp: micros,
      statementTimestamp: micros,
    });
    const first = await rows("SELECT 'now'::timestamptz = now()", 9, at(1_000_000n));
    const second = await rows("SELECT 'now'::timestamptz, now()", 9, at(2_000_000n));
    expect(first).toEqual([[true]]);
    expect(second).toEqual([[2_000_000n, 2_000_000n]]);
  });

  test('prepares faster from the cache (printed, not asserted)', () => {
    const sql = 'SELECT t.v, count(*) FROM t JOIN t u ON u.id = t.id WHERE t.id > 1 GROUP BY t.v ORDER BY 1';
    const parsed = statement(sql);
    const time = (version: number | null) => {
      const started = performance.now();
      for (let i = 0; i < 200; i++) cache.prepare(parsed, planning(version), []);
      return (performance.now() - started) / 200;
    };
    const uncached = time(null);
    const cached = time(1);
    console.log(`plan cache: prepare ${uncached.toFixed(3)} ms uncached, ${cached.toFixed(4)} ms cached`);
    expect(cache.stats.hits).toBe(199);
  });
});
