/**
 * ReplicaCore: a replica's side of replication as a pure state machine (PostgreSQL's
 * walreceiver.c with the startup process's decision of where to begin): it connects to the
 * primary it is told to follow, says hello with its identity, decides from the primary's answer
 * whether to stream from its WAL end, rewind, or bootstrap (history.ts), and then acknowledges
 * WAL as the driver writes, flushes and replays it. Time is ticks; reconnects back off from
 * `backoffMinTicks` doubling to `backoffMaxTicks`; a primary silent for `timeoutTicks` is
 * dropped and reconnected.
 *
 * Phases: idle -> connecting -> handshake -> streaming; handshake -> installing (base backup or
 * rewind) -> connecting; any -> waiting (backoff) -> connecting; follow(null) -> idle.
 * The WAL itself goes from the stream straight to storage in the driver; the core sees
 * positions (`written`, `flushed`, `replayed`) and answers with `sendProgress`, and asks for
 * flushes and replays one at a time.
 * Exports: ReplicaCore, ReplicaOptions, ReplicaInput, ReplicaOutput, ReplicaPhase.
 */
import type { Logger } from '../logger.js';
import type { BackupRequest, RewindPlan, XidHorizon } from '../storage-port.js';
import { decideStart } from './history.js';
import type { Identity, NodeId } from './messages.js';

export interface ReplicaOptions {
  timeoutTicks: number;
  backoffMinTicks: number;
  backoffMaxTicks: number;
  /** Progress is sent at least this often while streaming (liveness for the primary). */
  statusTicks: number;
}

export interface Upstream {
  id: NodeId;
  host: string;
  port: number;
}

export type ReplicaPhase =
  | { name: 'idle' }
  | { name: 'connecting'; session: number }
  | { name: 'handshake'; session: number }
  | { name: 'streaming'; session: number }
  | { name: 'installing'; kind: 'full' | 'rewind'; target: Upstream }
  | { name: 'waiting'; untilTick: number };

export type ReplicaInput =
  | { kind: 'tick' }
  | { kind: 'follow'; primary: Upstream | null }
  | { kind: 'streamOpened'; session: number }
  | { kind: 'streamClosed'; session: number; reason: string }
  | { kind: 'welcome'; session: number; primaryId: NodeId; identity: Identity }
  | { kind: 'refused'; session: number; reason: string }
  | { kind: 'bootstrapRequired'; session: number; reason: string }
  | { kind: 'wal'; session: number; endLsn: number; primaryFlushLsn: number; visibleLsn: number }
  | {
      kind: 'keepalive';
      session: number;
      primaryFlushLsn: number;
      visibleLsn: number;
      replyRequested: boolean;
      xidHorizon: XidHorizon | null;
    }
  | { kind: 'written'; lsn: number }
  | { kind: 'flushed'; lsn: number }
  | { kind: 'replayed'; lsn: number }
  | { kind: 'rewindPlanned'; plan: RewindPlan | { impossible: string } }
  | { kind: 'installed'; endLsn: number }
  | { kind: 'installFailed'; reason: string };

export type ReplicaOutput =
  | { kind: 'openStream'; session: number; primary: Upstream }
  | { kind: 'closeStream'; session: number; reason: string }
  | { kind: 'sendHello'; session: number; primaryId: NodeId }
  | { kind: 'sendStart'; session: number; fromLsn: number }
  | { kind: 'sendProgress'; session: number; writeLsn: number; flushLsn: number; applyLsn: number }
  | { kind: 'flush' }
  | { kind: 'replay' }
  | { kind: 'setVisible'; lsn: number }
  | { kind: 'applyXidHorizon'; horizon: XidHorizon }
  | { kind: 'adoptHistory'; identity: Identity }
  | { kind: 'planRewind'; divergeLsn: number }
  | { kind: 'install'; primary: Upstream; request: BackupRequest };

/** Local WAL positions, as storage reports them. */
export interface LocalPositions {
  identity: Identity;
  writeLsn: number;
  flushLsn: number;
  replayLsn: number;
}

