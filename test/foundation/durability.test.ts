/**
 * Durability from day one: every row whose COMMIT was acknowledged survives kill -9 of the node,
 * while writes of transactions that never committed do not appear after the restart.
 */
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

describe('crash durability', () => {
  it('keeps every acknowledged commit across kill -9 and loses uncommitted work', async () => {
    const node = await KeelProcess.start();
    try {
      const setup = new pg.Client(node.clientConfig());
      await setup.connect();
      await setup.query('CREATE TABLE ledger (id int8 PRIMARY KEY, writer int4, note text)');
      await setup.end();

      const acknowledged: number[] = [];
      const writers = await Promise.all(
        [0, 1, 2, 3].map(async () => {
          const client = new pg.Client(node.clientConfig());
          client.on('error', () => {});
          await client.connect();
          return client;
        }),
      );
      const open = new pg.Client(node.clientConfig());
      open.on('error', () => {});
      await open.connect();
      await open.query('BEGIN');
      await open.query("INSERT INTO ledger VALUES (-1, -1, 'never committed')");

      let stop = false;
      const loops = writers.map(async (client, writer) => {
        for (let i = 0; !stop; i++) {
          const id = writer * 1_000_000 + i;
          try {
            await client.query('INSERT INTO ledger VALUES ($1, $2, $3)', [id, writer, `row ${i}`]);
            acknowledged.push(id);
          } catch {
            return;
          }
        }
      });
      while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 5));
      await node.kill9();
      stop = true;
      await Promise.all(loops);

      const restarted = await node.restart();
      const reader = new pg.Client(restarted.clientConfig());
      await reader.connect();
      const rows = await reader.query('SELECT id FROM ledger');
      const present = new Set(rows.rows.map((r: { id: string }) => Number(r.id)));
      const missing = acknowledged.filter((id) => !present.has(id));
      expect(missing, `acknowledged commits lost after kill -9: ${missing.slice(0, 10).join(', ')}`).toEqual(
        [],
      );
      expect(present.has(-1)).toBe(false);
      await reader.end();
      await restarted.stop();
      for (const client of [...writers, open]) await client.end().catch(() => {});
    } finally {
      await node.dispose();
    }
  });
});
