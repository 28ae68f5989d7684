/**
 * Interleavings beyond Hermitage, each with PostgreSQL 15's outcome as its expectation (checked
 * against a real PostgreSQL in differential.test.ts): row lock strengths, NOWAIT and SKIP
 * LOCKED, LOCK TABLE and DDL locks, lock_timeout and statement_timeout on lock waits, deadlock
 * detection, READ COMMITTED re-checks of updated rows (EvalPlanQual), SET TRANSACTION rules,
 * READ ONLY, READ UNCOMMITTED, savepoints (rows, index entries, row locks and DDL inside rolled
 * back savepoints, errors inside savepoints) and SERIALIZABLE on index ranges and READ ONLY
 * DEFERRABLE.
 * Exports: extraScripts.
 */
import { setupTestTable } from './hermitage-scripts.js';
import type { Expect, Script, Step } from './support.js';

const rows = (...pairs: [number, number][]): Expect => ({
  rows: pairs.map(([id, value]) => [String(id), String(value)]),
});
const all = 'SELECT * FROM test ORDER BY id';

function script(name: string, sessions: number, steps: Step[], extra: Partial<Script> = {}): Script {
  return { name, setup: setupTestTable, sessions, steps, ...extra };
}

const rowLocks: Script[] = [
  script('FOR KEY SHARE does not block an update of non-key columns', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR KEY SHARE', expect: rows([1, 10]) },
    { s: 2, sql: 'UPDATE test SET value = 5 WHERE id = 1', expect: { command: 'UPDATE', rowCount: 1 } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('FOR KEY SHARE blocks a delete until the locker ends', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR KEY SHARE', expect: rows([1, 10]) },
    { s: 2, sql: 'DELETE FROM test WHERE id = 1', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { command: 'DELETE', rowCount: 1 } },
  ]),
  script('FOR SHARE blocks an update; FOR SHARE does not block FOR SHARE', 3, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE', expect: rows([1, 10]) },
    { s: 3, sql: 'BEGIN', expect: 'ok' },
    { s: 3, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE', expect: rows([1, 10]) },
    { s: 3, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 11 WHERE id = 1', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { command: 'UPDATE', rowCount: 1 } },
  ]),
  script('FOR NO KEY UPDATE lets FOR KEY SHARE through and blocks FOR SHARE', 3, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR NO KEY UPDATE', expect: rows([1, 10]) },
    { s: 2, sql: 'BEGIN', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR KEY SHARE', expect: rows([1, 10]) },
    { s: 3, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 3, resume: true, expect: rows([1, 10]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('NOWAIT fails at once with 55P03', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE', expect: rows([1, 10]) },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE NOWAIT', expect: { error: '55P03' } },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 2 FOR UPDATE NOWAIT', expect: rows([2, 20]) },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('NOWAIT also refuses a row being updated', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE NOWAIT', expect: { error: '55P03' } },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
  ]),
  script('SKIP LOCKED returns only the rows nobody holds', 3, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE', expect: rows([1, 10]) },
    { s: 2, sql: 'BEGIN', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test ORDER BY id FOR NO KEY UPDATE SKIP LOCKED', expect: rows([2, 20]) },
    { s: 3, sql: 'SELECT * FROM test ORDER BY id FOR UPDATE SKIP LOCKED', expect: { rows: [] } },
    // FOR UPDATE (row 1) blocks KEY SHARE; FOR NO KEY UPDATE (row 2) does not.
    { s: 3, sql: 'SELECT * FROM test ORDER BY id FOR KEY SHARE SKIP LOCKED', expect: rows([2, 20]) },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]),
];

const tableLocks: Script[] = [
  script('LOCK TABLE outside a transaction block fails with 25P01', 1, [
    { s: 1, sql: 'LOCK TABLE test IN ACCESS EXCLUSIVE MODE', expect: { error: '25P01' } },
  ]),
  script('LOCK TABLE ACCESS EXCLUSIVE blocks readers until commit', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'LOCK TABLE test IN ACCESS EXCLUSIVE MODE', expect: 'ok' },
    { s: 2, sql: all, blocks: true },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: rows([1, 11], [2, 20]) },
  ]),
  script('LOCK TABLE NOWAIT fails with 55P03 on a conflicting table lock', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'LOCK TABLE test IN SHARE MODE', expect: 'ok' },
    { s: 2, sql: 'BEGIN', expect: 'ok' },
    { s: 2, sql: 'LOCK TABLE test IN ROW EXCLUSIVE MODE NOWAIT', expect: { error: '55P03' } },
    { s: 2, sql: 'ROLLBACK', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('ALTER TABLE waits for a reader holding its table lock', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 2, sql: 'ALTER TABLE test ADD COLUMN note text', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: 'ok' },
  ]),
  script('lock_timeout cancels a lock wait with 55P03', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: "SET lock_timeout = '100ms'", expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 12 WHERE id = 1', expect: { error: '55P03' } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: all, expect: rows([1, 11], [2, 20]) },
  ]),
  script('statement_timeout cancels a lock wait with 57014', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'LOCK TABLE test IN ACCESS EXCLUSIVE MODE', expect: 'ok' },
    { s: 2, sql: "SET statement_timeout = '100ms'", expect: 'ok' },
    { s: 2, sql: all, expect: { error: '57014' } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
];