export class ReplicaCore {
  private now = 0;
  private phaseValue: ReplicaPhase = { name: 'idle' };
  private primaryValue: Upstream | null = null;
  private nextSession = 1;
  private backoffTicks: number;
  private lastHeardTick = 0;
  private lastSentTick = 0;
  private write: number;
  private flushed: number;
  private replayed: number;
  private flushing = false;
  private replaying = false;
  private sentPositions = { write: -1, flush: -1, apply: -1 };
  private primaryFlush = 0;
  private visible = 0;
  private pendingHorizon: XidHorizon | null = null;
  private detailValue: string | null = null;
  private lastMessageTick: number | null = null;
  /** A rewind failed (e.g. the primary no longer holds the shared checkpoint's WAL): bootstrap instead. */
  private rewindFailed = false;
  readonly counters = { bootstraps: 0, rewinds: 0, connects: 0 };

  constructor(
    private readonly options: ReplicaOptions,
    private readonly local: () => LocalPositions,
    private readonly logger: Logger,
  ) {
    this.backoffTicks = options.backoffMinTicks;
    const positions = local();
    this.write = positions.writeLsn;
    this.flushed = positions.flushLsn;
    this.replayed = positions.replayLsn;
  }

  get phase(): ReplicaPhase {
    return this.phaseValue;
  }

  get primary(): Upstream | null {
    return this.primaryValue;
  }

  /** Why the last stream ended or why the replica waits (null while streaming). */
  get detail(): string | null {
    return this.detailValue;
  }

  status(): { receivedLsn: number; primaryFlushLsn: number; silentTicks: number | null } {
    return {
      receivedLsn: this.write,
      primaryFlushLsn: this.primaryFlush,
      silentTicks: this.lastMessageTick === null ? null : this.now - this.lastMessageTick,
    };
  }

  step(input: ReplicaInput): ReplicaOutput[] {
    const out: ReplicaOutput[] = [];
    switch (input.kind) {
      case 'tick':
        this.now++;
        this.onTick(out);
        break;
      case 'follow':
        this.onFollow(input.primary, out);
        break;
      case 'streamOpened':
        if (this.isPhase('connecting', input.session) && this.primaryValue !== null) {
          this.phaseValue = { name: 'handshake', session: input.session };
          this.lastHeardTick = this.now;
          out.push({ kind: 'sendHello', session: input.session, primaryId: this.primaryValue.id });
        }
        break;
      case 'streamClosed':
        if (this.sessionOf() === input.session) this.retryLater(input.reason, out, false);
        break;
      case 'welcome':
        if (this.isPhase('handshake', input.session))
          this.onWelcome(input.session, input.primaryId, input.identity, out);
        break;
      case 'refused':
        if (this.sessionOf() === input.session)
          this.retryLater(`primary refused: ${input.reason}`, out, true);
        break;
      case 'bootstrapRequired':
        if (this.sessionOf() === input.session)
          this.startInstall({ mode: 'full' }, input.reason, out, input.session);
        break;
      case 'wal':
        if (this.isPhase('streaming', input.session)) {
          this.heard();
          this.primaryFlush = Math.max(this.primaryFlush, input.primaryFlushLsn);
          this.noteVisible(input.visibleLsn, out);
        }
        break;
      case 'keepalive':
        if (this.isPhase('streaming', input.session)) this.onKeepalive(input, out);
        break;
      case 'written':
        this.write = Math.max(this.write, input.lsn);
        break;
      case 'flushed':
        this.flushing = false;
        this.flushed = Math.max(this.flushed, input.lsn);
        break;
      case 'replayed':
        this.replaying = false;
        this.replayed = Math.max(this.replayed, input.lsn);
        break;
      case 'rewindPlanned':
        this.onRewindPlanned(input.plan, out);
        break;
      case 'installed':
        this.onInstalled(input.endLsn, out);
        break;
      case 'installFailed':
        if (this.phaseValue.name === 'installing') {
          if (this.phaseValue.kind === 'rewind') this.rewindFailed = true;
          this.retryLater(`install failed: ${input.reason}`, out, true);
        }
        break;
      default:
        input satisfies never;
    }
    this.advance(out);
    return out;
  }

  // ---- handlers ----------------------------------------------------------------------

