/**
 * PrimaryCore: the primary's side of replication as a pure state machine (PostgreSQL's
 * walsender.c and syncrep.c in one): per-replica progress and flow control, the WAL retention
 * each replica needs within --wal-keep-mb, and the commit gate (commit-queue.ts) with the quorum
 * it waits for. `step(input)` returns outputs the driver runs in order; time is ticks.
 *
 * Rules it keeps:
 *   1. Only flushed WAL is sent (the driver reads up to the flush LSN), so a replica never holds
 *      WAL the primary could lose in a crash.
 *   2. At most `windowBytes` are in flight (sent, not yet flushed) per replica; one read at a
 *      time per replica (`sendWal` until `walSent`).
 *   3. A commit is released in WAL order and only once its quorum condition holds; the visible
 *      horizon sent to replicas is the highest LSN below which every commit may show.
 *   4. A transaction about to commit waits (before its commit record) while fewer than N replicas
 *      are streaming; after `syncTimeoutTicks` it fails (and rolls back). Once the record is
 *      written there is no timeout: the commit waits for the quorum or for demotion.
 *   5. Retention floor of a replica: max(what it still needs, flush LSN - walKeepBytes); a replica
 *      that needs WAL no longer kept is told to bootstrap.
 * Exports: PrimaryCore, PrimaryOptions, PrimaryInput, PrimaryOutput, ReplicaView.
 */
import type { Logger } from '../logger.js';
import type { SyncLevel } from '../storage-port.js';
import { CommitQueue } from './commit-queue.js';
import type { NodeId } from './messages.js';
import { quorumLsn } from './quorum.js';

export interface PrimaryOptions {
  syncReplicas: number;
  /** 0: a transaction waits for the quorum to exist for as long as it takes. */
  syncTimeoutTicks: number;
  walKeepBytes: number;
  windowBytes: number;
  chunkBytes: number;
  replicaTimeoutTicks: number;
  keepaliveTicks: number;
}

export type PrimaryInput =
  | { kind: 'tick' }
  | { kind: 'localFlushed'; lsn: number }
  | { kind: 'replicaStart'; replica: NodeId; session: number; fromLsn: number; peer: string }
  | {
      kind: 'replicaProgress';
      replica: NodeId;
      session: number;
      writeLsn: number;
      flushLsn: number;
      applyLsn: number;
    }
  | { kind: 'replicaGone'; replica: NodeId; session: number; reason: string }
  | { kind: 'walSent'; replica: NodeId; session: number; endLsn: number }
  | { kind: 'walMissing'; replica: NodeId; session: number; detail: string }
  | { kind: 'commitBlocked'; id: number }
  | { kind: 'commitAppended'; lsn: number }
  | { kind: 'commitDurable'; lsn: number; level: SyncLevel }
  | { kind: 'fence'; fenced: boolean }
  | { kind: 'shutdown' };

export type PrimaryOutput =
  | {
      kind: 'sendWal';
      replica: NodeId;
      session: number;
      fromLsn: number;
      maxBytes: number;
      primaryFlushLsn: number;
      visibleLsn: number;
    }
  | {
      kind: 'sendKeepalive';
      replica: NodeId;
      session: number;
      primaryFlushLsn: number;
      visibleLsn: number;
      replyRequested: boolean;
    }
  | { kind: 'retain'; replica: NodeId; lsn: number | null }
  | { kind: 'closeReplica'; replica: NodeId; session: number; reason: string; bootstrap: boolean }
  | { kind: 'releaseCommit'; lsn: number }
  | { kind: 'failCommit'; lsn: number }
  | { kind: 'releaseBlocked'; id: number }
  | { kind: 'failBlocked'; id: number; reason: 'timeout' | 'fenced' | 'shutdown' };

interface SentMark {
  lsn: number;
  tick: number;
  flushed: boolean;
}

interface ReplicaState {
  id: NodeId;
  session: number;
  peer: string;
  /** null once the stream is gone (the entry stays for its retention floor and the view). */
  connected: boolean;
  caughtUp: boolean;
  sent: number;
  write: number;
  flush: number;
  apply: number;
  reading: boolean;
  lastHeardTick: number;
  lastKeepaliveTick: number;
  marks: SentMark[];
  flushLagTicks: number | null;
  applyLagTicks: number | null;
  retainedFrom: number | null;
}

