/**
 * What every client test of the matrix shares: a row lock held by a separate node-postgres
 * session, so that a client's statement waits deterministically (no sleeps) until it is
 * cancelled, and a probe of pg_stat_activity that tells when that statement is waiting.
 * Exports: RowLock, holdRowLock, waitUntilWaiting.
 */
import { type KeelProcess, waitFor } from '@keel/testkit';
import pg from 'pg';

export interface RowLock {
  release(): Promise<void>;
}

/** Locks `SELECT ... FROM <table> WHERE id = <id> FOR UPDATE` in an open transaction. */
export async function holdRowLock(
  node: KeelProcess,
  table: string,
  id: number,
  database = 'keel',
): Promise<RowLock> {
  const client = new pg.Client(node.clientConfig({ database }));
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT * FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Waits until a session whose query contains `marker` is active in pg_stat_activity; its pid. */
export async function waitUntilWaiting(node: KeelProcess, marker: string): Promise<number> {
  const probe = new pg.Client(node.clientConfig());
  await probe.connect();
  try {
    return await waitFor(
      async () => {
        const result = await probe.query(
          "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND position($1 in query) > 0 AND pid <> pg_backend_pid()",
          [marker],
        );
        return (result.rows[0] as { pid: number } | undefined)?.pid;
      },
      { what: `a waiting statement containing ${marker}` },
    );
  } finally {
    await probe.end();
  }
}

/** Cancels the backend `pid` through pg_cancel_backend. */
export async function cancelBackend(node: KeelProcess, pid: number): Promise<void> {
  const client = new pg.Client(node.clientConfig());
  await client.connect();
  await client.query('SELECT pg_cancel_backend($1)', [pid]);
  await client.end();
}
