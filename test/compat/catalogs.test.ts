/**
 * The system catalogs against PostgreSQL 15 on the same schema: pg_class, pg_attribute,
 * pg_index, pg_constraint, pg_type and information_schema answer the queries drivers and ORMs
 * send with the same rows, and the catalog functions (format_type, pg_get_indexdef,
 * pg_get_constraintdef, pg_get_userbyid, pg_table_is_visible, obj_description, ...) agree.
 * pg_stat_activity shows other sessions live, and pg_cancel_backend cancels one of them.
 */
import {
  KeelProcess,
  type PostgresReference,
  type ReferenceClient,
  startPostgresReference,
  waitFor,
} from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const schema = [
  'CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL UNIQUE)',
  `CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent(id) ON DELETE CASCADE,
     amount numeric(10,2) DEFAULT 0 CHECK (amount >= 0), note varchar(20), flag boolean NOT NULL DEFAULT true,
     created timestamptz DEFAULT now(), tags text[], big bigint)`,
  'CREATE INDEX child_parent_idx ON child (parent_id)',
  'CREATE UNIQUE INDEX child_note_big ON child (note DESC, big)',
  "COMMENT ON TABLE child IS 'children'",
  "COMMENT ON COLUMN child.note IS 'free text'",
  'CREATE VIEW parent_names AS SELECT name FROM parent',
];

let node: KeelProcess;
let reference: PostgresReference;
let onPostgres: ReferenceClient;
let onKeel: pg.Client;

const rawText = { getTypeParser: () => (value: string) => value };

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
  onPostgres = await reference.connect();
  onKeel = new pg.Client({ ...node.clientConfig(), types: rawText });
  await onKeel.connect();
  for (const sql of schema) {
    const result = await onPostgres.query(sql);
    expect(result.ok).toBe(true);
    await onKeel.query(sql);
  }
});

afterAll(async () => {
  await onKeel?.end();
  await onPostgres?.close();
  await node?.dispose();
  await reference?.stop();
});

async function bothRows(sql: string): Promise<{ keel: unknown[][]; postgres: unknown[][] }> {
  const expected = await onPostgres.query(sql);
  if (!expected.ok) throw new Error(`reference failed: ${expected.message}`);
  const actual = await onKeel.query({ text: sql, rowMode: 'array' });
  return { keel: actual.rows, postgres: expected.rows };
}

async function expectSame(sql: string): Promise<void> {
  const { keel, postgres } = await bothRows(sql);
  expect(keel.length).toBeGreaterThan(0);
  expect(keel).toEqual(postgres);
}

/** The same SQLSTATE and message from both servers. */
async function expectSameError(sql: string): Promise<void> {
  const expected = await onPostgres.query(sql);
  if (expected.ok) throw new Error(`reference accepted: ${sql}`);
  const actual = await onKeel.query(sql).then(
    () => null,
    (error: { code?: string; message?: string }) => error,
  );
  expect({ code: actual?.code, message: actual?.message }).toEqual({
    code: expected.code,
    message: expected.message,
  });
}

