/**
 * A simulated replication group for the pure cores: one primary (PrimaryCore plus a model of its
 * WAL, flushes, retention and commit gate) and replicas (ReplicaCore plus a model of their WAL),
 * joined by streams that behave like gRPC over TCP: each direction is FIFO, a broken stream
 * drops what was in flight, a partition holds messages back, and messages of an old session may
 * still arrive after a new one started (the cores must ignore them). WAL is modelled as records
 * with ids, so "a replica's WAL is a prefix of the primary's" is checked record by record.
 *
 * The world checks, after every step:
 *   1. every replica's WAL is a prefix of its primary's (or of the primary it last installed from);
 *   2. a commit is released only when (sync mode) N replicas durably hold it, and commits are
 *      released in LSN order, each once;
 *   3. a replica is told to show commits only up to what N replicas durably hold (sync mode);
 *   4. a blocked transaction fails only after the sync timeout and only with too few streaming.
 * Exports: SimWorld, SimOptions, SimRecord.
 */

import type { Identity, PrimaryMessage, ReplicaMessage } from '../core/messages.js';
import { PrimaryCore, type PrimaryOutput } from '../core/primary-core.js';
import { quorumLsn } from '../core/quorum.js';
import { ReplicaCore, type ReplicaOutput } from '../core/replica-core.js';
import type { Logger } from '../logger.js';
import type { SyncLevel, TermStart } from '../storage-port.js';

export interface SimRecord {
  id: string;
  lsn: number;
  len: number;
  term: number;
  commit: SyncLevel | null;
}

export interface SimOptions {
  replicas: number;
  syncReplicas: number;
  syncTimeoutTicks: number;
  walKeepBytes: number;
  windowBytes: number;
  chunkBytes: number;
  replicaTimeoutTicks: number;
  keepaliveTicks: number;
}

interface Node {
  id: string;
  records: SimRecord[];
  /** End of durable WAL; records past it are written but not flushed. */
  flushLsn: number;
  replayLsn: number;
  visibleLsn: number;
  history: TermStart[];
  systemId: string;
  term: number;
  replica: ReplicaCore | null;
  primary: PrimaryCore | null;
  /** WAL below this was retired (primary). */
  retiredBelow: number;
  floors: Map<string, number>;
  released: number[];
  pendingFlush: boolean;
  /** Replica: the primary's visible horizon as last told. */
  primaryVisible: number;
}

interface Stream {
  replica: string;
  primary: string;
  session: number;
  up: ReplicaMessage[];
  down: PrimaryMessage[];
  open: boolean;
}

export class SimWorld {
  readonly nodes = new Map<string, Node>();
  readonly streams: Stream[] = [];
  readonly violations: string[] = [];
  readonly events: string[] = [];
  /** Called with every event as it happens (the script runner interleaves them with log lines). */
  onEvent: ((text: string) => void) | null = null;
  private readonly cut = new Set<string>();
  private primaryId: string;
  private nextRecord = 1;
  private nextBlocked = 1;
  private readonly blockedSince = new Map<number, number>();
  private readonly chunks = new Map<string, SimRecord[]>();
  private nextChunk = 1;
  private heldEver = 0;
  private now = 0;

  constructor(
    readonly options: SimOptions,
    private readonly logger: Logger,
  ) {
    this.primaryId = 'n1';
    for (let i = 1; i <= options.replicas + 1; i++) {
      const id = `n${i}`;
      this.nodes.set(id, {
        id,
        records: [],
        flushLsn: 0,
        replayLsn: 0,
        visibleLsn: 0,
        history: [{ term: 1, lsn: 0 }],
        systemId: 'sys1',
        term: 1,
        replica: null,
        primary: null,
        retiredBelow: 0,
        floors: new Map(),
        released: [],
        pendingFlush: false,
        primaryVisible: 0,
      });
    }
    this.makePrimary('n1', 1);
    for (const node of this.nodes.values()) if (node.id !== 'n1') this.makeReplica(node.id);
  }

  get primary(): string {
    return this.primaryId;
  }

