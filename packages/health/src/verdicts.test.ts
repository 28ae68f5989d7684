import { describe, expect, it } from 'vitest';
import { type Assessment, FailureDetector } from './failure-detector.js';
import type { StreamProbe } from './probes.js';
import {
  liveVerdict,
  type NodeFacts,
  parseLagParameter,
  primaryVerdict,
  readyVerdict,
  replicaVerdict,
  writableVerdict,
} from './verdicts.js';

const leader: NodeFacts = {
  phase: 'ready',
  raftRole: 'leader',
  term: 4,
  leaderId: 'n1',
  promoted: true,
  leaseValid: true,
  transferring: false,
};
const follower: NodeFacts = { ...leader, raftRole: 'follower', promoted: false, leaseValid: false };

function health(stream: StreamProbe | null, flush = 10n): Assessment {
  const d = new FailureDetector({ probeIntervalMs: 500, fsyncStallMs: 1000 });
  d.observe({
    kind: 'self',
    atMs: 0,
    wal: { insertLsn: 10n, flushLsn: flush },
    disk: { freeBytes: 1e12, totalBytes: 2e12 },
    stream,
  });
  d.observe({
    kind: 'self',
    atMs: 1000,
    wal: { insertLsn: 20n, flushLsn: flush },
    disk: { freeBytes: 1e12, totalBytes: 2e12 },
    stream,
  });
  return d.assess(1000);
}

const primaryStream: StreamProbe = { role: 'none', streaming: false, lagBytes: null };
const streaming = (lag: bigint): StreamProbe => ({ role: 'replica', streaming: true, lagBytes: lag });

describe('writable and /primary', () => {
  it('is true only for a promoted leader with a lease and a moving WAL flush', () => {
    const h = health(primaryStream, 20n);
    expect(writableVerdict(leader, h)).toEqual({ ok: true, reason: 'primary in term 4' });
    expect(primaryVerdict(leader, h).ok).toBe(true);
    expect(writableVerdict({ ...leader, promoted: false }, h)).toEqual({
      ok: false,
      reason: 'elected, promotion not finished',
    });
    expect(writableVerdict({ ...leader, leaseValid: false }, h).reason).toMatch(/lease expired/);
    expect(writableVerdict({ ...leader, transferring: true }, h).reason).toMatch(/switchover/);
    expect(writableVerdict({ ...leader, phase: 'stopping' }, h)).toEqual({ ok: false, reason: 'stopping' });
    expect(writableVerdict(follower, h).reason).toBe('not the leader (the leader is n1)');
    expect(writableVerdict({ ...follower, leaderId: null }, h).reason).toBe('no leader is known');
  });

  it('refuses writes on a leader whose fsync stalled', () => {
    const stalled = health(primaryStream, 5n);
    expect(stalled.self.problems.map((p) => p.kind)).toEqual(['fsyncStalled']);
    expect(writableVerdict(leader, stalled).reason).toMatch(/WAL flush stalled for 1000 ms at LSN 5/);
  });
});

describe('/replica', () => {
  it('is 200 only on a streaming replica within the requested lag', () => {
    expect(replicaVerdict(follower, health(streaming(100n)), null).ok).toBe(true);
    expect(replicaVerdict(follower, health(streaming(100n)), 100n).ok).toBe(true);
    expect(replicaVerdict(follower, health(streaming(101n)), 100n).reason).toBe('lag 101 bytes exceeds 100');
    expect(
      replicaVerdict(follower, health({ role: 'replica', streaming: false, lagBytes: 5n }), null).reason,
    ).toBe('not streaming from the primary');
    expect(replicaVerdict(leader, health(primaryStream), null).reason).toBe('this node is the primary');
    expect(replicaVerdict(follower, health(primaryStream), null).reason).toBe('not a replica');
    expect(
      replicaVerdict(follower, health({ role: 'replica', streaming: true, lagBytes: null }), 1n).reason,
    ).toBe('lag unknown');
  });
});

describe('/health/ready and /health/live', () => {
  it('is ready as writable primary, caught-up replica, or follower without replication', () => {
    expect(readyVerdict(leader, health(primaryStream, 20n)).ok).toBe(true);
    expect(readyVerdict({ ...leader, leaseValid: false }, health(primaryStream, 20n)).ok).toBe(false);
    expect(readyVerdict(follower, health(streaming(0n), 20n)).ok).toBe(true);
    expect(readyVerdict(follower, health(streaming(32n << 20n), 20n)).reason).toMatch(/exceeds/);
    expect(readyVerdict(follower, health(primaryStream, 20n))).toEqual({
      ok: true,
      reason: 'follower of n1',
    });
    expect(readyVerdict({ ...follower, leaderId: null }, health(streaming(0n), 20n)).reason).toMatch(
      /no leader is known/,
    );
    expect(readyVerdict({ ...follower, phase: 'starting' }, health(streaming(0n), 20n)).ok).toBe(false);
  });

  it('is live unless stopped or the monitor stopped probing', () => {
    const fresh = health(primaryStream, 20n);
    expect(liveVerdict(leader, fresh).ok).toBe(true);
    expect(liveVerdict({ ...leader, phase: 'stopped' }, fresh).ok).toBe(false);
    const d = new FailureDetector({ probeIntervalMs: 500 });
    d.observe({ kind: 'self', atMs: 0, wal: null, disk: null, stream: null });
    expect(liveVerdict(leader, d.assess(5000)).reason).toBe('last health probe 5000 ms ago');
    // Before the first probe a starting node is live.
    expect(liveVerdict({ ...leader, phase: 'starting' }, new FailureDetector().assess(0)).ok).toBe(true);
  });
});

describe('parseLagParameter', () => {
  it('reads bytes and Patroni-style units, and rejects garbage', () => {
    expect(parseLagParameter(null)).toBeNull();
    expect(parseLagParameter('')).toBeNull();
    expect(parseLagParameter('1048576')).toBe(1048576n);
    expect(parseLagParameter('16MB')).toBe(16n << 20n);
    expect(parseLagParameter('1 gb')).toBe(1n << 30n);
    expect(() => parseLagParameter('-1')).toThrow(RangeError);
    expect(() => parseLagParameter('lots')).toThrow(RangeError);
  });
});
