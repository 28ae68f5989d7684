import { describe, expect, test } from 'vitest';
import type { RaftMessage } from '../raft/messages.js';
import { type Entry, LogIndex, Term } from '../raft/types.js';
import { raftService } from './raft-service.js';
import { decodeEnvelope, encodeEnvelope, WireError } from './wire-codec.js';

const t = Term;
const i = LogIndex;
const config = { voters: ['n1', 'n2'], learners: ['n3'], addresses: { n1: 'h:1', n2: 'h:2', n3: 'h:3' } };
const entries: Entry[] = [
  { index: i(4), term: t(2), body: { type: 'command', command: new Uint8Array([0, 1, 255]) } },
  { index: i(5), term: t(2), body: { type: 'noop' } },
  { index: i(6), term: t(3), body: { type: 'config', config } },
];

const messages: RaftMessage[] = [
  {
    type: 'voteRequest',
    term: t(7),
    preVote: true,
    lastLogIndex: i(9),
    lastLogTerm: t(6),
    dataPosition: { term: 3, lsn: 2n ** 60n + 7n },
    transfer: true,
  },
  {
    type: 'voteRequest',
    term: t(1),
    preVote: false,
    lastLogIndex: i(0),
    lastLogTerm: t(0),
    dataPosition: null,
    transfer: false,
  },
  { type: 'voteResponse', term: t(7), preVote: false, granted: true },
  { type: 'appendRequest', term: t(3), prevLogIndex: i(3), prevLogTerm: t(2), entries, leaderCommit: i(2) },
  {
    type: 'appendRequest',
    term: t(3),
    prevLogIndex: i(3),
    prevLogTerm: t(2),
    entries: [],
    leaderCommit: i(0),
  },
  { type: 'appendResponse', term: t(3), success: false, index: i(3), hintIndex: i(1), hintTerm: t(1) },
  { type: 'heartbeat', term: t(3), commit: i(2 ** 40) },
  { type: 'heartbeatResponse', term: t(3) },
  {
    type: 'snapshotRequest',
    term: t(4),
    snapshot: { meta: { index: i(100), term: t(4), config }, data: new Uint8Array([9, 8, 7]) },
  },
  { type: 'timeoutNow', term: t(12) },
];

describe('wire codec over the real protobuf encoding', () => {
  const { send } = raftService();
  test.each(messages.map((m) => [m.type, m] as const))('%s survives a round trip', (_type, msg) => {
    const bytes = send.requestSerialize(encodeEnvelope('n1', 'n2', msg));
    const decoded = decodeEnvelope(send.requestDeserialize(bytes));
    expect(decoded).toEqual({ from: 'n1', to: 'n2', msg });
  });

  test('malformed envelopes are refused with WireError', () => {
    expect(() => decodeEnvelope(null)).toThrow(WireError);
    expect(() => decodeEnvelope({ from: 'a', to: 'b' })).toThrow(/no message/);
    expect(() => decodeEnvelope({ message: 'heartbeat', heartbeat: { term: '-1' } })).toThrow(WireError);
    expect(() => decodeEnvelope({ message: 'heartbeat', heartbeat: { term: String(2 ** 60) } })).toThrow(
      /2\^53/,
    );
    expect(() => decodeEnvelope({ message: 'bogus', bogus: {} })).toThrow(/unknown message kind/);
    expect(() =>
      decodeEnvelope({ message: 'appendRequest', appendRequest: { entries: [{ index: '1', term: '1' }] } }),
    ).toThrow(/no body/);
  });
});