/** What status() reports per replica (ticks; the driver converts to ms). */
export interface ReplicaView {
  id: NodeId;
  peer: string;
  connected: boolean;
  caughtUp: boolean;
  sentLsn: number;
  writeLsn: number;
  flushLsn: number;
  applyLsn: number;
  flushLagTicks: number | null;
  applyLagTicks: number | null;
  silentTicks: number;
}

interface BlockedCommit {
  id: number;
  sinceTick: number;
}

const MARKS_MAX = 64;

export class PrimaryCore {
  private now = 0;
  private flushLsn: number;
  private fenced = false;
  private visible: number;
  private readonly replicas = new Map<NodeId, ReplicaState>();
  private readonly commits = new CommitQueue();
  private blocked: BlockedCommit[] = [];

  /**
   * `start.visibleLsn` is what this node showed before (a promoted standby's published horizon):
   * commits between it and the flush LSN are registered by the caller as waiting commits, so
   * they show only once the new quorum holds them.
   */
  constructor(
    private readonly options: PrimaryOptions,
    start: { flushLsn: number; visibleLsn: number },
    private readonly logger: Logger,
  ) {
    this.flushLsn = start.flushLsn;
    this.visible = Math.min(start.visibleLsn, start.flushLsn);
  }

  step(input: PrimaryInput): PrimaryOutput[] {
    const out: PrimaryOutput[] = [];
    switch (input.kind) {
      case 'tick':
        this.now++;
        this.onTick(out);
        break;
      case 'localFlushed':
        if (input.lsn > this.flushLsn) this.flushLsn = input.lsn;
        break;
      case 'replicaStart':
        this.onStart(input.replica, input.session, input.fromLsn, input.peer, out);
        break;
      case 'replicaProgress':
        this.onProgress(input, out);
        break;
      case 'replicaGone':
        this.onGone(input.replica, input.session, input.reason);
        break;
      case 'walSent': {
        const r = this.live(input.replica, input.session);
        if (r !== null) {
          r.reading = false;
          if (input.endLsn > r.sent) this.mark(r, input.endLsn);
          r.sent = Math.max(r.sent, input.endLsn);
        }
        break;
      }
      case 'walMissing': {
        const r = this.live(input.replica, input.session);
        if (r !== null) this.close(r, `WAL at ${r.sent} is no longer kept (${input.detail})`, true, out);
        break;
      }
      case 'commitBlocked':
        this.blocked.push({ id: input.id, sinceTick: this.now });
        break;
      case 'commitAppended':
        this.commits.appended(input.lsn, this.now);
        break;
      case 'commitDurable':
        if (!this.commits.durable(input.lsn, input.level)) out.push({ kind: 'failCommit', lsn: input.lsn });
        break;
      case 'fence':
        this.fenced = input.fenced;
        if (input.fenced) this.failBlocked('fenced', out);
        break;
      case 'shutdown':
        this.failBlocked('shutdown', out);
        for (const lsn of this.commits.drain()) out.push({ kind: 'failCommit', lsn });
        for (const r of this.replicas.values()) {
          if (r.connected) this.close(r, 'primary stopped', false, out);
        }
        return out;
      default:
        input satisfies never;
    }
    this.advance(out);
    return out;
  }

  /** Replicas that count toward the quorum's availability: connected and caught up once. */
  streamingReplicas(): number {
    let count = 0;
    for (const r of this.replicas.values()) if (r.connected && r.caughtUp) count++;
    return count;
  }

  /** Whether a commit could be acknowledged now, and if not why. */
  writable(): { ok: boolean; reason: string } {
    if (this.fenced) return { ok: false, reason: 'fenced: this node is no longer the primary' };
    const n = this.options.syncReplicas;
    const streaming = this.streamingReplicas();
    if (streaming < n) {
      return { ok: false, reason: `waiting for ${n} synchronous replica(s), ${streaming} streaming` };
    }
    return { ok: true, reason: 'primary' };
  }

  visibleLsn(): number {
    return this.visible;
  }

  syncStatus(): { commitsWaiting: number; commitsBlocked: number; oldestWaitTicks: number } {
    const oldestCommit = this.commits.oldest()?.sinceTick ?? this.now;
    const oldestBlocked = this.blocked[0]?.sinceTick ?? this.now;
    return {
      commitsWaiting: this.commits.size,
      commitsBlocked: this.blocked.length,
      oldestWaitTicks: this.now - Math.min(oldestCommit, oldestBlocked),
    };
  }

