import type { RaftNodeHandle, RaftNodeStatus, RoleChange } from '@keel/consensus';
import type { PrimaryAddress, ReplicationControl, ReplicationStatus } from '@keel/replication';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterState, encodeCommand, type MemberRecord } from './cluster-state.js';
import { FailoverOrchestrator } from './failover-orchestrator.js';

/** A Raft handle whose role, term and commits the test controls. */
class FakeRaft {
  st: RaftNodeStatus = {
    nodeId: 'n1',
    role: 'follower',
    term: 1,
    leaderId: null,
    commitIndex: 0,
    appliedIndex: 0,
    lastIndex: 0,
    snapshotIndex: 0,
    voters: ['n1', 'n2', 'n3'],
    learners: [],
    peers: [],
  };
  private commitsFlowing = true;
  private stalled: (() => void)[] = [];
  index = 0;
  /** Stalls commits (a proposal waits) or lets them through (stalled ones commit now). */
  set commits(flowing: boolean) {
    this.commitsFlowing = flowing;
    if (flowing) for (const release of this.stalled.splice(0)) release();
  }
  transfers: string[] = [];
  private readonly listeners = new Set<(c: RoleChange) => void>();
  constructor(private readonly state: ClusterState) {}
  readonly handle = {
    nodeId: 'n1',
    grpcPort: 0,
    status: () => this.st,
    onRoleChange: (l: (c: RoleChange) => void) => {
      this.listeners.add(l);
      return () => this.listeners.delete(l);
    },
    propose: async (command: Uint8Array) => {
      if (!this.commitsFlowing) await new Promise<void>((resolve) => this.stalled.push(resolve));
      this.index++;
      this.state.apply(command, this.index);
      return { index: this.index, term: this.st.term };
    },
    transferLeadership: async (to?: string) => {
      this.transfers.push(to ?? '');
      this.become('follower', this.st.term + 1, to ?? null);
    },
  } as unknown as RaftNodeHandle;

  become(role: RaftNodeStatus['role'], term: number, leaderId: string | null): void {
    this.st = { ...this.st, role, term, leaderId };
    for (const l of this.listeners) l({ role, term, leaderId });
  }
}

class FakeReplication {
  calls: string[] = [];
  insertLsn = 100;
  readonly control = {
    nodeId: 'n1',
    port: 7001,
    startAsPrimary: async ({ term }: { term: number }) => {
      this.calls.push(`primary ${term}`);
    },
    startAsReplica: async ({ primary }: { primary: PrimaryAddress }) => {
      this.calls.push(`replica ${primary.id}@${primary.host}:${primary.port}`);
    },
    stop: async () => {
      this.calls.push('stop');
    },
    status: () => ({ insertLsn: this.insertLsn, replicas: [] }) as unknown as ReplicationStatus,
    dataPosition: () => ({ term: 1, lsn: BigInt(this.insertLsn) }),
    waitForReplicaCatchUp: async (id: string, lsn?: number) => {
      this.calls.push(`catch-up ${id} ${lsn}`);
    },
  } as unknown as ReplicationControl;
}

const self: MemberRecord = {
  nodeId: 'n1',
  host: '127.0.0.1',
  pgPort: 5432,
  readPort: null,
  httpPort: 8080,
  replicationPort: 7001,
};

const running: FailoverOrchestrator[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.close();
});

function setup() {
  const state = new ClusterState();
  const raft = new FakeRaft(state);
  const replication = new FakeReplication();
  const clock = { now: 0 };
  const fences: string[] = [];
  const orchestrator = new FailoverOrchestrator({
    raft: raft.handle,
    state,
    replication: replication.control,
    fenceWrites: (fenced, reason) => fences.push(fenced ? `fence ${reason}` : 'unfence'),
    self,
    replicationAddress: (id) => (state.member(id) === undefined ? null : { host: '10.0.0.2', port: 7002 }),
    registerWithLeader: async () => {},
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
    electionTimeoutMs: 250,
    renewEveryMs: 5,
    fenceOnLeaseLapse: true,
  });
  running.push(orchestrator);
  return { state, raft, replication, clock, fences, orchestrator };
}

