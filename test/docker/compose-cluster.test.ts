/**
 * The real image and docker-compose.yml, end to end (pnpm test:docker; needs a Docker engine).
 * Builds the image, starts the three nodes with testcontainers on free host ports, then checks
 * what an operator relies on: health, metrics and /cluster on every node, JSON logs with a
 * component field, a psql multi-host connection string, and a clean SIGTERM stop that keeps the
 * data on the volume; then the failover drill (scripts/drill in compose mode: docker kill of the
 * primary under a write load) with no acknowledged commit lost and the old primary rejoined.
 * Everything here is also covered by process-based tests that CI runs (test/failover/drill.test.ts
 * runs the same drill with --local).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../packages/testkit/src/wait-for.js';
import { at } from '../deploy/json-access.js';
import { repoRoot } from '../deploy/repo-files.js';

const run = promisify(execFile);
const nodes = ['keel-1', 'keel-2', 'keel-3'] as const;
type NodeName = (typeof nodes)[number];
const password = `keel-${randomBytes(9).toString('hex')}`;
const logComponents = new Set([
  'wire',
  'sql',
  'wal',
  'raft',
  'replication',
  'health',
  'http',
  'failover',
  'router',
  'dns',
  'admin',
  'autovacuum',
  'hook',
]);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

let environment: StartedDockerComposeEnvironment | undefined;
const pgPort = new Map<NodeName, number>();
const httpPort = new Map<NodeName, number>();

function port(ports: Map<NodeName, number>, node: NodeName): number {
  const found = ports.get(node);
  if (found === undefined) throw new Error(`no port for ${node}`);
  return found;
}

function containerId(node: NodeName): string {
  if (environment === undefined) throw new Error('compose environment not started');
  return environment.getContainer(`${node}-1`).getId();
}

async function psql(hosts: NodeName[], sql: string): Promise<string> {
  const hostList = hosts.map((node) => `127.0.0.1:${port(pgPort, node)}`).join(',');
  const url = `postgresql://keel:${password}@${hostList}/keel?target_session_attrs=read-write&connect_timeout=5`;
  const { stdout } = await run('psql', [url, '-X', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], {
    timeout: 30_000,
  });
  return stdout.trim();
}

async function http(node: NodeName, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port(httpPort, node)}${path}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.text() };
}

async function waitReady(node: NodeName): Promise<void> {
  await waitFor(async () => (await http(node, '/health/ready')).status === 200, {
    timeoutMs: 120_000,
    intervalMs: 500,
    what: `${node} /health/ready`,
  });
}

beforeAll(async () => {
  const env: Record<string, string> = {
    KEEL_ADMIN_PASSWORD: password,
    KEEL_PUBLISH_HOST: '127.0.0.1',
    KEEL_IMAGE: 'keel:test-docker',
  };
  for (const [index, node] of nodes.entries()) {
    pgPort.set(node, await freePort());
    httpPort.set(node, await freePort());
    env[`KEEL_${index + 1}_PG_PORT`] = String(port(pgPort, node));
    env[`KEEL_${index + 1}_HTTP_PORT`] = String(port(httpPort, node));
  }
  let compose = new DockerComposeEnvironment(repoRoot, 'docker-compose.yml')
    .withBuild()
    .withEnvironment(env)
    .withStartupTimeout(180_000);
  for (const node of nodes) compose = compose.withWaitStrategy(`${node}-1`, Wait.forHealthCheck());
  environment = await compose.up([...nodes]);
});

afterAll(async () => {
  await environment?.down({ removeVolumes: true, timeout: 30_000 });
});

describe('docker-compose cluster', () => {
  it.each(nodes)('%s is ready and serves /health/live, /metrics and /cluster', async (node) => {
    expect((await http(node, '/health/ready')).status).toBe(200);
    expect((await http(node, '/health/live')).status).toBe(200);
    const metrics = await http(node, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^keel_connections \d+$/m);
    expect(metrics.body).toMatch(/^process_cpu_user_seconds_total /m);
    const cluster: unknown = JSON.parse((await http(node, '/cluster')).body);
    expect(cluster).toMatchObject({ nodeId: node });
  });

  it.each(nodes)('%s logs JSON lines on stdout, each component named', async (node) => {
    const { stdout } = await run('docker', ['logs', containerId(node)], { maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry: unknown = JSON.parse(line);
      expect(entry).toMatchObject({
        level: expect.any(String),
        time: expect.any(String),
        msg: expect.any(String),
      });
      const component = at(entry, 'component');
      if (component !== undefined) expect(logComponents).toContain(component);
    }
    expect(lines.some((line) => at(JSON.parse(line), 'msg') === 'ready')).toBe(true);
  });

  it('answers psql through a multi-host connection string', async () => {
    expect(await psql([...nodes], 'select 1')).toBe('1');
  });

  it('stops cleanly on SIGTERM, keeps its data on the volume, and multi-host skips the stopped node', async () => {
    // Written through keel-1's own port: every node's port routes a session to the primary.
    await psql(['keel-1'], 'create table docker_suite (id int primary key, note text)');
    await psql(['keel-1'], "insert into docker_suite values (1, 'kept on the volume')");
    const id = containerId('keel-1');

    await run('docker', ['stop', '--time', '30', id], { timeout: 60_000 });
    const { stdout: exitCode } = await run('docker', ['inspect', '--format', '{{.State.ExitCode}}', id]);
    expect(exitCode.trim()).toBe('0');
    const { stdout: logs } = await run('docker', ['logs', id], { maxBuffer: 64 * 1024 * 1024 });
    expect(logs).toContain('"msg":"shutdown complete"');
    // With keel-1 down, a multi-host connection string still finds a node.
    expect(await psql([...nodes], 'select 1')).toBe('1');

    await run('docker', ['start', id]);
    await waitReady('keel-1');
    expect(await psql(['keel-1'], 'select note from docker_suite where id = 1')).toBe('kept on the volume');
  });

  it('survives the failover drill: docker kill of the primary loses no acknowledged commit', async () => {
    const spec = nodes
      .map((node) => `${node}=${containerId(node)}:127.0.0.1:${port(pgPort, node)}:${port(httpPort, node)}`)
      .join(',');
    const { stdout } = await run(
      process.execPath,
      [path.join(repoRoot, 'scripts', 'drill.mjs'), '--scenario', 'kill', '--json'],
      {
        env: { ...process.env, KEEL_DRILL_NODES: spec, KEEL_ADMIN_PASSWORD: password },
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const report = JSON.parse(stdout) as {
      rounds: { lost: number; rejoined: boolean }[];
      finalCheck: { lost: number; acknowledged: number } | null;
    };
    expect(report.rounds).toHaveLength(1);
    expect(report.rounds[0]).toMatchObject({ lost: 0, rejoined: true });
    expect(report.finalCheck?.lost).toBe(0);
    expect(report.finalCheck?.acknowledged).toBeGreaterThan(0);
  }, 360_000);
});
