/**
 * CancelRequest really cancels: a long-running statement fails with 57014 and the session goes
 * on; statement_timeout does the same by itself.
 */
import net from 'node:net';
import { KeelProcess } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start();
  const setup = new pg.Client(node.clientConfig());
  await setup.connect();
  await setup.query('CREATE TABLE big (id int8 PRIMARY KEY, pad text)');
  await setup.query("INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) AS g");
  await setup.end();
});

afterAll(async () => {
  await node.dispose();
});

/** The protocol's CancelRequest on its own connection, as libpq sends it. */
function sendCancelRequest(port: number, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(80_877_102, 4);
    packet.writeInt32BE(processId, 8);
    packet.writeInt32BE(secretKey, 12);
    const socket = net.connect(port, '127.0.0.1', () => socket.end(packet));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

const slowQuery = 'SELECT count(*) FROM big a, big b WHERE a.id + b.id = -1';

describe('cancellation', () => {
  it('cancels a running statement on CancelRequest with 57014', async () => {
    const client = new pg.Client(node.clientConfig());
    await client.connect();
    // Settled into a value at once: the error may arrive before the cancel socket closes.
    const running = client.query(slowQuery).then(
      () => new Error('the statement finished instead of being canceled'),
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const keys = client as unknown as { processID: number; secretKey: number };
    await sendCancelRequest(node.pgPort, keys.processID, keys.secretKey);
    expect(await running).toMatchObject({
      code: '57014',
      message: 'canceling statement due to user request',
    });
    expect((await client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
    await client.end();
  });

  it('stops a statement that exceeds statement_timeout', async () => {
    const client = new pg.Client(node.clientConfig());
    await client.connect();
    await client.query("SET statement_timeout = '200ms'");
    await expect(client.query(slowQuery)).rejects.toMatchObject({
      code: '57014',
      message: 'canceling statement due to statement timeout',
    });
    expect((await client.query('SELECT 2 AS alive')).rows).toEqual([{ alive: 2 }]);
    await client.end();
  });
});
