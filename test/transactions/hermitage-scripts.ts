/**
 * The anomaly catalogue of the Hermitage project (Kleppmann; github.com/ept/hermitage) as
 * interleaving scripts, with the outcome PostgreSQL shows at each isolation level: G0 (dirty
 * write), G1a (aborted read), G1b (intermediate read), G1c (circular information flow), OTV
 * (observed transaction vanishes), PMP (predicate-many-preceders, for reads and for write
 * predicates), P4 (lost update), G-single (read skew, with item, predicate and write-predicate
 * reads), G2-item (write skew) and G2 (anti-dependency cycles, including Fekete et al.'s
 * read-only anomaly). Every case runs on the two-row table test(id, value) = (1,10), (2,20).
 * Multi-row reads carry ORDER BY so transcripts compare across servers.
 * Exports: hermitageScripts, setupTestTable.
 */
import type { Expect, Script, Step } from './support.js';

export const setupTestTable = [
  'DROP TABLE IF EXISTS test',
  'CREATE TABLE test (id int PRIMARY KEY, value int)',
  'INSERT INTO test (id, value) VALUES (1, 10), (2, 20)',
];

type Level = 'read committed' | 'repeatable read' | 'serializable';

const rows = (...pairs: [number, number][]): Expect => ({
  rows: pairs.map(([id, value]) => [String(id), String(value)]),
});
const none: Expect = { rows: [] };
const serializationFailure: Expect = { error: '40001' };
const all = 'SELECT * FROM test ORDER BY id';

/** BEGIN, then SET TRANSACTION ISOLATION LEVEL, as Hermitage's sessions start. */
function begin(s: number, level: Level): Step[] {
  return [
    { s, sql: 'BEGIN', expect: 'ok' },
    { s, sql: `SET TRANSACTION ISOLATION LEVEL ${level.toUpperCase()}`, expect: 'ok' },
  ];
}

function script(name: string, sessions: number, steps: Step[]): Script {
  return { name, setup: setupTestTable, sessions, steps };
}

function g0(level: Level): Script {
  const snapshotLevel = level !== 'read committed';
  return script(`G0 write cycles, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 12 WHERE id = 1', blocks: true },
    { s: 1, sql: 'UPDATE test SET value = 21 WHERE id = 2', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: snapshotLevel ? serializationFailure : 'ok' },
    { s: 1, sql: all, expect: rows([1, 11], [2, 21]) },
    ...(snapshotLevel
      ? [{ s: 2, sql: 'ROLLBACK', expect: 'ok' as const }]
      : [
          { s: 2, sql: 'UPDATE test SET value = 22 WHERE id = 2', expect: 'ok' as const },
          { s: 2, sql: 'COMMIT', expect: 'ok' as const },
        ]),
    { s: 1, sql: all, expect: snapshotLevel ? rows([1, 11], [2, 21]) : rows([1, 12], [2, 22]) },
  ]);
}

function g1a(level: Level): Script {
  return script(`G1a aborted reads, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'UPDATE test SET value = 101 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 1, sql: 'ROLLBACK', expect: 'ok' },
    { s: 2, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]);
}

function g1b(level: Level): Script {
  return script(`G1b intermediate reads, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'UPDATE test SET value = 101 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: all, expect: level === 'read committed' ? rows([1, 11], [2, 20]) : rows([1, 10], [2, 20]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
  ]);
}

function g1c(level: Level): Script {
  return script(`G1c circular information flow, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 22 WHERE id = 2', expect: 'ok' },
    { s: 1, sql: 'SELECT * FROM test WHERE id = 2', expect: rows([2, 20]) },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    // Each read the other's row and wrote its own: under SSI the second commit closes a cycle.
    { s: 2, sql: 'COMMIT', expect: level === 'serializable' ? serializationFailure : 'ok' },
  ]);
}