  node(id: string): Node {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  // ---- commands ----------------------------------------------------------------------

  /** The primary appends a record (a commit when `commit` is a level). */
  write(len: number, commit: SyncLevel | null): SimRecord {
    const p = this.node(this.primaryId);
    const lsn = endOf(p.records);
    const record = { id: `${p.id}:${this.nextRecord++}`, lsn, len, term: p.term, commit };
    p.records.push(record);
    if (commit !== null) this.runPrimary(p, { kind: 'commitAppended', lsn: lsn + len });
    if (commit === 'off') this.runPrimary(p, { kind: 'commitDurable', lsn: lsn + len, level: 'off' });
    return record;
  }

  /** The primary's WAL becomes durable to its end; durable commits reach the gate. */
  flushPrimary(): void {
    const p = this.node(this.primaryId);
    const from = p.flushLsn;
    p.flushLsn = endOf(p.records);
    p.replayLsn = p.flushLsn;
    this.runPrimary(p, { kind: 'localFlushed', lsn: p.flushLsn });
    for (const r of p.records) {
      if (r.lsn >= from && r.commit !== null && r.commit !== 'off') {
        this.runPrimary(p, { kind: 'commitDurable', lsn: r.lsn + r.len, level: r.commit });
      }
    }
  }

  /** A transaction asks to commit while the quorum may be missing (the gate's first wait). */
  beginCommit(): number {
    const id = this.nextBlocked++;
    const p = this.node(this.primaryId);
    const core = p.primary;
    if (core === null) return id;
    if (core.writable().ok) {
      this.event(`${p.id} commit ${id} may proceed`);
      return id;
    }
    this.blockedSince.set(id, this.now);
    this.runPrimary(p, { kind: 'commitBlocked', id });
    return id;
  }

  /** Retires primary WAL below min(flush, floors) (a checkpoint). */
  checkpoint(): void {
    const p = this.node(this.primaryId);
    let limit = p.flushLsn;
    for (const floor of p.floors.values()) limit = Math.min(limit, floor);
    if (limit > p.retiredBelow) {
      p.retiredBelow = limit;
      this.event(`${p.id} retired WAL below ${limit}`);
    }
  }

  tick(): void {
    this.now++;
    for (const node of this.nodes.values()) {
      if (node.primary !== null) this.runPrimary(node, { kind: 'tick' });
      if (node.replica !== null) this.runReplica(node, { kind: 'tick' });
    }
  }

  /** Delivers every message pending now (not those they cause). Returns how many moved. */
  deliver(): number {
    let moved = 0;
    for (const stream of [...this.streams]) {
      if (this.isCut(stream.replica, stream.primary)) continue;
      const up = stream.up.splice(0);
      const down = stream.down.splice(0);
      for (const msg of up) {
        moved++;
        this.primaryReceives(stream, msg);
      }
      for (const msg of down) {
        moved++;
        this.replicaReceives(stream, msg);
      }
    }
    this.completeFlushes();
    return moved;
  }

  stabilize(limit = 1000): void {
    for (let i = 0; i < limit; i++) if (this.deliver() === 0 && !this.anyPendingFlush()) return;
  }

  /** Breaks every stream of a node (both ends notice). */
  disconnect(id: string, keepStale: boolean): void {
    for (const stream of this.streams) {
      if (!stream.open || (stream.replica !== id && stream.primary !== id)) continue;
      this.closeStream(stream, 'connection reset', keepStale);
    }
  }

  partition(id: string): void {
    this.cut.add(id);
  }

  heal(): void {
    this.cut.clear();
  }

  /** A replica crashes: unflushed WAL is lost, volatile state reset, it restarts following the primary. */
  crash(id: string): void {
    const node = this.node(id);
    if (node.replica === null) return;
    this.disconnect(id, false);
    node.records = node.records.filter((r) => r.lsn + r.len <= node.flushLsn);
    node.replayLsn = Math.min(node.replayLsn, node.flushLsn);
    node.visibleLsn = 0;
    node.primaryVisible = 0;
    node.pendingFlush = false;
    this.event(`${id} crashed at flush=${node.flushLsn}`);
    this.makeReplica(id);
  }

  /** Failover: `id` becomes primary in a new term; every other node follows it. */
  promote(id: string): void {
    const old = this.node(this.primaryId);
    for (const stream of this.streams) if (stream.open) this.closeStream(stream, 'failover', false);
    if (old.primary !== null) {
      for (const output of old.primary.step({ kind: 'shutdown' })) this.primaryOutput(old, output);
      old.primary = null;
    }
    const node = this.node(id);
    node.records = node.records.filter((r) => r.lsn + r.len <= node.flushLsn);
    const term = Math.max(...[...this.nodes.values()].map((n) => n.term)) + 1;
    node.history = [...node.history.filter((e) => e.lsn < node.flushLsn), { term, lsn: node.flushLsn }];
    this.primaryId = id;
    this.makePrimary(id, term);
    for (const other of this.nodes.values()) if (other.id !== id) this.makeReplica(other.id);
    this.event(`${id} promoted term=${term} at ${node.flushLsn}`);
  }

  // ---- status ------------------------------------------------------------------------

  statusLines(): string[] {
    return [...this.nodes.values()].map((n) => {
      const role = n.primary !== null ? 'primary' : `replica(${n.replica?.phase.name ?? '-'})`;
      const visible = n.primary?.visibleLsn() ?? n.visibleLsn;
      const base = `${n.id} ${role} term=${n.term} end=${endOf(n.records)} flush=${n.flushLsn} replay=${n.replayLsn} visible=${visible}`;
      if (n.primary === null) return base;
      const sync = n.primary.syncStatus();
      const peers = n.primary
        .replicaViews()
        .map((v) => `${v.id}:${v.connected ? (v.caughtUp ? 'streaming' : 'catchup') : 'gone'}/${v.flushLsn}`)
        .join(' ');
      return `${base} waiting=${sync.commitsWaiting} blocked=${sync.commitsBlocked} released=${n.released.length} ${peers}`;
    });
  }

  /** Whether every replica holds the primary's flushed WAL and shows its visible horizon. */
  converged(): boolean {
    const p = this.node(this.primaryId);
    for (const node of this.nodes.values()) {
      if (node.id === p.id) continue;
      if (node.replica?.phase.name !== 'streaming' || node.replayLsn !== p.flushLsn) return false;
    }
    return p.primary !== null && p.primary.syncStatus().commitsWaiting === 0;
  }

  // ---- internals ---------------------------------------------------------------------

  private makePrimary(id: string, term: number): void {
    const node = this.node(id);
    node.term = term;
    node.replica = null;
    node.floors.clear();
    node.released = [];
    node.primary = new PrimaryCore(
      {
        syncReplicas: this.options.syncReplicas,
        syncTimeoutTicks: this.options.syncTimeoutTicks,
        walKeepBytes: this.options.walKeepBytes,
        windowBytes: this.options.windowBytes,
        chunkBytes: this.options.chunkBytes,
        replicaTimeoutTicks: this.options.replicaTimeoutTicks,
        keepaliveTicks: this.options.keepaliveTicks,
      },
      { flushLsn: node.flushLsn, visibleLsn: node.visibleLsn },
      this.logger.child({ node: id }),
    );
    // Commits it replayed but did not show yet wait for the new quorum like its own.
    for (const r of node.records) {
      const end = r.lsn + r.len;
      if (r.commit === null || end <= node.visibleLsn || end > node.flushLsn) continue;
      this.runPrimary(node, { kind: 'commitAppended', lsn: end });
      this.runPrimary(node, { kind: 'commitDurable', lsn: end, level: 'on' });
    }
  }

  private makeReplica(id: string): void {
    const node = this.node(id);
    node.primary = null;
    node.replica = new ReplicaCore(
      {
        timeoutTicks: this.options.replicaTimeoutTicks,
        backoffMinTicks: 1,
        backoffMaxTicks: 8,
        statusTicks: this.options.keepaliveTicks,
      },
      () => ({
        identity: this.identity(node),
        writeLsn: endOf(node.records),
        flushLsn: node.flushLsn,
        replayLsn: node.replayLsn,
      }),
      this.logger.child({ node: id }),
    );
    this.runReplica(node, { kind: 'follow', primary: { id: this.primaryId, host: 'sim', port: 0 } });
  }

  private identity(node: Node): Identity {
    return { systemId: node.systemId, history: node.history, flushLsn: node.flushLsn };
  }

  private runPrimary(node: Node, input: Parameters<PrimaryCore['step']>[0]): void {
    const core = node.primary;
    if (core === null) return;
    for (const output of core.step(input)) this.primaryOutput(node, output);
  }

  private runReplica(node: Node, input: Parameters<ReplicaCore['step']>[0]): void {
    const core = node.replica;
    if (core === null) return;
    for (const output of core.step(input)) this.replicaOutput(node, output);
  }

  private primaryOutput(node: Node, output: PrimaryOutput): void {
    switch (output.kind) {
      case 'sendWal': {
        const stream = this.streamOf(output.replica, output.session);
        const from = output.fromLsn;
        if (from < node.retiredBelow) {
          this.runPrimary(node, {
            kind: 'walMissing',
            replica: output.replica,
            session: output.session,
            detail: 'retired',
          });
          return;
        }
        const chunk: SimRecord[] = [];
        let bytes = 0;
        for (const r of node.records) {
          if (r.lsn < from || r.lsn + r.len > node.flushLsn) continue;
          if (chunk.length > 0 && bytes + r.len > output.maxBytes) break;
          chunk.push(r);
          bytes += r.len;
        }
        const end = from + bytes;
        if (stream !== null && chunk.length > 0) {
          const key = String(this.nextChunk++);
          this.chunks.set(
            key,
            chunk.map((r) => ({ ...r })),
          );
          stream.down.push({
            kind: 'wal',
            lsn: from,
            data: Buffer.from(key),
            primaryFlushLsn: output.primaryFlushLsn,
            visibleLsn: output.visibleLsn,
          });
        }
        this.runPrimary(node, {
          kind: 'walSent',
          replica: output.replica,
          session: output.session,
          endLsn: end,
        });
        return;
      }
      case 'sendKeepalive':
        this.streamOf(output.replica, output.session)?.down.push({
          kind: 'keepalive',
          primaryFlushLsn: output.primaryFlushLsn,
          visibleLsn: output.visibleLsn,
          replyRequested: output.replyRequested,
          xidHorizon: null,
        });
        return;
      case 'retain':
        if (output.lsn === null) node.floors.delete(output.replica);
        else node.floors.set(output.replica, output.lsn);
        return;
      case 'closeReplica': {
        const stream = this.streamOf(output.replica, output.session);
        if (stream === null) return;
        if (output.bootstrap) stream.down.push({ kind: 'bootstrapRequired', reason: output.reason });
        else this.closeStream(stream, output.reason, false);
        return;
      }
      case 'releaseCommit':
        this.checkRelease(node, output.lsn);
        node.released.push(output.lsn);
        node.visibleLsn = Math.max(node.visibleLsn, output.lsn);
        this.event(`${node.id} released commit ${output.lsn}`);
        return;
      case 'failCommit':
        this.event(`${node.id} commit ${output.lsn} failed (demoted)`);
        return;
      case 'releaseBlocked':
        this.blockedSince.delete(output.id);
        this.event(`${node.id} commit ${output.id} may proceed`);
        return;
      case 'failBlocked':
        this.checkBlockedFailure(node, output.id, output.reason);
        this.event(`${node.id} commit ${output.id} failed: ${output.reason}`);
        return;
      default:
        output satisfies never;
    }
  }

  private replicaOutput(node: Node, output: ReplicaOutput): void {
    switch (output.kind) {
      case 'openStream': {
        const stream: Stream = {
          replica: node.id,
          primary: output.primary.id,
          session: output.session,
          up: [],
          down: [],
          open: true,
        };
        this.streams.push(stream);
        this.runReplica(node, { kind: 'streamOpened', session: output.session });
        return;
      }
      case 'closeStream': {
        const stream = this.streams.find(
          (s) => s.replica === node.id && s.session === output.session && s.open,
        );
        if (stream !== undefined) this.closeStream(stream, output.reason, false);
        return;
      }
      case 'sendHello':
        this.streamFromReplica(node.id, output.session)?.up.push({
          kind: 'hello',
          nodeId: node.id,
          primaryId: output.primaryId,
          identity: this.identity(node),
        });
        return;
      case 'sendStart':
        this.streamFromReplica(node.id, output.session)?.up.push({ kind: 'start', fromLsn: output.fromLsn });
        return;
      case 'sendProgress':
        this.streamFromReplica(node.id, output.session)?.up.push({
          kind: 'progress',
          writeLsn: output.writeLsn,
          flushLsn: output.flushLsn,
          applyLsn: output.applyLsn,
        });
        return;
      case 'flush':
        node.pendingFlush = true;
        return;
      case 'replay':
        node.replayLsn = node.flushLsn;
        node.visibleLsn = Math.max(node.visibleLsn, Math.min(node.replayLsn, this.shownLimit(node)));
        this.runReplica(node, { kind: 'replayed', lsn: node.replayLsn });
        return;
      case 'setVisible':
        this.checkVisible(node, output.lsn);
        node.primaryVisible = Math.max(node.primaryVisible, output.lsn);
        node.visibleLsn = Math.max(node.visibleLsn, Math.min(node.replayLsn, output.lsn));
        return;
      case 'applyXidHorizon':
        return;
      case 'adoptHistory':
        node.history = mergeHistory(node.history, output.identity.history);
        node.term = node.history.at(-1)?.term ?? node.term;
        return;
      case 'planRewind': {
        this.event(`${node.id} rewinds to ${output.divergeLsn}`);
        this.runReplica(node, {
          kind: 'rewindPlanned',
          plan: {
            divergeLsn: output.divergeLsn,
            checkpointLsn: 0,
            redoLsn: 0,
            relations: [],
            transactions: 0,
          },
        });
        return;
      }
      case 'install':
        this.install(node, output.request.mode === 'rewind' ? output.request.plan.divergeLsn : null);
        return;
      default:
        output satisfies never;
    }
  }

  private install(node: Node, divergeLsn: number | null): void {
    const p = this.node(this.primaryId);
    if (divergeLsn !== null) {
      node.records = node.records.filter((r) => r.lsn + r.len <= divergeLsn);
      node.flushLsn = Math.min(node.flushLsn, divergeLsn);
    } else {
      node.records = p.records.filter((r) => r.lsn + r.len <= p.flushLsn).map((r) => ({ ...r }));
      node.flushLsn = p.flushLsn;
      node.systemId = p.systemId;
    }
    node.replayLsn = node.flushLsn;
    node.history = p.history.map((e) => ({ ...e }));
    node.visibleLsn = Math.min(node.visibleLsn, node.replayLsn);
    this.event(`${node.id} installed ${divergeLsn === null ? 'base backup' : 'rewind'} end=${node.flushLsn}`);
    this.runReplica(node, { kind: 'installed', endLsn: node.flushLsn });
  }

  private primaryReceives(stream: Stream, msg: ReplicaMessage): void {
    const node = this.node(stream.primary);
    if (!stream.open && msg.kind !== 'progress') return;
    const core = node.primary;
    if (core === null) {
      stream.down.push({ kind: 'refuse', reason: 'not the primary' });
      return;
    }
    switch (msg.kind) {
      case 'hello':
        if (msg.primaryId !== node.id) stream.down.push({ kind: 'refuse', reason: 'wrong node' });
        else stream.down.push({ kind: 'welcome', nodeId: node.id, identity: this.identity(node) });
        return;
      case 'start':
        this.runPrimary(node, {
          kind: 'replicaStart',
          replica: stream.replica,
          session: stream.session,
          fromLsn: msg.fromLsn,
          peer: 'sim',
        });
        return;
      case 'progress':
        this.runPrimary(node, {
          kind: 'replicaProgress',
          replica: stream.replica,
          session: stream.session,
          writeLsn: msg.writeLsn,
          flushLsn: msg.flushLsn,
          applyLsn: msg.applyLsn,
        });
        return;
      default:
        msg satisfies never;
    }
  }

  private replicaReceives(stream: Stream, msg: PrimaryMessage): void {
    const node = this.node(stream.replica);
    const session = stream.session;
    switch (msg.kind) {
      case 'welcome':
        this.runReplica(node, { kind: 'welcome', session, primaryId: msg.nodeId, identity: msg.identity });
        return;
      case 'refuse':
        this.runReplica(node, { kind: 'refused', session, reason: msg.reason });
        return;
      case 'bootstrapRequired':
        this.runReplica(node, { kind: 'bootstrapRequired', session, reason: msg.reason });
        return;
      case 'wal': {
        const phase = node.replica?.phase;
        if (phase?.name !== 'streaming' || phase.session !== session) return;
        const records = this.chunks.get(msg.data.toString()) ?? [];
        if (msg.lsn !== endOf(node.records)) {
          this.violate(`${node.id} got WAL at ${msg.lsn} but its end is ${endOf(node.records)}`);
          return;
        }
        node.records.push(...records);
        this.checkPrefix(node);
        this.runReplica(node, { kind: 'written', lsn: endOf(node.records) });
        this.runReplica(node, {
          kind: 'wal',
          session,
          endLsn: endOf(node.records),
          primaryFlushLsn: msg.primaryFlushLsn,
          visibleLsn: msg.visibleLsn,
        });
        return;
      }
      case 'keepalive':
        this.runReplica(node, {
          kind: 'keepalive',
          session,
          primaryFlushLsn: msg.primaryFlushLsn,
          visibleLsn: msg.visibleLsn,
          replyRequested: msg.replyRequested,
          xidHorizon: msg.xidHorizon,
        });
        return;
      default:
        msg satisfies never;
    }
  }

  private completeFlushes(): void {
    for (const node of this.nodes.values()) {
      if (!node.pendingFlush) continue;
      node.pendingFlush = false;
      node.flushLsn = endOf(node.records);
      this.runReplica(node, { kind: 'flushed', lsn: node.flushLsn });
    }
  }

  private anyPendingFlush(): boolean {
    return [...this.nodes.values()].some((n) => n.pendingFlush);
  }

  private closeStream(stream: Stream, reason: string, keepStale: boolean): void {
    if (!stream.open) return;
    stream.open = false;
    if (!keepStale) {
      stream.up.length = 0;
      stream.down.length = 0;
    }
    const replica = this.node(stream.replica);
    this.runReplica(replica, { kind: 'streamClosed', session: stream.session, reason });
    const primary = this.node(stream.primary);
    this.runPrimary(primary, {
      kind: 'replicaGone',
      replica: stream.replica,
      session: stream.session,
      reason,
    });
  }

  private streamOf(replica: string, session: number): Stream | null {
    return this.streams.find((s) => s.replica === replica && s.session === session && s.open) ?? null;
  }

  private streamFromReplica(replica: string, session: number): Stream | null {
    return this.streamOf(replica, session);
  }

  private isCut(a: string, b: string): boolean {
    return this.cut.has(a) !== this.cut.has(b);
  }

  /**
   * The highest LSN N replicas of a primary ever durably held at once (sync mode's limit for
   * anything shown or released). It survives failovers: the vote rule elects a node holding it.
   */
  private quorumHeld(): number {
    this.heldEver = Math.max(this.heldEver, this.quorumHeldNow());
    return this.heldEver;
  }

  private quorumHeldNow(): number {
    const p = this.node(this.primaryId);
    const held = [...this.nodes.values()]
      .filter((n) => n.id !== p.id)
      .map((n) => (isPrefix(n.records, p.records, n.flushLsn) ? n.flushLsn : 0));
    return quorumLsn(held, this.options.syncReplicas);
  }

  private shownLimit(node: Node): number {
    return node.primaryVisible;
  }

  private checkRelease(node: Node, lsn: number): void {
    const last = node.released.at(-1);
    if (last !== undefined && lsn <= last) this.violate(`${node.id} released ${lsn} after ${last}`);
    if (this.options.syncReplicas > 0 && this.quorumHeld() < lsn) {
      this.violate(
        `${node.id} released commit ${lsn} but only ${this.quorumHeld()} is held by ${this.options.syncReplicas} replicas`,
      );
    }
  }

  private checkVisible(node: Node, lsn: number): void {
    if (this.options.syncReplicas > 0 && lsn > this.quorumHeld()) {
      this.violate(`${node.id} told to show up to ${lsn} but the quorum holds ${this.quorumHeld()}`);
    }
  }

  private checkBlockedFailure(node: Node, id: number, reason: string): void {
    const since = this.blockedSince.get(id);
    this.blockedSince.delete(id);
    if (reason !== 'timeout') return;
    if (since === undefined || this.now - since < this.options.syncTimeoutTicks) {
      this.violate(`${node.id} failed blocked commit ${id} before its timeout`);
    }
  }

  private checkPrefix(node: Node): void {
    const p = this.node(this.primaryId);
    if (!isPrefix(node.records, p.records, endOf(node.records))) {
      this.violate(`${node.id} WAL is not a prefix of ${p.id}'s`);
    }
  }

  private violate(text: string): void {
    this.violations.push(`${text} (after event ${this.events.length})`);
  }

  private event(text: string): void {
    this.events.push(text);
    this.onEvent?.(text);
  }
}

function endOf(records: readonly SimRecord[]): number {
  const last = records.at(-1);
  return last === undefined ? 0 : last.lsn + last.len;
}

/** Whether `mine` up to `end` equals `theirs` there. */
function isPrefix(mine: readonly SimRecord[], theirs: readonly SimRecord[], end: number): boolean {
  let i = 0;
  for (const r of mine) {
    if (r.lsn + r.len > end) break;
    const t = theirs[i++];
    if (t === undefined || t.id !== r.id) return false;
  }
  return true;
}

function mergeHistory(mine: TermStart[], theirs: TermStart[]): TermStart[] {
  return theirs.length >= mine.length ? theirs.map((e) => ({ ...e })) : mine;
}
