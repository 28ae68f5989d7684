/**
 * Shared machinery of the transaction tests: sessions (node-postgres clients that return every
 * outcome instead of throwing, values as PostgreSQL's text), a way to see that a session is
 * blocked on a lock (pg_stat_activity.wait_event_type = 'Lock', which PostgreSQL 15 and Keel
 * both report), and a small interleaving-script runner whose transcript can be compared across
 * servers. Scripts never sleep: a step that must block is sent, then the runner waits until the
 * server says it waits for a lock, and a later step collects its outcome.
 * Exports: Target, TestSession, Outcome, Step, Script, runScript, waitUntilBlocked, keelTarget,
 * postgresTarget, rowsOf.
 */
import type { KeelProcess, PostgresReference } from '@keel/testkit';
import pg from 'pg';

/** A server the scripts run against. */
export interface Target {
  name: 'keel' | 'postgres';
  config: pg.ClientConfig;
}

export function keelTarget(node: KeelProcess): Target {
  return { name: 'keel', config: node.clientConfig() };
}

export function postgresTarget(reference: PostgresReference): Target {
  return { name: 'postgres', config: { connectionString: reference.connectionString } };
}

/** One statement's outcome: rows as text, or the error's SQLSTATE and message. */
export type Outcome =
  | { ok: true; command: string; rowCount: number | null; rows: (string | null)[][] }
  | { ok: false; code: string; message: string };

const rawText = { getTypeParser: () => (value: string) => value };

interface PgErrorShape {
  code?: unknown;
  message?: unknown;
}

/** A client session that reports outcomes instead of throwing on SQL errors. */
export class TestSession {
  /** Errors the server sent while no query ran (FATAL at idle), in order. */
  readonly asyncErrors: PgErrorShape[] = [];
  ended = false;

  private constructor(
    readonly client: pg.Client,
    readonly pid: number,
  ) {}

  static async open(target: Target): Promise<TestSession> {
    const client = new pg.Client({ ...target.config, types: rawText });
    const holder: { session: TestSession | null } = { session: null };
    client.on('error', (error: PgErrorShape) => holder.session?.asyncErrors.push(error));
    client.on('end', () => {
      if (holder.session !== null) holder.session.ended = true;
    });
    await client.connect();
    const result = await client.query<[string]>({ text: 'SELECT pg_backend_pid()', rowMode: 'array' });
    const pid = Number(result.rows[0]?.[0]);
    const session = new TestSession(client, pid);
    holder.session = session;
    return session;
  }

  /** Runs one statement (or a simple-query string) and returns its outcome. */
  async run(sql: string): Promise<Outcome> {
    try {
      const result = await this.client.query<(string | null)[]>({ text: sql, rowMode: 'array' });
      const last = Array.isArray(result) ? (result as pg.QueryResult[]).at(-1) : result;
      return {
        ok: true,
        command: last?.command ?? '',
        rowCount: last?.rowCount ?? null,
        rows: (last?.rows ?? []) as (string | null)[][],
      };
    } catch (error) {
      const e = error as PgErrorShape;
      if (typeof e.code !== 'string') throw error;
      return { ok: false, code: e.code, message: String(e.message) };
    }
  }

  /** Runs a statement that must succeed; returns its rows. */
  async ok(sql: string): Promise<(string | null)[][]> {
    const outcome = await this.run(sql);
    if (!outcome.ok) throw new Error(`${sql} failed: ${outcome.code} ${outcome.message}`);
    return outcome.rows;
  }

  async close(): Promise<void> {
    if (!this.ended) await this.client.end().catch(() => undefined);
  }
}

/** Rows of an outcome, or a description of the error (for readable assertion failures). */
export function rowsOf(outcome: Outcome): (string | null)[][] | string {
  return outcome.ok ? outcome.rows : `${outcome.code}: ${outcome.message}`;
}

/**
 * Polls pg_stat_activity until session `pid` waits for a heavyweight lock ('blocked'), or until
 * `finished()` says its statement is already over ('finished').
 */
