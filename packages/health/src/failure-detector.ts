/**
 * FailureDetector: turns timestamped probe results (probes.ts) into suspicions about this node
 * and its peers. It is a pure state machine: time arrives with the inputs and with `assess(nowMs)`;
 * it owns no timer, socket or file, so a test replays any sequence of probes exactly.
 *
 * What Raft already covers, it does not repeat: a dead or partitioned leader is found by Raft's
 * heartbeats (50 ms) and election timeout (250-500 ms). The detector finds what heartbeats cannot
 * see, the failures of a process that is still alive:
 *   1. fsync stalled: WAL was inserted but the flush position has not moved for `fsyncStallMs`
 *      (a dying disk, a full thin-provisioned volume, an NFS hang). Commits hang meanwhile.
 *   2. WAL unreadable: the probe itself failed.
 *   3. disk low: less than `diskFreeMinBytes` free on the data directory's file system.
 *   4. stream down: a replica has not been streaming from its primary for `streamDownGraceMs`
 *      (a reconnect blip shorter than that is not reported).
 *   5. probe stale: no self probe for `staleAfterMs` (the monitor loop, or the event loop, stalled).
 * A peer is `up` after a successful probe, and `suspect` once no probe succeeded for
 * `peerSuspectAfterMs` (from the first time it was tracked, if it never answered).
 *
 * Default interval (500 ms, against the seed's 5 s): a verdict a load balancer reads is then at
 * most half a second old, a stalled fsync is reported within fsyncStallMs + 0.5 s = 1.5 s, and a
 * peer is suspected after three missed probes (1.5 s). The cost is one statfs, a few counter
 * reads and one small HTTP GET per peer every 500 ms. Going faster buys nothing: Raft, not this
 * detector, decides failover, and it already reacts in 250-500 ms.
 * Exports: FailureDetector, HealthThresholds, defaultThresholds, Assessment, SelfAssessment,
 * SelfProblem, PeerAssessment, PeerState.
 */
import type { DiskProbe, HealthInput, PeerProbe, SelfProbe, StreamProbe, WalProbe } from './probes.js';

export interface HealthThresholds {
  /** How often the server probes (itself and each peer). */
  readonly probeIntervalMs: number;
  /** Inserted-but-unflushed WAL whose flush position has not moved this long is a stalled fsync. */
  readonly fsyncStallMs: number;
  /** Less free space than this on the data directory's file system is reported. */
  readonly diskFreeMinBytes: number;
  /** A replica that has not streamed for this long reports its stream as down. */
  readonly streamDownGraceMs: number;
  /** A peer with no successful probe for this long is suspected. */
  readonly peerSuspectAfterMs: number;
  /** No self probe for this long means the monitor itself stalled. */
  readonly staleAfterMs: number;
}

export function defaultThresholds(probeIntervalMs = 500): HealthThresholds {
  return {
    probeIntervalMs,
    fsyncStallMs: 1000,
    diskFreeMinBytes: 256 * 1024 * 1024,
    streamDownGraceMs: 2 * probeIntervalMs,
    peerSuspectAfterMs: 3 * probeIntervalMs,
    staleAfterMs: 3 * probeIntervalMs,
  };
}

export type SelfProblem =
  | { readonly kind: 'walUnreadable' }
  | { readonly kind: 'fsyncStalled'; readonly stalledMs: number; readonly flushLsn: bigint }
  | { readonly kind: 'diskLow'; readonly freeBytes: number }
  | { readonly kind: 'diskUnknown' }
  | { readonly kind: 'streamDown'; readonly downMs: number }
  | { readonly kind: 'probeStale'; readonly ageMs: number | null };

export interface SelfAssessment {
  /** No problem at all. */
  readonly healthy: boolean;
  readonly problems: readonly SelfProblem[];
  readonly wal: WalProbe | null;
  readonly disk: DiskProbe | null;
  readonly stream: StreamProbe | null;
  /** Age of the latest self probe; null before the first. */
  readonly probeAgeMs: number | null;
}

export type PeerState = 'up' | 'suspect' | 'unknown';

export interface PeerAssessment {
  readonly id: string;
  readonly state: PeerState;
  /** Time since the last successful probe; null if it never answered. */
  readonly lastOkAgeMs: number | null;
  readonly consecutiveFailures: number;
  readonly detail: string | null;
}

export interface Assessment {
  readonly self: SelfAssessment;
  readonly peers: readonly PeerAssessment[];
}

interface PeerRecord {
  trackedSinceMs: number;
  lastOkMs: number | null;
  consecutiveFailures: number;
  detail: string | null;
}

export class FailureDetector {
  readonly thresholds: HealthThresholds;
  private last: SelfProbe | null = null;
  /** Since when the flush position has stood still with WAL waiting to be flushed. */
  private flushWaitingSinceMs: number | null = null;
  private lastFlushLsn: bigint | null = null;
  /** Since when a replica has not been streaming. */
  private streamDownSinceMs: number | null = null;
  private readonly peers = new Map<string, PeerRecord>();

