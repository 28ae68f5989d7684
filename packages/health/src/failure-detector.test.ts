import { describe, expect, it } from 'vitest';
import { FailureDetector } from './failure-detector.js';
import { healthChanges } from './health-changes.js';
import type { SelfProbe, StreamProbe, WalProbe } from './probes.js';

const GiB = 1024 * 1024 * 1024;

function self(atMs: number, wal: WalProbe | null, stream: StreamProbe | null = null): SelfProbe {
  return { kind: 'self', atMs, wal, disk: { freeBytes: 10 * GiB, totalBytes: 20 * GiB }, stream };
}

const wal = (insert: number, flush: number): WalProbe => ({
  insertLsn: BigInt(insert),
  flushLsn: BigInt(flush),
});
const kinds = (d: FailureDetector, now: number) => d.assess(now).self.problems.map((p) => p.kind);

describe('FailureDetector: the node itself', () => {
  it('is healthy with fresh probes and a flushed WAL, and stale without probes', () => {
    const d = new FailureDetector({ probeIntervalMs: 500 });
    expect(kinds(d, 0)).toEqual(['probeStale']);
    d.observe(self(0, wal(100, 100)));
    expect(d.assess(100).self.healthy).toBe(true);
    expect(kinds(d, 1499)).toEqual([]);
    expect(kinds(d, 1500)).toEqual(['probeStale']);
  });

  it('reports a stalled fsync only when the flush position stands still with WAL waiting', () => {
    const d = new FailureDetector({ probeIntervalMs: 500, fsyncStallMs: 1000 });
    // Under steady load insert runs ahead, but the flush position keeps moving: no stall.
    for (let t = 0; t <= 5000; t += 500) {
      d.observe(self(t, wal(1000 + t * 2, 1000 + t)));
      expect(kinds(d, t)).toEqual([]);
    }
    // Now the flush position freezes at 6000 (reached at t=5000) while inserts continue.
    d.observe(self(5500, wal(20_000, 6000)));
    expect(kinds(d, 5999)).toEqual([]);
    d.observe(self(6000, wal(22_000, 6000)));
    const assessment = d.assess(6000);
    expect(assessment.self.problems).toEqual([{ kind: 'fsyncStalled', stalledMs: 1000, flushLsn: 6000n }]);
    // The flush catches up: the stall clears.
    d.observe(self(7000, wal(22_000, 22_000)));
    expect(kinds(d, 7000)).toEqual([]);
  });

  it('does not call an idle node stalled: nothing waits to be flushed', () => {
    const d = new FailureDetector({ fsyncStallMs: 1000 });
    for (let t = 0; t <= 10_000; t += 500) d.observe(self(t, wal(500, 500)));
    expect(kinds(d, 10_000)).toEqual([]);
  });

  it('reports an unreadable WAL, low disk space and unknown disk space', () => {
    const d = new FailureDetector({ diskFreeMinBytes: GiB });
    d.observe({
      kind: 'self',
      atMs: 0,
      wal: null,
      disk: { freeBytes: GiB - 1, totalBytes: 2 * GiB },
      stream: null,
    });
    expect(kinds(d, 0)).toEqual(['walUnreadable', 'diskLow']);
    d.observe({ kind: 'self', atMs: 500, wal: wal(1, 1), disk: null, stream: null });
    expect(kinds(d, 500)).toEqual(['diskUnknown']);
  });

  it('reports a replica stream down only after the grace period, and clears it on reconnect', () => {
    const d = new FailureDetector({ probeIntervalMs: 500, streamDownGraceMs: 1000 });
    const down: StreamProbe = { role: 'replica', streaming: false, lagBytes: null };
    const up: StreamProbe = { role: 'replica', streaming: true, lagBytes: 0n };
    d.observe(self(0, wal(1, 1), up));
    d.observe(self(500, wal(1, 1), down));
    expect(kinds(d, 500)).toEqual([]);
    d.observe(self(1000, wal(1, 1), down));
    expect(kinds(d, 1000)).toEqual([]);
    d.observe(self(1500, wal(1, 1), down));
    expect(d.assess(1500).self.problems).toEqual([{ kind: 'streamDown', downMs: 1000 }]);
    d.observe(self(2000, wal(1, 1), up));
    expect(kinds(d, 2000)).toEqual([]);
  });

  it('never reports a stream down on a primary', () => {
    const d = new FailureDetector({ streamDownGraceMs: 100 });
    for (let t = 0; t < 2000; t += 500)
      d.observe(self(t, wal(1, 1), { role: 'none', streaming: false, lagBytes: null }));
    expect(kinds(d, 1500)).toEqual([]);
  });
});

