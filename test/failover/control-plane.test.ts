/**
 * The control half of failover with real keel processes (issue 9, points 5, 7, 8; the data
 * checks are in drill.test.ts and test/replication/): every node's PostgreSQL port reaches the primary, psql
 * finds it with a multi-host string and target_session_attrs=read-write, the DNS responder and
 * the role-change hook follow a kill -9 of the primary, a partitioned primary's lease runs out
 * before the majority elects another leader, switchover and failover move the primary on
 * command, and a member is added as a learner and removed.
 */
import { execFile, spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, KeelProcess, keelBinaryPath, waitFor } from '@keel/testkit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster } from '../cluster/cluster-harness.js';

let cluster: TestCluster | null = null;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * Runs the keel CLI without blocking this process: the fault proxies between the nodes live in
 * the test process, and a synchronous spawn would stall every Raft message meanwhile.
 */
function keel(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [keelBinaryPath, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status: code, stdout, stderr });
      },
    );
  });
}

async function query(port: number, sql: string, password: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'keel', password, database: 'keel' });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The last control-plane log lines of every node, for failure messages. */
function recentLogs(c: TestCluster): string {
  return c.ids
    .map((id) =>
      c
        .node(id)
        .jsonLogs()
        .filter((l) => ['raft', 'failover', 'admin'].includes(String(l.component)))
        .slice(-20)
        .map(
          (l) =>
            `${id} ${String(l.time)} ${String(l.msg)} ${JSON.stringify({ role: l.role, term: l.term, leader: l.leader ?? l.leaderId, err: l.err ?? l.error })}`,
        )
        .join('\n'),
    )
    .join('\n');
}

function logLines(c: TestCluster, id: string, msg: string): Record<string, unknown>[] {
  return c
    .node(id)
    .jsonLogs()
    .filter((line) => line.msg === msg);
}

describe('routing sessions to the primary', () => {
  it('serves writes through any node and lets psql find the primary with target_session_attrs', async () => {
    cluster = await TestCluster.start();
    const c = cluster;
    const { leader } = await c.agreedLeader();
    const followers = c.ids.filter((id) => id !== leader);
    const [first = '', second = ''] = followers;
    const password = c.node(leader).adminPassword;
    // Created and written through a follower's port: the session is spliced to the primary.
    await query(c.node(first).pgPort, 'CREATE TABLE routed (id int PRIMARY KEY, via text)', password);
    await query(c.node(first).pgPort, `INSERT INTO routed VALUES (1, '${first}')`, password);
    const direct = await query(c.node(leader).pgPort, 'SELECT id, via FROM routed', password);
    expect(direct.rows).toEqual([{ id: 1, via: first }]);
    // psql with a multi-host string whose first hosts are followers.
    const ports = [first, second, leader].map((id) => c.node(id).pgPort).join(',');
    const psql = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        'psql',
        [
          `host=127.0.0.1,127.0.0.1,127.0.0.1 port=${ports} user=keel dbname=keel target_session_attrs=read-write`,
          '-XAtc',
          "INSERT INTO routed VALUES (2, 'psql'); SHOW transaction_read_only; SELECT count(*) FROM routed",
        ],
        { env: { ...process.env, PGPASSWORD: password } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      child.on('close', () => resolve({ stdout, stderr }));
    });
    expect(psql.stderr).toBe('');
    expect(psql.stdout.trim().split('\n')).toEqual(['INSERT 0 1', 'off', '2']);
  });
});

