/**
 * Garbage collection against a real node: VACUUM removes the versions no snapshot can see,
 * from the heap and from every index (index scans stay right afterwards), keeps versions an
 * open snapshot may still read, and lets the freed space be reused, so a table updated over and
 * over stays at a bounded size; autovacuum does the same by itself from the dead-tuple counts
 * of pg_stat_user_tables, and ANALYZEs tables whose rows changed.
 */
import { KeelProcess, waitFor } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keelTarget, TestSession } from './support.js';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start({ env: { KEEL_AUTOVACUUM: 'off' } });
});

afterAll(async () => {
  await node.dispose();
});

interface VacuumReport {
  pages: number;
  removed: number;
  remain: number;
  notYetRemovable: number;
}

/** VACUUM (VERBOSE) of one table, with the numbers of its INFO report. */
async function vacuum(session: TestSession, table: string): Promise<VacuumReport> {
  const notices: string[] = [];
  const listener = (notice: { message?: string }) => notices.push(notice.message ?? '');
  session.client.on('notice', listener);
  try {
    await session.ok(`VACUUM (VERBOSE) ${table}`);
  } finally {
    session.client.off('notice', listener);
  }
  const report = notices.join('\n');
  const pages = /pages: \d+ removed, (\d+) remain/.exec(report);
  const tuples = /tuples: (\d+) removed, (\d+) remain, (\d+) are dead but not yet removable/.exec(report);
  if (pages === null || tuples === null) throw new Error(`no VACUUM VERBOSE report in: ${report}`);
  return {
    pages: Number(pages[1]),
    removed: Number(tuples[1]),
    remain: Number(tuples[2]),
    notYetRemovable: Number(tuples[3]),
  };
}

describe('VACUUM', () => {
  it('removes dead versions from the heap and its indexes; scans stay right', async () => {
    const s = await TestSession.open(keelTarget(node));
    try {
      await s.ok('CREATE TABLE churn (id int PRIMARY KEY, v int, tag text)');
      await s.ok('CREATE INDEX churn_v ON churn (v)');
      await s.ok("INSERT INTO churn SELECT g, g, 'x' FROM generate_series(1, 200) AS g");
      for (let round = 1; round <= 5; round++) await s.ok('UPDATE churn SET v = v + 1000');
      await s.ok('DELETE FROM churn WHERE id <= 50');
      await s.ok('BEGIN');
      await s.ok("INSERT INTO churn SELECT g, g, 'y' FROM generate_series(1001, 1020) AS g");
      await s.ok('ROLLBACK');
      const report = await vacuum(s, 'churn');
      // 5 x 200 superseded versions, 50 deleted rows, 20 rows of a rolled-back insert.
      expect(report).toMatchObject({ removed: 1070, remain: 150, notYetRemovable: 0 });
      expect(await s.ok('SELECT count(*) FROM churn')).toEqual([['150']]);
      expect(await s.ok('SELECT v FROM churn WHERE id = 120')).toEqual([['5120']]);
      expect(await s.ok('SELECT id FROM churn WHERE id = 20')).toEqual([]);
      expect(await s.ok('SELECT id FROM churn WHERE v = 5051')).toEqual([['51']]);
      expect(await s.ok('SELECT id FROM churn WHERE v = 51')).toEqual([]);
      expect(await s.ok('SELECT id FROM churn WHERE id = 1005')).toEqual([]);
      const stats = await s.ok(
        "SELECT n_live_tup, n_dead_tup, vacuum_count, n_tup_upd FROM pg_stat_user_tables WHERE relname = 'churn'",
      );
      expect(stats).toEqual([['150', '0', '1', '1000']]);
      // Freed slots are reused: new rows land in the existing pages.
      await s.ok("INSERT INTO churn SELECT g, g, 'z' FROM generate_series(2001, 2500) AS g");
      expect((await vacuum(s, 'churn')).pages).toBe(report.pages);
    } finally {
      await s.close();
    }
  });

  it('keeps versions an open snapshot can still see', async () => {
    const [s, reader] = await Promise.all([
      TestSession.open(keelTarget(node)),
      TestSession.open(keelTarget(node)),
    ]);
    try {
      await s.ok('CREATE TABLE held (id int PRIMARY KEY, v int)');
      await s.ok('INSERT INTO held SELECT g, 0 FROM generate_series(1, 10) AS g');
      await vacuum(s, 'held');
      await reader.ok('BEGIN ISOLATION LEVEL REPEATABLE READ');
      expect(await reader.ok('SELECT sum(v) FROM held')).toEqual([['0']]);
      await s.ok('UPDATE held SET v = 1');
      expect(await vacuum(s, 'held')).toMatchObject({ removed: 0, notYetRemovable: 10 });
      expect(await reader.ok('SELECT sum(v) FROM held')).toEqual([['0']]);
      await reader.ok('COMMIT');
      expect(await vacuum(s, 'held')).toMatchObject({ removed: 10, notYetRemovable: 0 });
      expect(await s.ok('SELECT sum(v) FROM held')).toEqual([['10']]);
    } finally {
      await s.close();
      await reader.close();
    }
  });

  it('lets space be reused: a table updated 3000 times stays at a bounded size', async () => {
    const s = await TestSession.open(keelTarget(node));
    try {
      const pad = "repeat('p', 100)";
      for (const table of ['steady', 'unvacuumed']) {
        await s.ok(`CREATE TABLE ${table} (id int PRIMARY KEY, n int, pad text)`);
        await s.ok(`INSERT INTO ${table} SELECT g, 0, ${pad} FROM generate_series(1, 100) AS g`);
      }
      const pages: number[] = [];
      for (let round = 0; round < 30; round++) {
        await s.ok('UPDATE steady SET n = n + 1');
        await s.ok('UPDATE unvacuumed SET n = n + 1');
        pages.push((await vacuum(s, 'steady')).pages);
      }
      const early = Math.max(...pages.slice(0, 5));
      expect(Math.max(...pages.slice(5)), `pages per round: ${pages.join(' ')}`).toBeLessThanOrEqual(early);
      // Without VACUUM the same workload keeps every version: many times the size.
      const unvacuumed = await vacuum(s, 'unvacuumed');
      expect(unvacuumed.pages).toBeGreaterThan(5 * early);
      expect(await s.ok('SELECT min(n), max(n), count(*) FROM steady')).toEqual([['30', '30', '100']]);
    } finally {
      await s.close();
    }
  });
});

