/**
 * Running psql against a Keel node or the PostgreSQL 15 reference: one invocation per call, no
 * psqlrc (-X), a bounded connect timeout, and the script on standard input or -c.
 * Exports: PsqlTarget, runPsql, keelTarget.
 */
import { spawnSync } from 'node:child_process';
import type { KeelProcess } from '@keel/testkit';

export interface PsqlTarget {
  port: number;
  user: string;
  database: string;
  password?: string;
}

export interface PsqlResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function keelTarget(node: KeelProcess, database = 'keel'): PsqlTarget {
  return { port: node.pgPort, user: 'keel', database, password: node.adminPassword };
}

/** Runs psql with `args`; `input` goes to standard input (a script, or COPY data). */
export function runPsql(target: PsqlTarget, args: string[], input?: string): PsqlResult {
  const result = spawnSync(
    'psql',
    ['-X', '-h', '127.0.0.1', '-p', String(target.port), '-U', target.user, '-d', target.database, ...args],
    {
      encoding: 'utf8',
      input,
      timeout: 60_000,
      env: { ...process.env, PGPASSWORD: target.password ?? '', PGCONNECT_TIMEOUT: '10', PGTZ: 'UTC' },
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
