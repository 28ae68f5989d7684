/**
 * COPY through the copy sub-protocol: FROM STDIN and TO STDOUT in text and CSV with their
 * options, COPY (query) TO, column lists, bad rows reported with their line number and
 * PostgreSQL's SQLSTATE, failed COPYs leaving the table as it was, server files refused, and a
 * bulk load that goes through constraints, defaults and unique indexes. Clients: psql and
 * node-postgres with pg-copy-streams.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keelTarget, runPsql } from './psql-runner.js';

let node: KeelProcess;
let client: pg.Client;

beforeAll(async () => {
  node = await KeelProcess.start();
  client = new pg.Client(node.clientConfig());
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await node?.dispose();
});

beforeEach(async () => {
  await client.query('DROP TABLE IF EXISTS items');
  await client.query(
    `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2) DEFAULT 9.99 CHECK (price >= 0),
       code varchar(4), added date)`,
  );
});

async function copyIn(sql: string, data: string): Promise<void> {
  await pipeline(Readable.from([Buffer.from(data)]), client.query(copyFrom(sql)));
}

async function copyOut(sql: string): Promise<string> {
  const chunks: Buffer[] = [];
  await pipeline(
    client.query(copyTo(sql)),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks).toString('utf8');
}

async function rows(): Promise<unknown[][]> {
  const result = await client.query({ text: 'SELECT * FROM items ORDER BY id', rowMode: 'array' });
  return result.rows;
}

describe('COPY FROM STDIN', () => {
  it('loads text format with escapes, NULLs and defaults for unlisted columns', async () => {
    await copyIn('COPY items (id, name, code) FROM STDIN', '1\ttab\\there\tA\n2\tback\\\\slash\t\\N\n\\.\n');
    const result = await client.query('SELECT id, name, price::text, code FROM items ORDER BY id');
    expect(result.rows).toEqual([
      { id: 1, name: 'tab\there', price: '9.99', code: 'A' },
      { id: 2, name: 'back\\slash', price: '9.99', code: null },
    ]);
  });

  it('loads CSV with a header, quotes, embedded newlines and a custom NULL and delimiter', async () => {
    await copyIn(
      "COPY items (id, name, code) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NIL')",
      'id;name;code\n1;"semi;colon";NIL\n2;"two\nlines";"NIL"\n3;"say ""hi""";x\n',
    );
    const result = await client.query('SELECT id, name, code FROM items ORDER BY id');
    expect(result.rows).toEqual([
      { id: 1, name: 'semi;colon', code: null },
      { id: 2, name: 'two\nlines', code: 'NIL' },
      { id: 3, name: 'say "hi"', code: 'x' },
    ]);
  });

  it('honours ESCAPE and FORCE_NOT_NULL in CSV', async () => {
    await copyIn(
      "COPY items (id, name, code) FROM STDIN WITH (FORMAT csv, QUOTE '''', ESCAPE '\\', FORCE_NOT_NULL (code))",
      "1,'it\\'s',\n",
    );
    expect(await rows()).toEqual([[1, "it's", '9.99', '', null]]);
  });

  it('applies an optional WHERE clause to the incoming rows', async () => {
    await copyIn('COPY items (id, name) FROM STDIN WHERE id > 1', '1\ta\n2\tb\n3\tc\n');
    expect((await client.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 });
  });

  it('reports a short row as 22P04 with its line number and keeps the table unchanged', async () => {
    await client.query("INSERT INTO items (id, name) VALUES (100, 'kept')");
    await expect(copyIn('COPY items (id, name) FROM STDIN', '1\ta\n2\n3\tc\n')).rejects.toMatchObject({
      code: '22P04',
      message: 'missing data for column "name"',
      detail: expect.stringContaining('COPY items, line 2: "2"'),
    });
    await expect(copyIn('COPY items (id, name) FROM STDIN', '1\ta\textra\n')).rejects.toMatchObject({
      code: '22P04',
      message: 'extra data after last expected column',
    });
    expect(await rows()).toEqual([[100, 'kept', '9.99', null, null]]);
  });

  it('reports a bad value as 22P02 naming line and column', async () => {
    await expect(copyIn('COPY items (id, name) FROM STDIN', '1\ta\nseven\tb\n')).rejects.toMatchObject({
      code: '22P02',
      message: 'invalid input syntax for type integer: "seven"',
      detail: expect.stringContaining('COPY items, line 2, column id: "seven"'),
    });
    expect(await rows()).toEqual([]);
  });

  it('checks NOT NULL, CHECK, varchar length and unique constraints through the insert path', async () => {
    const cases: [string, string, string, string][] = [
      [
        '(id, name)',
        '1\t\\N\n',
        '23502',
        'null value in column "name" of relation "items" violates not-null constraint',
      ],
      [
        '(id, name, price)',
        '1\ta\t-1\n',
        '23514',
        'new row for relation "items" violates check constraint "items_price_check"',
      ],
      [
        '(id, name, price, code)',
        '1\ta\t1\ttoolong\n',
        '22001',
        'value too long for type character varying(4)',
      ],
      [
        '(id, name)',
        '1\ta\n2\tb\n1\tc\n',
        '23505',
        'duplicate key value violates unique constraint "items_pkey"',
      ],
    ];
    for (const [columns, data, code, message] of cases) {
      await expect(copyIn(`COPY items ${columns} FROM STDIN`, data)).rejects.toMatchObject({ code, message });
    }
    await expect(copyIn('COPY items (id, name) FROM STDIN', '1\ta\n2\tb\n1\tc\n')).rejects.toMatchObject({
      detail: expect.stringContaining('COPY items, line 3'),
    });
    expect(await rows()).toEqual([]);
  });

  it('runs inside the transaction block: a failed COPY aborts it, a rolled-back one leaves nothing', async () => {
    await client.query('BEGIN');
    await copyIn('COPY items (id, name) FROM STDIN', '1\ta\n2\tb\n');
    expect((await client.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 });
    await client.query('ROLLBACK');
    expect(await rows()).toEqual([]);
    await client.query('BEGIN');
    await expect(copyIn('COPY items (id, name) FROM STDIN', 'x\ty\n')).rejects.toMatchObject({
      code: '22P02',
    });
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    await client.query('ROLLBACK');
  });

  it('loads 20,000 rows in one COPY and they are all there', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 20_000; i++)
      lines.push(`${i}\tname ${i}\t${i % 100}.5\t${i % 7}\t2024-01-${(i % 28) + 1}`);
    await copyIn('COPY items FROM STDIN', `${lines.join('\n')}\n`);
    const result = await client.query(
      'SELECT count(*)::int AS n, sum(id)::text AS s, max(added)::text AS d FROM items',
    );
    expect(result.rows[0]).toEqual({ n: 20_000, s: String((20_000 * 20_001) / 2), d: '2024-01-28' });
  });

  it('refuses server-side files and unknown options like PostgreSQL', async () => {
    await expect(client.query("COPY items FROM '/etc/passwd'")).rejects.toMatchObject({ code: '0A000' });
    await expect(client.query('COPY items TO STDOUT (FORMAT csv, FORMAT text)')).rejects.toMatchObject({
      code: '42601',
    });
    await expect(client.query("COPY items FROM STDIN (QUOTE '\"')")).rejects.toMatchObject({
      code: '0A000',
      message: 'COPY quote available only in CSV mode',
    });
    await expect(client.query('COPY items (nope) TO STDOUT')).rejects.toMatchObject({ code: '42703' });
    await client.query("CREATE ROLE plain LOGIN PASSWORD 'p'");
    const plain = new pg.Client(node.clientConfig({ user: 'plain', password: 'p' }));
    await plain.connect();
    await expect(plain.query("COPY items FROM '/tmp/x'")).rejects.toMatchObject({ code: '42501' });
    await plain.end();
    await client.query('DROP ROLE plain');
  });
});

describe('COPY TO STDOUT', () => {
  beforeEach(async () => {
    await client.query(
      `INSERT INTO items VALUES (1, 'plain', 1.5, 'a', '2024-02-03'), (2, E'tab\\tand\\nnewline', NULL, NULL, NULL),
       (3, 'comma, "quoted"', 0, '', NULL)`,
    );
  });

  it('writes text format with escapes and \\N', async () => {
    expect(await copyOut('COPY items TO STDOUT')).toBe(
      '1\tplain\t1.50\ta\t2024-02-03\n2\ttab\\tand\\nnewline\t\\N\t\\N\t\\N\n3\tcomma, "quoted"\t0.00\t\t\\N\n',
    );
  });

  it('writes CSV with a header, quoting what needs it and FORCE_QUOTE', async () => {
    expect(
      await copyOut('COPY items (id, name, code) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE (code))'),
    ).toBe('id,name,code\n1,plain,"a"\n2,"tab\tand\nnewline",\n3,"comma, ""quoted""",""\n');
  });

  it('copies the result of a query with a custom delimiter and NULL', async () => {
    expect(
      await copyOut(
        "COPY (SELECT id, code FROM items ORDER BY id DESC) TO STDOUT (DELIMITER '|', NULL 'none')",
      ),
    ).toBe('3|\n2|none\n1|a\n');
  });

  it('round-trips through psql \\copy', () => {
    const out = runPsql(keelTarget(node), [
      '-c',
      '\\copy (SELECT id, name FROM items ORDER BY id) TO STDOUT WITH CSV',
    ]);
    expect(out.stdout).toBe('1,plain\n2,"tab\tand\nnewline"\n3,"comma, ""quoted"""\n');
    const load = runPsql(
      keelTarget(node),
      ['-c', '\\copy items (id, name) FROM STDIN WITH CSV'],
      '10,ten\n11,eleven\n',
    );
    expect(load.stdout).toBe('COPY 2\n');
  });
});