describe('catalog rows match PostgreSQL 15', () => {
  it('pg_class describes tables, indexes, sequences and views', async () => {
    await expectSame(`
      SELECT c.relname, c.relkind, c.relnatts, c.relhasindex, c.relpersistence, n.nspname, c.relchecks,
             pg_catalog.pg_get_userbyid(c.relowner) = current_user AS owned
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' ORDER BY c.relname`);
  });

  it('pg_attribute has the columns with types, typmods, NOT NULL and defaults', async () => {
    await expectSame(`
      SELECT a.attname, a.attnum, a.atttypid, a.atttypmod, a.attnotnull, a.atthasdef, a.attlen, a.attisdropped,
             pg_catalog.format_type(a.atttypid, a.atttypmod)
      FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'child'::regclass AND a.attnum > 0 ORDER BY a.attnum`);
  });

  it('pg_attrdef and pg_get_expr give the column defaults', async () => {
    await expectSame(`
      SELECT a.attname, pg_catalog.pg_get_expr(d.adbin, d.adrelid)
      FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = 'child'::regclass AND a.attname <> 'amount' ORDER BY 1`);
  });

  it('pg_index lists key columns, uniqueness and primary keys; pg_get_indexdef agrees', async () => {
    await expectSame(`
      SELECT c.relname, i.indnatts, i.indisunique, i.indisprimary, i.indisvalid,
             pg_catalog.array_to_string(i.indkey, ' '), pg_catalog.pg_get_indexdef(i.indexrelid)
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid IN ('child'::regclass, 'parent'::regclass) ORDER BY 1`);
  });

  it('pg_constraint has keys, references and actions; pg_get_constraintdef agrees', async () => {
    await expectSame(`
      SELECT conname, contype, conkey, confkey, confupdtype, confdeltype, confmatchtype,
             confrelid = 'parent'::regclass AS refs_parent,
             CASE WHEN contype <> 'c' THEN pg_catalog.pg_get_constraintdef(oid, true) END
      FROM pg_catalog.pg_constraint WHERE conrelid IN ('child'::regclass, 'parent'::regclass) ORDER BY conname`);
  });

  it('pg_type has PostgreSQL oids, names, lengths, categories and array types', async () => {
    await expectSame(`
      SELECT oid, typname, typlen, typbyval, typcategory, typelem, typarray, typcollation
      FROM pg_catalog.pg_type
      WHERE oid IN (16, 17, 19, 20, 21, 23, 25, 26, 700, 701, 1042, 1043, 1082, 1114, 1184, 1186, 1700, 2950, 3802,
                    114, 1000, 1007, 1009, 1016, 1231)
      ORDER BY oid`);
  });

  it('information_schema.columns and tables describe the schema', async () => {
    await expectSame(`
      SELECT table_name, column_name, ordinal_position, is_nullable, data_type, character_maximum_length,
             numeric_precision, numeric_scale, datetime_precision, udt_name, is_identity
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`);
    await expectSame(`
      SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
  });

  it('information_schema constraint views agree', async () => {
    await expectSame(`
      SELECT constraint_name, table_name, constraint_type, is_deferrable FROM information_schema.table_constraints
      WHERE table_schema = 'public' AND constraint_type <> 'CHECK' ORDER BY 1`);
    await expectSame(`
      SELECT constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint
      FROM information_schema.key_column_usage WHERE table_schema = 'public' ORDER BY 1, 4`);
    await expectSame(`
      SELECT constraint_name, unique_constraint_name, match_option, update_rule, delete_rule
      FROM information_schema.referential_constraints WHERE constraint_schema = 'public' ORDER BY 1`);
    await expectSame(`
      SELECT table_name, column_name, constraint_name FROM information_schema.constraint_column_usage
      WHERE constraint_schema = 'public' ORDER BY 3, 1, 2`);
  });

  it('catalog functions answer like PostgreSQL', async () => {
    await expectSame(`
      SELECT pg_catalog.pg_table_is_visible('child'::regclass), pg_catalog.obj_description('child'::regclass, 'pg_class'),
             pg_catalog.col_description('child'::regclass, 4), pg_catalog.current_schemas(true),
             pg_catalog.pg_get_serial_sequence('child', 'id'), pg_catalog.quote_ident('Mixed Case'),
             pg_catalog.to_regclass('no_such_table'), pg_catalog.has_table_privilege('child', 'SELECT'),
             pg_catalog.pg_encoding_to_char(6), pg_catalog.format_type(1043, 24), pg_catalog.format_type(1700, 655366),
             current_setting('nope.missing', true)`);
  });
});

describe('reg* types', () => {
  it('regproc and regprocedure read and print function names as PostgreSQL does', async () => {
    await expectSame(`
      SELECT 'now'::regproc::text, 'pg_catalog.now'::regproc::text, ' version '::regproc::text,
             'now()'::regprocedure::text, 'pg_catalog.abs(integer)'::regprocedure::text,
             'ABS(int8)'::regprocedure::regproc::text, 'now'::regproc::regprocedure::text,
             0::regproc::text, '-'::regproc::oid, '-'::regprocedure::text, 'now'::regproc = 'now()'::regprocedure,
             'now'::text::regproc::text, 99999999::regproc::text`);
    // Output: unqualified when the name alone finds the function, pg_catalog.abs when overloaded.
    await expectSame(`
      SELECT p.oid::regproc::text, p.oid::regprocedure::text, p.oid = p.oid::regprocedure::text::regprocedure
      FROM pg_catalog.pg_proc p
      WHERE p.proname IN ('now', 'version', 'abs', 'pg_backend_pid', 'array_in') ORDER BY 2`);
    await expectSame(`
      SELECT typname, typinput::text, typinput = 'pg_catalog.array_in'::regproc
      FROM pg_catalog.pg_type WHERE typname IN ('_int4', '_text', 'record') ORDER BY 1`);
  });

  it('regtype reads any type name the grammar accepts; regclass takes the current database as a prefix', async () => {
    await expectSame(`
      SELECT '"pg_catalog"."int4"'::regtype::text, 'character varying(20)'::regtype::text,
             'int4[]'::regtype::text, 'double precision'::regtype::text, 'timestamp with time zone'::regtype::text,
             'pg_catalog.text'::regtype::oid, ' integer '::regtype::text`);
    await expectSameError("SELECT 'no_such_type'::regtype");
    await expectSameError("SELECT 'int4; select 1'::regtype");
    await expectSameError("SELECT 'other_db.public.child'::regclass");
    await expectSame(`SELECT (current_database() || '.public.child')::regclass::text`);
  });

  it('unknown functions give 42883, ambiguous names 42725, unknown schemas 3F000', async () => {
    await expectSameError("SELECT 'no_such_function'::regproc");
    await expectSameError("SELECT 'public.now'::regproc");
    await expectSameError("SELECT 'abs'::regproc");
    await expectSameError("SELECT 'no_schema.now'::regproc");
    await expectSameError("SELECT 'abs(text)'::regprocedure");
    await expectSameError("SELECT 'now'::regprocedure");
  });

  it('regrole reads and prints role names; unknown roles give 42704', async () => {
    for (const sql of ['CREATE ROLE app_reader', 'CREATE ROLE "Mixed Role"']) {
      expect((await onPostgres.query(sql)).ok).toBe(true);
      await onKeel.query(sql);
    }
    try {
      await expectSame(`
        SELECT 'app_reader'::regrole::text, '"app_reader"'::regrole::text, ' APP_READER'::regrole::text,
               '"Mixed Role"'::regrole::text, 0::regrole::text,
               (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'app_reader')::regrole::text,
               'app_reader'::regrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'app_reader'),
               (SELECT pg_catalog.pg_get_userbyid(c.relowner) = c.relowner::regrole::text
                FROM pg_catalog.pg_class c WHERE c.oid = 'child'::regclass)`);
      await expectSameError("SELECT 'no_such_role'::regrole");
      await expectSameError("SELECT 'Mixed Role'::regrole");
    } finally {
      for (const sql of ['DROP ROLE app_reader', 'DROP ROLE "Mixed Role"']) {
        await onPostgres.query(sql);
        await onKeel.query(sql);
      }
    }
  });
});

describe('set-returning catalog functions', () => {
  async function onBoth(sql: string): Promise<void> {
    expect((await onPostgres.query(sql)).ok).toBe(true);
    await onKeel.query(sql);
  }

  it('pg_listening_channels lists the committed LISTENs of the session', async () => {
    const listed = `SELECT pg_catalog.array_to_string(pg_catalog.array_agg(c ORDER BY c), ',') AS channels,
                           (SELECT count(*) FROM pg_catalog.pg_listening_channels()) AS n
                    FROM pg_catalog.pg_listening_channels() AS c`;
    await onBoth('LISTEN ch_b');
    await onBoth('LISTEN "Ch_A"');
    await expectSame(listed);
    await onBoth('BEGIN');
    await onBoth('LISTEN ch_c');
    await expectSame(`${listed} UNION ALL SELECT pg_catalog.pg_listening_channels(), NULL ORDER BY 1`);
    await onBoth('COMMIT');
    await expectSame(listed);
    await onBoth('UNLISTEN ch_b');
    await expectSame(listed);
    await onBoth('UNLISTEN *');
    await expectSame(listed);
  });
});

describe('more catalogs clients read', () => {
  it('pg_description names its catalog (classoid::regclass), pg_sequence and information_schema.schemata agree', async () => {
    await expectSame(`
      SELECT d.objsubid, d.description, d.classoid::regclass::text
      FROM pg_catalog.pg_description d WHERE d.objoid = 'child'::regclass ORDER BY 1`);
    await expectSame(`
      SELECT seqrelid::regclass::text, seqtypid::regtype::text, seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle
      FROM pg_catalog.pg_sequence ORDER BY 1`);
    await expectSame(`
      SELECT schema_name FROM information_schema.schemata
      WHERE schema_name IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1`);
    await expectSame(`
      SELECT c.relname, a.amname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_am a ON a.oid = c.relam
      WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1`);
  });

  it('information_schema says views are not updatable, as Keel refuses DML on views', async () => {
    // PostgreSQL says YES for a simple single-table view (it rewrites DML on it); Keel answers
    // 42809 to INSERT/UPDATE/DELETE on any view, so its catalog must not promise otherwise.
    await expect(onKeel.query("INSERT INTO parent_names VALUES ('x')")).rejects.toMatchObject({
      code: '42809',
    });
    const views = await onKeel.query(
      "SELECT is_updatable, is_insertable_into FROM information_schema.views WHERE table_name = 'parent_names'",
    );
    expect(views.rows).toEqual([{ is_updatable: 'NO', is_insertable_into: 'NO' }]);
    const columns = await onKeel.query(
      `SELECT table_name, is_updatable FROM information_schema.columns
       WHERE table_name IN ('parent', 'parent_names') AND column_name = 'name' ORDER BY 1`,
    );
    expect(columns.rows).toEqual([
      { table_name: 'parent', is_updatable: 'YES' },
      { table_name: 'parent_names', is_updatable: 'NO' },
    ]);
  });

  it('pg_database has template1 and template0 as initdb makes them', async () => {
    await expectSame(`
      SELECT oid, datname, datistemplate, datallowconn, datconnlimit, encoding, datcollate, datctype,
             pg_catalog.array_length(datacl, 1)
      FROM pg_catalog.pg_database WHERE datname IN ('template0', 'template1', 'postgres') ORDER BY oid`);
  });

  it('pg_proc lists built-in functions with their signatures', async () => {
    const sql = `
      SELECT proname, pronargs, prorettype::regtype::text, proretset, proisstrict, provolatile,
             pg_catalog.array_to_string(proargtypes::regtype[], ',') AS args
      FROM pg_catalog.pg_proc
      WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind = 'f'
        AND (proname, pg_catalog.array_to_string(proargtypes::regtype[], ',')) IN
            (('lower', 'text'), ('now', ''), ('generate_series', 'integer,integer'), ('version', ''),
             ('abs', 'integer'), ('current_setting', 'text'))
      ORDER BY 1`;
    await expectSame(sql);
  });
});

describe('live views', () => {
  it('reports a PostgreSQL 16 compatible version naming Keel', async () => {
    const result = await onKeel.query('SELECT version() AS v, current_setting($1) AS n', [
      'server_version_num',
    ]);
    expect(result.rows[0].v).toMatch(/^PostgreSQL 16\.\d+ \(Keel [\d.]+\) on /);
    expect(Number(result.rows[0].n)).toBeGreaterThanOrEqual(160_000);
  });

  it('pg_stat_activity shows a waiting session, and pg_cancel_backend cancels it', async () => {
    const holder = new pg.Client(node.clientConfig());
    const waiter = new pg.Client({ ...node.clientConfig(), application_name: 'the-waiter' });
    await holder.connect();
    await waiter.connect();
    await onKeel.query("INSERT INTO parent VALUES (1, 'one') ON CONFLICT DO NOTHING");
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM parent WHERE id = 1 FOR UPDATE');
    const blocked = waiter.query("UPDATE parent SET name = 'uno' WHERE id = 1");
    const settled = blocked.then(
      () => null,
      (error: { code?: string }) => error,
    );
    const row = await waitFor(
      async () => {
        const result = await onKeel.query(
          `SELECT pid, state, query, usename, datname FROM pg_stat_activity
           WHERE application_name = 'the-waiter' AND state = 'active'`,
        );
        return result.rows[0] as { pid: string; query: string; usename: string; datname: string } | undefined;
      },
      { what: 'the waiting session in pg_stat_activity' },
    );
    expect(row).toMatchObject({
      query: "UPDATE parent SET name = 'uno' WHERE id = 1",
      usename: 'keel',
      datname: 'keel',
    });
    const cancelled = await onKeel.query('SELECT pg_cancel_backend($1::int) AS ok', [row.pid]);
    expect(cancelled.rows[0]).toEqual({ ok: 't' });
    expect(await settled).toMatchObject({ code: '57014' });
    await holder.query('ROLLBACK');
    const idle = await onKeel.query(
      "SELECT state FROM pg_stat_activity WHERE application_name = 'the-waiter'",
    );
    expect(idle.rows).toEqual([{ state: 'idle' }]);
    await holder.end();
    await waiter.end();
  });

  it('pg_terminate_backend ends a running session with 57P01', async () => {
    const holder = new pg.Client(node.clientConfig());
    const victim = new pg.Client({ ...node.clientConfig(), application_name: 'the-victim' });
    await holder.connect();
    await victim.connect();
    victim.on('error', () => {});
    await onKeel.query("INSERT INTO parent VALUES (1, 'one') ON CONFLICT DO NOTHING");
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM parent WHERE id = 1 FOR UPDATE');
    const outcome = victim.query("UPDATE parent SET name = 'gone' WHERE id = 1").then(
      () => null,
      (error: { code?: string }) => error,
    );
    const pid = await waitFor(
      async () => {
        const result = await onKeel.query(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'the-victim' AND state = 'active'",
        );
        return (result.rows[0] as { pid: string } | undefined)?.pid;
      },
      { what: 'the victim waiting' },
    );
    const terminated = await onKeel.query('SELECT pg_terminate_backend($1::int) AS ok', [pid]);
    expect(terminated.rows[0]).toEqual({ ok: 't' });
    expect(await outcome).toMatchObject({ code: '57P01' });
    await holder.query('ROLLBACK');
    await waitFor(
      async () => {
        const left = await onKeel.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'the-victim'",
        );
        return left.rows[0]?.n === '0';
      },
      { what: 'the terminated session to leave pg_stat_activity' },
    );
    await holder.end();
  });

  it('pg_settings shows the session settings and pg_database the databases', async () => {
    await onKeel.query("SET TimeZone = 'Europe/Berlin'");
    const settings = await onKeel.query("SELECT setting FROM pg_settings WHERE name = 'TimeZone'");
    expect(settings.rows).toEqual([{ setting: 'Europe/Berlin' }]);
    await onKeel.query('RESET TimeZone');
    const databases = await onKeel.query('SELECT datname FROM pg_database ORDER BY 1');
    expect(databases.rows).toEqual([
      { datname: 'keel' },
      { datname: 'postgres' },
      { datname: 'template0' },
      { datname: 'template1' },
    ]);
  });

  it('pg_authid is for superusers only', async () => {
    await onKeel.query("CREATE ROLE reader LOGIN PASSWORD 'r'");
    const reader = new pg.Client(node.clientConfig({ user: 'reader', password: 'r' }));
    await reader.connect();
    await expect(reader.query('SELECT rolname FROM pg_authid')).rejects.toMatchObject({ code: '42501' });
    const roles = await reader.query("SELECT rolname, rolpassword FROM pg_roles WHERE rolname = 'reader'");
    expect(roles.rows).toEqual([{ rolname: 'reader', rolpassword: '********' }]);
    await reader.end();
    await onKeel.query('DROP ROLE reader');
  });
});