function otv(level: Level): Script {
  const steps: Step[] = [
    ...begin(1, level),
    ...begin(2, level),
    ...begin(3, level),
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 19 WHERE id = 2', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 12 WHERE id = 1', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ];
  if (level !== 'read committed') {
    // The snapshot isolation levels stop T2 at the write-write conflict instead.
    return script(`OTV observed transaction vanishes, ${level}`, 3, [
      ...steps,
      { s: 2, resume: true, expect: serializationFailure },
      { s: 2, sql: 'ROLLBACK', expect: 'ok' },
      { s: 3, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 11]) },
      { s: 3, sql: 'SELECT * FROM test WHERE id = 2', expect: rows([2, 19]) },
      { s: 3, sql: 'COMMIT', expect: 'ok' },
    ]);
  }
  return script(`OTV observed transaction vanishes, ${level}`, 3, [
    ...steps,
    { s: 2, resume: true, expect: 'ok' },
    { s: 3, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 11]) },
    { s: 2, sql: 'UPDATE test SET value = 18 WHERE id = 2', expect: 'ok' },
    { s: 3, sql: 'SELECT * FROM test WHERE id = 2', expect: rows([2, 19]) },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    { s: 3, sql: 'SELECT * FROM test WHERE id = 2', expect: rows([2, 18]) },
    { s: 3, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 12]) },
    { s: 3, sql: 'COMMIT', expect: 'ok' },
  ]);
}

function pmpRead(level: Level): Script {
  return script(`PMP predicate-many-preceders, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE value = 30', expect: none },
    { s: 2, sql: 'INSERT INTO test (id, value) VALUES (3, 30)', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    {
      s: 1,
      sql: 'SELECT * FROM test WHERE value % 3 = 0',
      expect: level === 'read committed' ? rows([3, 30]) : none,
    },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]);
}

function pmpWrite(level: Level): Script {
  const rc = level === 'read committed';
  return script(`PMP for write predicates, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'UPDATE test SET value = value + 10', expect: 'ok' },
    { s: 2, sql: 'DELETE FROM test WHERE value = 20', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    ...(rc
      ? [
          // The blocked DELETE re-checks its predicate on the new versions: nothing matches.
          { s: 2, resume: true as const, expect: 'ok' as const },
          { s: 2, sql: 'SELECT * FROM test WHERE value = 20', expect: rows([1, 20]) },
          { s: 2, sql: 'COMMIT', expect: 'ok' as const },
        ]
      : [
          { s: 2, resume: true as const, expect: serializationFailure },
          { s: 2, sql: 'ROLLBACK', expect: 'ok' as const },
        ]),
  ]);
}

function p4(level: Level): Script {
  const rc = level === 'read committed';
  return script(`P4 lost update, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 11 WHERE id = 1', blocks: true },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, resume: true, expect: rc ? 'ok' : serializationFailure },
    { s: 2, sql: rc ? 'COMMIT' : 'ROLLBACK', expect: 'ok' },
  ]);
}

function gSingle(level: Level): Script {
  return script(`G-single read skew, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 2, sql: 'SELECT * FROM test WHERE id = 2', expect: rows([2, 20]) },
    { s: 2, sql: 'UPDATE test SET value = 12 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 18 WHERE id = 2', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    {
      s: 1,
      sql: 'SELECT * FROM test WHERE id = 2',
      expect: level === 'read committed' ? rows([2, 18]) : rows([2, 20]),
    },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]);
}

function gSinglePredicate(level: Level): Script {
  return script(`G-single read skew with predicate reads, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE value % 5 = 0 ORDER BY id', expect: rows([1, 10], [2, 20]) },
    { s: 2, sql: 'UPDATE test SET value = 12 WHERE value = 10', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    {
      s: 1,
      sql: 'SELECT * FROM test WHERE value % 3 = 0',
      expect: level === 'read committed' ? rows([1, 12]) : none,
    },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
  ]);
}

function gSingleWritePredicate(level: Level): Script {
  const rc = level === 'read committed';
  return script(`G-single read skew with a write predicate, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE id = 1', expect: rows([1, 10]) },
    { s: 2, sql: all, expect: rows([1, 10], [2, 20]) },
    { s: 2, sql: 'UPDATE test SET value = 12 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 18 WHERE id = 2', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    // Under READ COMMITTED the DELETE sees the committed 18 and deletes nothing.
    { s: 1, sql: 'DELETE FROM test WHERE value = 20', expect: rc ? 'ok' : serializationFailure },
    { s: 1, sql: rc ? 'COMMIT' : 'ROLLBACK', expect: 'ok' },
  ]);
}

