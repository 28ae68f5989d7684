/**
 * RaftHost: the driver loop around one RaftNode, and the handle the server uses. It owns the
 * real world the core must not touch: the ticker (setInterval), the durable LogStore, and the
 * gRPC transport.
 *
 * The loop is single-flight: inputs (ticks, messages, requests) queue up; one drain at a time
 * steps a batch of them through the core and runs the outputs in order:
 *   1. every persist of the batch, merged (one fsync per batch), then the `persisted` input at
 *      once, before anything else is stepped;
 *   2. the other outputs in order: sends, applies (listeners are called synchronously), role
 *      and configuration notices, request outcomes;
 *   3. the outputs of the `persisted` steps, the same way.
 * Sends are thereby never earlier than the persists they follow, only later, which is safe.
 * A failed write is fatal (after a failed fsync the file's state is unknown, as PostgreSQL
 * learned in 2018): the node stops, pending requests fail, and onFatal is called. So is a
 * listener that throws while applying, because the state machine can no longer be trusted.
 * Exports: RaftHost, RaftNodeHandle, RaftNodeStatus, RaftNodeMetrics, NodeRole, PeerInfo, AppliedCommand,
 * RoleChange.
 */
import { InvariantError, KeelError, SqlState } from '@keel/errors';
import type { GrpcTransport } from '../grpc/grpc-transport.js';
import type { Input, MembershipChange, Output } from '../raft/io.js';
import type { RaftNode, RaftStatus } from '../raft/raft-node.js';
import { persistedInputFor } from '../raft/raft-node.js';
import type { ClusterConfig, Entry, NodeId } from '../raft/types.js';
import type { LogStore } from '../storage/log-store.js';
import { PendingRequests } from './pending-requests.js';
import { mergePersists, type PersistOutput } from './persist-batch.js';
import type { AppliedCommand, PeerAddress, ResolvedRaftNodeConfig } from './raft-node-config.js';

export type { AppliedCommand };

export type NodeRole = 'leader' | 'follower' | 'candidate' | 'learner';

export interface PeerInfo {
  readonly id: NodeId;
  readonly address: string | null;
  readonly voter: boolean;
  /** Known on the leader only. */
  readonly matchIndex: number | null;
  readonly recentActive: boolean | null;
}

export interface RaftNodeStatus {
  readonly nodeId: NodeId;
  readonly role: NodeRole;
  readonly term: number;
  readonly leaderId: NodeId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Every other member of the configuration. */
  readonly peers: readonly PeerInfo[];
}

export interface RoleChange {
  readonly role: NodeRole;
  readonly term: number;
  readonly leaderId: NodeId | null;
}

/** Counters for the server's metrics endpoint; they only grow. */
export interface RaftNodeMetrics {
  readonly messagesSent: number;
  readonly messagesDropped: number;
  readonly messagesReceived: number;
  /** Writes made durable (one per loop batch that had anything to persist). */
  readonly persists: number;
  readonly entriesApplied: number;
}

export interface RaftNodeHandle {
  readonly nodeId: NodeId;
  /** The port the gRPC server listens on (the configured one, or the ephemeral one picked). */
  readonly grpcPort: number;
  status(): RaftNodeStatus;
  metrics(): RaftNodeMetrics;
  /** Resolves once the command is committed and applied on this node. */
  propose(command: Uint8Array): Promise<{ index: number; term: number }>;
  /** Hands leadership to `to` (default: the most up-to-date voter); resolves when another node leads. */
  transferLeadership(to?: NodeId): Promise<void>;
  addLearner(peer: PeerAddress): Promise<void>;
  /** Promotes a learner once it has caught up (retrying until then, within the timeout). */
  addVoter(id: NodeId, timeoutMs?: number): Promise<void>;
  removeServer(id: NodeId): Promise<void>;
  onRoleChange(listener: (change: RoleChange) => void): () => void;
  /** Committed commands, in log order, exactly once per process lifetime (replayed after restart). */
  onApply(listener: (applied: AppliedCommand) => void): () => void;
  close(): Promise<void>;
}

const batchInputsMax = 256;

function roleOf(status: RaftStatus): NodeRole {
  switch (status.role) {
    case 'leader':
      return 'leader';
    case 'candidate':
    case 'preCandidate':
      return 'candidate';
    case 'follower':
      return status.voter ? 'follower' : 'learner';
  }
}

