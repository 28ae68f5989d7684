/**
 * TypeORM (postgres driver over node-postgres), its typical production workflow against a real
 * node: migrations (the migrations table, a generated-style migration run once and reverted),
 * repository inserts and finds with parameters and relations, a transaction rolled back,
 * QueryFailedError with the driver's SQLSTATE, a large result, and statement_timeout
 * cancelling a waiting query; and schema synchronisation (synchronize: true) in a database of
 * its own, run twice: the second run introspects what the first created (correlated sub-queries
 * in LEFT JOIN ... ON, database.schema.table casts to regclass) and must change nothing.
 */
import 'reflect-metadata';
import { KeelProcess } from '@keel/testkit';
import { DataSource, EntitySchema, type MigrationInterface, MoreThan, type QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdRowLock } from './client-workflow.js';

interface Customer {
  id: number;
  name: string;
  email: string;
  credit: string;
  orders?: Order[];
}

interface Order {
  id: number;
  total: number;
  placedAt: Date;
  customer?: Customer;
}

const CustomerEntity = new EntitySchema<Customer>({
  name: 'Customer',
  tableName: 'customers',
  columns: {
    id: { type: 'int', primary: true, generated: 'increment' },
    name: { type: 'varchar', length: 100 },
    email: { type: 'text', unique: true },
    credit: { type: 'numeric', precision: 10, scale: 2, default: 0 },
  },
  relations: { orders: { type: 'one-to-many', target: 'Order', inverseSide: 'customer' } },
});

const OrderEntity = new EntitySchema<Order>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: 'int', primary: true, generated: 'increment' },
    total: { type: 'int' },
    placedAt: { type: 'timestamptz', createDate: true },
  },
  relations: { customer: { type: 'many-to-one', target: 'Customer', joinColumn: true, onDelete: 'CASCADE' } },
  indices: [{ name: 'orders_total_idx', columns: ['total'] }],
});

/** A migration as `typeorm migration:generate` writes them: raw SQL up and down. */
class CreateShop1732000000000 implements MigrationInterface {
  name = 'CreateShop1732000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "customers" ("id" SERIAL NOT NULL, "name" character varying(100) NOT NULL, "email" text NOT NULL, "credit" numeric(10,2) NOT NULL DEFAULT '0', CONSTRAINT "UQ_customers_email" UNIQUE ("email"), CONSTRAINT "PK_customers" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "orders" ("id" SERIAL NOT NULL, "total" integer NOT NULL, "placedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "customerId" integer, CONSTRAINT "PK_orders" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "orders_total_idx" ON "orders" ("total") `);
    await queryRunner.query(
      `ALTER TABLE "orders" ADD CONSTRAINT "FK_orders_customer" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "orders" DROP CONSTRAINT "FK_orders_customer"`);
    await queryRunner.query(`DROP INDEX "public"."orders_total_idx"`);
    await queryRunner.query(`DROP TABLE "orders"`);
    await queryRunner.query(`DROP TABLE "customers"`);
  }
}

let node: KeelProcess;
let dataSource: DataSource;

beforeAll(async () => {
  node = await KeelProcess.start();
  const config = node.clientConfig();
  dataSource = new DataSource({
    type: 'postgres',
    host: config.host,
    port: config.port,
    username: config.user,
    password: config.password,
    database: config.database,
    entities: [CustomerEntity, OrderEntity],
    migrations: [CreateShop1732000000000],
    synchronize: false,
    logging: false,
  });
  await dataSource.initialize();
});

afterAll(async () => {
  if (dataSource?.isInitialized) await dataSource.destroy();
  await node?.dispose();
});

describe('TypeORM', () => {
  it('synchronizes a schema, and a second synchronize finds nothing to change', async () => {
    await dataSource.query('CREATE DATABASE typeorm_sync');
    const config = node.clientConfig();
    const synced = () =>
      new DataSource({
        type: 'postgres',
        host: config.host,
        port: config.port,
        username: config.user,
        password: config.password,
        database: 'typeorm_sync',
        entities: [CustomerEntity, OrderEntity],
        synchronize: true,
        logging: false,
      });
    const first = await synced().initialize();
    await first.destroy();
    const second = await synced().initialize();
    try {
      const pending = await second.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      const saved = await second
        .getRepository(CustomerEntity)
        .save({ name: 'Sync', email: 'sync@example.com' });
      expect(saved.id).toBeGreaterThan(0);
      const tables = await second.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      expect(tables).toEqual([{ table_name: 'customers' }, { table_name: 'orders' }]);
    } finally {
      await second.destroy();
    }
  });

  it('runs, reverts and re-runs its migrations', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied.map((m) => m.name)).toEqual(['CreateShop1732000000000']);
    expect(await dataSource.runMigrations()).toEqual([]);
    await dataSource.undoLastMigration();
    const runner = dataSource.createQueryRunner();
    expect(await runner.hasTable('orders')).toBe(false);
    await dataSource.runMigrations();
    expect(await runner.hasTable('orders')).toBe(true);
    expect(await runner.hasColumn('orders', 'customerId')).toBe(true);
    await runner.release();
    const recorded = await dataSource.query('SELECT name FROM migrations');
    expect(recorded).toEqual([{ name: 'CreateShop1732000000000' }]);
  });

  it('saves and finds entities with relations and parameters', async () => {
    const customers = dataSource.getRepository(CustomerEntity);
    const orders = dataSource.getRepository(OrderEntity);
    const ada = await customers.save({ name: 'Ada', email: 'ada@example.com', credit: '12.50' });
    await orders.save([
      { total: 30, customer: ada },
      { total: 5, customer: ada },
    ]);
    const big = await orders.find({ where: { total: MoreThan(10) }, relations: { customer: true } });
    expect(big.map((o) => [o.total, o.customer?.name])).toEqual([[30, 'Ada']]);
    expect(big[0]?.placedAt).toBeInstanceOf(Date);
    const found = await customers.findOneByOrFail({ email: 'ada@example.com' });
    expect(found.credit).toBe('12.50');
  });

  it('rolls back a transaction and reports the SQLSTATE', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.getRepository(CustomerEntity).update({ name: 'Ada' }, { credit: '0' });
        await manager.getRepository(CustomerEntity).insert({ name: 'Copy', email: 'ada@example.com' });
      }),
    ).rejects.toMatchObject({ name: 'QueryFailedError', driverError: { code: '23505' } });
    const again = await dataSource.getRepository(CustomerEntity).findOneByOrFail({ name: 'Ada' });
    expect(again.credit).toBe('12.50');
  });

  it('reads a large result', async () => {
    await dataSource.query(
      'INSERT INTO orders (total, "customerId") SELECT g, 1 FROM generate_series(1, 10000) AS g',
    );
    const count = await dataSource.getRepository(OrderEntity).count({ where: { total: MoreThan(0) } });
    expect(count).toBe(10_002);
    const rows = await dataSource.getRepository(OrderEntity).find({ select: { id: true, total: true } });
    expect(rows).toHaveLength(10_002);
  });

  it('cancels a waiting query with statement_timeout', async () => {
    const lock = await holdRowLock(node, 'customers', 1);
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query("SET statement_timeout = '300ms'");
      await expect(runner.query("UPDATE customers SET name = 'x' WHERE id = 1")).rejects.toMatchObject({
        driverError: { code: '57014' },
      });
      await runner.query('RESET statement_timeout');
    } finally {
      await runner.release();
      await lock.release();
    }
  });
});