describe('failover of the control plane', () => {
  it('moves DNS answers and runs each node hook once per term after kill -9 of the primary', async () => {
    const hookDir = mkdtempSync(path.join(os.tmpdir(), 'keel-hooks-'));
    cleanups.push(() => rmSync(hookDir, { recursive: true, force: true }));
    cluster = await TestCluster.start({
      clusterName: 'drill',
      extraArgs: (id) => ['--on-role-change', `echo "$1 $2 $3 $4" >> ${hookDir}/${id}`],
    });
    const c = cluster;
    const first = await c.agreedLeader();
    const survivor = c.ids.find((id) => id !== first.leader) ?? '';
    const resolver = new Resolver();
    resolver.setServers([`127.0.0.1:${c.dnsPort(survivor)}`]);
    const primaryPort = async () => (await resolver.resolveSrv('primary.drill'))[0]?.port;
    await waitFor(async () => (await primaryPort()) === c.node(first.leader).pgPort, {
      what: 'DNS to name the primary',
    });
    // Followers register their addresses with the leader; then DNS lists them as replicas.
    await waitFor(async () => (await resolver.resolve4('replicas.drill').catch(() => [])).length === 2, {
      what: 'DNS to list both replicas',
    });
    const hooks = (id: string) => {
      try {
        return readFileSync(path.join(hookDir, id), 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    };
    await waitFor(() => c.ids.every((id) => hooks(id).length === 1), { what: 'every hook to run once' });
    expect(hooks(first.leader)).toEqual([`primary ${first.leader} ${first.term} drill`]);

    await c.node(first.leader).kill9();
    const survivors = c.ids.filter((id) => id !== first.leader);
    const second = await c.agreedLeader(survivors);
    expect(second.term).toBeGreaterThan(first.term);
    await waitFor(async () => (await primaryPort()) === c.node(second.leader).pgPort, {
      what: 'DNS to name the new primary',
    });
    await waitFor(() => survivors.every((id) => hooks(id).length === 2), {
      what: 'the survivors hooks to run again',
    });
    for (const id of survivors) {
      const role = id === second.leader ? 'primary' : 'replica';
      expect(hooks(id)[1]).toBe(`${role} ${id} ${second.term} drill`);
    }
    // The old primary restarts as a follower; its hook runs for the new term, the old one not again.
    await c.restart(first.leader);
    await waitFor(() => hooks(first.leader).length === 2, { what: 'the restarted node hook' });
    expect(hooks(first.leader)[1]).toBe(`replica ${first.leader} ${second.term} drill`);
    const view = await c.view(first.leader);
    expect(view).toMatchObject({ role: 'follower', leaderId: second.leader, writable: false });
  });

  it("fences a partitioned primary: its lease runs out before the majority's election", async () => {
    cluster = await TestCluster.start();
    const c = cluster;
    const before = await c.agreedLeader();
    c.isolate(before.leader);
    const majority = c.ids.filter((id) => id !== before.leader);
    const after = await c.agreedLeader(majority);
    await waitFor(async () => !(await c.view(before.leader)).writable, {
      what: 'the old primary to stop being writable',
    });
    // The lapse is logged by the old primary's next reconcile or when it steps down, which may
    // come after it stopped reporting itself writable: wait for the line, then check its instant.
    const expired = await waitFor(
      () =>
        c
          .node(before.leader)
          .jsonLogs()
          .filter((line) => String(line.msg).startsWith('leader lease expired'))
          .at(-1) ?? null,
      { what: 'the old primary to log its lease lapse' },
    );
    const elected = logLines(c, after.leader, 'role changed').find(
      (line) => line.role === 'leader' && line.term === after.term,
    );
    expect(expired?.leaseExpiredAt).toBeTypeOf('string');
    expect(elected?.time).toBeTypeOf('string');
    // The order the fencing argument promises (leader-lease.ts): no write was allowed on the old
    // primary at or after the instant the new leader existed.
    expect(Date.parse(String(expired?.leaseExpiredAt))).toBeLessThanOrEqual(
      Date.parse(String(elected?.time)),
    );
    const status = await fetch(`http://127.0.0.1:${c.node(before.leader).httpPort}/primary`);
    expect(status.status).toBe(503);
    c.heal();
    const healed = await c.agreedLeader();
    expect(healed.leader).toBe(after.leader);
  });
});

describe('keel cluster switchover, failover, add and remove', () => {
  it('moves the primary on command and changes membership with a learner stage', async () => {
    cluster = await TestCluster.start();
    const c = cluster;
    const first = await c.agreedLeader();
    const target = c.ids.find((id) => id !== first.leader) ?? '';
    const http = `127.0.0.1:${c.node(first.leader).httpPort}`;
    const switched = await keel(['cluster', 'switchover', '--to', target, '--http', http]);
    expect(switched.stderr, recentLogs(c)).toBe('');
    expect(switched.stdout).toContain(`primary moved from ${first.leader} to ${target}`);
    const second = await c.agreedLeader();
    expect(second.leader).toBe(target);
    // Through a follower's endpoint: the CLI finds the leader itself.
    const forced = await keel(['cluster', 'failover', '--http', http]);
    expect(forced.status).toBe(0);
    const third = await c.agreedLeader();
    expect(third.leader).not.toBe(target);
    expect(await (await fetch(`http://127.0.0.1:${c.node(third.leader).httpPort}/primary`)).status).toBe(200);

    // A fourth node joins, is added as a learner, promoted to voter, then removed.
    const grpc = await freePort();
    const peers = c.ids.map((id) => `${id}=127.0.0.1:${c.grpcPort(id)}`).join(',');
    const joiner = await KeelProcess.start({
      args: [
        '--node-id',
        'n4',
        '--grpc-port',
        String(grpc),
        '--peers',
        `${peers},n4=127.0.0.1:${grpc}`,
        '--join',
      ],
    });
    cleanups.push(() => joiner.dispose());
    const added = await keel(['cluster', 'add', `n4=127.0.0.1:${grpc}`, '--http', http]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('added n4 as a voter');
    const withFour = await c.view(third.leader);
    expect(withFour.voters).toContain('n4');
    await waitFor(
      async () => {
        const view: unknown = await fetch(`http://127.0.0.1:${joiner.httpPort}/cluster`).then((r) =>
          r.json(),
        );
        return typeof view === 'object' && view !== null && Reflect.get(view, 'leaderId') === third.leader;
      },
      { what: 'n4 to follow the leader' },
    );
    const removed = await keel(['cluster', 'remove', 'n4', '--http', http]);
    expect(removed.stdout).toContain('removed n4');
    expect((await c.view(third.leader)).voters).not.toContain('n4');
    // A remote client without credentials is refused; the loopback rule is what admitted the CLI.
    const refusal = await keel(['cluster', 'remove', 'nobody', '--http', http]);
    expect(refusal.status).toBe(1);
  });
});