describe('FailoverOrchestrator', () => {
  it('promotes a new leader once its lease holds, then registers and announces it', async () => {
    const t = setup();
    t.raft.commits = false;
    t.orchestrator.start();
    t.raft.become('leader', 2, 'n1');
    await expect.poll(() => t.orchestrator.status().leaseValid).toBe(false);
    expect(t.replication.calls).toEqual([]);
    t.raft.commits = true;
    await expect.poll(() => t.orchestrator.writable()).toBe(true);
    expect(t.replication.calls).toEqual(['primary 2']);
    expect(t.state.primary()).toMatchObject({ term: 2, nodeId: 'n1' });
    expect(t.state.member('n1')).toEqual(self);
  });

  it('fences writes when the lease lapses and lifts the fence when it is renewed', async () => {
    const t = setup();
    t.orchestrator.start();
    t.raft.become('leader', 2, 'n1');
    await expect.poll(() => t.orchestrator.writable()).toBe(true);
    t.raft.commits = false;
    t.clock.now += 1000;
    await expect.poll(() => t.fences).toEqual(['fence leader lease expired']);
    expect(t.orchestrator.writable()).toBe(false);
    t.raft.commits = true;
    await expect.poll(() => t.fences).toEqual(['fence leader lease expired', 'unfence']);
    await expect.poll(() => t.orchestrator.writable()).toBe(true);
    // Never promoted twice in one term.
    expect(t.replication.calls).toEqual(['primary 2']);
  });

  it('stops following the old primary synchronously on a newer term, then follows the announced leader', async () => {
    const t = setup();
    t.orchestrator.start();
    t.state.apply(encodeCommand({ type: 'member', member: { ...self, nodeId: 'n2' } }), 1);
    t.state.apply(encodeCommand({ type: 'primary', term: 1, nodeId: 'n2' }), 2);
    t.raft.become('follower', 1, 'n2');
    await expect.poll(() => t.replication.calls).toEqual(['replica n2@10.0.0.2:7002']);
    t.raft.become('follower', 2, null);
    // Synchronously inside the role-change callback: no await between the vote and the stop.
    expect(t.replication.calls).toEqual(['replica n2@10.0.0.2:7002', 'stop']);
    t.raft.become('follower', 2, 'n3');
    t.state.apply(encodeCommand({ type: 'member', member: { ...self, nodeId: 'n3' } }), 3);
    expect(t.orchestrator.status().following).toBeNull();
    t.state.apply(encodeCommand({ type: 'primary', term: 2, nodeId: 'n3' }), 4);
    await expect.poll(() => t.orchestrator.status().following).toEqual({ leaderId: 'n3', term: 2 });
  });

  it('demotes a former primary that lost leadership', async () => {
    const t = setup();
    t.orchestrator.start();
    t.raft.become('leader', 2, 'n1');
    await expect.poll(() => t.orchestrator.writable()).toBe(true);
    t.raft.become('follower', 3, null);
    await expect.poll(() => t.replication.calls).toEqual(['primary 2', 'stop']);
    expect(t.fences).toEqual(['fence not the leader']);
  });

  it('switches over: fence, wait for the target to flush the WAL end, transfer', async () => {
    const t = setup();
    t.orchestrator.start();
    t.raft.become('leader', 2, 'n1');
    await expect.poll(() => t.orchestrator.writable()).toBe(true);
    const moved = await t.orchestrator.switchover({ to: 'n2', force: false, timeoutMs: 1000 });
    expect(moved).toEqual({ from: 'n1', to: 'n2' });
    expect(t.fences[0]).toBe('fence switchover');
    expect(t.replication.calls.slice(0, 2)).toEqual(['primary 2', 'catch-up n2 100']);
    expect(t.raft.transfers).toEqual(['n2']);
  });

  it('refuses a switchover on a follower and to a non-voter', async () => {
    const t = setup();
    t.orchestrator.start();
    await expect(t.orchestrator.switchover({ force: false, timeoutMs: 10 })).rejects.toThrow(
      /not the primary/,
    );
    t.raft.become('leader', 2, 'n1');
    await expect(t.orchestrator.switchover({ to: 'n9', force: false, timeoutMs: 10 })).rejects.toThrow(
      /no eligible target n9/,
    );
  });
});