  private onFollow(primary: Upstream | null, out: ReplicaOutput[]): void {
    const session = this.sessionOf();
    if (session !== null)
      out.push({
        kind: 'closeStream',
        session,
        reason: primary === null ? 'stopped following' : 'following another primary',
      });
    this.primaryValue = primary;
    this.backoffTicks = this.options.backoffMinTicks;
    this.primaryFlush = 0;
    this.detailValue = null;
    if (this.phaseValue.name === 'installing') return; // it reconnects when the install ends
    if (primary === null) this.phaseValue = { name: 'idle' };
    else this.connect(out);
  }

  private onWelcome(session: number, primaryId: NodeId, identity: Identity, out: ReplicaOutput[]): void {
    const primary = this.primaryValue;
    if (primary === null) return;
    if (primaryId !== primary.id) {
      this.retryLater(
        `node ${primaryId} answered at ${primary.host}:${primary.port}, expected ${primary.id}`,
        out,
        true,
      );
      return;
    }
    this.heard();
    this.primaryFlush = identity.flushLsn;
    const local = this.local();
    const mine: Identity = { ...local.identity, flushLsn: local.flushLsn };
    const decision = decideStart(mine, identity);
    switch (decision.kind) {
      case 'stream':
        out.push({ kind: 'adoptHistory', identity });
        this.phaseValue = { name: 'streaming', session };
        this.backoffTicks = this.options.backoffMinTicks;
        this.detailValue = null;
        this.sentPositions = { write: -1, flush: -1, apply: -1 };
        this.logger.info(
          { primary: primary.id, fromLsn: decision.fromLsn, primaryFlushLsn: identity.flushLsn },
          'streaming WAL from the primary',
        );
        out.push({ kind: 'sendStart', session, fromLsn: decision.fromLsn });
        return;
      case 'rewind':
        if (this.rewindFailed) {
          this.startInstall(
            { mode: 'full' },
            `WAL diverged at ${decision.divergeLsn} and a rewind failed before`,
            out,
            session,
          );
          return;
        }
        this.logger.warn(
          { primary: primary.id, divergeLsn: decision.divergeLsn, localFlushLsn: local.flushLsn },
          'WAL diverged from the primary: rewinding',
        );
        out.push({ kind: 'closeStream', session, reason: 'rewinding' });
        this.phaseValue = { name: 'installing', kind: 'rewind', target: primary };
        out.push({ kind: 'planRewind', divergeLsn: decision.divergeLsn });
        return;
      case 'bootstrap':
        this.startInstall({ mode: 'full' }, decision.reason, out, session);
        return;
      default:
        decision satisfies never;
    }
  }

  private onRewindPlanned(plan: RewindPlan | { impossible: string }, out: ReplicaOutput[]): void {
    const primary = this.primaryValue;
    if (this.phaseValue.name !== 'installing') return;
    if (primary === null || primary !== this.phaseValue.target) {
      // The node was told to follow another primary (or none) while it planned: start over.
      this.phaseValue = { name: 'idle' };
      this.connect(out);
      return;
    }
    if ('impossible' in plan) {
      this.startInstall({ mode: 'full' }, `rewind impossible: ${plan.impossible}`, out, null);
      return;
    }
    this.counters.rewinds++;
    out.push({ kind: 'install', primary, request: { mode: 'rewind', plan } });
  }

  private startInstall(
    request: BackupRequest,
    reason: string,
    out: ReplicaOutput[],
    session: number | null,
  ): void {
    const primary = this.primaryValue;
    if (primary === null) return;
    if (session !== null) out.push({ kind: 'closeStream', session, reason: 'bootstrapping' });
    this.logger.warn({ primary: primary.id, reason }, 'bootstrapping from a base backup of the primary');
    this.counters.bootstraps++;
    this.phaseValue = { name: 'installing', kind: 'full', target: primary };
    this.detailValue = reason;
    out.push({ kind: 'install', primary, request });
  }

  private onInstalled(endLsn: number, out: ReplicaOutput[]): void {
    if (this.phaseValue.name !== 'installing') return;
    const local = this.local();
    this.write = local.writeLsn;
    this.flushed = local.flushLsn;
    this.replayed = local.replayLsn;
    this.logger.info({ endLsn, kind: this.phaseValue.kind }, 'installed data from the primary');
    this.rewindFailed = false;
    this.phaseValue = { name: 'idle' };
    if (this.primaryValue !== null) this.connect(out);
  }

