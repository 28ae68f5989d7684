import { makeScramVerifier } from '@keel/wire';
import { decode, encode } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { checkBasicAuth, isLoopback } from './admin-api.js';
import { ClusterState, decodeCommand, encodeCommand, type MemberRecord } from './cluster-state.js';
import { answerQuery, type DnsView } from './dns-answers.js';
import { LeaderLease } from './leader-lease.js';

const member = (nodeId: string, host = '10.0.0.1', pgPort = 5432): MemberRecord => ({
  nodeId,
  host,
  pgPort,
  readPort: null,
  httpPort: 8080,
  replicationPort: 7001,
});

describe('ClusterState', () => {
  it('applies member records, announcements and removals in log order, and snapshots them', () => {
    const state = new ClusterState();
    const changes: number[] = [];
    state.onChange(() => changes.push(changes.length));
    expect(state.apply(encodeCommand({ type: 'lease', term: 1 }), 1)).toBe(false);
    expect(state.apply(encodeCommand({ type: 'member', member: member('n1') }), 2)).toBe(true);
    expect(state.apply(encodeCommand({ type: 'member', member: member('n1') }), 3)).toBe(false);
    expect(state.apply(encodeCommand({ type: 'primary', term: 2, nodeId: 'n1' }), 4)).toBe(true);
    // A slow leader's older announcement never overrides a newer one.
    expect(state.apply(encodeCommand({ type: 'primary', term: 1, nodeId: 'n2' }), 5)).toBe(false);
    expect(state.primary()).toEqual({ term: 2, nodeId: 'n1', index: 4 });
    state.apply(encodeCommand({ type: 'member', member: member('n2', '10.0.0.2') }), 6);
    expect(state.apply(encodeCommand({ type: 'forget', nodeId: 'n2' }), 7)).toBe(true);
    expect(state.members().map((m) => m.nodeId)).toEqual(['n1']);
    expect(changes).toHaveLength(4);
    const copy = new ClusterState();
    copy.restore(state.snapshot());
    expect(copy.members()).toEqual(state.members());
    expect(copy.primary()).toEqual(state.primary());
  });

  it('ignores entries it does not understand instead of crashing', () => {
    const state = new ClusterState();
    for (const bytes of ['not json', '[]', '{"type":"future"}', '{"type":"member","member":{"nodeId":"x"}}'])
      expect(state.apply(Buffer.from(bytes), 1)).toBe(false);
    expect(decodeCommand(Buffer.from('{"type":"primary","term":"2","nodeId":"n1"}'))).toBeNull();
    expect(state.members()).toEqual([]);
  });
});

describe('LeaderLease', () => {
  it('holds for its duration from the start of the latest committed renewal of its term', () => {
    const lease = new LeaderLease(200);
    expect(lease.valid(0)).toBe(false);
    lease.reset(3);
    lease.renewed(3, 100);
    expect(lease.valid(299)).toBe(true);
    expect(lease.valid(300)).toBe(false);
    // A renewal that started earlier but committed later does not shorten the lease.
    lease.renewed(3, 250);
    lease.renewed(3, 120);
    expect(lease.valid(449)).toBe(true);
    // Renewals of another term never count; a new term starts empty.
    lease.renewed(2, 1000);
    expect(lease.valid(500)).toBe(false);
    lease.reset(4);
    expect(lease.valid(400)).toBe(false);
  });
});

describe('DNS answers', () => {
  const view: DnsView = {
    cluster: 'prod',
    primary: () => member('n1', '10.0.0.1', 5433),
    replicas: () => [member('n2', '10.0.0.2'), member('n3', 'fd00::3'), member('n4', 'keel-4.internal')],
  };
  const ask = (name: string, type: 'A' | 'AAAA' | 'SRV' | 'CNAME', v = view) => {
    const packet = decode(
      encode(answerQuery(decode(encode({ type: 'query', id: 7, questions: [{ name, type }] })), v)),
    );
    // The decoded answers as plain fields (dns-packet's union type has no common `data`).
    const answers = (packet.answers ?? []).map((a) => ({
      type: a.type,
      data: Reflect.get(a, 'data') as unknown,
      ttl: Reflect.get(a, 'ttl') as unknown,
    }));
    return { ...packet, answers };
  };

  it('answers primary.<cluster> with the primary and replicas.<cluster> with the others', () => {
    const primary = ask('primary.prod', 'A');
    expect(primary).toMatchObject({ id: 7, flag_aa: true, rcode: 'NOERROR' });
    expect(primary.answers?.map((a) => [a.type, a.data, a.ttl])).toEqual([['A', '10.0.0.1', 1]]);
    const srv = ask('PRIMARY.prod.', 'SRV');
    expect(srv.answers?.map((a) => a.data)).toEqual([
      { priority: 0, weight: 1, port: 5433, target: '10.0.0.1' },
    ]);
    expect(ask('replicas.prod', 'A').answers?.map((a) => [a.type, a.data])).toEqual([
      ['A', '10.0.0.2'],
      ['CNAME', 'keel-4.internal'],
    ]);
    expect(ask('replicas.prod', 'AAAA').answers?.map((a) => a.data)).toEqual(['fd00::3', 'keel-4.internal']);
  });

  it('is NXDOMAIN inside the zone, REFUSED outside it, and empty while no primary is known', () => {
    expect(ask('nothing.prod', 'A')).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
    expect(ask('primary.example.com', 'A')).toMatchObject({ rcode: 'REFUSED' });
    expect(ask('primary.prod', 'A', { ...view, primary: () => null })).toMatchObject({
      rcode: 'NOERROR',
      answers: [],
    });
  });
});

describe('admin guard', () => {
  it('admits loopback clients and the keel superuser with the right password only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.1.2.3')).toBe(false);
    const verifier = makeScramVerifier('s3cret', { iterations: 64 });
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    expect(checkBasicAuth(basic('keel', 's3cret'), verifier)).toBe(true);
    expect(checkBasicAuth(basic('keel', 'wrong'), verifier)).toBe(false);
    expect(checkBasicAuth(basic('alice', 's3cret'), verifier)).toBe(false);
    expect(checkBasicAuth(undefined, verifier)).toBe(false);
    expect(checkBasicAuth(basic('keel', 's3cret'), null)).toBe(false);
    expect(checkBasicAuth('Bearer abc', verifier)).toBe(false);
  });
});
