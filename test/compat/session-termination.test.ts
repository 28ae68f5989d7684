/**
 * The engine ends sessions by itself as PostgreSQL does, and the client hears it while idle,
 * without sending anything: idle_in_transaction_session_timeout (FATAL 25P03, the transaction
 * rolled back and its locks released), idle_session_timeout (FATAL 57P05) and
 * pg_terminate_backend of an idle session (FATAL 57P01). Each arrives as an ErrorResponse on
 * the idle connection, which the server then closes.
 */
import { KeelProcess, waitFor } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let node: KeelProcess;
let admin: pg.Client;

beforeAll(async () => {
  node = await KeelProcess.start();
  admin = new pg.Client(node.clientConfig());
  await admin.connect();
  await admin.query('CREATE TABLE held (id int PRIMARY KEY, n int)');
  await admin.query('INSERT INTO held VALUES (1, 0)');
});

afterAll(async () => {
  await admin?.end();
  await node?.dispose();
});

/** A connected client and what it hears unprompted: the asynchronous error and the close. */
async function watched(applicationName: string) {
  const client = new pg.Client({ ...node.clientConfig(), application_name: applicationName });
  // node-postgres reports the server's ErrorResponse, then "Connection terminated unexpectedly".
  const heard: { error: (Error & { code?: string; severity?: string }) | null; ended: boolean } = {
    error: null,
    ended: false,
  };
  client.on('error', (error) => {
    heard.error ??= error;
  });
  client.on('end', () => {
    heard.ended = true;
  });
  await client.connect();
  return { client, heard };
}

async function sessionsNamed(applicationName: string): Promise<number> {
  const result = await admin.query(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return Number(result.rows[0]?.n);
}

describe('sessions the server ends', () => {
  it('idle_in_transaction_session_timeout: FATAL 25P03 reaches the idle client, its transaction rolls back', async () => {
    const { client, heard } = await watched('idle-in-txn');
    await client.query("SET idle_in_transaction_session_timeout = '200ms'");
    await client.query('BEGIN');
    await client.query('UPDATE held SET n = 99 WHERE id = 1');
    await waitFor(() => heard.ended, { what: 'the server to close the idle-in-transaction session' });
    expect(heard.error).toMatchObject({ code: '25P03', severity: 'FATAL' });
    expect(heard.error?.message).toBe('terminating connection due to idle-in-transaction timeout');
    // Rolled back: the row is unchanged and no longer locked.
    await admin.query("SET lock_timeout = '2s'");
    const row = await admin.query('UPDATE held SET n = n + 1 WHERE id = 1 RETURNING n');
    expect(row.rows).toEqual([{ n: 1 }]);
    await admin.query('RESET lock_timeout');
    await waitFor(async () => (await sessionsNamed('idle-in-txn')) === 0, {
      what: 'the session to leave pg_stat_activity',
    });
  });

  it('a session idle outside a transaction block is not ended by idle_in_transaction_session_timeout', async () => {
    const { client, heard } = await watched('idle-outside');
    await client.query("SET idle_in_transaction_session_timeout = '100ms'");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(heard).toEqual({ error: null, ended: false });
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it('idle_session_timeout: FATAL 57P05 reaches the idle client', async () => {
    const { client, heard } = await watched('idle-session');
    await client.query("SET idle_session_timeout = '200ms'");
    await waitFor(() => heard.ended, { what: 'the server to close the idle session' });
    expect(heard.error).toMatchObject({ code: '57P05', severity: 'FATAL' });
    await waitFor(async () => (await sessionsNamed('idle-session')) === 0, {
      what: 'the session to leave pg_stat_activity',
    });
  });

  it('pg_terminate_backend of an idle session closes it at once with FATAL 57P01', async () => {
    const { client, heard } = await watched('idle-victim');
    await client.query('BEGIN');
    await client.query('SELECT * FROM held FOR UPDATE');
    const pid = (client as unknown as { processID: number }).processID;
    const terminated = await admin.query('SELECT pg_terminate_backend($1::int) AS ok', [pid]);
    expect(terminated.rows).toEqual([{ ok: true }]);
    await waitFor(() => heard.ended, { what: 'the terminated session to close' });
    expect(heard.error).toMatchObject({ code: '57P01', severity: 'FATAL' });
    await admin.query("SET lock_timeout = '2s'");
    await admin.query('SELECT * FROM held FOR UPDATE');
    await admin.query('RESET lock_timeout');
    await waitFor(async () => (await sessionsNamed('idle-victim')) === 0, {
      what: 'the terminated session to leave pg_stat_activity',
    });
  });
});
