/**
 * The `keel` binary as an operator meets it: help text, the ready line, health endpoints,
 * first-start credentials, and a clean SIGTERM shutdown.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeelProcess, keelBinaryPath } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function runKeel(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [keelBinaryPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('keel CLI', () => {
  it('describes every start option and its environment variable', () => {
    const main = runKeel(['--help']);
    expect(main.status).toBe(0);
    expect(main.stdout).toContain('keel start');
    const start = runKeel(['start', '--help']);
    expect(start.status).toBe(0);
    for (const option of [
      '--data-dir',
      '--pg-port',
      '--http-port',
      '--log-level',
      'KEEL_DATA_DIR',
      'KEEL_PG_PORT',
      'KEEL_HTTP_PORT',
      'KEEL_LOG_LEVEL',
    ]) {
      expect(start.stdout).toContain(option);
    }
  });

  it('rejects a bad flag with exit code 2 and says why', () => {
    const result = runKeel(['start', '--pg-port', 'eighty']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--pg-port must be an integer');
  });
});

describe('a single node', () => {
  let node: KeelProcess;

  beforeAll(async () => {
    node = await KeelProcess.start();
  });

  afterAll(async () => {
    await node.dispose();
  });

  it('logs one JSON "ready" line with its ports', () => {
    const ready = node.jsonLogs().filter((line) => line.msg === 'ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ pgPort: node.pgPort, httpPort: node.httpPort, level: 'info' });
  });

  it('serves /health/live and /health/ready', async () => {
    const live = await fetch(`http://127.0.0.1:${node.httpPort}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${node.httpPort}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
    const missing = await fetch(`http://127.0.0.1:${node.httpPort}/nope`);
    expect(missing.status).toBe(404);
  });

  it('has the databases postgres and keel, and refuses one that does not exist with 3D000', async () => {
    for (const database of ['postgres', 'keel']) {
      const client = new pg.Client(node.clientConfig({ database }));
      await client.connect();
      const result = await client.query('SELECT 1 AS one');
      expect(result.rows).toEqual([{ one: 1 }]);
      await client.end();
    }
    const client = new pg.Client(node.clientConfig({ database: 'nope' }));
    await expect(client.connect()).rejects.toMatchObject({ code: '3D000' });
  });
});

describe('first start credentials', () => {
  it('generates a password when KEEL_ADMIN_PASSWORD is unset, prints it once and stores it with mode 0600', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-cred-'));
    try {
      const first = await KeelProcess.start({ dataDir, env: { KEEL_ADMIN_PASSWORD: '' } });
      const file = path.join(dataDir, 'admin-password');
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(first.logs.join('\n')).toContain(password);
      const client = new pg.Client({ ...first.clientConfig(), password });
      await client.connect();
      await client.end();
      await first.stop();
      const second = await first.restart({ env: { KEEL_ADMIN_PASSWORD: '' } });
      expect(second.logs.join('\n')).not.toContain(password);
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('shutdown', () => {
  it('exits 0 on SIGTERM and keeps committed data', async () => {
    const node = await KeelProcess.start();
    try {
      const client = new pg.Client(node.clientConfig());
      await client.connect();
      await client.query('CREATE TABLE kept (id int PRIMARY KEY, note text)');
      await client.query("INSERT INTO kept VALUES (1, 'before shutdown')");
      await client.end();
      const exit = await node.stop('SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
      expect(node.jsonLogs().some((line) => line.msg === 'shutdown complete')).toBe(true);
      const again = await node.restart();
      const reader = new pg.Client(again.clientConfig());
      await reader.connect();
      expect((await reader.query('SELECT note FROM kept')).rows).toEqual([{ note: 'before shutdown' }]);
      await reader.end();
      await again.stop();
    } finally {
      await node.dispose();
    }
  });
});
