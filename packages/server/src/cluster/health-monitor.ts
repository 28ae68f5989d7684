/**
 * The health monitor's I/O half: every `probeIntervalMs` it probes this node (WAL positions from
 * the engine, free space on the data directory's file system, the replication stream) and each
 * other member (GET /health/live on its HTTP port, timing out at one interval), feeds the results
 * to @keel/health's FailureDetector, and logs each change of the picture as one line. The HTTP
 * verdicts read `assessment()`; nothing here decides failover (Raft does), but a stalled fsync
 * or an expired lease makes /primary and /health/ready answer 503 at once.
 * Exports: HealthMonitor, HealthMonitorDeps.
 */
import { statfs } from 'node:fs/promises';
import {
  type Assessment,
  type DiskProbe,
  FailureDetector,
  healthChanges,
  type StreamProbe,
  type WalProbe,
} from '@keel/health';
import type { ReplicationControl } from '@keel/replication';
import type { Logger } from '../logger.js';
import type { MemberRecord } from './cluster-state.js';

export interface HealthMonitorDeps {
  readonly nodeId: string;
  readonly dataDir: string;
  readonly probeIntervalMs: number;
  readonly wal: () => WalProbe | null;
  readonly replication: ReplicationControl | null;
  readonly members: () => MemberRecord[];
  readonly logger: Logger;
}

export class HealthMonitor {
  readonly detector: FailureDetector;
  private last: Assessment;
  private readonly timer: NodeJS.Timeout;
  private probing = false;
  private readonly started = performance.now();
  private readonly log: Logger;

  constructor(private readonly deps: HealthMonitorDeps) {
    this.detector = new FailureDetector({ probeIntervalMs: deps.probeIntervalMs });
    this.log = deps.logger.child({ component: 'health' });
    this.last = this.detector.assess(0);
    this.timer = setInterval(() => void this.probe(), deps.probeIntervalMs);
    this.timer.unref();
    void this.probe();
  }

  /** The detector's view now (re-assessed on read, so staleness shows even if probing stopped). */
  assessment(): Assessment {
    return this.detector.assess(this.now());
  }

  close(): void {
    clearInterval(this.timer);
  }

  private now(): number {
    return Math.round(performance.now() - this.started);
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const peers = this.deps.members().filter((m) => m.nodeId !== this.deps.nodeId);
      this.detector.trackPeers(
        peers.map((p) => p.nodeId),
        this.now(),
      );
      const [disk] = await Promise.all([this.disk(), ...peers.map((peer) => this.probePeer(peer))]);
      this.detector.observe({
        kind: 'self',
        atMs: this.now(),
        wal: this.walProbe(),
        disk,
        stream: this.stream(),
      });
      const next = this.detector.assess(this.now());
      for (const event of healthChanges(this.last, next)) {
        if (event.kind === 'problemRaised') this.log.warn({ problem: event.problem }, event.description);
        else if (event.kind === 'problemCleared')
          this.log.info({ problem: event.problem }, 'health problem cleared');
        else
          this.log.info(
            { peer: event.peerId, from: event.from, to: event.to, detail: event.detail },
            `peer ${event.peerId} is ${event.to}`,
          );
      }
      this.last = next;
    } finally {
      this.probing = false;
    }
  }

  private walProbe(): WalProbe | null {
    try {
      return this.deps.wal();
    } catch (error) {
      this.log.debug({ err: error }, 'WAL probe failed');
      return null;
    }
  }

  private async disk(): Promise<DiskProbe | null> {
    try {
      const stats = await statfs(this.deps.dataDir);
      return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
    } catch (error) {
      this.log.debug({ err: error }, 'disk probe failed');
      return null;
    }
  }

  private stream(): StreamProbe | null {
    const replication = this.deps.replication;
    if (replication === null) return { role: 'none', streaming: false, lagBytes: null };
    const status = replication.status();
    if (status.role !== 'replica') return { role: 'none', streaming: false, lagBytes: null };
    const upstream = status.upstream;
    return {
      role: 'replica',
      streaming: upstream?.state === 'streaming',
      lagBytes: upstream === null ? null : BigInt(Math.max(0, upstream.lagBytes)),
    };
  }

  private async probePeer(peer: MemberRecord): Promise<void> {
    const atMs = this.now();
    try {
      const response = await fetch(`http://${hostForUrl(peer.host)}:${peer.httpPort}/health/live`, {
        signal: AbortSignal.timeout(this.deps.probeIntervalMs),
      });
      await response.arrayBuffer();
      this.detector.observe({
        kind: 'peer',
        atMs,
        peerId: peer.nodeId,
        ok: response.ok,
        ...(response.ok ? {} : { detail: `HTTP ${response.status}` }),
      });
    } catch (error) {
      const detail =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      this.detector.observe({ kind: 'peer', atMs, peerId: peer.nodeId, ok: false, detail });
    }
  }
}

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