const deadlocks: Script[] = [
  script(
    'a deadlock aborts one transaction with 40P01 and the other proceeds',
    2,
    [
      { s: 1, sql: 'BEGIN', expect: 'ok' },
      { s: 2, sql: 'BEGIN', expect: 'ok' },
      { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
      { s: 2, sql: 'UPDATE test SET value = 21 WHERE id = 2', expect: 'ok' },
      // T2 (the younger) waits first, so PostgreSQL's first deadlock check (T2's) and Keel's
      // youngest-victim rule pick the same transaction.
      { s: 2, sql: 'UPDATE test SET value = 12 WHERE id = 1', blocks: true },
      { s: 1, sql: 'UPDATE test SET value = 22 WHERE id = 2', expect: { command: 'UPDATE', rowCount: 1 } },
      { s: 2, resume: true, expect: { error: '40P01' } },
      { s: 2, sql: 'SELECT 1', expect: { error: '25P02' } },
      { s: 2, sql: 'ROLLBACK', expect: 'ok' },
      { s: 1, sql: 'COMMIT', expect: 'ok' },
      { s: 2, sql: all, expect: rows([1, 11], [2, 22]) },
    ],
    { sessionSetup: ["SET deadlock_timeout = '300ms'"] },
  ),
];

const readCommittedRecheck: Script[] = [
  script('READ COMMITTED re-checks the predicate on the new version: no longer matching', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = value + 1 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = value * 10 WHERE value = 10', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { command: 'UPDATE', rowCount: 0 } },
    { s: 2, sql: all, expect: rows([1, 11], [2, 20]) },
  ]),
  script('READ COMMITTED re-checks the predicate on the new version: still matching', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = value + 1 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = value * 10 WHERE value < 15', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { command: 'UPDATE', rowCount: 1 } },
    { s: 2, sql: all, expect: rows([1, 110], [2, 20]) },
  ]),
  script('READ COMMITTED: a concurrently deleted row is skipped', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'DELETE FROM test WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 0', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { command: 'UPDATE', rowCount: 1 } },
    { s: 2, sql: all, expect: rows([2, 0]) },
  ]),
];

const other = [
  'DROP TABLE IF EXISTS tag',
  'CREATE TABLE tag (id int PRIMARY KEY, label text)',
  "INSERT INTO tag VALUES (1, 'one'), (2, 'two')",
];

/**
 * SELECT ... FOR UPDATE/SHARE that meets a row updated by a transaction that commits: READ
 * COMMITTED locks and returns the newest version if it still matches the WHERE clause
 * (EvalPlanQual), REPEATABLE READ and SERIALIZABLE fail with 40001.
 */