describe('FailureDetector: peers', () => {
  it('moves a peer from unknown to up, to suspect after silence, and back to up', () => {
    const d = new FailureDetector({ probeIntervalMs: 500, peerSuspectAfterMs: 1500 });
    d.trackPeers(['n2', 'n3'], 0);
    expect(d.assess(0).peers.map((p) => p.state)).toEqual(['unknown', 'unknown']);
    d.observe({ kind: 'peer', atMs: 100, peerId: 'n2', ok: true });
    expect(d.assess(100).peers.map((p) => [p.id, p.state])).toEqual([
      ['n2', 'up'],
      ['n3', 'unknown'],
    ]);
    // n3 never answers: suspected 1500 ms after it was first tracked.
    d.observe({ kind: 'peer', atMs: 600, peerId: 'n3', ok: false, detail: 'connection refused' });
    expect(d.assess(1500).peers[1]).toMatchObject({
      id: 'n3',
      state: 'suspect',
      detail: 'connection refused',
    });
    // n2 stops answering: suspect 1500 ms after its last success.
    d.observe({ kind: 'peer', atMs: 600, peerId: 'n2', ok: false, detail: 'timeout' });
    expect(d.assess(1599).peers[0]?.state).toBe('up');
    expect(d.assess(1600).peers[0]).toMatchObject({ state: 'suspect', consecutiveFailures: 1 });
    d.observe({ kind: 'peer', atMs: 2000, peerId: 'n2', ok: true });
    expect(d.assess(2000).peers[0]).toMatchObject({ state: 'up', consecutiveFailures: 0, detail: null });
  });

  it('forgets removed peers and ignores probes of untracked ones', () => {
    const d = new FailureDetector();
    d.trackPeers(['n2', 'n3'], 0);
    d.trackPeers(['n3', 'n4'], 10);
    d.observe({ kind: 'peer', atMs: 20, peerId: 'n2', ok: true });
    expect(d.assess(20).peers.map((p) => p.id)).toEqual(['n3', 'n4']);
  });
});

describe('healthChanges', () => {
  it('reports raised and cleared problems and peer transitions once each', () => {
    const d = new FailureDetector({ probeIntervalMs: 500, peerSuspectAfterMs: 1000 });
    d.trackPeers(['n2'], 0);
    d.observe(self(0, wal(1, 1)));
    const a = d.assess(0);
    expect(healthChanges(null, a)).toEqual([]);
    d.observe({ kind: 'peer', atMs: 10, peerId: 'n2', ok: true });
    const b = d.assess(10);
    expect(healthChanges(a, b)).toEqual([
      { kind: 'peerChanged', peerId: 'n2', from: 'unknown', to: 'up', detail: null },
    ]);
    const c = d.assess(1600);
    expect(healthChanges(b, c).map((e) => e.kind)).toEqual(['problemRaised', 'peerChanged']);
    expect(healthChanges(c, c)).toEqual([]);
    d.observe(self(1700, wal(1, 1)));
    d.observe({ kind: 'peer', atMs: 1700, peerId: 'n2', ok: true });
    expect(healthChanges(c, d.assess(1700))).toEqual([
      { kind: 'problemCleared', problem: 'probeStale' },
      { kind: 'peerChanged', peerId: 'n2', from: 'suspect', to: 'up', detail: null },
    ]);
  });
});
