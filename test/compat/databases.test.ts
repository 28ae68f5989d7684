/**
 * CREATE DATABASE and DROP DATABASE as test suites and ORMs use them: each database has its
 * own catalog (same table names, different contents), psql's \c moves between them, a database
 * with sessions cannot be dropped (55006) unless WITH (FORCE) ends them first (57P01), and
 * neither statement runs in a transaction block.
 */
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keelTarget, runPsql } from './psql-runner.js';

let node: KeelProcess;
let admin: pg.Client;

beforeAll(async () => {
  node = await KeelProcess.start();
  admin = new pg.Client(node.clientConfig());
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await node?.dispose();
});

async function inDatabase<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(node.clientConfig({ database }));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('databases', () => {
  it('gives each database its own catalog', async () => {
    await admin.query('CREATE DATABASE app_one');
    await admin.query('CREATE DATABASE app_two');
    await inDatabase('app_one', async (c) => {
      await c.query('CREATE TABLE things (id int PRIMARY KEY, label text)');
      await c.query("INSERT INTO things VALUES (1, 'from one')");
    });
    await inDatabase('app_two', async (c) => {
      await c.query('CREATE TABLE things (id int PRIMARY KEY, weight numeric)');
      await c.query('INSERT INTO things VALUES (2, 2.5)');
      const columns = await c.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'things' ORDER BY ordinal_position",
      );
      expect(columns.rows.map((r) => r.column_name)).toEqual(['id', 'weight']);
      expect((await c.query('SELECT current_database() AS d')).rows[0]).toEqual({ d: 'app_two' });
    });
    const one = await inDatabase('app_one', (c) => c.query('SELECT id, label FROM things'));
    expect(one.rows).toEqual([{ id: 1, label: 'from one' }]);
    await expect(admin.query('SELECT * FROM things')).rejects.toMatchObject({ code: '42P01' });
    const listed = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'app_%' ORDER BY 1");
    expect(listed.rows).toEqual([{ datname: 'app_one' }, { datname: 'app_two' }]);
  });

  it('moves between databases with psql \\c', () => {
    const out = runPsql(
      keelTarget(node),
      ['-At'],
      '\\c app_one\nSELECT label FROM things;\n\\c app_two\nSELECT weight FROM things;\n',
    );
    expect(out.stdout).toBe(
      'You are now connected to database "app_one" as user "keel".\nfrom one\n' +
        'You are now connected to database "app_two" as user "keel".\n2.5\n',
    );
  });

  it('refuses to drop a database in use, or to run in a transaction block, then drops it', async () => {
    const holder = new pg.Client(node.clientConfig({ database: 'app_two' }));
    await holder.connect();
    await expect(admin.query('DROP DATABASE app_two')).rejects.toMatchObject({ code: '55006' });
    await holder.end();
    await admin.query('BEGIN');
    await expect(admin.query('DROP DATABASE app_two')).rejects.toMatchObject({ code: '25001' });
    await admin.query('ROLLBACK');
    await admin.query('DROP DATABASE app_two');
    await admin.query('DROP DATABASE IF EXISTS app_two');
    await expect(inDatabase('app_two', async () => null)).rejects.toMatchObject({ code: '3D000' });
    await expect(admin.query('CREATE DATABASE app_one')).rejects.toMatchObject({ code: '42P04' });
  });

  it('has template1 and template0 as PostgreSQL does: template1 takes connections, template0 does not', async () => {
    const rows = await admin.query(
      `SELECT datname, datistemplate, datallowconn, datacl IS NOT NULL AS has_acl FROM pg_database
       WHERE datname IN ('template0', 'template1', 'postgres') ORDER BY oid`,
    );
    expect(rows.rows).toEqual([
      { datname: 'template1', datistemplate: true, datallowconn: true, has_acl: true },
      { datname: 'template0', datistemplate: true, datallowconn: false, has_acl: true },
      { datname: 'postgres', datistemplate: false, datallowconn: true, has_acl: false },
    ]);
    const current = await inDatabase('template1', (c) => c.query('SELECT current_database() AS d'));
    expect(current.rows).toEqual([{ d: 'template1' }]);
    const out = runPsql(keelTarget(node), ['-At'], '\\c template1\nSELECT current_database();\n');
    expect(out.stdout).toBe('You are now connected to database "template1" as user "keel".\ntemplate1\n');
    await expect(inDatabase('template0', async () => null)).rejects.toMatchObject({
      code: '55000',
      message: 'database "template0" is not currently accepting connections',
    });
  });

  it('CREATE DATABASE takes TEMPLATE, IS_TEMPLATE and ALLOW_CONNECTIONS; templates cannot be dropped', async () => {
    await admin.query('CREATE DATABASE from_zero TEMPLATE template0');
    await admin.query("CREATE DATABASE from_one WITH TEMPLATE = template1 ENCODING 'UTF8'");
    await expect(admin.query('CREATE DATABASE from_nothing TEMPLATE no_such_db')).rejects.toMatchObject({
      code: '3D000',
      message: 'template database "no_such_db" does not exist',
    });
    await admin.query('CREATE DATABASE closed_db ALLOW_CONNECTIONS false');
    await admin.query('CREATE DATABASE my_template IS_TEMPLATE true');
    const rows = await admin.query(
      `SELECT datname, datistemplate, datallowconn FROM pg_database
       WHERE datname IN ('from_zero', 'from_one', 'closed_db', 'my_template') ORDER BY 1`,
    );
    expect(rows.rows).toEqual([
      { datname: 'closed_db', datistemplate: false, datallowconn: false },
      { datname: 'from_one', datistemplate: false, datallowconn: true },
      { datname: 'from_zero', datistemplate: false, datallowconn: true },
      { datname: 'my_template', datistemplate: true, datallowconn: true },
    ]);
    const tables = await inDatabase('from_zero', (c) =>
      c.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"),
    );
    expect(tables.rows).toEqual([{ n: 0 }]);
    await expect(inDatabase('closed_db', async () => null)).rejects.toMatchObject({ code: '55000' });
    for (const name of ['template1', 'template0', 'my_template']) {
      await expect(admin.query(`DROP DATABASE ${name}`)).rejects.toMatchObject({
        code: '42809',
        message: 'cannot drop a template database',
      });
    }
    for (const name of ['from_zero', 'from_one', 'closed_db']) await admin.query(`DROP DATABASE ${name}`);
  });

  it('DROP DATABASE ... WITH (FORCE) ends the sessions on it (FATAL 57P01), idle or in a transaction', async () => {
    await admin.query('CREATE DATABASE forced');
    const heard: { code?: string }[] = [];
    const holders = [
      new pg.Client(node.clientConfig({ database: 'forced' })),
      new pg.Client(node.clientConfig({ database: 'forced' })),
    ];
    for (const holder of holders) {
      holder.on('error', (error: Error) => heard.push(error as Error & { code?: string }));
      await holder.connect();
    }
    await holders[1]?.query('BEGIN');
    await holders[1]?.query('CREATE TABLE inside (id int)');
    await expect(admin.query('DROP DATABASE forced WITH (FORCE, NOPE)')).rejects.toMatchObject({
      code: '42601',
    });
    await expect(admin.query('DROP DATABASE forced')).rejects.toMatchObject({ code: '55006' });
    await admin.query('DROP DATABASE forced WITH (FORCE)');
    expect(heard.filter((e) => e.code === '57P01')).toHaveLength(2);
    await expect(inDatabase('forced', async () => null)).rejects.toMatchObject({ code: '3D000' });
    const listed = await admin.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'forced'");
    expect(listed.rows).toEqual([{ n: 0 }]);
  });
});
