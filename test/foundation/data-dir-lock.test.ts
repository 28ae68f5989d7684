/**
 * One process per data directory: a second `keel start` on a directory in use refuses with
 * 55006 and names the owner, leaving the running node untouched; a clean stop removes the lock
 * file; a lock left by a node killed with SIGKILL is stale and the restart takes it over.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KeelProcess, keelBinaryPath } from '@keel/testkit';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

function startSecond(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [keelBinaryPath, 'start', '--data-dir', dataDir, '--pg-port', '0', '--http-port', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

async function count(node: KeelProcess): Promise<number> {
  const client = new pg.Client(node.clientConfig());
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM kept')).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('the data directory lock', () => {
  it('refuses a second node on a directory in use, and takes over the lock of a killed one', async () => {
    const node = await KeelProcess.start();
    let restarted: KeelProcess | null = null;
    try {
      const lockFile = path.join(node.dataDir, 'keel.pid');
      expect(readFileSync(lockFile, 'utf8').split('\n')[0]).toBe(String(node.child.pid));
      const client = new pg.Client(node.clientConfig());
      await client.connect();
      await client.query('CREATE TABLE kept (id int PRIMARY KEY)');
      await client.query('INSERT INTO kept SELECT g FROM generate_series(1, 100) AS g');

      const second = await startSecond(node.dataDir);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`is in use by process ${node.child.pid}`);
      expect(second.stderr).toContain('55006');
      expect(second.stderr).toContain('hint: Stop that keel process first');
      // The running node did not notice: its session and its data are as they were.
      expect((await client.query('SELECT count(*) AS n FROM kept')).rows).toEqual([{ n: '100' }]);
      await client.end();

      await node.kill9();
      expect(existsSync(lockFile)).toBe(true);
      restarted = await node.restart();
      expect(readFileSync(lockFile, 'utf8').split('\n')[0]).toBe(String(restarted.child.pid));
      expect(await count(restarted)).toBe(100);
      expect(await restarted.stop()).toEqual({ code: 0, signal: null });
      expect(existsSync(lockFile)).toBe(false);
    } finally {
      await restarted?.dispose();
      await node.dispose();
    }
  });
});
