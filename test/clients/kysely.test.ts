/**
 * Kysely with its PostgresDialect (node-postgres pool, pg-cursor for streaming), its typical
 * workflow against a real node: schema builder DDL, typed inserts and selects (parameters),
 * a transaction rolled back by a thrown error, error codes, a large result streamed, schema
 * introspection (Kysely reads pg_catalog), and statement_timeout cancelling a waiting query.
 */
import { KeelProcess } from '@keel/testkit';
import { type Generated, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdRowLock } from './client-workflow.js';

interface Database {
  person: { id: Generated<number>; first_name: string; last_name: string | null; age: number };
  pet: { id: Generated<number>; name: string; owner_id: number };
}

let node: KeelProcess;
let db: Kysely<Database>;

beforeAll(async () => {
  node = await KeelProcess.start();
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ ...node.clientConfig(), max: 3 }), cursor: Cursor }),
  });
});

afterAll(async () => {
  await db?.destroy();
  await node?.dispose();
});

describe('Kysely', () => {
  it('creates tables with the schema builder and introspects them', async () => {
    await db.schema
      .createTable('person')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('first_name', 'varchar(50)', (c) => c.notNull())
      .addColumn('last_name', 'varchar(50)')
      .addColumn('age', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('pet')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('owner_id', 'integer', (c) => c.references('person.id').onDelete('cascade').notNull())
      .execute();
    await db.schema.createIndex('pet_owner_idx').on('pet').column('owner_id').execute();
    const tables = await db.introspection.getTables();
    const person = tables.find((t) => t.name === 'person');
    expect(tables.map((t) => t.name).sort()).toEqual(['person', 'pet']);
    expect(
      person?.columns.map((c) => [c.name, c.dataType, c.isNullable, c.hasDefaultValue, c.isAutoIncrementing]),
    ).toEqual([
      ['id', 'int4', false, true, true],
      ['first_name', 'varchar', false, false, false],
      ['last_name', 'varchar', true, false, false],
      ['age', 'int4', false, true, false],
    ]);
  });

  it('inserts and selects with parameters and joins', async () => {
    const { id } = await db
      .insertInto('person')
      .values({ first_name: 'Jennifer', last_name: 'Aniston', age: 40 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('pet').values({ name: 'Catto', owner_id: id }).execute();
    const rows = await db
      .selectFrom('person')
      .innerJoin('pet', 'pet.owner_id', 'person.id')
      .select(['person.first_name', 'pet.name as pet_name'])
      .where('person.age', '>', 30)
      .execute();
    expect(rows).toEqual([{ first_name: 'Jennifer', pet_name: 'Catto' }]);
  });

  it('rolls back a failed transaction and reports the error code', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.updateTable('person').set({ age: 99 }).execute();
        await trx.insertInto('pet').values({ name: 'Catto', owner_id: 1 }).execute();
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const ages = await db.selectFrom('person').select('age').execute();
    expect(ages).toEqual([{ age: 40 }]);
  });

  it('streams a large result', async () => {
    await sql`INSERT INTO person (first_name, age) SELECT 'p' || g::text, g % 90 FROM generate_series(1, 10000) AS g`.execute(
      db,
    );
    let count = 0;
    for await (const row of db.selectFrom('person').select(['id', 'age']).stream(500)) {
      if (row.age >= 0) count++;
    }
    expect(count).toBe(10_001);
  });

  it('cancels a waiting statement with statement_timeout', async () => {
    const lock = await holdRowLock(node, 'person', 1);
    try {
      await expect(
        db.connection().execute(async (conn) => {
          await sql`SET statement_timeout = '300ms'`.execute(conn);
          try {
            await conn.updateTable('person').set({ age: 1 }).where('id', '=', 1).execute();
          } finally {
            await sql`RESET statement_timeout`.execute(conn);
          }
        }),
      ).rejects.toMatchObject({ code: '57014' });
    } finally {
      await lock.release();
    }
  });
});