export class RaftHost implements RaftNodeHandle {
  readonly nodeId: NodeId;
  private readonly queue: Input[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;
  private failure: Error | null = null;
  private readonly ticker: NodeJS.Timeout;
  private readonly roleListeners = new Set<(change: RoleChange) => void>();
  private readonly applyListeners = new Set<(applied: AppliedCommand) => void>();
  private readonly pending: PendingRequests;
  private readonly staticAddresses = new Map<NodeId, string>();
  private configAddresses: Readonly<Record<NodeId, string>> = {};
  private compactRequested = 0;
  private closing: Promise<void> | null = null;
  private persists = 0;
  private entriesApplied = 0;

  constructor(
    private readonly cfg: ResolvedRaftNodeConfig,
    private readonly core: RaftNode,
    private readonly store: LogStore,
    private readonly transport: GrpcTransport,
  ) {
    this.nodeId = cfg.nodeId;
    this.pending = new PendingRequests(cfg.proposeTimeoutMs);
    for (const peer of cfg.peers) this.staticAddresses.set(peer.id, `${peer.host}:${peer.port}`);
    if (cfg.onApply !== null) this.applyListeners.add(cfg.onApply);
    this.noteConfig(core.status().config);
    this.ticker = setInterval(() => this.enqueue({ kind: 'tick' }), cfg.tickMs);
    const status = core.status();
    // A lone voter need not wait out an election timeout to lead its single-node group.
    if (status.config.voters.length === 1 && status.config.voters[0] === this.nodeId)
      this.enqueue({ kind: 'campaign' });
  }

  get grpcPort(): number {
    return this.transport.port;
  }

  /** Feeds an input to the loop (messages from the transport arrive here). */
  enqueue(input: Input): void {
    if (this.closed) return;
    this.queue.push(input);
    this.kick();
  }

  status(): RaftNodeStatus {
    const st = this.core.status();
    const progress = new Map(st.peers.map((p) => [p.id, p]));
    const peers = [...st.config.voters, ...st.config.learners]
      .filter((id) => id !== this.nodeId)
      .sort()
      .map((id): PeerInfo => {
        const p = progress.get(id);
        return {
          id,
          address: this.addressOf(id),
          voter: st.config.voters.includes(id),
          matchIndex: p?.matchIndex ?? null,
          recentActive: p?.recentActive ?? null,
        };
      });
    return {
      nodeId: this.nodeId,
      role: roleOf(st),
      term: st.term,
      leaderId: st.leader,
      commitIndex: st.commitIndex,
      appliedIndex: st.appliedIndex,
      lastIndex: st.lastIndex,
      snapshotIndex: st.snapshotIndex,
      voters: st.config.voters,
      learners: st.config.learners,
      peers,
    };
  }

  metrics(): RaftNodeMetrics {
    const t = this.transport.stats();
    return {
      messagesSent: t.sent,
      messagesDropped: t.dropped,
      messagesReceived: t.received,
      persists: this.persists,
      entriesApplied: this.entriesApplied,
    };
  }

  propose(command: Uint8Array): Promise<{ index: number; term: number }> {
    const refused = this.refusal();
    if (refused !== null) return Promise.reject(refused);
    const { requestId, settled } = this.pending.add('command');
    this.enqueue({ kind: 'propose', requestId, command });
    return settled;
  }

  async transferLeadership(to?: NodeId): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) throw refused;
    const st = this.status();
    if (st.role !== 'leader') {
      throw new KeelError(SqlState.ReadOnlySqlTransaction, 'only the leader can transfer leadership', {
        hint: st.leaderId === null ? 'no leader is known' : `the leader is ${st.leaderId}`,
      });
    }
    const moved = this.waitForRole(
      (c) => c.leaderId !== null && c.leaderId !== this.nodeId,
      this.transferTimeoutMs(),
    );
    this.enqueue({ kind: 'transferLeadership', to: to ?? null });
    await moved;
  }

  async addLearner(peer: PeerAddress): Promise<void> {
    this.staticAddresses.set(peer.id, `${peer.host}:${peer.port}`);
    this.publishAddresses();
    await this.changeMembership({ type: 'addLearner', node: peer.id, address: `${peer.host}:${peer.port}` });
  }

  async addVoter(id: NodeId, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.changeMembership({ type: 'addVoter', node: id });
        return;
      } catch (error) {
        const behind = error instanceof KeelError && error.detail === 'learnerBehind';
        if (!behind || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.cfg.tickMs * this.cfg.raft.heartbeatTicks));
      }
    }
  }

  async removeServer(id: NodeId): Promise<void> {
    await this.changeMembership({ type: 'removeServer', node: id });
  }

  onRoleChange(listener: (change: RoleChange) => void): () => void {
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  onApply(listener: (applied: AppliedCommand) => void): () => void {
    this.applyListeners.add(listener);
    return () => this.applyListeners.delete(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    await this.draining;
    this.pending.failAll(new KeelError(SqlState.AdminShutdown, 'raft node is shutting down'));
    await this.transport.close();
    await this.store.close();
  }

  // --- the loop ----------------------------------------------------------------------------

  private kick(): void {
    if (this.draining !== null || this.closed) return;
    this.draining = this.drain()
      .catch((error: unknown) => {
        this.fatal(error);
        // A broken invariant is a bug: let it crash the process (an unhandled rejection).
        if (error instanceof InvariantError) throw error;
      })
      .finally(() => {
        this.draining = null;
        if (this.queue.length > 0) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.splice(0, batchInputsMax);
      const outputs: Output[] = [];
      for (const input of batch) outputs.push(...this.core.step(input));
      await this.execute(outputs);
    }
  }

  private async execute(outputs: Output[]): Promise<void> {
    let todo = outputs;
    while (todo.length > 0) {
      const persists = mergePersists(todo.filter((o): o is PersistOutput => o.kind === 'persist'));
      const followUps: Output[] = [];
      for (const p of persists) {
        await this.store.persist(p);
        this.persists++;
        const next = persistedInputFor(p);
        if (next !== null) followUps.push(...this.core.step(next));
      }
      for (const output of todo) this.run(output);
      todo = followUps;
    }
  }

  private run(output: Output): void {
    switch (output.kind) {
      case 'persist':
        return;
      case 'send':
        this.transport.send(output.to, output.msg);
        return;
      case 'apply':
        for (const entry of output.entries) this.apply(entry);
        this.maybeCompact();
        return;
      case 'restore':
        if (this.cfg.stateMachine === null) {
          this.cfg.logger.warn(
            { index: output.snapshot.meta.index },
            'snapshot installed without state machine hooks',
          );
        } else {
          this.cfg.stateMachine.restore(output.snapshot.data, output.snapshot.meta.index);
        }
        return;
      case 'roleChanged': {
        const change: RoleChange = {
          role: roleOf(this.core.status()),
          term: output.term,
          leaderId: output.leader,
        };
        for (const listener of this.roleListeners) listener(change);
        return;
      }
      case 'configChanged':
        this.noteConfig(output.config);
        return;
      case 'accepted':
        this.pending.accepted(output.requestId, output.index, output.term);
        return;
      case 'dropped':
        this.pending.dropped(output.requestId, output.reason, output.leader);
        return;
    }
  }

  private apply(entry: Entry): void {
    this.entriesApplied++;
    if (entry.body.type === 'command') {
      const applied: AppliedCommand = { index: entry.index, term: entry.term, command: entry.body.command };
      for (const listener of this.applyListeners) listener(applied);
    }
    this.pending.applied(entry);
  }

  private maybeCompact(): void {
    const sm = this.cfg.stateMachine;
    if (sm === null) return;
    const st = this.core.status();
    const since = Math.max(st.snapshotIndex, this.compactRequested);
    if (st.appliedIndex - since < this.cfg.snapshotEveryEntries) return;
    this.compactRequested = st.appliedIndex;
    this.queue.push({ kind: 'compact', index: st.appliedIndex, data: sm.snapshot() });
  }

  private fatal(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.failure !== null) return;
    this.failure = failure;
    this.closed = true;
    clearInterval(this.ticker);
    this.cfg.logger.error({ error: failure.message }, 'raft node stopped after a fatal error');
    this.pending.failAll(new KeelError(SqlState.IoError, 'raft node stopped', { cause: failure }));
    this.transport.close().catch((closeError: unknown) => {
      this.cfg.logger.error(
        { error: String(closeError) },
        'closing the transport after a fatal error failed',
      );
    });
    this.cfg.onFatal?.(failure);
  }

  // --- helpers -----------------------------------------------------------------------------

  private refusal(): KeelError | null {
    if (this.failure !== null)
      return new KeelError(SqlState.IoError, 'raft node stopped', { cause: this.failure });
    if (this.closed) return new KeelError(SqlState.AdminShutdown, 'raft node is shutting down');
    return null;
  }

  private async changeMembership(change: MembershipChange): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) throw refused;
    const { requestId, settled } = this.pending.add('config');
    this.enqueue({ kind: 'changeMembership', requestId, change });
    await settled;
  }

  private transferTimeoutMs(): number {
    return 3 * this.cfg.raft.electionTimeoutTicks * this.cfg.tickMs + 1000;
  }

  private waitForRole(done: (change: RoleChange) => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new KeelError(
            SqlState.StatementCompletionUnknown,
            `leadership did not move within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const unsubscribe = this.onRoleChange((change) => {
        if (!done(change)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  private noteConfig(config: ClusterConfig): void {
    this.configAddresses = config.addresses;
    this.publishAddresses();
  }

  /**
   * How this node reaches a peer: the address its own --peers gives wins over the one in the
   * replicated configuration, because reachability is a property of where this node sits in
   * the network (proxies, NAT, per-node DNS), while the replicated address is how the member
   * announced itself. Members missing from --peers (added later) use the replicated address.
   */
  private addressOf(id: NodeId): string | null {
    return this.staticAddresses.get(id) ?? this.configAddresses[id] ?? null;
  }

  private publishAddresses(): void {
    const book = new Map<NodeId, string>();
    for (const [id, address] of Object.entries(this.configAddresses)) book.set(id, address);
    for (const [id, address] of this.staticAddresses) book.set(id, address);
    book.delete(this.nodeId);
    this.transport.setAddresses(book);
  }
}
