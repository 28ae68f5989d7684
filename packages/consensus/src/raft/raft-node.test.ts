import { describe, expect, test } from 'vitest';
import { silentLogger } from '../logger.js';
import { bootstrapConfig } from './cluster-config.js';
import { compareTermLsn } from './data-position.js';
import type { DataPositionComparator, Input, Output } from './io.js';
import type { RaftMessage } from './messages.js';
import { persistedInputFor, RaftNode } from './raft-node.js';
import type { RaftOptions } from './raft-state.js';
import { type DataPosition, type Entry, type HardState, LogIndex, Term } from './types.js';

const options: RaftOptions = {
  electionTimeoutTicks: 10,
  heartbeatTicks: 2,
  preVote: true,
  checkQuorum: true,
  maxEntriesPerAppend: 64,
  maxInFlightAppends: 8,
  catchUpMarginEntries: 0,
};

function entry(index: number, term: number): Entry {
  return {
    index: LogIndex(index),
    term: Term(term),
    body: { type: 'command', command: new Uint8Array([index]) },
  };
}

interface NodeSetup {
  id?: string;
  voters?: string[];
  terms?: number[];
  hardState?: HardState | null;
  dataPosition?: DataPosition | null;
  compare?: DataPositionComparator;
}

function node(setup: NodeSetup = {}): RaftNode {
  const voters = setup.voters ?? ['n1', 'n2', 'n3'];
  return new RaftNode({
    id: setup.id ?? 'n2',
    options,
    env: {
      random: () => 0,
      logger: silentLogger,
      dataPosition: () => setup.dataPosition ?? null,
      compareDataPosition: setup.compare ?? (() => 0),
    },
    hardState: setup.hardState ?? null,
    snapshot: null,
    entries: (setup.terms ?? []).map((t, k) => entry(k + 1, t)),
    bootstrapConfig: bootstrapConfig(voters.map((id) => ({ id, address: id }))),
  });
}

const message = (from: string, msg: RaftMessage): Input => ({ kind: 'message', from, msg });
const kinds = (outputs: Output[]) => outputs.map((o) => (o.kind === 'send' ? `send:${o.msg.type}` : o.kind));
const sends = (outputs: Output[]) => outputs.flatMap((o) => (o.kind === 'send' ? [o.msg] : []));