  constructor(thresholds: Partial<HealthThresholds> = {}) {
    this.thresholds = { ...defaultThresholds(thresholds.probeIntervalMs), ...thresholds };
  }

  observe(input: HealthInput): void {
    if (input.kind === 'self') this.observeSelf(input);
    else this.observePeer(input);
  }

  /** Keeps exactly these peers (membership changed); new ones start `unknown` at `nowMs`. */
  trackPeers(ids: readonly string[], nowMs: number): void {
    for (const id of [...this.peers.keys()]) if (!ids.includes(id)) this.peers.delete(id);
    for (const id of ids) {
      if (!this.peers.has(id))
        this.peers.set(id, { trackedSinceMs: nowMs, lastOkMs: null, consecutiveFailures: 0, detail: null });
    }
  }

  assess(nowMs: number): Assessment {
    return { self: this.assessSelf(nowMs), peers: this.assessPeers(nowMs) };
  }

  private observeSelf(probe: SelfProbe): void {
    this.last = probe;
    this.trackFlush(probe.wal, probe.atMs);
    const stream = probe.stream;
    if (stream === null || stream.role !== 'replica' || stream.streaming) this.streamDownSinceMs = null;
    else this.streamDownSinceMs ??= probe.atMs;
  }

  private trackFlush(wal: WalProbe | null, atMs: number): void {
    if (wal === null) return;
    const moved = this.lastFlushLsn === null || wal.flushLsn !== this.lastFlushLsn;
    this.lastFlushLsn = wal.flushLsn;
    if (wal.flushLsn >= wal.insertLsn) this.flushWaitingSinceMs = null;
    else if (moved || this.flushWaitingSinceMs === null) this.flushWaitingSinceMs = atMs;
  }

  private observePeer(probe: PeerProbe): void {
    const record = this.peers.get(probe.peerId);
    if (record === undefined) return;
    if (probe.ok) {
      record.lastOkMs = Math.max(record.lastOkMs ?? probe.atMs, probe.atMs);
      record.consecutiveFailures = 0;
      record.detail = null;
    } else {
      record.consecutiveFailures += 1;
      record.detail = probe.detail ?? 'no answer';
    }
  }

  private assessSelf(nowMs: number): SelfAssessment {
    const t = this.thresholds;
    const probe = this.last;
    const problems: SelfProblem[] = [];
    const ageMs = probe === null ? null : nowMs - probe.atMs;
    if (ageMs === null || ageMs >= t.staleAfterMs) problems.push({ kind: 'probeStale', ageMs });
    if (probe !== null) {
      if (probe.wal === null) problems.push({ kind: 'walUnreadable' });
      const waiting = this.flushWaitingSinceMs;
      if (probe.wal !== null && waiting !== null && nowMs - waiting >= t.fsyncStallMs)
        problems.push({ kind: 'fsyncStalled', stalledMs: nowMs - waiting, flushLsn: probe.wal.flushLsn });
      if (probe.disk === null) problems.push({ kind: 'diskUnknown' });
      else if (probe.disk.freeBytes < t.diskFreeMinBytes)
        problems.push({ kind: 'diskLow', freeBytes: probe.disk.freeBytes });
      const down = this.streamDownSinceMs;
      if (down !== null && nowMs - down >= t.streamDownGraceMs)
        problems.push({ kind: 'streamDown', downMs: nowMs - down });
    }
    return {
      healthy: problems.length === 0,
      problems,
      wal: probe?.wal ?? null,
      disk: probe?.disk ?? null,
      stream: probe?.stream ?? null,
      probeAgeMs: ageMs,
    };
  }

  private assessPeers(nowMs: number): PeerAssessment[] {
    const out: PeerAssessment[] = [];
    for (const [id, r] of [...this.peers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const since = r.lastOkMs ?? r.trackedSinceMs;
      const silentMs = nowMs - since;
      const state: PeerState =
        silentMs >= this.thresholds.peerSuspectAfterMs ? 'suspect' : r.lastOkMs === null ? 'unknown' : 'up';
      out.push({
        id,
        state,
        lastOkAgeMs: r.lastOkMs === null ? null : nowMs - r.lastOkMs,
        consecutiveFailures: r.consecutiveFailures,
        detail: r.detail,
      });
    }
    return out;
  }
}

/** One line per problem, for logs and HTTP reasons. */
export function describeProblem(problem: SelfProblem): string {
  switch (problem.kind) {
    case 'walUnreadable':
      return 'the WAL position could not be read';
    case 'fsyncStalled':
      return `WAL flush stalled for ${problem.stalledMs} ms at LSN ${problem.flushLsn}`;
    case 'diskLow':
      return `only ${Math.floor(problem.freeBytes / (1024 * 1024))} MiB free on the data directory's disk`;
    case 'diskUnknown':
      return 'free disk space could not be read';
    case 'streamDown':
      return `not streaming from the primary for ${problem.downMs} ms`;
    case 'probeStale':
      return problem.ageMs === null ? 'no health probe yet' : `last health probe ${problem.ageMs} ms ago`;
  }
}