describe('autovacuum', () => {
  let auto: KeelProcess;

  beforeAll(async () => {
    auto = await KeelProcess.start({
      env: {
        KEEL_AUTOVACUUM_NAPTIME_MS: '100',
        KEEL_AUTOVACUUM_VACUUM_THRESHOLD: '50',
        KEEL_AUTOVACUUM_VACUUM_SCALE_FACTOR: '0.2',
        KEEL_AUTOVACUUM_ANALYZE_THRESHOLD: '50',
        KEEL_AUTOVACUUM_ANALYZE_SCALE_FACTOR: '0.1',
      },
    });
  });

  afterAll(async () => {
    await auto.dispose();
  });

  it('vacuums and analyzes tables by itself once enough rows changed', async () => {
    const s = await TestSession.open(keelTarget(auto));
    try {
      expect(await s.ok('SHOW autovacuum_naptime')).toEqual([['100ms']]);
      expect(await s.ok('SHOW autovacuum')).toEqual([['on']]);
      await s.ok('CREATE TABLE busy (id int PRIMARY KEY, n int)');
      await s.ok('INSERT INTO busy SELECT g, 0 FROM generate_series(1, 500) AS g');
      await waitFor(
        async () => {
          const rows = await s.ok("SELECT autoanalyze_count FROM pg_stat_user_tables WHERE relname = 'busy'");
          return rows[0]?.[0] !== '0';
        },
        { what: 'autovacuum to analyze busy' },
      );
      for (let round = 0; round < 3; round++) await s.ok('UPDATE busy SET n = n + 1');
      await waitFor(
        async () => {
          const rows = await s.ok(
            "SELECT autovacuum_count, n_dead_tup FROM pg_stat_user_tables WHERE relname = 'busy'",
          );
          return rows[0]?.[0] !== '0' && rows[0]?.[1] === '0';
        },
        { what: 'autovacuum to vacuum busy' },
      );
      const report = await vacuum(s, 'busy');
      expect(report).toMatchObject({ removed: 0, remain: 500 });
    } finally {
      await s.close();
    }
  });

  it('keeps a table updated over and over bounded with no manual VACUUM', async () => {
    const s = await TestSession.open(keelTarget(auto));
    try {
      await s.ok('CREATE TABLE hot (id int PRIMARY KEY, n int, pad text)');
      await s.ok("INSERT INTO hot SELECT g, 0, repeat('p', 100) FROM generate_series(1, 100) AS g");
      for (let round = 0; round < 30; round++) {
        await s.ok('UPDATE hot SET n = n + 1');
        // Wait (by polling, not sleeping) until autovacuum has caught up with this round.
        await waitFor(
          async () => {
            const rows = await s.ok("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'hot'");
            return Number(rows[0]?.[0]) <= 50;
          },
          { what: `autovacuum to clean round ${round}` },
        );
      }
      const report = await vacuum(s, 'hot');
      // 3000 updates of 100 rows of ~120 bytes; without reuse that would be about 45 pages.
      expect(report.pages).toBeLessThanOrEqual(8);
    } finally {
      await s.close();
    }
  });
});