describe('RaftNode', () => {
  test('a follower commits no further than the last entry the append carried', () => {
    // n2 holds 3@2 and 4@2 from a deposed leader; they were never committed.
    const n2 = node({ terms: [1, 1, 2, 2], hardState: { term: Term(3), vote: null, commit: LogIndex(1) } });
    const outputs = n2.step(
      message('n1', {
        type: 'appendRequest',
        term: Term(3),
        prevLogIndex: LogIndex(1),
        prevLogTerm: Term(1),
        entries: [entry(2, 1)],
        leaderCommit: LogIndex(4),
      }),
    );
    expect(n2.commitIndex()).toBe(2);
    expect(sends(outputs)).toContainEqual(
      expect.objectContaining({ type: 'appendResponse', success: true, index: 2 }),
    );
  });

  test('a granted vote is persisted before the answer is sent', () => {
    const n2 = node();
    const outputs = n2.step(
      message('n1', {
        type: 'voteRequest',
        term: Term(1),
        preVote: false,
        lastLogIndex: LogIndex(0),
        lastLogTerm: Term(0),
        dataPosition: null,
        transfer: false,
      }),
    );
    expect(kinds(outputs).slice(0, 2)).toEqual(['persist', 'send:voteResponse']);
    const [persist] = outputs;
    expect(persist?.kind === 'persist' && persist.hardState).toEqual({ term: 1, vote: 'n1', commit: 0 });
  });

  test('a granted pre-vote changes no term and no vote, so nothing is persisted', () => {
    const n2 = node({ hardState: { term: Term(4), vote: 'n3', commit: LogIndex(0) } });
    const outputs = n2.step(
      message('n1', {
        type: 'voteRequest',
        term: Term(5),
        preVote: true,
        lastLogIndex: LogIndex(0),
        lastLogTerm: Term(0),
        dataPosition: null,
        transfer: false,
      }),
    );
    expect(kinds(outputs)).toEqual(['send:voteResponse']);
    expect(sends(outputs)[0]).toMatchObject({ granted: true, term: 5, preVote: true });
    expect(n2.status()).toMatchObject({ term: 4, vote: 'n3' });
  });

  test('a request from an older term is answered with the current term', () => {
    const n2 = node({ hardState: { term: Term(7), vote: null, commit: LogIndex(0) } });
    const outputs = n2.step(message('n1', { type: 'heartbeat', term: Term(3), commit: LogIndex(0) }));
    expect(sends(outputs)).toEqual([{ type: 'heartbeatResponse', term: 7 }]);
  });

  test('the candidate attaches its data position; a voter refuses one that is behind', () => {
    const candidate = node({ id: 'n1', dataPosition: { term: 1, lsn: 50n } });
    candidate.step({ kind: 'campaign' });
    const outputs = candidate.step({ kind: 'campaign' });
    const request = [...sends(outputs)].find((m) => m.type === 'voteRequest');
    expect(request).toMatchObject({ dataPosition: { term: 1, lsn: 50n } });
    const voteFor = (lsn: bigint): boolean => {
      const voter = node({ dataPosition: { term: 1, lsn: 100n }, compare: compareTermLsn });
      const answer = sends(
        voter.step(
          message('n1', {
            type: 'voteRequest',
            term: Term(1),
            preVote: false,
            lastLogIndex: LogIndex(0),
            lastLogTerm: Term(0),
            dataPosition: { term: 1, lsn },
            transfer: false,
          }),
        ),
      )[0];
      return answer?.type === 'voteResponse' && answer.granted;
    };
    expect(voteFor(50n)).toBe(false);
    expect(voteFor(100n)).toBe(true);
    expect(voteFor(101n)).toBe(true);
  });

  test('a leader applies its own entries only once they are durable', () => {
    const single = node({ id: 'n1', voters: ['n1'] });
    const campaign = single.step({ kind: 'campaign' });
    expect(single.isLeader()).toBe(true);
    expect(kinds(campaign)).not.toContain('apply');
    const persist = campaign.find(
      (o): o is Extract<Output, { kind: 'persist' }> => o.kind === 'persist' && o.entries.length > 0,
    );
    if (persist === undefined) throw new Error('no persist of the no-op');
    const next = persistedInputFor(persist);
    if (next === null) throw new Error('no persisted input');
    const applied = single.step(next);
    expect(kinds(applied)).toContain('apply');
    expect(single.commitIndex()).toBe(1);
  });

  test('a stale persisted report (the entry was replaced since) does not count', () => {
    const single = node({ id: 'n1', voters: ['n1'] });
    single.step({ kind: 'campaign' });
    single.step({ kind: 'persisted', index: LogIndex(1), term: Term(99) });
    expect(single.commitIndex()).toBe(0);
  });

  test('compaction beyond the applied index is ignored', () => {
    const single = node({ id: 'n1', voters: ['n1'] });
    single.step({ kind: 'campaign' });
    expect(single.step({ kind: 'compact', index: LogIndex(1), data: new Uint8Array() })).toEqual([]);
    single.step({ kind: 'persisted', index: LogIndex(1), term: Term(1) });
    const outputs = single.step({ kind: 'compact', index: LogIndex(1), data: new Uint8Array([7]) });
    expect(outputs[0]).toMatchObject({ kind: 'persist', snapshot: { meta: { index: 1, term: 1 } } });
    expect(single.snapshotIndex()).toBe(1);
  });

  test('a commit index beyond the durable log (a torn tail was cut) is clamped on restart', () => {
    const n2 = node({ terms: [1, 1], hardState: { term: Term(1), vote: null, commit: LogIndex(5) } });
    expect(n2.commitIndex()).toBe(2);
  });

  test('proposals at a follower are dropped with the leader as a hint', () => {
    const n2 = node();
    n2.step(message('n1', { type: 'heartbeat', term: Term(1), commit: LogIndex(0) }));
    const outputs = n2.step({ kind: 'propose', requestId: 7, command: new Uint8Array([1]) });
    expect(outputs).toContainEqual({ kind: 'dropped', requestId: 7, reason: 'notLeader', leader: 'n1' });
  });
});