const lockingReadRecheck: Script[] = [
  script('READ COMMITTED FOR UPDATE returns the newest version of a concurrently updated row', 3, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'BEGIN', expect: 'ok' },
    { s: 2, sql: 'SELECT id, value, value * 2 AS twice FROM test WHERE id = 1 FOR UPDATE', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { rows: [['1', '11', '22']] } },
    // The newest version is what T2 holds: another locker must wait for it.
    { s: 3, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE NOWAIT', expect: { error: '55P03' } },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('READ COMMITTED FOR UPDATE drops a row whose newest version no longer matches', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = value + 1 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE value = 10 OR value = 20 ORDER BY id FOR UPDATE', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: rows([2, 20]) },
  ]),
  script('READ COMMITTED FOR SHARE re-checks the index condition after a key update', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET id = 3 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { rows: [] } },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 3 FOR SHARE', expect: rows([3, 10]) },
  ]),
  script('READ COMMITTED FOR UPDATE follows several committed updates and skips a delete', 3, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = value + 1', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE value < 100 ORDER BY id FOR UPDATE', blocks: true },
    { s: 1, sql: 'UPDATE test SET value = value + 1', expect: 'ok' },
    { s: 1, sql: 'DELETE FROM test WHERE id = 2', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: rows([1, 12]) },
  ]),
  script(
    'READ COMMITTED FOR UPDATE OF one table of a join re-checks its quals',
    2,
    [
      { s: 1, sql: 'BEGIN', expect: 'ok' },
      { s: 1, sql: 'UPDATE test SET value = value + 100 WHERE id = 1', expect: 'ok' },
      { s: 1, sql: 'UPDATE test SET value = value + 1 WHERE id = 2', expect: 'ok' },
      {
        s: 2,
        sql: "SELECT t.id, t.value, g.label || '!' FROM test t JOIN tag g ON g.id = t.id WHERE t.value < 50 ORDER BY t.id FOR UPDATE OF t",
        blocks: true,
      },
      { s: 1, sql: 'COMMIT', expect: 'ok' },
      { s: 2, resume: true, expect: { rows: [['2', '21', 'two!']] } },
    ],
    { setup: [...setupTestTable, ...other] },
  ),
  script('REPEATABLE READ FOR UPDATE of a row updated after the snapshot fails with 40001', 2, [
    { s: 2, sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ', expect: 'ok' },
    { s: 2, sql: 'SELECT value FROM test WHERE id = 2', expect: { rows: [['20']] } },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE', expect: { error: '40001' } },
    { s: 2, sql: 'ROLLBACK', expect: 'ok' },
  ]),
  script('REPEATABLE READ FOR UPDATE waiting for an updater that commits fails with 40001', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { error: '40001' } },
    { s: 2, sql: 'ROLLBACK', expect: 'ok' },
  ]),
  script('REPEATABLE READ FOR UPDATE waiting for an updater that rolls back locks the row', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE', blocks: true },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
    { s: 2, resume: true, expect: rows([1, 10]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('SERIALIZABLE FOR NO KEY UPDATE waiting for an updater that commits fails with 40001', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'DELETE FROM test WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test ORDER BY id FOR NO KEY UPDATE', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: { error: '40001' } },
    { s: 2, sql: 'ROLLBACK', expect: 'ok' },
  ]),
  script('READ COMMITTED FOR KEY SHARE that waited re-checks even an update of non-key columns', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE', expect: rows([1, 10]) },
    { s: 2, sql: 'BEGIN', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR KEY SHARE', blocks: true },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: rows([1, 11]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('FOR KEY SHARE without a wait locks the old version when a committed update kept the key', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ', expect: 'ok' },
    { s: 2, sql: 'SELECT value FROM test WHERE id = 2', expect: { rows: [['20']] } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR KEY SHARE', expect: rows([1, 10]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]),
];

const transactionModes: Script[] = [
  script('SET TRANSACTION ISOLATION LEVEL after a query fails with 25001', 1, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SELECT count(*) FROM test', expect: { rows: [['2']] } },
    { s: 1, sql: 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', expect: { error: '25001' } },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
  ]),
  script('SET TRANSACTION before the first query changes the level', 1, [
    { s: 1, sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ', expect: 'ok' },
    { s: 1, sql: 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
    { s: 1, sql: 'SHOW transaction_isolation', expect: { rows: [['serializable']] } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('default_transaction_isolation and READ UNCOMMITTED', 2, [
    { s: 1, sql: "SET default_transaction_isolation = 'repeatable read'", expect: 'ok' },
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SHOW transaction_isolation', expect: { rows: [['repeatable read']] } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 1, sql: 'BEGIN ISOLATION LEVEL READ UNCOMMITTED', expect: 'ok' },
    { s: 1, sql: 'SHOW transaction_isolation', expect: { rows: [['read uncommitted']] } },
    { s: 2, sql: 'BEGIN', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 101 WHERE id = 1', expect: 'ok' },
    // READ UNCOMMITTED reads no uncommitted data in PostgreSQL: it is READ COMMITTED.
    { s: 1, sql: 'SELECT value FROM test WHERE id = 1', expect: { rows: [['10']] } },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    { s: 1, sql: 'SELECT value FROM test WHERE id = 1', expect: { rows: [['101']] } },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('READ ONLY transactions refuse writes with 25006', 1, [
    { s: 1, sql: 'BEGIN READ ONLY', expect: 'ok' },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 1, sql: 'UPDATE test SET value = 0', expect: { error: '25006' } },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
    { s: 1, sql: 'BEGIN READ ONLY', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR SHARE', expect: { error: '25006' } },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
    { s: 1, sql: 'BEGIN READ ONLY', expect: 'ok' },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 1, sql: 'SET TRANSACTION READ WRITE', expect: { error: '25001' } },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SET TRANSACTION READ ONLY', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO test VALUES (3, 30)', expect: { error: '25006' } },
    { s: 1, sql: 'COMMIT', expect: { command: 'ROLLBACK' } },
  ]),
];

const savepoints: Script[] = [
  script('rows written and deleted inside a rolled-back savepoint', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO test VALUES (3, 30)', expect: 'ok' },
    { s: 1, sql: 'SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO test VALUES (4, 40)', expect: 'ok' },
    { s: 1, sql: 'DELETE FROM test WHERE id = 1', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 99 WHERE id = 2', expect: 'ok' },
    { s: 1, sql: all, expect: rows([2, 99], [3, 30], [4, 40]) },
    { s: 1, sql: 'ROLLBACK TO SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20], [3, 30]) },
    // Through the primary key index: the rolled-back row is gone, the deleted one is back.
    { s: 1, sql: 'SELECT * FROM test WHERE id = 4', expect: { rows: [] } },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 1, sql: 'INSERT INTO test VALUES (4, 41)', expect: 'ok' },
    // The rolled-back update no longer holds row 2: another session updates it at once.
    { s: 2, sql: 'UPDATE test SET value = 21 WHERE id = 2', expect: { command: 'UPDATE', rowCount: 1 } },
    { s: 1, sql: 'RELEASE SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: all, expect: rows([1, 10], [2, 21], [3, 30], [4, 41]) },
  ]),
  script('an error inside a savepoint: 25P02 until ROLLBACK TO, then the block goes on', 1, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO test VALUES (3, 30)', expect: 'ok' },
    { s: 1, sql: 'SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO test VALUES (1, 0)', expect: { error: '23505' } },
    { s: 1, sql: 'SELECT 1', expect: { error: '25P02' } },
    { s: 1, sql: 'SAVEPOINT b', expect: { error: '25P02' } },
    { s: 1, sql: 'ROLLBACK TO SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20], [3, 30]) },
    { s: 1, sql: 'COMMIT', expect: { command: 'COMMIT' } },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20], [3, 30]) },
  ]),
  script('COMMIT of a failed block reports ROLLBACK; ROLLBACK TO an unknown savepoint there fails', 1, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO test VALUES (3, 30)', expect: 'ok' },
    { s: 1, sql: 'SELECT 1 / 0', expect: { error: '22012' } },
    { s: 1, sql: 'ROLLBACK TO SAVEPOINT nosuch', expect: { error: '3B001' } },
    { s: 1, sql: 'BEGIN', expect: { error: '25P02' } },
    { s: 1, sql: 'COMMIT', expect: { command: 'ROLLBACK' } },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20]) },
  ]),
  script('row locks taken inside a rolled-back savepoint are released', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE', expect: rows([1, 10]) },
    { s: 1, sql: 'ROLLBACK TO SAVEPOINT a', expect: 'ok' },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1 FOR UPDATE NOWAIT', expect: rows([1, 10]) },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]),
  script('DDL inside a rolled-back savepoint is undone', 2, [
    { s: 1, sql: 'BEGIN', expect: 'ok' },
    { s: 1, sql: 'SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: 'CREATE TABLE scratch (a int PRIMARY KEY)', expect: 'ok' },
    { s: 1, sql: 'INSERT INTO scratch VALUES (1)', expect: 'ok' },
    { s: 1, sql: 'DROP TABLE test', expect: 'ok' },
    { s: 1, sql: 'ROLLBACK TO SAVEPOINT a', expect: 'ok' },
    { s: 1, sql: 'SAVEPOINT c', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM scratch', expect: { error: '42P01' } },
    { s: 1, sql: 'ROLLBACK TO SAVEPOINT c', expect: 'ok' },
    { s: 1, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 1, sql: 'SAVEPOINT b', expect: 'ok' },
    { s: 1, sql: 'CREATE TABLE kept (a int)', expect: 'ok' },
    { s: 1, sql: 'RELEASE SAVEPOINT b', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 2, sql: 'SELECT count(*) FROM kept', expect: { rows: [['0']] } },
    { s: 2, sql: 'SELECT count(*) FROM scratch', expect: { error: '42P01' } },
    { s: 2, sql: 'DROP TABLE kept', expect: 'ok' },
  ]),
];

const accounts = [
  'DROP TABLE IF EXISTS acct',
  'CREATE TABLE acct (id int PRIMARY KEY, balance int)',
  'INSERT INTO acct SELECT g, 100 FROM generate_series(1, 1000) AS g',
  'ANALYZE acct',
];

const serializable: Script[] = [
  script(
    'SERIALIZABLE: phantoms in an index range close a cycle',
    2,
    [
      { s: 1, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
      { s: 2, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
      { s: 1, sql: 'SELECT * FROM acct WHERE id = 2000', expect: { rows: [] } },
      { s: 2, sql: 'SELECT * FROM acct WHERE id = 2001', expect: { rows: [] } },
      { s: 1, sql: 'INSERT INTO acct VALUES (2001, 0)', expect: 'ok' },
      { s: 2, sql: 'INSERT INTO acct VALUES (2000, 0)', expect: 'ok' },
      { s: 1, sql: 'COMMIT', expect: 'ok' },
      { s: 2, sql: 'COMMIT', expect: { error: '40001' } },
    ],
    { setup: accounts },
  ),
  script(
    'SERIALIZABLE: reads of distinct keys do not conflict',
    2,
    [
      { s: 1, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
      { s: 2, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
      // Point lookups through the primary key: predicate locks on the keys (and their rows) only.
      { s: 1, sql: 'SELECT balance FROM acct WHERE id = 5', expect: { rows: [['100']] } },
      { s: 2, sql: 'SELECT balance FROM acct WHERE id = 905', expect: { rows: [['100']] } },
      { s: 1, sql: 'UPDATE acct SET balance = balance - 1 WHERE id = 5', expect: 'ok' },
      { s: 2, sql: 'UPDATE acct SET balance = balance - 1 WHERE id = 905', expect: 'ok' },
      { s: 1, sql: 'COMMIT', expect: 'ok' },
      { s: 2, sql: 'COMMIT', expect: 'ok' },
    ],
    { setup: accounts },
  ),
  script(
    'SERIALIZABLE READ ONLY DEFERRABLE waits for a safe snapshot',
    2,
    [
      { s: 1, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE', expect: 'ok' },
      { s: 1, sql: 'SELECT balance FROM acct WHERE id = 1', expect: { rows: [['100']] } },
      { s: 2, sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE', expect: 'ok' },
      { s: 2, sql: 'SELECT sum(balance) FROM acct', blocks: true },
      { s: 1, sql: 'UPDATE acct SET balance = 0 WHERE id = 1', expect: 'ok' },
      { s: 1, sql: 'COMMIT', expect: 'ok' },
      { s: 2, resume: true, expect: { rows: [['100000']] } },
      { s: 2, sql: 'COMMIT', expect: 'ok' },
    ],
    { setup: accounts },
  ),
];

export const extraScripts: Script[] = [
  ...rowLocks,
  ...tableLocks,
  ...deadlocks,
  ...readCommittedRecheck,
  ...lockingReadRecheck,
  ...transactionModes,
  ...savepoints,
  ...serializable,
];
