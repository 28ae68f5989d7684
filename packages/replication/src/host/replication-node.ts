/**
 * startReplication: the node's replication layer, the ReplicationControl of control.ts. It owns
 * the replication gRPC server, one tick timer, and at most one of a PrimaryDriver (serving WAL,
 * gating commits) or a ReplicaDriver (following a primary). Role changes run one at a time, in
 * the order they were asked for; each finishes its storage work (promote, demote) before the
 * next starts. A stream or backup call arriving while the node is not an unfenced primary is
 * refused, so a replica never follows a node that stopped leading.
 * Exports: startReplication.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  PrimaryAddress,
  ReplicaProgress,
  ReplicationControl,
  ReplicationRole,
  ReplicationStatus,
  UpstreamStatus,
  WalPosition,
} from '../control.js';
import { ReplicationServer } from '../grpc/replication-transport.js';
import type { Logger } from '../logger.js';
import { PrimaryDriver } from './primary-driver.js';
import { ReplicaDriver } from './replica-driver.js';
import {
  type ReplicationConfig,
  type ResolvedReplicationConfig,
  resolveReplicationConfig,
} from './replication-config.js';

interface CatchUpWaiter {
  nodeId: string;
  lsn: number;
  deadline: number;
  resolve(): void;
  reject(error: Error): void;
}

export async function startReplication(config: ReplicationConfig): Promise<ReplicationControl> {
  const resolved = resolveReplicationConfig(config);
  const node = new ReplicationNode(
    resolved,
    resolved.logger.child({ component: 'replication', nodeId: config.nodeId }),
  );
  await node.listen();
  return node;
}

class ReplicationNode implements ReplicationControl {
  private server: ReplicationServer | null = null;
  private roleValue: ReplicationRole = 'stopped';
  private primary: PrimaryDriver | null = null;
  private fenced = false;
  private replica: ReplicaDriver | null = null;
  private following: PrimaryAddress | null = null;
  private term = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(status: ReplicationStatus) => void>();
  private catchUps: CatchUpWaiter[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly config: ResolvedReplicationConfig,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.tick(), config.tickMs);
    this.timer.unref();
  }

  get nodeId(): string {
    return this.config.nodeId;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  async listen(): Promise<void> {
    this.server = await ReplicationServer.start(this.config.listenHost, this.config.port, {
      stream: (stream) => {
        if (this.primary === null || this.fenced) {
          stream.send({ kind: 'refuse', reason: `${this.config.nodeId} is not the primary` });
          stream.end();
          return;
        }
        this.primary.attach(stream);
      },
      backup: (request, sink) => {
        if (this.primary === null || this.fenced) {
          sink.fail(`${this.config.nodeId} is not the primary`);
          return;
        }
        void this.primary.serveBackup(request, sink);
      },
    });
    this.logger.info(
      { port: this.server.port, syncReplicas: this.config.syncReplicas },
      'replication listening',
    );
  }

  startAsPrimary(options: { term: number }): Promise<void> {
    return this.serialized(async () => {
      const { storage } = this.config;
      if (this.primary !== null && !this.fenced && options.term === this.term) return;
      this.replica?.close();
      this.replica = null;
      this.following = null;
      if (this.primary === null) {
        // The gate goes in before promotion: commits replayed but not yet shown register with it.
        this.primary = new PrimaryDriver(this.config, storage, this.logger);
        storage.setCommitGate(this.primary);
      }
      await storage.promote(options.term);
      if (this.term !== 0 && options.term !== this.term)
        this.primary.closeStreams('new term: handshake again');
      this.term = options.term;
      this.fenced = false;
      this.primary.fence(false);
      storage.setFenced(false, '');
      this.roleValue = 'primary';
      this.logger.info(
        { term: options.term, flushLsn: storage.positions().flushLsn },
        'replication role: primary',
      );
    });
  }

  startAsReplica(options: { primary: PrimaryAddress }): Promise<void> {
    return this.serialized(async () => {
      const { storage } = this.config;
      if (this.primary !== null) {
        this.primary.stop();
        this.primary = null;
        storage.setCommitGate(null);
        await storage.demote(`following ${options.primary.id}`);
        this.fenced = false;
      }
      this.replica ??= new ReplicaDriver(this.config, storage, this.logger, () => this.notify());
      this.following = options.primary;
      this.replica.follow(options.primary);
      this.roleValue = 'replica';
      this.logger.info(
        { primary: options.primary.id, host: options.primary.host, port: options.primary.port },
        'replication role: replica',
      );
    });
  }

  stop(): Promise<void> {
    return this.serialized(async () => {
      if (this.primary !== null && !this.fenced) {
        this.fenced = true;
        this.config.storage.setFenced(true, 'this node is no longer the primary');
        this.primary.fence(true);
        this.logger.warn({ term: this.term }, 'fenced: no longer accepting writes');
      }
      if (this.replica !== null) {
        this.replica.close();
        this.replica = null;
        this.following = null;
      }
      this.roleValue = 'stopped';
    });
  }

  status(): ReplicationStatus {
    const { storage } = this.config;
    const positions = storage.positions();
    const identity = storage.identity();
    const primary = this.primary;
    const writable =
      this.roleValue !== 'primary' || primary === null
        ? {
            ok: false,
            reason: this.roleValue === 'replica' ? 'read-only replica' : 'not the primary (stopped)',
          }
        : primary.core.writable();
    const sync = primary?.core.syncStatus() ?? { commitsWaiting: 0, commitsBlocked: 0, oldestWaitTicks: 0 };
    return {
      nodeId: this.config.nodeId,
      role: this.roleValue,
      term: this.roleValue === 'primary' ? positions.term : positions.lastRecordTerm,
      systemId: identity.systemId,
      insertLsn: positions.insertLsn,
      flushLsn: positions.flushLsn,
      replayLsn: positions.replayLsn,
      visibleLsn: positions.visibleLsn,
      writable: writable.ok,
      writableReason: writable.reason,
      syncReplicas: this.config.syncReplicas,
      sync: {
        commitsWaiting: sync.commitsWaiting,
        commitsBlocked: sync.commitsBlocked,
        oldestWaitMs: sync.oldestWaitTicks * this.config.tickMs,
      },
      replicas: this.fenced ? [] : this.replicaProgress(positions.flushLsn),
      upstream: this.upstream(positions.flushLsn),
      bootstrap:
        this.replica?.installing === null || this.replica === null
          ? null
          : {
              kind: this.replica.installing.kind,
              bytesDone: this.replica.installing.done,
              bytesTotal: this.replica.installing.total,
            },
      port: this.port,
    };
  }

  dataPosition(): WalPosition {
    const positions = this.config.storage.positions();
    return { term: positions.lastRecordTerm, lsn: BigInt(positions.flushLsn) };
  }

  waitForReplicaCatchUp(nodeId: string, lsn?: number, options?: { timeoutMs?: number }): Promise<void> {
    if (this.primary === null) {
      return Promise.reject(
        new KeelError(SqlState.ObjectNotInPrerequisiteState, `${this.config.nodeId} is not the primary`),
      );
    }
    const target = lsn ?? this.config.storage.positions().flushLsn;
    return new Promise<void>((resolve, reject) => {
      this.catchUps.push({
        nodeId,
        lsn: target,
        deadline: Date.now() + (options?.timeoutMs ?? 10_000),
        resolve,
        reject,
      });
      this.checkCatchUps();
    });
  }

  onStatusChange(listener: (status: ReplicationStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.chain.catch(() => undefined);
    this.primary?.stop();
    if (this.primary !== null) this.config.storage.setCommitGate(null);
    this.primary = null;
    this.replica?.close();
    this.replica = null;
    for (const waiter of this.catchUps)
      waiter.reject(new KeelError(SqlState.AdminShutdown, 'replication closed'));
    this.catchUps = [];
    await this.server?.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  private serialized(change: () => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.closed) throw new KeelError(SqlState.AdminShutdown, 'replication is closed');
      await change();
      this.notify();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private tick(): void {
    this.primary?.tick();
    this.replica?.tick();
    this.checkCatchUps();
  }

  private checkCatchUps(): void {
    if (this.catchUps.length === 0) return;
    const now = Date.now();
    this.catchUps = this.catchUps.filter((waiter) => {
      const flushed = this.primary?.core.replicaFlush(waiter.nodeId) ?? null;
      if (this.primary === null) {
        waiter.reject(
          new KeelError(
            SqlState.ObjectNotInPrerequisiteState,
            `${this.config.nodeId} stopped being the primary`,
          ),
        );
        return false;
      }
      if (flushed !== null && flushed >= waiter.lsn) {
        waiter.resolve();
        return false;
      }
      if (now >= waiter.deadline) {
        waiter.reject(
          new KeelError(
            SqlState.QueryCanceled,
            `replica ${waiter.nodeId} did not reach ${waiter.lsn} in time`,
            {
              detail: `its flush LSN is ${flushed ?? 'unknown (not connected)'}`,
            },
          ),
        );
        return false;
      }
      return true;
    });
  }

  private replicaProgress(flushLsn: number): ReplicaProgress[] {
    const primary = this.primary;
    if (primary === null) return [];
    const ms = (ticks: number | null) => (ticks === null ? null : ticks * this.config.tickMs);
    return primary.core
      .replicaViews()
      .filter((view) => view.connected)
      .map((view) => ({
        nodeId: view.id,
        state: view.caughtUp ? 'streaming' : 'catchup',
        sentLsn: view.sentLsn,
        writeLsn: view.writeLsn,
        flushLsn: view.flushLsn,
        replayLsn: view.applyLsn,
        lagBytes: Math.max(0, flushLsn - view.applyLsn),
        flushLagMs: ms(view.flushLagTicks),
        replayLagMs: ms(view.applyLagTicks),
        syncState: this.config.syncReplicas > 0 ? 'quorum' : 'async',
        lastReplyAgoMs: view.silentTicks * this.config.tickMs,
        peer: view.peer,
      }));
  }

  private upstream(flushLsn: number): UpstreamStatus | null {
    const replica = this.replica;
    const primary = this.following;
    if (replica === null || primary === null) return null;
    const phase = replica.core.phase;
    const core = replica.core.status();
    const state: UpstreamStatus['state'] =
      phase.name === 'streaming'
        ? 'streaming'
        : phase.name === 'handshake'
          ? 'handshake'
          : phase.name === 'installing'
            ? phase.kind === 'full'
              ? 'backup'
              : 'rewinding'
            : phase.name === 'waiting'
              ? 'waiting'
              : 'connecting';
    return {
      primary,
      state,
      detail: replica.core.detail,
      receivedLsn: core.receivedLsn,
      primaryFlushLsn: core.primaryFlushLsn,
      lagBytes: Math.max(0, core.primaryFlushLsn - flushLsn),
      lastMessageAgoMs: core.silentTicks === null ? null : core.silentTicks * this.config.tickMs,
      bootstraps: replica.core.counters.bootstraps,
      rewinds: replica.core.counters.rewinds,
    };
  }

  private notify(): void {
    if (this.listeners.size === 0) return;
    const status = this.status();
    for (const listener of this.listeners) listener(status);
  }
}
