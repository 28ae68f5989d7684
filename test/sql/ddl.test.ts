/**
 * DDL against PostgreSQL 15 (issue 6, points 1 and 2): one script of schema changes, each
 * followed by a query that shows its effect, runs statement by statement on a real Keel node
 * and on a throwaway PostgreSQL 15; every outcome must match (rows in order, or errors of the
 * same SQLSTATE class). It covers CREATE/ALTER/DROP TABLE (add, drop and rename column, set
 * default, add and drop constraints, rename table), serial and identity columns with their
 * sequences, CHECK/UNIQUE/FOREIGN KEY with ON DELETE/UPDATE actions, indexes (unique,
 * multi-column, IF [NOT] EXISTS), views, schemas and search_path, CREATE TABLE AS, COMMENT ON,
 * TRUNCATE, and DDL rolled back inside a transaction block.
 */
import { KeelProcess, type PostgresReference, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOutcomes } from './support/compare.js';
import { connectRaw, type SqlClient } from './support/sql-client.js';

let keel: KeelProcess;
let reference: PostgresReference;
let onKeel: SqlClient;
let onPg: SqlClient;

beforeAll(async () => {
  [keel, reference] = await Promise.all([KeelProcess.start(), startPostgresReference()]);
  [onKeel, onPg] = await Promise.all([
    connectRaw(keel.clientConfig()),
    connectRaw({ connectionString: reference.connectionString }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([onKeel?.close(), onPg?.close()]);
  await Promise.allSettled([keel?.stop(), reference?.stop()]);
  await keel?.dispose();
});

const script = [
  'CREATE SCHEMA ddl_s',
  'SET search_path = ddl_s, public',
  'CREATE TABLE a (id serial PRIMARY KEY, name text NOT NULL UNIQUE, n int4 DEFAULT 5 CHECK (n > 0))',
  'CREATE TABLE b (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a_id int4 REFERENCES a (id) ON DELETE CASCADE ON UPDATE CASCADE, note varchar(5))',
  "INSERT INTO a (name) VALUES ('x'), ('y') RETURNING id, n",
  "INSERT INTO b (a_id, note) VALUES (1, 'p'), (2, 'q') RETURNING id, a_id, note",
  'INSERT INTO b (id, a_id) VALUES (9, 1)',
  "INSERT INTO b (a_id, note) VALUES (1, 'toolong')",
  'INSERT INTO b (a_id) VALUES (77)',
  "INSERT INTO a (name, n) VALUES ('neg', -1)",
  "INSERT INTO a (name) VALUES ('x')",
  "SELECT currval('a_id_seq'), nextval('a_id_seq'), setval('a_id_seq', 100), nextval('a_id_seq')",
  'ALTER TABLE a ADD COLUMN extra int4',
  'ALTER TABLE a RENAME COLUMN extra TO extra2',
  'ALTER TABLE a ALTER COLUMN extra2 SET DEFAULT 7',
  "INSERT INTO a (name) VALUES ('z') RETURNING id, extra2",
  'SELECT * FROM a ORDER BY id',
  'ALTER TABLE a DROP COLUMN extra2',
  'SELECT * FROM a ORDER BY id',
  'ALTER TABLE a ADD CONSTRAINT n_small CHECK (n < 1000)',
  "INSERT INTO a (name, n) VALUES ('big', 5000)",
  'ALTER TABLE a DROP CONSTRAINT n_small',
  "INSERT INTO a (name, n) VALUES ('big', 5000) RETURNING name, n",
  'ALTER TABLE b ADD CONSTRAINT note_u UNIQUE (note)',
  "INSERT INTO b (a_id, note) VALUES (2, 'p')",
  'ALTER TABLE b DROP CONSTRAINT note_u',
  "INSERT INTO b (a_id, note) VALUES (2, 'p') RETURNING a_id, note",
  'ALTER TABLE a RENAME TO a2',
  'SELECT count(*) FROM a2',
  'SELECT count(*) FROM a',
  'ALTER TABLE a2 RENAME TO a',
  'CREATE INDEX IF NOT EXISTS a_n_idx ON a (n, name)',
  'CREATE INDEX IF NOT EXISTS a_n_idx ON a (n, name)',
  'CREATE INDEX a_n_idx ON a (n)',
  'CREATE UNIQUE INDEX b_note ON b (note)',
  "SELECT indexname FROM pg_indexes WHERE schemaname = 'ddl_s' ORDER BY 1",
  'DROP INDEX b_note',
  'DROP INDEX b_note',
  'DROP INDEX IF EXISTS b_note',
  'CREATE VIEW v AS SELECT id, name FROM a WHERE n > 1',
  'SELECT * FROM v ORDER BY id',
  'CREATE TABLE c AS SELECT id, name FROM a WHERE id < 50',
  'SELECT * FROM c ORDER BY id',
  "COMMENT ON TABLE a IS 'table a'",
  "COMMENT ON COLUMN a.name IS 'the name'",
  "SELECT obj_description('a'::regclass, 'pg_class'), col_description('a'::regclass, 2)",
  'UPDATE a SET id = 50 WHERE id = 1',
  'SELECT a_id, note FROM b ORDER BY a_id, note',
  'DELETE FROM a WHERE id = 50',
  'SELECT a_id, note FROM b ORDER BY a_id, note',
  'BEGIN',
  'CREATE TABLE t_rolled (x int)',
  'ALTER TABLE a ADD COLUMN rolled int',
  'DROP TABLE c',
  'ROLLBACK',
  "SELECT to_regclass('ddl_s.t_rolled') IS NULL, to_regclass('ddl_s.c') IS NULL",
  'SELECT rolled FROM a',
  'BEGIN',
  'CREATE TABLE kept (x int)',
  'COMMIT',
  'SELECT count(*) FROM kept',
  'TRUNCATE b',
  'SELECT count(*) FROM b',
  'DROP TABLE a',
  'DROP VIEW v',
  'DROP TABLE a CASCADE',
  "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass('ddl_s.b')",
  'DROP SCHEMA ddl_s CASCADE',
  'RESET search_path',
];

describe('DDL matches PostgreSQL 15', () => {
  it('runs the schema-change script with the same outcome at every step', async () => {
    const mismatches: string[] = [];
    for (const sql of script) {
      const [k, p] = [await onKeel.query(sql), await onPg.query(sql)];
      // DDL's command results have no rows on either side; compare what the statement returned.
      const verdict = compareOutcomes(k, p, true);
      if (!verdict.match) mismatches.push(`${sql}\n    ${verdict.reason}`);
    }
    console.log(
      `DDL script: ${script.length - mismatches.length}/${script.length} statements matched PostgreSQL 15`,
    );
    expect(mismatches).toEqual([]);
  }, 180_000);
});