  replicaViews(): ReplicaView[] {
    return [...this.replicas.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => ({
        id: r.id,
        peer: r.peer,
        connected: r.connected,
        caughtUp: r.caughtUp,
        sentLsn: r.sent,
        writeLsn: r.write,
        flushLsn: r.flush,
        applyLsn: r.apply,
        flushLagTicks: r.flushLagTicks,
        applyLagTicks: r.applyLagTicks,
        silentTicks: this.now - r.lastHeardTick,
      }));
  }

  /** The replica's flush LSN if it is connected, else null. */
  replicaFlush(id: NodeId): number | null {
    const r = this.replicas.get(id);
    return r?.connected === true ? r.flush : null;
  }

  get flushed(): number {
    return this.flushLsn;
  }

  // ---- handlers ----------------------------------------------------------------------

  private onStart(id: NodeId, session: number, fromLsn: number, peer: string, out: PrimaryOutput[]): void {
    const old = this.replicas.get(id);
    if (old?.connected) this.close(old, 'replaced by a new stream from the same replica', false, out);
    const r: ReplicaState = {
      id,
      session,
      peer,
      connected: true,
      caughtUp: false,
      sent: fromLsn,
      write: fromLsn,
      flush: fromLsn,
      apply: fromLsn,
      reading: false,
      lastHeardTick: this.now,
      lastKeepaliveTick: this.now,
      marks: [],
      flushLagTicks: null,
      applyLagTicks: null,
      retainedFrom: old?.retainedFrom ?? null,
    };
    this.replicas.set(id, r);
    this.logger.info({ replica: id, fromLsn, primaryFlushLsn: this.flushLsn }, 'replica started streaming');
    if (fromLsn > this.flushLsn)
      this.close(
        r,
        `replica asks for WAL from ${fromLsn}, beyond the primary's end ${this.flushLsn}`,
        true,
        out,
      );
  }

  private onProgress(input: Extract<PrimaryInput, { kind: 'replicaProgress' }>, out: PrimaryOutput[]): void {
    const r = this.live(input.replica, input.session);
    if (r === null) return;
    r.lastHeardTick = this.now;
    // Positions never go back within a session (a reordered or stale report is ignored).
    r.write = Math.max(r.write, Math.min(input.writeLsn, r.sent));
    r.flush = Math.max(r.flush, Math.min(input.flushLsn, r.write));
    r.apply = Math.max(r.apply, Math.min(input.applyLsn, r.flush));
    for (const m of r.marks) {
      if (!m.flushed && r.flush >= m.lsn) {
        m.flushed = true;
        r.flushLagTicks = this.now - m.tick;
      }
    }
    while (r.marks.length > 0 && (r.marks[0]?.lsn ?? Number.POSITIVE_INFINITY) <= r.apply) {
      const m = r.marks.shift();
      if (m !== undefined) r.applyLagTicks = this.now - m.tick;
    }
    if (!r.caughtUp && r.flush >= this.flushLsn) {
      r.caughtUp = true;
      this.logger.info({ replica: r.id, flushLsn: r.flush }, 'replica caught up');
    }
    void out;
  }

  private onGone(id: NodeId, session: number, reason: string): void {
    const r = this.live(id, session);
    if (r === null) return;
    r.connected = false;
    r.reading = false;
    r.caughtUp = false;
    this.logger.warn({ replica: id, reason, flushLsn: r.flush }, 'replica disconnected');
  }

  private onTick(out: PrimaryOutput[]): void {
    for (const r of this.replicas.values()) {
      if (!r.connected) continue;
      if (this.now - r.lastHeardTick >= this.options.replicaTimeoutTicks) {
        this.close(r, `no message for ${this.options.replicaTimeoutTicks} ticks`, false, out);
        continue;
      }
      if (this.now - r.lastKeepaliveTick >= this.options.keepaliveTicks) this.keepalive(r, true, out);
    }
    const timeout = this.options.syncTimeoutTicks;
    if (timeout > 0 && this.blocked.length > 0) {
      const expired = this.blocked.filter((b) => this.now - b.sinceTick >= timeout);
      if (expired.length > 0) {
        this.blocked = this.blocked.filter((b) => this.now - b.sinceTick < timeout);
        for (const b of expired) out.push({ kind: 'failBlocked', id: b.id, reason: 'timeout' });
        this.logger.warn(
          {
            transactions: expired.length,
            syncReplicas: this.options.syncReplicas,
            streaming: this.streamingReplicas(),
          },
          'commits failed: no synchronous quorum within the sync timeout',
        );
      }
    }
  }

