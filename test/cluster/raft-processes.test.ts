/**
 * Raft between real keel processes over gRPC on loopback (issue 8, point 5): a leader is
 * elected; kill -9 of the leader gives a new one; a restarted node rejoins with its log; a node
 * cut off by a partition cannot become leader and rejoins as a follower when healed; a leader
 * cut off from its quorum steps down.
 */
import { execFile } from 'node:child_process';
import { keelBinaryPath, waitFor } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster } from './cluster-harness.js';

let cluster: TestCluster | null = null;

function runKeel(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [keelBinaryPath, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

describe('a three-node Raft group of keel processes', () => {
  it('elects one leader that every node agrees on, and shows it in keel cluster status', async () => {
    cluster = await TestCluster.start();
    const { leader, term } = await cluster.agreedLeader();
    expect(term).toBeGreaterThan(0);
    const view = await cluster.view(leader);
    expect(view).toMatchObject({ nodeId: leader, role: 'leader', leaderId: leader, writable: true });
    const follower = cluster.ids.find((id) => id !== leader) ?? '';
    expect((await cluster.view(follower)).role).toBe('follower');
    // Asynchronous on purpose: the fault proxies between the nodes run in this process, and a
    // synchronous spawn would stall them long enough for the leader to lose its quorum.
    const status = await runKeel([
      'cluster',
      'status',
      '--http',
      `127.0.0.1:${cluster.node(leader).httpPort}`,
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`leader ${leader}`);
    for (const id of cluster.ids) expect(status.stdout).toContain(id);
  });

  it('replaces a leader killed with SIGKILL, and the old leader rejoins as a follower after restart', async () => {
    cluster = await TestCluster.start();
    const first = await cluster.agreedLeader();
    await cluster.node(first.leader).kill9();
    const survivors = cluster.ids.filter((id) => id !== first.leader);
    const second = await cluster.agreedLeader(survivors);
    expect(second.leader).not.toBe(first.leader);
    expect(second.term).toBeGreaterThan(first.term);
    await cluster.restart(first.leader);
    const third = await cluster.agreedLeader();
    expect(third.leader).toBe(second.leader);
    expect((await cluster.view(first.leader)).role).toBe('follower');
  });

  it('keeps a partitioned follower from becoming leader and takes it back when healed', async () => {
    cluster = await TestCluster.start();
    const before = await cluster.agreedLeader();
    const victim = cluster.ids.find((id) => id !== before.leader) ?? '';
    cluster.isolate(victim);
    // The victim notices it lost the leader (election timeout) but pre-vote keeps it from
    // winning, or even from raising its term, while it cannot reach a majority.
    await waitFor(async () => (await cluster?.view(victim))?.leaderId === null, {
      what: 'the victim to lose its leader',
    });
    const majority = cluster.ids.filter((id) => id !== victim);
    const during = await cluster.agreedLeader(majority);
    expect(during).toEqual(before);
    const victimView = await cluster.view(victim);
    expect(victimView.role).not.toBe('leader');
    expect(victimView.term).toBe(before.term);
    cluster.heal();
    const after = await cluster.agreedLeader();
    expect(after.leader).toBe(before.leader);
    expect((await cluster.view(victim)).role).toBe('follower');
  });

  it('makes a leader cut off from its quorum step down, and the majority elect another', async () => {
    cluster = await TestCluster.start();
    const before = await cluster.agreedLeader();
    cluster.isolate(before.leader);
    const majority = cluster.ids.filter((id) => id !== before.leader);
    const elected = await cluster.agreedLeader(majority);
    expect(elected.leader).not.toBe(before.leader);
    await waitFor(async () => (await cluster?.view(before.leader))?.role !== 'leader', {
      what: 'the isolated leader to step down (check-quorum)',
    });
    cluster.heal();
    const after = await cluster.agreedLeader();
    expect(after.leader).toBe(elected.leader);
  });
});
