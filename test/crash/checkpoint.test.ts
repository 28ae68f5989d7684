/**
 * CHECKPOINT as a statement (storage issue, point 5) against a real node: it completes a
 * checkpoint at once (keel_checkpoints_total goes up and the redo point moves past the work
 * done before it, per /metrics), and a node killed with SIGKILL afterwards recovers from that
 * redo point with every acknowledged row, before and after the checkpoint.
 */
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const nodes: KeelProcess[] = [];
afterAll(async () => {
  for (const n of nodes.reverse()) await n.dispose();
});

async function metric(node: KeelProcess, name: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ').at(-1));
}

describe('CHECKPOINT', () => {
  it('checkpoints on demand, and recovery after SIGKILL starts from its redo point', async () => {
    // No timed or volume checkpoints: only the statement (and shutdown) checkpoints.
    const node = await KeelProcess.start({
      args: ['--checkpoint-interval-s', '3600', '--checkpoint-wal-mb', '4096'],
    });
    nodes.push(node);
    const c = new pg.Client(node.clientConfig());
    await c.connect();
    await c.query('CREATE TABLE ck (id int8 PRIMARY KEY, v text)');
    await c.query("INSERT INTO ck SELECT g, repeat('x', 200) FROM generate_series(1, 5000) AS g");
    const completedBefore = await metric(node, 'keel_checkpoints_total');
    const redoBefore = await metric(node, 'keel_checkpoint_redo_lsn_bytes');

    const result = await c.query('CHECKPOINT');
    expect(result.command).toBe('CHECKPOINT');
    expect(await metric(node, 'keel_checkpoints_total')).toBe(completedBefore + 1);
    // 5000 rows of 200 bytes were logged since the previous redo point.
    expect(await metric(node, 'keel_checkpoint_redo_lsn_bytes')).toBeGreaterThan(redoBefore + 1_000_000);

    await c.query("INSERT INTO ck SELECT g, 'after' FROM generate_series(5001, 5100) AS g");
    await c.query("UPDATE ck SET v = 'changed' WHERE id <= 10");
    await c.end().catch(() => undefined);
    await node.kill9();

    const restarted = await node.restart();
    nodes.push(restarted);
    const r = new pg.Client(restarted.clientConfig());
    await r.connect();
    const counts = await r.query(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE v = 'after')::int AS after, count(*) FILTER (WHERE v = 'changed')::int AS changed FROM ck",
    );
    expect(counts.rows[0]).toEqual({ n: 5100, after: 100, changed: 10 });
    // The primary key agrees with the heap after redo.
    const viaIndex = await r.query('SELECT v FROM ck WHERE id = 5050');
    expect(viaIndex.rows).toEqual([{ v: 'after' }]);
    await r.end();
  }, 120_000);
});
