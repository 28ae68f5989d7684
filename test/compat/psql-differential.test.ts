/**
 * psql against Keel and against PostgreSQL 15 on the same schema, created by a superuser named
 * keel on both: the describe commands (\dt, \di, \ds, \dv, \d, \dn, \du, \l), \x, \timing,
 * \copy and \c must print the same. The reference is set up like a Keel node (its public
 * schema owned by keel, keel with every role attribute); only timings are normalised.
 * The schema's CHECK constraint compares integers: on a numeric column PostgreSQL prints the
 * cast it added while analysing the expression (amount >= 0::numeric), Keel the text as written.
 */
import { KeelProcess, type PostgresReference, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keelTarget, type PsqlTarget, runPsql } from './psql-runner.js';

const schema = `
CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE child (
  id serial PRIMARY KEY,
  parent_id int REFERENCES parent(id) ON DELETE CASCADE,
  amount numeric(10,2) DEFAULT 0,
  quantity int NOT NULL DEFAULT 1 CHECK (quantity > 0),
  note varchar(20),
  created timestamptz DEFAULT now()
);
CREATE INDEX child_parent_idx ON child (parent_id);
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint PRIMARY KEY, total numeric);
CREATE SEQUENCE sales.order_numbers;
CREATE VIEW big_parents AS SELECT id, name FROM parent WHERE id > 10;
INSERT INTO parent VALUES (1, 'one'), (2, 'two');
`;

let node: KeelProcess;
let reference: PostgresReference;
let keel: PsqlTarget;
let postgres: PsqlTarget;

beforeAll(async () => {
  // Started together; whichever starts is kept for afterAll even if the other fails.
  const [keelStart, referenceStart] = await Promise.allSettled([
    KeelProcess.start(),
    startPostgresReference(),
  ]);
  if (keelStart.status === 'fulfilled') node = keelStart.value;
  if (referenceStart.status === 'fulfilled') reference = referenceStart.value;
  if (keelStart.status === 'rejected') throw keelStart.reason;
  if (referenceStart.status === 'rejected') throw referenceStart.reason;
  const admin: PsqlTarget = { port: reference.port, user: 'postgres', database: 'postgres' };
  const setup = [
    'CREATE ROLE keel SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS LOGIN',
    'CREATE DATABASE keel OWNER keel',
  ];
  for (const sql of setup) expect(runPsql(admin, ['-v', 'ON_ERROR_STOP=1', '-c', sql]).status).toBe(0);
  const inKeel: PsqlTarget = { port: reference.port, user: 'postgres', database: 'keel' };
  expect(runPsql(inKeel, ['-v', 'ON_ERROR_STOP=1', '-c', 'ALTER SCHEMA public OWNER TO keel']).status).toBe(
    0,
  );
  postgres = { port: reference.port, user: 'keel', database: 'keel' };
  keel = keelTarget(node);
  for (const target of [postgres, keel]) {
    const created = runPsql(target, ['-q', '-v', 'ON_ERROR_STOP=1'], schema);
    expect(created.stderr).toBe('');
  }
});

afterAll(async () => {
  await node?.dispose();
  await reference?.stop();
});

function both(args: string[], input?: string): { keel: string; postgres: string } {
  const fromKeel = runPsql(keel, args, input);
  const fromPostgres = runPsql(postgres, args, input);
  return { keel: fromKeel.stdout + fromKeel.stderr, postgres: fromPostgres.stdout + fromPostgres.stderr };
}

describe('psql output matches PostgreSQL 15', () => {
  it.each([
    '\\dt',
    '\\dt sales.*',
    '\\di',
    '\\ds *.*',
    '\\dv',
    '\\d',
    '\\dn',
    '\\du keel',
    '\\l keel',
    '\\d child',
    '\\d parent',
    '\\d sales.orders',
    '\\d child_pkey',
    '\\d big_parents',
  ])('%s', (command) => {
    const out = both(['-c', command]);
    expect(out.keel).toBe(out.postgres);
  });

  it('\\x, \\timing, \\copy and \\c behave the same', () => {
    const script = [
      '\\x on',
      'SELECT id, name FROM parent ORDER BY id;',
      '\\x off',
      '\\timing on',
      'SELECT count(*) FROM parent;',
      '\\timing off',
      '\\copy (SELECT id, name FROM parent ORDER BY id) TO STDOUT WITH CSV HEADER',
      '\\copy parent FROM STDIN',
      '3\tthree',
      '\\.',
      'SELECT name FROM parent ORDER BY id;',
      '\\c postgres',
      'SELECT current_database(), current_user;',
    ].join('\n');
    const out = both([], script);
    const strip = (text: string) =>
      text
        .replace(/Time: [\d.]+ ms/g, 'Time: N ms')
        .replace(/You are now connected to database .*\n/, 'connected\n');
    expect(strip(out.keel)).toBe(strip(out.postgres));
    expect(out.keel).toContain('-[ RECORD 1 ]\nid   | 1\nname | one');
  });
});
