/**
 * Knex (pg client), its typical workflow against a real node: migrations (knex_migrations and
 * its lock table, up and down), hasTable/hasColumn introspection through information_schema,
 * query builder inserts and parameterised selects, a transaction rolled back, error codes, a
 * large result, and .timeout(ms, { cancel: true }), with which Knex cancels the running query
 * through pg_cancel_backend.
 */
import { KeelProcess } from '@keel/testkit';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdRowLock } from './client-workflow.js';

let node: KeelProcess;
let knex: Knex;

const migrations: Record<string, Knex.Migration> = {
  '001_books': {
    up: (k) =>
      k.schema.createTable('books', (t) => {
        t.increments('id');
        t.string('title', 200).notNullable().unique();
        t.integer('pages').defaultTo(0);
        t.decimal('price', 8, 2);
        t.timestamps(true, true);
      }),
    down: (k) => k.schema.dropTable('books'),
  },
  '002_reviews': {
    up: (k) =>
      k.schema.createTable('reviews', (t) => {
        t.increments('id');
        t.integer('book_id').notNullable().references('id').inTable('books').onDelete('CASCADE');
        t.text('body');
        t.index(['book_id']);
      }),
    down: (k) => k.schema.dropTable('reviews'),
  },
};

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name] as Knex.Migration,
};

beforeAll(async () => {
  node = await KeelProcess.start();
  knex = knexFactory({ client: 'pg', connection: node.clientConfig(), pool: { min: 0, max: 3 } });
});

afterAll(async () => {
  await knex?.destroy();
  await node?.dispose();
});

describe('Knex', () => {
  it('runs migrations up and down and introspects the result', async () => {
    const [, applied] = await knex.migrate.latest({ migrationSource });
    expect(applied).toEqual(['001_books', '002_reviews']);
    expect(await knex.schema.hasTable('reviews')).toBe(true);
    expect(await knex.schema.hasColumn('books', 'price')).toBe(true);
    const [, rolledBack] = await knex.migrate.rollback({ migrationSource });
    expect(rolledBack).toEqual(['002_reviews', '001_books']);
    expect(await knex.schema.hasTable('books')).toBe(false);
    await knex.migrate.latest({ migrationSource });
    const status = await knex('knex_migrations').select('name').orderBy('id');
    expect(status.map((r) => r.name)).toEqual(['001_books', '002_reviews']);
  });

  it('inserts and queries with bindings', async () => {
    const [book] = await knex('books')
      .insert({ title: 'SICP', pages: 657, price: '54.00' })
      .returning(['id', 'title']);
    await knex('reviews').insert([
      { book_id: book.id, body: 'classic' },
      { book_id: book.id, body: 'dense' },
    ]);
    const rows = await knex('books')
      .join('reviews', 'reviews.book_id', 'books.id')
      .where('books.pages', '>', 100)
      .select('books.title', 'reviews.body')
      .orderBy('reviews.body');
    expect(rows).toEqual([
      { title: 'SICP', body: 'classic' },
      { title: 'SICP', body: 'dense' },
    ]);
    const counted = await knex.raw('SELECT count(*)::int AS n FROM reviews WHERE body = ?', ['dense']);
    expect(counted.rows).toEqual([{ n: 1 }]);
  });

  it('rolls back a transaction on error and reports the code', async () => {
    await expect(
      knex.transaction(async (trx) => {
        await trx('books').update({ pages: 1 });
        await trx('books').insert({ title: 'SICP' });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await knex('books').select('pages')).toEqual([{ pages: 657 }]);
  });

  it('reads a large result', async () => {
    await knex.raw(
      "INSERT INTO books (title, pages) SELECT 'book ' || g::text, g FROM generate_series(1, 10000) AS g",
    );
    const rows = await knex('books').select('id', 'pages').where('pages', '>=', 0);
    expect(rows).toHaveLength(10_001);
  });

  it('cancels a query that exceeds its timeout', async () => {
    const lock = await holdRowLock(node, 'books', 1);
    try {
      await expect(
        knex.raw('UPDATE books SET pages = 2 WHERE id = 1').timeout(300, { cancel: true }),
      ).rejects.toMatchObject({
        name: 'KnexTimeoutError',
      });
      expect(await knex('books').where('id', 1).first('pages')).toEqual({ pages: 657 });
    } finally {
      await lock.release();
    }
  });
});