export async function waitUntilBlocked(
  observer: TestSession,
  pid: number,
  finished: () => boolean = () => false,
  timeoutMs = 15_000,
): Promise<'blocked' | 'finished'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (finished()) return 'finished';
    const rows = await observer.ok(
      `SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = ${pid}`,
    );
    // A heavyweight lock, or a DEFERRABLE transaction waiting for a safe snapshot.
    if (rows[0]?.[0] === 'Lock' || rows[0]?.[1] === 'SafeSnapshot') return 'blocked';
    if (finished()) return 'finished';
    if (Date.now() > deadline)
      throw new Error(`session ${pid} did not block on a lock within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sends `sql` on `session` and waits until it blocks (or finishes at once). */
export async function sendAndWaitBlocked(
  observer: TestSession,
  session: TestSession,
  sql: string,
): Promise<{ outcome: Promise<Outcome>; state: 'blocked' | 'finished' }> {
  let done = false;
  const outcome = session.run(sql).finally(() => {
    done = true;
  });
  const state = await waitUntilBlocked(observer, session.pid, () => done);
  return { outcome, state };
}

/** What a step must produce: these rows, this SQLSTATE, this command tag and count, or just success. */
export type Expect =
  | { rows: (string | null)[][] }
  | { error: string }
  | { command: string; rowCount?: number }
  | 'ok';

/** One step of an interleaving: session `s` runs `sql`; or collects its blocked statement. */
export type Step =
  | { s: number; sql: string; blocks?: false; expect?: Expect }
  /** Sent, then the runner waits until the server reports the session waiting for a lock. */
  | { s: number; sql: string; blocks: true }
  /** The outcome of session `s`'s blocked statement, once it finishes. */
  | { s: number; resume: true; expect?: Expect };

export interface Script {
  name: string;
  /** Run by a separate session before the sessions open. */
  setup: string[];
  sessions: number;
  /** Run by each session right after it opens (SET deadlock_timeout, ...). */
  sessionSetup?: string[];
  steps: Step[];
}

/** What each step produced, in order: an outcome, or 'blocked' for a step that blocked. */
export type Transcript = { step: string; outcome: Outcome | 'blocked'; expect?: Expect | 'blocked' }[];

/** Transcript entries that differ from their step's expectation, described for a failure message. */
export function unmetExpectations(transcript: Transcript): string[] {
  const out: string[] = [];
  for (const entry of transcript) {
    const { expect, outcome } = entry;
    if (expect === undefined) continue;
    const shown = outcome === 'blocked' ? 'blocked' : JSON.stringify(rowsOf(outcome));
    if (expect === 'blocked') {
      if (outcome !== 'blocked') out.push(`${entry.step}: expected to block, got ${shown}`);
    } else if (outcome === 'blocked') {
      out.push(`${entry.step}: blocked, expected ${JSON.stringify(expect)}`);
    } else if (expect === 'ok') {
      if (!outcome.ok) out.push(`${entry.step}: expected success, got ${shown}`);
    } else if ('error' in expect) {
      if (outcome.ok || outcome.code !== expect.error)
        out.push(`${entry.step}: expected ${expect.error}, got ${shown}`);
    } else if ('command' in expect) {
      const got = outcome.ok ? `${outcome.command} ${outcome.rowCount}` : shown;
      const want = `${expect.command} ${expect.rowCount ?? (outcome.ok ? outcome.rowCount : '')}`;
      if (got !== want) out.push(`${entry.step}: expected ${want}, got ${got}`);
    } else if (!outcome.ok || JSON.stringify(outcome.rows) !== JSON.stringify(expect.rows)) {
      out.push(`${entry.step}: expected rows ${JSON.stringify(expect.rows)}, got ${shown}`);
    }
  }
  return out;
}

/** Runs a script against a target and returns its transcript. */
export async function runScript(target: Target, script: Script): Promise<Transcript> {
  const admin = await TestSession.open(target);
  const sessions: TestSession[] = [];
  try {
    for (const sql of script.setup) await admin.ok(sql);
    for (let i = 0; i < script.sessions; i++) {
      const session = await TestSession.open(target);
      for (const sql of script.sessionSetup ?? []) await session.ok(sql);
      sessions.push(session);
    }
    const pending = new Map<number, Promise<Outcome>>();
    const transcript: Transcript = [];
    for (const step of script.steps) {
      const session = sessions[step.s - 1];
      if (session === undefined) throw new Error(`${script.name}: no session ${step.s}`);
      if ('resume' in step) {
        const outcome = pending.get(step.s);
        if (outcome === undefined) throw new Error(`${script.name}: session ${step.s} has nothing blocked`);
        pending.delete(step.s);
        transcript.push({ step: `T${step.s} (resumed)`, outcome: await outcome, expect: step.expect });
      } else if (step.blocks === true) {
        const sent = await sendAndWaitBlocked(admin, session, step.sql);
        // A statement that finishes at once instead of blocking shows its outcome here.
        if (sent.state === 'blocked') {
          pending.set(step.s, sent.outcome);
          transcript.push({ step: `T${step.s}: ${step.sql}`, outcome: 'blocked', expect: 'blocked' });
        } else {
          transcript.push({
            step: `T${step.s}: ${step.sql}`,
            outcome: await sent.outcome,
            expect: 'blocked',
          });
        }
      } else {
        transcript.push({
          step: `T${step.s}: ${step.sql}`,
          outcome: await session.run(step.sql),
          expect: step.expect,
        });
      }
    }
    for (const [s, outcome] of pending) {
      transcript.push({ step: `T${s} (still blocked at the end)`, outcome: await outcome });
    }
    return transcript;
  } finally {
    for (const session of sessions) await session.close();
    await admin.close();
  }
}
