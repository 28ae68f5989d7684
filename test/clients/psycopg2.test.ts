/**
 * psycopg2 from Debian's python3-psycopg2 (libpq underneath), run by the system Python against
 * a real node: test/clients/python/psycopg2_workflow.py connects, creates a table, inserts with
 * executemany, queries with named parameters, rolls back, catches UniqueViolation with its
 * diagnostics, reads a large result in batches and through a named (server-side) cursor, COPYs with copy_expert, and cancels a waiting
 * statement with connection.cancel() (libpq's CancelRequest). Each step reports one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KeelProcess } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./python/psycopg2_workflow.py', import.meta.url));
let node: KeelProcess;
let steps: Map<string, { ok: boolean } & Record<string, unknown>>;
let output = '';

beforeAll(async () => {
  node = await KeelProcess.start();
  const run = spawnSync(
    '/usr/bin/python3',
    [script, String(node.pgPort), 'keel', node.adminPassword, 'keel'],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  output = `${run.stdout}\n${run.stderr}`;
  steps = new Map(
    run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        const parsed = JSON.parse(line) as { step: string; ok: boolean };
        return [parsed.step, parsed];
      }),
  );
});

afterAll(async () => {
  await node?.dispose();
});

describe('psycopg2', () => {
  it.each([
    'connect',
    'parameters',
    'types',
    'rollback',
    'error',
    'large_result',
    'named_cursor',
    'copy',
    'cancel',
  ])('%s', (step) => {
    expect(steps.get(step), output).toMatchObject({ ok: true });
  });
});
