/**
 * The PostgreSQL JDBC driver from Debian's libpostgresql-jdbc-java, run through java against a
 * real node: test/clients/java/JdbcWorkflow.java is compiled with javac at test time, then
 * connects, batches inserts, crosses prepareThreshold to server-side prepared statements, rolls
 * back, maps 23505 to SQLException.getSQLState, reads DatabaseMetaData (getTables and getColumns
 * query pg_catalog; getPrimaryKeys is not covered yet, see the Java file), fetches a large result with setFetchSize (portal suspension),
 * uses CopyManager, and cancels a waiting statement with Statement.cancel (CancelRequest).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeelProcess } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('./java/JdbcWorkflow.java', import.meta.url));
const driverJar = '/usr/share/java/postgresql.jar';
let node: KeelProcess;
let classes: string;
let steps: Map<string, { ok: boolean; detail: string }>;
let output = '';

beforeAll(async () => {
  classes = mkdtempSync(path.join(os.tmpdir(), 'keel-jdbc-'));
  const compiled = spawnSync('javac', ['-d', classes, '-cp', driverJar, source], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (compiled.status !== 0) throw new Error(`javac failed: ${compiled.stderr}`);
  node = await KeelProcess.start();
  const run = spawnSync(
    'java',
    [
      '-cp',
      `${classes}${path.delimiter}${driverJar}`,
      'JdbcWorkflow',
      String(node.pgPort),
      'keel',
      node.adminPassword,
      'keel',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  output = `${run.stdout}\n${run.stderr}`;
  steps = new Map(
    run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        const parsed = JSON.parse(line) as { step: string; ok: boolean; detail: string };
        return [parsed.step, parsed];
      }),
  );
}, 180_000);

afterAll(async () => {
  await node?.dispose();
  if (classes !== undefined) rmSync(classes, { recursive: true, force: true });
});

describe('PostgreSQL JDBC driver', () => {
  it.each([
    'connect',
    'batch_insert',
    'parameters',
    'rollback',
    'error',
    'metadata',
    'large_result',
    'copy',
    'cancel',
  ])('%s', (step) => {
    expect(steps.get(step), output).toMatchObject({ ok: true });
  });
});
