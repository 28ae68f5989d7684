/**
 * Drizzle ORM (node-postgres driver) with its migrator, its typical workflow against a real
 * node: migrations in drizzle-kit's folder format (the drizzle schema and __drizzle_migrations
 * table, applied once), typed inserts with returning, parameterised selects with joins,
 * db.transaction with tx.rollback(), error codes, a large result, and statement_timeout
 * cancelling a waiting statement.
 */
import { fileURLToPath } from 'node:url';
import { KeelProcess } from '@keel/testkit';
import { count, eq, gt, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { boolean, integer, pgTable, serial, text, timestamp, varchar } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdRowLock } from './client-workflow.js';

const authors = pgTable('authors', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  email: varchar('email', { length: 255 }).notNull().unique(),
});

const posts = pgTable('posts', {
  id: serial('id').primaryKey(),
  authorId: integer('author_id')
    .notNull()
    .references(() => authors.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  published: boolean('published').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

const migrationsFolder = fileURLToPath(new URL('./drizzle-migrations', import.meta.url));

let node: KeelProcess;
let pool: pg.Pool;
let db: NodePgDatabase;

beforeAll(async () => {
  node = await KeelProcess.start();
  pool = new pg.Pool({ ...node.clientConfig(), max: 3 });
  db = drizzle(pool);
});

afterAll(async () => {
  await pool?.end();
  await node?.dispose();
});

describe('Drizzle', () => {
  it('applies migrations once with its migrator', async () => {
    await migrate(db, { migrationsFolder });
    await migrate(db, { migrationsFolder });
    const applied = await db.execute(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    expect(applied.rows).toEqual([{ n: 2 }]);
    const indexes = await db.execute(
      sql`SELECT indexname FROM pg_indexes WHERE tablename = 'posts' ORDER BY 1`,
    );
    expect(indexes.rows).toEqual([{ indexname: 'posts_author_idx' }, { indexname: 'posts_pkey' }]);
  });

  it('inserts and queries with parameters and joins', async () => {
    const [author] = await db
      .insert(authors)
      .values({ name: 'Ursula', email: 'ukl@example.com' })
      .returning();
    expect(author).toMatchObject({ id: 1, name: 'Ursula' });
    await db.insert(posts).values([
      { authorId: author?.id ?? 0, title: 'The Dispossessed', published: true },
      { authorId: author?.id ?? 0, title: 'Draft' },
    ]);
    const rows = await db
      .select({ title: posts.title, author: authors.name })
      .from(posts)
      .innerJoin(authors, eq(posts.authorId, authors.id))
      .where(eq(posts.published, true));
    expect(rows).toEqual([{ title: 'The Dispossessed', author: 'Ursula' }]);
    const counted = await db.select({ value: count() }).from(posts).where(gt(posts.id, 0));
    expect(counted).toEqual([{ value: 2 }]);
  });

  it('rolls back transactions and reports error codes', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.update(posts).set({ published: true });
        tx.rollback();
      }),
    ).rejects.toThrow();
    const published = await db.select({ id: posts.id }).from(posts).where(eq(posts.published, true));
    expect(published).toHaveLength(1);
    await expect(db.insert(authors).values({ name: 'Copy', email: 'ukl@example.com' })).rejects.toMatchObject(
      {
        cause: { code: '23505' },
      },
    );
  });

  it('reads a large result', async () => {
    await db.execute(
      sql`INSERT INTO posts (author_id, title) SELECT 1, 'post ' || g::text FROM generate_series(1, 10000) AS g`,
    );
    const rows = await db.select({ id: posts.id }).from(posts);
    expect(rows).toHaveLength(10_002);
  });

  it('cancels a waiting statement with statement_timeout', async () => {
    const lock = await holdRowLock(node, 'authors', 1);
    const client = await pool.connect();
    try {
      const session = drizzle(client);
      await session.execute(sql`SET statement_timeout = '300ms'`);
      await expect(session.update(authors).set({ name: 'x' }).where(eq(authors.id, 1))).rejects.toMatchObject(
        {
          cause: { code: '57014' },
        },
      );
      await session.execute(sql`RESET statement_timeout`);
    } finally {
      client.release();
      await lock.release();
    }
  });
});
