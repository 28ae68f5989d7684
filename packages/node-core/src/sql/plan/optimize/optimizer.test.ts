/**
 * The optimizer's choices on controlled statistics: tables of a MemoryDatabase get synthetic
 * TableStats (row counts, distinct counts, MCVs, histograms, correlation), then plans are checked
 * for access paths, sort elimination, join order and join methods. The plans also run, so a
 * choice is only accepted with the right answer.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { ColumnStats, TableRelation, TableStats } from '../../../catalog/objects.js';
import { loadParser, parseSql } from '../../parse/parser.js';
import { MemoryDatabase } from '../../testing/memory-database.js';
import { runSql } from '../../testing/run-sql.js';
import type { JoinNode, PlanNode } from '../ir/logical.js';
import { planChildren } from '../ir/logical.js';
import { planStatement } from '../prepare.js';
import { TypeOid } from '../registry/registry.js';
import { buildStatsView } from './column-sources.js';
import { chooseJoin } from './join-method.js';

let db: MemoryDatabase;

function column(attnum: number, distinct: number, extra: Partial<ColumnStats> = {}): ColumnStats {
  return {
    attnum,
    nullFraction: 0,
    distinct,
    averageWidth: 4,
    mostCommon: [],
    histogram: [],
    correlation: 0,
    ...extra,
  };
}

function setStats(table: TableRelation, rowCount: number, columns: ColumnStats[]): void {
  const stats: TableStats = {
    rowCount,
    pageCount: Math.max(1, Math.ceil(rowCount / 100)),
    columns,
    analyzedAt: '',
  };
  table.stats = stats;
}

function histogram(from: number, to: number, bounds = 101): string[] {
  return Array.from({ length: bounds }, (_, i) =>
    String(Math.round(from + ((to - from) * i) / (bounds - 1))),
  );
}

async function plan(sql: string): Promise<PlanNode> {
  await loadParser();
  const [statement] = parseSql(sql);
  if (statement === undefined) throw new Error('no statement');
  return planStatement(statement.node, sql, db.planning(), []).plan;
}

function nodes(p: PlanNode): PlanNode[] {
  return [p, ...planChildren(p).flatMap(nodes)];
}

function joins(p: PlanNode): JoinNode[] {
  return nodes(p).filter((n): n is JoinNode => n.kind === 'join');
}

function scanOf(p: PlanNode, table: string) {
  const found = nodes(p).find((n) => n.kind === 'scan' && n.table.name === table);
  if (found === undefined || found.kind !== 'scan') throw new Error(`no scan of ${table}`);
  return found;
}

function tablesUnder(p: PlanNode): string[] {
  return nodes(p).flatMap((n) => (n.kind === 'scan' ? [n.table.name] : []));
}

beforeEach(async () => {
  db = new MemoryDatabase();
  const big = db.createTable(
    'big',
    [
      { name: 'id', type: TypeOid.int4 },
      { name: 'mid_id', type: TypeOid.int4 },
      { name: 'score', type: TypeOid.int4 },
    ],
    ['id'],
  );
  const mid = db.createTable(
    'mid',
    [
      { name: 'id', type: TypeOid.int4 },
      { name: 'small_id', type: TypeOid.int4 },
    ],
    ['id'],
  );
  const small = db.createTable(
    'small',
    [
      { name: 'id', type: TypeOid.int4 },
      { name: 'kind', type: TypeOid.text },
    ],
    ['id'],
  );
  db.createIndex('big_mid_idx', big, ['mid_id'], false);
  setStats(big, 1_000_000, [
    column(1, -1, { histogram: histogram(1, 1_000_000), correlation: 1 }),
    column(2, 10_000, { histogram: histogram(1, 10_000) }),
    column(3, 100, { histogram: histogram(0, 100) }),
  ]);
  setStats(mid, 10_000, [
    column(1, -1, { histogram: histogram(1, 10_000) }),
    column(2, 10, { histogram: histogram(1, 10) }),
  ]);
  setStats(small, 10, [
    column(1, -1, { histogram: histogram(1, 10, 10) }),
    column(2, 2, {
      mostCommon: [
        { value: 'x', frequency: 0.9 },
        { value: 'y', frequency: 0.1 },
      ],
    }),
  ]);
  await runSql(db, "INSERT INTO small VALUES (1, 'x'), (2, 'y'), (3, 'x')");
  await runSql(db, 'INSERT INTO mid VALUES (1, 1), (2, 2), (3, 3), (4, 2)');
  await runSql(db, 'INSERT INTO big VALUES (1, 1, 10), (2, 2, 20), (3, 4, 30), (4, 4, 90), (5, 3, 50)');
});

describe('access paths', () => {
  test('an equality on the key uses the primary key index', async () => {
    const s = scanOf(await plan('SELECT * FROM big WHERE id = 42'), 'big');
    expect(s.access.kind).toBe('index');
    expect(s.est?.rows).toBe(1);
  });

  test('a predicate matching most rows scans sequentially', async () => {
    const s = scanOf(await plan('SELECT * FROM big WHERE score > 1'), 'big');
    expect(s.access.kind).toBe('seq');
    expect(s.est?.rows).toBeGreaterThan(900_000);
  });

  test('a narrow range on an indexed column uses the index, a wide one does not', async () => {
    expect(scanOf(await plan('SELECT * FROM big WHERE mid_id BETWEEN 10 AND 12'), 'big').access.kind).toBe(
      'index',
    );
    expect(scanOf(await plan('SELECT * FROM big WHERE mid_id > 100'), 'big').access.kind).toBe('seq');
  });

  test('the most common value list drives equality estimates', async () => {
    const frequent = scanOf(await plan("SELECT * FROM small WHERE kind = 'x'"), 'small');
    const rare = scanOf(await plan("SELECT * FROM small WHERE kind = 'y'"), 'small');
    expect(frequent.est?.rows).toBe(9);
    expect(rare.est?.rows).toBe(1);
  });
});

describe('ORDER BY and LIMIT', () => {
  test('ORDER BY the key with LIMIT reads the index and needs no sort', async () => {
    const p = await plan('SELECT * FROM big ORDER BY id LIMIT 10');
    expect(nodes(p).some((n) => n.kind === 'sort')).toBe(false);
    expect(scanOf(p, 'big').access.kind).toBe('index');
    expect((await runSql(db, 'SELECT id FROM big ORDER BY id LIMIT 2')).rows).toEqual([[1], [2]]);
  });

  test('descending order reads the index backward', async () => {
    const p = await plan('SELECT id FROM big ORDER BY id DESC LIMIT 3');
    const s = scanOf(p, 'big');
    expect(s.access.kind === 'index' && s.access.direction).toBe('backward');
    expect((await runSql(db, 'SELECT id FROM big ORDER BY id DESC LIMIT 2')).rows).toEqual([[5], [4]]);
  });

  test('a sort under a constant LIMIT keeps only the top rows', async () => {
    const p = await plan('SELECT * FROM big ORDER BY score LIMIT 5');
    const sort = nodes(p).find((n) => n.kind === 'sort');
    expect(sort?.kind === 'sort' && sort.limit).toBe(5);
  });
});

describe('join order and methods', () => {
  test('joins avoid cartesian products and build hash tables on the smaller side', async () => {
    const p = await plan(
      "SELECT count(*) FROM big b, mid m, small s WHERE b.mid_id = m.id AND m.small_id = s.id AND s.kind = 'y'",
    );
    const js = joins(p);
    expect(js).toHaveLength(2);
    for (const j of js) expect(j.condition.length + j.keys.length).toBeGreaterThan(0);
    // small and mid meet first (they are the selective pair); big joins last.
    const top = js.find((j) => tablesUnder(j).length === 3);
    const lower = js.find((j) => tablesUnder(j).length === 2);
    expect(lower !== undefined && tablesUnder(lower).sort()).toEqual(['mid', 'small']);
    expect(top).toBeDefined();
    expect(
      (
        await runSql(
          db,
          "SELECT count(*) FROM big b, mid m, small s WHERE b.mid_id = m.id AND m.small_id = s.id AND s.kind = 'y'",
        )
      ).rows,
    ).toEqual([[3n]]);
  });

  test('a selective outer side probes the inner side through its index', async () => {
    const p = await plan('SELECT b.id FROM small s JOIN big b ON b.mid_id = s.id WHERE s.id = 2');
    const j = joins(p)[0];
    expect(j?.method).toBe('indexNested');
    expect(
      (await runSql(db, 'SELECT b.id FROM small s JOIN big b ON b.mid_id = s.id WHERE s.id = 2')).rows,
    ).toEqual([[2]]);
  });

  test('more than ten relations are ordered greedily, still without cartesian products', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `c${i}`);
    for (const n of names) {
      const t = db.createTable(
        n,
        [
          { name: 'id', type: TypeOid.int4 },
          { name: 'next', type: TypeOid.int4 },
        ],
        ['id'],
      );
      setStats(t, 100 * (names.indexOf(n) + 1), [column(1, -1), column(2, 50)]);
      await runSql(db, `INSERT INTO ${n} VALUES (1, 1), (2, 1)`);
    }
    const from = names.join(', ');
    const where = names
      .slice(1)
      .map((n, i) => `${names[i]}.next = ${n}.id`)
      .join(' AND ');
    const sql = `SELECT count(*) FROM ${from} WHERE ${where}`;
    const js = joins(await plan(sql));
    expect(js).toHaveLength(11);
    for (const j of js) expect(j.condition.length + j.keys.length).toBeGreaterThan(0);
    expect((await runSql(db, sql)).rows).toEqual([[2n]]);
  });

  test('inputs already in key order merge-join rather than hash', async () => {
    const p = await plan('SELECT * FROM big a JOIN big b ON a.id = b.id');
    const j = joins(p)[0];
    if (j === undefined) throw new Error('no join');
    const view = buildStatsView(p);
    const ordered = (n: PlanNode, id: number) => ({
      plan: n,
      rows: 1_000_000,
      cost: { startup: 0, total: 20_000 },
      ordering: [{ id, descending: false, nullsFirst: false }],
      base: null,
    });
    const key = j.keys[0];
    if (key === undefined || key.left.kind !== 'column' || key.right.kind !== 'column')
      throw new Error('no key');
    const choice = chooseJoin(
      db,
      view,
      'inner',
      ordered(j.left, key.left.id),
      ordered(j.right, key.right.id),
      [
        {
          kind: 'call',
          name: '=',
          args: [key.left, key.right],
          strict: true,
          volatility: 'immutable',
          argTypes: [23, 23],
          fn: () => null,
          comparison: '=',
          operator: 'infix',
          type: TypeOid.bool,
          typmod: -1,
        },
      ],
      1_000_000,
      false,
    );
    expect(choice.plan.kind === 'join' && choice.plan.method).toBe('merge');
    expect(nodes(choice.plan).some((n) => n.kind === 'sort')).toBe(false);
  });

  test('merge joins produce the same rows as hash joins', async () => {
    const rows = await runSql(
      db,
      'SELECT a.id, b.id FROM big a FULL JOIN mid b ON a.mid_id = b.id ORDER BY 1, 2',
    );
    expect(rows.rows).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
      [4, 4],
      [5, 3],
    ]);
  });
});
