/**
 * Real gRPC on loopback, in one process: three (and four) driver instances with their own data
 * directories and ports. Every wait is on a condition, with a generous deadline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { AppliedCommand, RaftNodeHandle } from './raft-host.js';
import type { PeerAddress, RaftNodeConfig } from './raft-node-config.js';
import { startRaftNode } from './start-raft-node.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(
  what: string,
  probe: () => T | null | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Member {
  readonly peer: PeerAddress;
  readonly dataDir: string;
  handle: RaftNodeHandle | null;
  applied: AppliedCommand[];
}

const text = (s: string) => new TextEncoder().encode(s);
const decoded = (applied: AppliedCommand[]) => applied.map((a) => new TextDecoder().decode(a.command));

let root = '';
let members: Member[] = [];

afterEach(async () => {
  await Promise.all(members.map((m) => m.handle?.close()));
  members = [];
  if (root !== '') await rm(root, { recursive: true, force: true });
});

async function start(
  member: Member,
  peers: PeerAddress[],
  extra: Partial<RaftNodeConfig> = {},
): Promise<RaftNodeHandle> {
  member.applied = [];
  const handle = await startRaftNode({
    nodeId: member.peer.id,
    dataDir: member.dataDir,
    listenHost: '127.0.0.1',
    grpcPort: member.peer.port,
    peers,
    ...extra,
  });
  handle.onApply((a) => member.applied.push(a));
  member.handle = handle;
  return handle;
}

async function cluster(size: number): Promise<Member[]> {
  root = await mkdtemp(path.join(tmpdir(), 'keel-raft-cluster-'));
  for (let k = 1; k <= size; k++) {
    members.push({
      peer: { id: `n${k}`, host: '127.0.0.1', port: await freePort() },
      dataDir: path.join(root, `n${k}`),
      handle: null,
      applied: [],
    });
  }
  const peers = members.map((m) => m.peer);
  await Promise.all(members.map((m) => start(m, peers)));
  return members;
}

function live(): RaftNodeHandle[] {
  return members.flatMap((m) => (m.handle === null ? [] : [m.handle]));
}

/** The one leader every live node agrees on. */
async function agreedLeader(): Promise<RaftNodeHandle> {
  return waitFor('a leader all live nodes agree on', () => {
    const statuses = live().map((h) => h.status());
    const leaders = statuses.filter((s) => s.role === 'leader');
    const leader = leaders[0];
    if (leaders.length !== 1 || leader === undefined) return null;
    if (!statuses.every((s) => s.leaderId === leader.nodeId && s.term === leader.term)) return null;
    return live().find((h) => h.nodeId === leader.nodeId);
  });
}

describe('raft over gRPC on loopback', () => {
  test('three nodes elect one leader, replicate proposals, replace a stopped leader, and take it back', async () => {
    await cluster(3);
    const leader = await agreedLeader();
    const first = leader.status().term;

    for (let k = 0; k < 20; k++) await leader.propose(text(`a${k}`));
    const expected = Array.from({ length: 20 }, (_, k) => `a${k}`);
    await waitFor('every node to apply a0..a19', () =>
      members.every((m) => decoded(m.applied).join() === expected.join()),
    );

    const stopped = members.find((m) => m.handle === leader);
    if (stopped === undefined) throw new Error('leader is not a member');
    const lastBefore = leader.status().lastIndex;
    await leader.close();
    stopped.handle = null;
    const next = await agreedLeader();
    expect(next.nodeId).not.toBe(stopped.peer.id);
    expect(next.status().term).toBeGreaterThan(first);
    await next.propose(text('b0'));

    const back = await start(
      stopped,
      members.map((m) => m.peer),
    );
    // It restarts from its own disk: the log it had is still there before anyone sends it anything.
    expect(back.status().lastIndex).toBeGreaterThanOrEqual(lastBefore);
    await waitFor(
      'the restarted node to follow the new leader',
      () => back.status().leaderId === next.nodeId && back.status().role === 'follower',
    );
    await next.propose(text('b1'));
    // After a restart a node re-applies its whole log, so it sees every command again, in order.
    await waitFor(
      'the restarted node to apply everything',
      () => decoded(stopped.applied).join() === [...expected, 'b0', 'b1'].join(),
    );
  });

  test('leadership transfer hands over to the chosen voter', async () => {
    await cluster(3);
    const leader = await agreedLeader();
    const target = members.find((m) => m.handle !== leader)?.peer.id ?? '';
    await leader.transferLeadership(target);
    const next = await agreedLeader();
    expect(next.nodeId).toBe(target);
  });

  test('a learner catches up and is promoted; a server is removed', async () => {
    await cluster(3);
    const leader = await agreedLeader();
    for (let k = 0; k < 10; k++) await leader.propose(text(`c${k}`));
    const joiner: Member = {
      peer: { id: 'n4', host: '127.0.0.1', port: await freePort() },
      dataDir: path.join(root, 'n4'),
      handle: null,
      applied: [],
    };
    members.push(joiner);
    // A joining node is told where the current members are, but is in no configuration yet.
    const n4 = await start(
      joiner,
      members.map((m) => m.peer),
      { join: true },
    );
    expect(n4.status().voters).toEqual([]);
    await leader.addLearner(joiner.peer);
    await waitFor(
      'the learner to learn the log',
      () => n4.status().role === 'learner' && n4.status().appliedIndex >= leader.status().commitIndex,
    );
    expect(decoded(joiner.applied)).toEqual(Array.from({ length: 10 }, (_, k) => `c${k}`));
    await leader.addVoter('n4');
    expect(leader.status().voters).toEqual(['n1', 'n2', 'n3', 'n4']);
    await waitFor('n4 to see itself as a voter', () => n4.status().role === 'follower');
    const victim = members.find((m) => m.handle !== leader && m.peer.id !== 'n4')?.peer.id ?? '';
    await leader.removeServer(victim);
    expect(leader.status().voters).not.toContain(victim);
    await leader.propose(text('after-removal'));
  });

  test('without peers a node is a single-node group and its own leader', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keel-raft-single-'));
    const solo: Member = {
      peer: { id: 'solo', host: '127.0.0.1', port: 0 },
      dataDir: path.join(root, 'solo'),
      handle: null,
      applied: [],
    };
    members.push(solo);
    const handle = await start(solo, []);
    expect(handle.grpcPort).toBeGreaterThan(0);
    await waitFor('the single node to lead', () => handle.status().role === 'leader');
    const at = await handle.propose(text('x'));
    expect(at.index).toBeGreaterThan(0);
    expect(decoded(solo.applied)).toEqual(['x']);
  });

  test('a proposal at a follower is refused with the leader as a hint', async () => {
    await cluster(3);
    const leader = await agreedLeader();
    const follower = live().find((h) => h !== leader);
    const error = await follower?.propose(text('nope')).catch((e: unknown) => e);
    expect(error).toMatchObject({ sqlstate: '25006', hint: `the leader is ${leader.nodeId}` });
  });
});