function g2Item(level: Level): Script {
  const ser = level === 'serializable';
  return script(`G2-item write skew, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE id IN (1, 2) ORDER BY id', expect: rows([1, 10], [2, 20]) },
    { s: 2, sql: 'SELECT * FROM test WHERE id IN (1, 2) ORDER BY id', expect: rows([1, 10], [2, 20]) },
    { s: 1, sql: 'UPDATE test SET value = 11 WHERE id = 1', expect: 'ok' },
    { s: 2, sql: 'UPDATE test SET value = 21 WHERE id = 2', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: ser ? serializationFailure : 'ok' },
    { s: 1, sql: all, expect: ser ? rows([1, 11], [2, 20]) : rows([1, 11], [2, 21]) },
  ]);
}

function g2(level: Level): Script {
  const ser = level === 'serializable';
  return script(`G2 anti-dependency cycles, ${level}`, 2, [
    ...begin(1, level),
    ...begin(2, level),
    { s: 1, sql: 'SELECT * FROM test WHERE value % 3 = 0', expect: none },
    { s: 2, sql: 'SELECT * FROM test WHERE value % 3 = 0', expect: none },
    { s: 1, sql: 'INSERT INTO test (id, value) VALUES (3, 30)', expect: 'ok' },
    { s: 2, sql: 'INSERT INTO test (id, value) VALUES (4, 42)', expect: 'ok' },
    { s: 1, sql: 'COMMIT', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: ser ? serializationFailure : 'ok' },
    {
      s: 1,
      sql: 'SELECT * FROM test WHERE value % 3 = 0 ORDER BY id',
      expect: ser ? rows([3, 30]) : rows([3, 30], [4, 42]),
    },
  ]);
}

/** Fekete, Liarokapis, O'Neil, O'Neil and Shasha's example: a read-only transaction completes the cycle. */
function g2Fekete(level: Level): Script {
  const ser = level === 'serializable';
  return script(`G2 with two anti-dependency edges (Fekete et al.), ${level}`, 3, [
    ...begin(1, level),
    { s: 1, sql: all, expect: rows([1, 10], [2, 20]) },
    ...begin(2, level),
    { s: 2, sql: 'UPDATE test SET value = value + 5 WHERE id = 2', expect: 'ok' },
    { s: 2, sql: 'COMMIT', expect: 'ok' },
    ...begin(3, level),
    { s: 3, sql: all, expect: rows([1, 10], [2, 25]) },
    { s: 3, sql: 'COMMIT', expect: 'ok' },
    { s: 1, sql: 'UPDATE test SET value = 0 WHERE id = 1', expect: ser ? serializationFailure : 'ok' },
    { s: 1, sql: ser ? 'ROLLBACK' : 'COMMIT', expect: 'ok' },
  ]);
}

const levels: Level[] = ['read committed', 'repeatable read', 'serializable'];

/** Every case at every level, with PostgreSQL's outcome as each step's expectation. */
export const hermitageScripts: Script[] = [
  ...levels.map(g0),
  ...levels.map(g1a),
  ...levels.map(g1b),
  ...levels.map(g1c),
  ...levels.map(otv),
  ...levels.map(pmpRead),
  ...levels.map(pmpWrite),
  ...levels.map(p4),
  ...levels.map(gSingle),
  ...levels.map(gSinglePredicate),
  ...levels.map(gSingleWritePredicate),
  ...levels.map(g2Item),
  ...levels.map(g2),
  ...levels.map(g2Fekete),
];
