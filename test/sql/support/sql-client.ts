/**
 * A client for the differential tests that returns every value as the server's text output
 * (no type parsing on either side) and errors as their SQLSTATE, so Keel's and PostgreSQL's
 * answers compare as text. One connection per server keeps the per-query cost low.
 * Exports: SqlClient, QueryOutcome, connectRaw.
 */
import pg from 'pg';

export type QueryOutcome =
  | { ok: true; columns: string[]; rows: (string | null)[][] }
  | { ok: false; code: string; message: string };

export interface SqlClient {
  query(sql: string): Promise<QueryOutcome>;
  close(): Promise<void>;
}

const rawText = { getTypeParser: () => (value: string) => value };

function failure(error: unknown): QueryOutcome | null {
  if (typeof error !== 'object' || error === null || !('code' in error) || typeof error.code !== 'string')
    return null;
  const message: unknown = Reflect.get(error, 'message');
  return { ok: false, code: error.code, message: typeof message === 'string' ? message : '' };
}

export async function connectRaw(config: pg.ClientConfig): Promise<SqlClient> {
  const client = new pg.Client({ ...config, types: rawText });
  await client.connect();
  return {
    async query(sql: string): Promise<QueryOutcome> {
      try {
        const r = await client.query<(string | null)[]>({ text: sql, rowMode: 'array' });
        // A multi-statement string yields an array of results; the last one is the answer.
        const last = Array.isArray(r) ? (r[r.length - 1] as pg.QueryArrayResult<(string | null)[]>) : r;
        return { ok: true, columns: (last.fields ?? []).map((f) => f.name), rows: last.rows ?? [] };
      } catch (error) {
        const f = failure(error);
        if (f === null) throw error;
        return f;
      }
    },
    close: () => client.end(),
  };
}
