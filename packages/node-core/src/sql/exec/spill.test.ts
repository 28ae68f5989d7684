/**
 * Sorts and hash aggregates beyond work_mem (issue 6, point 6): they spill to temp files under
 * the execution's tempDir, return the same rows as in memory, say so in EXPLAIN ANALYZE, follow
 * the session's work_mem, and leave no file behind (after the end, and after an early close).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { prepareQuery } from '../index.js';
import { loadParser, parseSql } from '../parse/parser.js';
import { TypeOid } from '../plan/registry/registry.js';
import { MemoryDatabase } from '../testing/memory-database.js';

const rowCount = 30_000;
let db: MemoryDatabase;
let tempDir: string;

beforeEach(async () => {
  await loadParser();
  tempDir = mkdtempSync(join(tmpdir(), 'keel-spill-test-'));
  db = new MemoryDatabase();
  db.createTable('big', [
    { name: 'id', type: TypeOid.int4 },
    { name: 'g', type: TypeOid.int4 },
    { name: 'label', type: TypeOid.text },
    { name: 'amount', type: TypeOid.numeric },
  ]);
  // A permutation of 0..n-1 (7919 is prime to n), so the input is far from sorted.
  await query(
    `INSERT INTO big SELECT (i * 7919) % ${rowCount}, i % 9000, 'label-' || ((i * 31) % 1000), (i % 97) / 4.0 FROM generate_series(0, ${rowCount - 1}) i`,
  );
});

afterEach(() => {
  rmSync(tempDir, { recursive: true, force: true });
});

function execution(sql: string) {
  const [statement] = parseSql(sql);
  if (statement === undefined) throw new Error('no statement');
  return prepareQuery(statement, db.planning(), []).execute(db.execution([], join(tempDir, 'pgsql_tmp')));
}

async function query(sql: string): Promise<unknown[][]> {
  return execution(sql).fetch(0);
}

async function plan(sql: string): Promise<string> {
  return (await query(`EXPLAIN ANALYZE ${sql}`)).map((r) => r[0]).join('\n');
}

function tempFiles(): string[] {
  try {
    return readdirSync(join(tempDir, 'pgsql_tmp'));
  } catch {
    return [];
  }
}

describe('sort beyond work_mem', () => {
  const sql = 'SELECT id, label FROM big ORDER BY label DESC, id';

  test('spills sorted runs, merges them into the in-memory order, and removes them', async () => {
    db.settings.set('work_mem', '4MB');
    const inMemory = await query(sql);
    expect(await plan(sql)).toMatch(/Sort Method: quicksort {2}Memory: \d+kB/);
    db.settings.set('work_mem', '64kB');
    const spilled = await query(sql);
    expect(spilled).toHaveLength(rowCount);
    expect(spilled).toEqual(inMemory);
    expect(await plan(sql)).toMatch(/Sort Method: external merge {2}Disk: \d+kB/);
    expect(tempFiles()).toEqual([]);
  });

  test('the merged order is right (checked against a JS sort)', async () => {
    db.settings.set('work_mem', '64kB');
    const rows = (await query('SELECT g, id FROM big ORDER BY g')) as [number, number][];
    const expected = [...rows].sort((a, b) => a[0] - b[0]);
    expect(rows.map((r) => r[0])).toEqual(expected.map((r) => r[0]));
  });

  test('a cursor closed in the middle of the merge leaves no temp file', async () => {
    db.settings.set('work_mem', '64kB');
    const run = execution(sql);
    const first = await run.fetch(5);
    expect(first).toHaveLength(5);
    expect(tempFiles().length).toBeGreaterThan(1);
    await run.close();
    expect(tempFiles()).toEqual([]);
  });
});

describe('top-N sort', () => {
  test('keeps the first rows of the full (stable) sort, ties included', async () => {
    const full = await query('SELECT g, id FROM big ORDER BY g DESC');
    for (const [limit, offset] of [
      [1, 0],
      [50, 0],
      [700, 0],
      [100, 2000],
    ] as const) {
      const top = await query(`SELECT g, id FROM big ORDER BY g DESC LIMIT ${limit} OFFSET ${offset}`);
      expect(top).toEqual(full.slice(offset, offset + limit));
    }
    expect(await plan('SELECT g, id FROM big ORDER BY g DESC LIMIT 50')).toMatch(
      /Sort Method: top-N heapsort/,
    );
  });
});

describe('hash aggregation beyond work_mem', () => {
  const sql = 'SELECT g, count(*), sum(amount), min(label), count(DISTINCT label) FROM big GROUP BY g';

  test('spills partitions and returns the same groups as in memory', async () => {
    db.settings.set('work_mem', '4MB');
    const inMemory = await query(sql);
    expect(await plan(sql)).toMatch(/Batches: 1 {2}Memory Usage: \d+kB$/m);
    db.settings.set('work_mem', '64kB');
    const spilled = await query(sql);
    expect(spilled).toHaveLength(9000);
    const byGroup = (rows: unknown[][]) =>
      [...rows].map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).sort();
    expect(byGroup(spilled)).toEqual(byGroup(inMemory));
    expect(await plan(sql)).toMatch(/Batches: \d+ {2}Memory Usage: \d+kB {2}Disk Usage: \d+kB/);
    expect(tempFiles()).toEqual([]);
  });

  test('EXPLAIN (ANALYZE, FORMAT JSON) reports batches and disk with PostgreSQL 15 keys', async () => {
    db.settings.set('work_mem', '64kB');
    const json = (await query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql} ORDER BY 1`))[0]?.[0];
    const sort = JSON.parse(String(json))[0].Plan;
    expect(sort).toMatchObject({
      'Node Type': 'Sort',
      'Sort Method': 'external merge',
      'Sort Space Type': 'Disk',
    });
    expect(sort['Sort Space Used']).toBeGreaterThan(0);
    const agg = sort.Plans[0];
    expect(agg['Node Type']).toBe('HashAggregate');
    expect(agg['HashAgg Batches']).toBeGreaterThan(1);
    expect(agg['Disk Usage']).toBeGreaterThan(0);
    expect(agg.Batches).toBeUndefined();
  });

  test('work_mem is read per execution: a larger setting keeps the same query in memory', async () => {
    db.settings.set('work_mem', '64kB');
    expect(await plan(sql)).toMatch(/Disk Usage/);
    db.settings.set('work_mem', '1GB');
    expect(await plan(sql)).not.toMatch(/Disk Usage/);
  });
});