  private onKeepalive(input: Extract<ReplicaInput, { kind: 'keepalive' }>, out: ReplicaOutput[]): void {
    this.heard();
    this.primaryFlush = Math.max(this.primaryFlush, input.primaryFlushLsn);
    if (input.xidHorizon !== null) this.pendingHorizon = input.xidHorizon;
    this.noteVisible(input.visibleLsn, out);
    if (input.replyRequested) this.sentPositions = { write: -1, flush: -1, apply: -1 };
  }

  private onTick(out: ReplicaOutput[]): void {
    const phase = this.phaseValue;
    if (phase.name === 'waiting' && this.now >= phase.untilTick) {
      this.connect(out);
      return;
    }
    if (
      (phase.name === 'handshake' || phase.name === 'streaming') &&
      this.now - this.lastHeardTick >= this.options.timeoutTicks
    ) {
      this.retryLater(`no message from the primary for ${this.options.timeoutTicks} ticks`, out, false);
      return;
    }
    if (phase.name === 'streaming' && this.now - this.lastSentTick >= this.options.statusTicks) {
      this.sentPositions = { write: -1, flush: -1, apply: -1 };
    }
    if (phase.name === 'connecting' && this.now - this.lastHeardTick >= this.options.timeoutTicks) {
      this.retryLater('connection attempt timed out', out, false);
    }
  }

  /** After every input: flush, replay, acknowledge, publish, as positions allow. */
  private advance(out: ReplicaOutput[]): void {
    if (this.write > this.flushed && !this.flushing) {
      this.flushing = true;
      out.push({ kind: 'flush' });
    }
    if (this.flushed > this.replayed && !this.replaying) {
      this.replaying = true;
      out.push({ kind: 'replay' });
    }
    const horizon = this.pendingHorizon;
    if (horizon !== null && this.replayed >= horizon.atLsn) {
      this.pendingHorizon = null;
      out.push({ kind: 'applyXidHorizon', horizon });
    }
    const phase = this.phaseValue;
    if (phase.name !== 'streaming') return;
    const sent = this.sentPositions;
    if (sent.write !== this.write || sent.flush !== this.flushed || sent.apply !== this.replayed) {
      this.sentPositions = { write: this.write, flush: this.flushed, apply: this.replayed };
      this.lastSentTick = this.now;
      out.push({
        kind: 'sendProgress',
        session: phase.session,
        writeLsn: this.write,
        flushLsn: this.flushed,
        applyLsn: this.replayed,
      });
    }
  }

  private noteVisible(lsn: number, out: ReplicaOutput[]): void {
    if (lsn <= this.visible) return;
    this.visible = lsn;
    out.push({ kind: 'setVisible', lsn });
  }

  private connect(out: ReplicaOutput[]): void {
    const primary = this.primaryValue;
    if (primary === null) return;
    const session = this.nextSession++;
    this.counters.connects++;
    this.phaseValue = { name: 'connecting', session };
    this.lastHeardTick = this.now;
    out.push({ kind: 'openStream', session, primary });
  }

  private retryLater(reason: string, out: ReplicaOutput[], noisy: boolean): void {
    const session = this.sessionOf();
    if (session !== null) out.push({ kind: 'closeStream', session, reason });
    if (this.phaseValue.name === 'streaming' || noisy)
      this.logger.warn({ reason, retryInTicks: this.backoffTicks }, 'replication stream ended');
    else this.logger.debug({ reason, retryInTicks: this.backoffTicks }, 'replication stream ended');
    this.detailValue = reason;
    this.phaseValue =
      this.primaryValue === null
        ? { name: 'idle' }
        : { name: 'waiting', untilTick: this.now + this.backoffTicks };
    this.backoffTicks = Math.min(this.backoffTicks * 2, this.options.backoffMaxTicks);
  }

  private heard(): void {
    this.lastHeardTick = this.now;
    this.lastMessageTick = this.now;
  }

  private sessionOf(): number | null {
    const phase = this.phaseValue;
    return phase.name === 'connecting' || phase.name === 'handshake' || phase.name === 'streaming'
      ? phase.session
      : null;
  }

  private isPhase(name: 'connecting' | 'handshake' | 'streaming', session: number): boolean {
    return this.phaseValue.name === name && this.sessionOf() === session;
  }
}