  /** After any input: release what can be released, send what can be sent, move floors. */
  private advance(out: PrimaryOutput[]): void {
    const n = this.options.syncReplicas;
    const live = [...this.replicas.values()].filter((r) => r.connected);
    const quorum = {
      syncReplicas: n,
      flushLsn: quorumLsn(
        live.map((r) => r.flush),
        n,
      ),
      applyLsn: quorumLsn(
        live.map((r) => r.apply),
        n,
      ),
    };
    for (const lsn of this.commits.release(quorum)) out.push({ kind: 'releaseCommit', lsn });
    if (!this.fenced && this.blocked.length > 0 && this.streamingReplicas() >= n) {
      for (const b of this.blocked) out.push({ kind: 'releaseBlocked', id: b.id });
      this.blocked = [];
    }
    const visible = n === 0 ? this.flushLsn : Math.min(this.flushLsn, Math.max(quorum.flushLsn, 0));
    const visibleMoved = visible > this.visible;
    if (visibleMoved) this.visible = visible;
    for (const r of live) {
      if (!r.caughtUp && r.flush >= this.flushLsn) {
        r.caughtUp = true;
        this.logger.info({ replica: r.id, flushLsn: r.flush }, 'replica caught up');
      }
      this.maybeSend(r, out);
      // Replicas publish commits up to the visible horizon: tell them as soon as it moves.
      if (visibleMoved && r.sent >= this.visible && !r.reading) this.keepalive(r, false, out);
    }
    this.moveFloors(out);
  }

  private maybeSend(r: ReplicaState, out: PrimaryOutput[]): void {
    if (r.reading || r.sent >= this.flushLsn) return;
    const room = this.options.windowBytes - (r.sent - r.flush);
    if (room <= 0) return;
    r.reading = true;
    r.lastKeepaliveTick = this.now;
    out.push({
      kind: 'sendWal',
      replica: r.id,
      session: r.session,
      fromLsn: r.sent,
      maxBytes: Math.min(this.options.chunkBytes, room),
      primaryFlushLsn: this.flushLsn,
      visibleLsn: this.visible,
    });
  }

  private keepalive(r: ReplicaState, replyRequested: boolean, out: PrimaryOutput[]): void {
    r.lastKeepaliveTick = this.now;
    out.push({
      kind: 'sendKeepalive',
      replica: r.id,
      session: r.session,
      primaryFlushLsn: this.flushLsn,
      visibleLsn: this.visible,
      replyRequested,
    });
  }

  private moveFloors(out: PrimaryOutput[]): void {
    const bound = Math.max(0, this.flushLsn - this.options.walKeepBytes);
    for (const r of this.replicas.values()) {
      const need = Math.min(r.flush, r.sent);
      let floor: number | null = Math.max(need, bound);
      // A floor at the flush LSN holds nothing: release it.
      if (floor >= this.flushLsn && !r.connected) floor = null;
      if (floor !== r.retainedFrom) {
        r.retainedFrom = floor;
        out.push({ kind: 'retain', replica: r.id, lsn: floor });
      }
    }
  }

  private close(r: ReplicaState, reason: string, bootstrap: boolean, out: PrimaryOutput[]): void {
    out.push({ kind: 'closeReplica', replica: r.id, session: r.session, reason, bootstrap });
    this.onGone(r.id, r.session, reason);
  }

  private failBlocked(reason: 'fenced' | 'shutdown', out: PrimaryOutput[]): void {
    for (const b of this.blocked) out.push({ kind: 'failBlocked', id: b.id, reason });
    this.blocked = [];
  }

  private mark(r: ReplicaState, lsn: number): void {
    r.marks.push({ lsn, tick: this.now, flushed: false });
    if (r.marks.length > MARKS_MAX) r.marks.shift();
  }

  private live(id: NodeId, session: number): ReplicaState | null {
    const r = this.replicas.get(id);
    return r !== undefined && r.session === session && r.connected ? r : null;
  }
}
