/**
 * Lock behaviour only Keel's own rules decide (the PostgreSQL-compatible cases run in
 * differential.test.ts): a three-way deadlock aborts the youngest transaction of the cycle
 * with 40P01 and a detail naming every edge of the cycle, and the others proceed; pg_locks and
 * pg_stat_activity show a waiting lock; idle_in_transaction_session_timeout ends the session
 * with FATAL 25P03 and releases its locks at once.
 */
import { KeelProcess } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keelTarget, sendAndWaitBlocked, TestSession } from './support.js';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start();
  const setup = await TestSession.open(keelTarget(node));
  await setup.ok('CREATE TABLE items (id int PRIMARY KEY, qty int)');
  await setup.ok('INSERT INTO items VALUES (1, 0), (2, 0), (3, 0)');
  await setup.close();
});

afterAll(async () => {
  await node.dispose();
});

async function sessions(count: number): Promise<TestSession[]> {
  return Promise.all(Array.from({ length: count }, () => TestSession.open(keelTarget(node))));
}

describe('locks', () => {
  it('breaks a three-way deadlock by aborting the youngest transaction with 40P01', async () => {
    const [observer, t1, t2, t3] = await sessions(4);
    if (observer === undefined || t1 === undefined || t2 === undefined || t3 === undefined)
      throw new Error('sessions');
    try {
      for (const [i, t] of [t1, t2, t3].entries()) {
        await t.ok("SET deadlock_timeout = '200ms'");
        await t.ok('BEGIN');
        await t.ok(`UPDATE items SET qty = qty + 1 WHERE id = ${i + 1}`);
      }
      // t1 -> t2 -> t3 -> t1: each waits for the row the next one updated.
      const w1 = await sendAndWaitBlocked(observer, t1, 'UPDATE items SET qty = qty + 10 WHERE id = 2');
      const w2 = await sendAndWaitBlocked(observer, t2, 'UPDATE items SET qty = qty + 10 WHERE id = 3');
      expect([w1.state, w2.state]).toEqual(['blocked', 'blocked']);
      const waiting = await observer.ok('SELECT count(*) FROM pg_locks WHERE NOT granted');
      expect(waiting).toEqual([['2']]);
      const victim = await t3.run('UPDATE items SET qty = qty + 10 WHERE id = 1');
      expect(victim).toMatchObject({ ok: false, code: '40P01', message: 'deadlock detected' });
      // The victim's transaction was aborted at once: t2 and then t1 proceed.
      expect(await w2.outcome).toMatchObject({ ok: true, rowCount: 1 });
      await t2.ok('COMMIT');
      expect(await w1.outcome).toMatchObject({ ok: true, rowCount: 1 });
      await t1.ok('COMMIT');
      expect(await t3.run('COMMIT')).toMatchObject({ ok: true, command: 'ROLLBACK' });
      expect(await observer.ok('SELECT id, qty FROM items ORDER BY id')).toEqual([
        ['1', '1'],
        ['2', '11'],
        ['3', '10'],
      ]);
    } finally {
      for (const s of [observer, t1, t2, t3]) await s?.close();
    }
  });

  it('names the cycle in the deadlock detail, as PostgreSQL does', async () => {
    const [observer, t1, t2] = await sessions(3);
    if (observer === undefined || t1 === undefined || t2 === undefined) throw new Error('sessions');
    try {
      await t1.ok("SET deadlock_timeout = '100ms'");
      await t2.ok("SET deadlock_timeout = '100ms'");
      await t1.ok('BEGIN');
      await t2.ok('BEGIN');
      await t1.ok('UPDATE items SET qty = 0 WHERE id = 1');
      await t2.ok('UPDATE items SET qty = 0 WHERE id = 2');
      const w1 = await sendAndWaitBlocked(observer, t1, 'UPDATE items SET qty = 5 WHERE id = 2');
      expect(w1.state).toBe('blocked');
      let detail = '';
      try {
        await t2.client.query('UPDATE items SET qty = 5 WHERE id = 1');
      } catch (error) {
        detail = String((error as { detail?: string }).detail);
        expect(error).toMatchObject({ code: '40P01', hint: 'See server log for query details.' });
      }
      const lines = detail.split('\n');
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line).toMatch(
          /^Process \d+ waits for ShareLock on transaction \d+; blocked by process \d+\.$/,
        );
      }
      expect(detail).toContain(`Process ${t1.pid} waits for ShareLock`);
      expect(detail).toContain(`Process ${t2.pid} waits for ShareLock`);
      expect(await w1.outcome).toMatchObject({ ok: true });
      await t1.ok('COMMIT');
      await t2.ok('ROLLBACK');
    } finally {
      for (const s of [observer, t1, t2]) await s?.close();
    }
  });

  it('ends a session idle in a transaction with FATAL 25P03 and releases its locks', async () => {
    const [idle, other] = await sessions(2);
    if (idle === undefined || other === undefined) throw new Error('sessions');
    try {
      await idle.ok("SET idle_in_transaction_session_timeout = '300ms'");
      await idle.ok('BEGIN');
      await idle.ok('UPDATE items SET qty = 99 WHERE id = 3');
      // Blocks on the idle transaction's row until the timeout rolls that transaction back.
      const waited = await other.run('UPDATE items SET qty = qty + 1 WHERE id = 3 RETURNING qty');
      expect(waited).toMatchObject({ ok: true, rows: [['11']] });
      // The client hears FATAL 25P03: at once when the server closes the connection, or with its
      // next message; either way the connection is gone afterwards.
      const next = await idle
        .run('SELECT 1')
        .catch((error: unknown) => ({ ok: false as const, thrown: error }));
      const codes = [...idle.asyncErrors.map((e) => e.code), 'code' in next ? next.code : undefined];
      expect(codes).toContain('25P03');
      expect(await idle.run('SELECT 1').catch(() => 'closed')).toBe('closed');
    } finally {
      await idle.close();
      await other.close();
    }
  });

  it('shows lock waits in pg_stat_activity and pg_locks', async () => {
    const [observer, holder, waiter] = await sessions(3);
    if (observer === undefined || holder === undefined || waiter === undefined) throw new Error('sessions');
    try {
      await holder.ok('BEGIN');
      await holder.ok('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
      const pending = await sendAndWaitBlocked(observer, waiter, 'SELECT count(*) FROM items');
      expect(pending.state).toBe('blocked');
      expect(
        await observer.ok(
          `SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = ${waiter.pid}`,
        ),
      ).toEqual([['Lock', 'relation']]);
      const locks = await observer.ok(
        `SELECT pid, mode, granted FROM pg_locks WHERE locktype = 'relation' AND pid IN (${holder.pid}, ${waiter.pid}) ORDER BY granted DESC`,
      );
      expect(locks).toEqual([
        [String(holder.pid), 'AccessExclusiveLock', 't'],
        [String(waiter.pid), 'AccessShareLock', 'f'],
      ]);
      await holder.ok('COMMIT');
      expect(await pending.outcome).toMatchObject({ ok: true, rows: [['3']] });
    } finally {
      for (const s of [observer, holder, waiter]) await s?.close();
    }
  });
});
