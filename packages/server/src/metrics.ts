/**
 * Prometheus metrics through prom-client: Node's default process metrics plus the node's own,
 * named by Prometheus conventions (keel_ prefix, base units in the name, _total for counters).
 *
 * Two ways in, one rule each:
 * - Counts and positions are read from a NodeStatusSource at scrape time: the engine and the
 *   cluster keep plain numbers (monotonic `...Total` counters, LSNs, gauges) and never import
 *   prom-client. One scrape reads the source once (a snapshot), so every metric of a scrape
 *   comes from the same instant.
 * - Durations are observed one event at a time through the hooks the server calls
 *   (observeCommit, observeQuery), because a histogram needs every observation.
 * Cluster metrics (role, term, elections, replication) are left out of the exposition while
 * the source reports no cluster (clusterStats() returns null), rather than shown as zeros.
 * LSNs are byte positions in the WAL, so WAL positions are exposed in bytes (`..._lsn_bytes`).
 * Exports: NodeMetrics, NodeStatusSource, EngineStats, ClusterStats, ReplicaStats, RaftRole,
 * ReplicaState, StatementKind, QueryOutcome, statementKinds, raftRoles, replicaStates.
 */
import { assert } from '@keel/errors';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const raftRoles = ['leader', 'follower', 'candidate', 'learner'] as const;
export type RaftRole = (typeof raftRoles)[number];

/** A replica's stream as its primary sees it (PostgreSQL's pg_stat_replication.state, plus disconnected). */
export const replicaStates = ['startup', 'backup', 'catchup', 'streaming', 'disconnected'] as const;
export type ReplicaState = (typeof replicaStates)[number];

/** The label of the query latency histogram: a bounded set, so the series count stays bounded. */
export const statementKinds = [
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'copy',
  'ddl',
  'transaction',
  'utility',
] as const;
export type StatementKind = (typeof statementKinds)[number];
export type QueryOutcome = 'ok' | 'error';

/** The single node's numbers. `...Total` fields are counters: they only grow while the process lives. */
export interface EngineStats {
  connections: {
    /** Client sessions open now. */
    open: number;
    /** The --max-connections limit. */
    max: number;
  };
  transactions: {
    /** Transactions open now. */
    active: number;
    committedTotal: number;
    rolledBackTotal: number;
  };
  wal: {
    /** Where the next record goes (on a replica: the end of the WAL received so far). */
    insertLsn: number;
    /** Durable on this node's disk (fdatasync done). */
    flushLsn: number;
    /** Applied to pages (redo); equals flushLsn on a primary that is not recovering. */
    replayLsn: number;
    writtenBytesTotal: number;
    /** Flush rounds, one fdatasync each (group commit makes this lower than commits). */
    syncsTotal: number;
  };
  bufferPool: {
    capacityPages: number;
    usedPages: number;
    dirtyPages: number;
    hitsTotal: number;
    missesTotal: number;
    evictionsTotal: number;
  };
  checkpoints: {
    completedTotal: number;
    /** Redo point of the last completed checkpoint. */
    redoLsn: number;
    /** Duration of the last completed checkpoint; 0 before the first one. */
    lastDurationSeconds: number;
  };
}

/** One replica as the primary sees it; only the leader reports replicas. */
export interface ReplicaStats {
  nodeId: string;
  state: ReplicaState;
  /** Positions the replica reported: written to its OS, flushed to its disk, replayed into its pages. */
  writeLsn: number;
  flushLsn: number;
  replayLsn: number;
  /** Time between a commit on the primary and its replay on the replica; null until measured. */
  replayLagSeconds: number | null;
}

export interface ClusterStats {
  nodeId: string;
  role: RaftRole;
  term: number;
  /** Raft log commit index. */
  commitIndex: number;
  /** Elections this node started (became candidate), pre-votes excluded. */
  electionsTotal: number;
  /** Changes of leader (including to "no leader known") that this node observed. */
  leaderChangesTotal: number;
  /** Times this node became primary because the previous primary was lost. */
  failoversTotal: number;
  /** Times this node became primary through a planned handover (leadership transfer). */
  switchoversTotal: number;
  /** The leader lists every other member; followers, candidates and learners list none. */
  replicas: readonly ReplicaStats[];
}

/** What NodeMetrics reads at scrape time. Both calls must be cheap and must not throw. */
export interface NodeStatusSource {
  engineStats(): EngineStats;
  /** null while the node runs without a cluster layer: cluster metrics are then left out. */
  clusterStats(): ClusterStats | null;
}

interface Snapshot {
  engine: EngineStats;
  cluster: ClusterStats | null;
}

/** Commit latency is dominated by fdatasync (and, in sync mode, a replica's round trip). */
const commitBucketsSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const queryBucketsSeconds = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export class NodeMetrics {
  /** Default process metrics and the engine's: always exposed. */
  private readonly nodeRegistry = new Registry();
  /** Cluster metrics: exposed only while the source reports a cluster. */
  private readonly clusterRegistry = new Registry();
  private snapshot: Snapshot | null = null;
  private readonly commitDuration: Histogram;
  private readonly queryDuration: Histogram<'kind'>;
  private readonly queryErrors: Counter<'kind'>;

  constructor(private readonly source: NodeStatusSource) {
    collectDefaultMetrics({ register: this.nodeRegistry });
    const node = [this.nodeRegistry];
    this.commitDuration = new Histogram({
      name: 'keel_commit_duration_seconds',
      help: 'Time from a COMMIT request to its acknowledgement (WAL flushed and, in sync mode, replicated)',
      buckets: commitBucketsSeconds,
      registers: node,
    });
    this.queryDuration = new Histogram({
      name: 'keel_query_duration_seconds',
      help: 'Statement execution time by statement kind',
      labelNames: ['kind'],
      buckets: queryBucketsSeconds,
      registers: node,
    });
    this.queryErrors = new Counter({
      name: 'keel_query_errors_total',
      help: 'Statements that ended in an error, by statement kind',
      labelNames: ['kind'],
      registers: node,
    });
    for (const kind of statementKinds) {
      this.queryDuration.zero({ kind });
      this.queryErrors.inc({ kind }, 0);
    }
    this.defineEngineMetrics();
    this.defineClusterMetrics();
  }

  /** A COMMIT was acknowledged `seconds` after it was requested (measure with a monotonic clock). */
  observeCommit(seconds: number): void {
    assert(Number.isFinite(seconds) && seconds >= 0, `commit duration must be >= 0 s, got ${seconds}`);
    this.commitDuration.observe(seconds);
  }

  /** A statement of `kind` finished after `seconds`, successfully or with an error. */
  observeQuery(kind: StatementKind, seconds: number, outcome: QueryOutcome): void {
    assert(Number.isFinite(seconds) && seconds >= 0, `query duration must be >= 0 s, got ${seconds}`);
    this.queryDuration.observe({ kind }, seconds);
    if (outcome === 'error') this.queryErrors.inc({ kind });
  }

  /** The exposition for GET /metrics (Prometheus text format 0.0.4). */
  async render(): Promise<{ contentType: string; body: string }> {
    const snapshot: Snapshot = { engine: this.source.engineStats(), cluster: this.source.clusterStats() };
    this.snapshot = snapshot;
    const registries =
      snapshot.cluster === null ? [this.nodeRegistry] : [this.nodeRegistry, this.clusterRegistry];
    const registry = Registry.merge(registries);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /** The snapshot of the scrape in progress: render() takes it before any collect function runs. */
  private current(): Snapshot {
    assert(this.snapshot !== null, 'metrics collected outside NodeMetrics.render()');
    return this.snapshot;
  }

  private engine(): EngineStats {
    return this.current().engine;
  }

  private defineEngineMetrics(): void {
    const gauge = (name: string, help: string, read: (stats: EngineStats) => number): void => {
      const engine = () => this.engine();
      new Gauge({
        name,
        help,
        registers: [this.nodeRegistry],
        collect() {
          this.set(read(engine()));
        },
      });
    };
    const counter = (name: string, help: string, read: (stats: EngineStats) => number): void => {
      const engine = () => this.engine();
      new Counter({
        name,
        help,
        registers: [this.nodeRegistry],
        collect() {
          this.reset();
          this.inc(read(engine()));
        },
      });
    };
    gauge('keel_connections', 'Client sessions currently open', (s) => s.connections.open);
    gauge(
      'keel_connections_max',
      'Maximum concurrent client sessions (--max-connections)',
      (s) => s.connections.max,
    );
    gauge('keel_transactions_active', 'Transactions currently open', (s) => s.transactions.active);
    counter(
      'keel_transactions_committed_total',
      'Transactions committed',
      (s) => s.transactions.committedTotal,
    );
    counter(
      'keel_transactions_rolled_back_total',
      'Transactions rolled back (by the client or after an error)',
      (s) => s.transactions.rolledBackTotal,
    );
    gauge(
      'keel_wal_insert_lsn_bytes',
      'WAL insert position (on a replica: end of WAL received)',
      (s) => s.wal.insertLsn,
    );
    gauge('keel_wal_flush_lsn_bytes', 'WAL position durable on this node', (s) => s.wal.flushLsn);
    gauge('keel_wal_replay_lsn_bytes', 'WAL position applied to pages', (s) => s.wal.replayLsn);
    counter('keel_wal_written_bytes_total', 'WAL bytes written', (s) => s.wal.writtenBytesTotal);
    counter('keel_wal_syncs_total', 'WAL flush rounds (one fdatasync each)', (s) => s.wal.syncsTotal);
    gauge(
      'keel_buffer_pool_capacity_pages',
      'Pages the buffer pool can hold',
      (s) => s.bufferPool.capacityPages,
    );
    gauge('keel_buffer_pool_used_pages', 'Pages cached in the buffer pool', (s) => s.bufferPool.usedPages);
    gauge(
      'keel_buffer_pool_dirty_pages',
      'Cached pages changed since last written',
      (s) => s.bufferPool.dirtyPages,
    );
    counter(
      'keel_buffer_pool_hits_total',
      'Page requests served from the buffer pool',
      (s) => s.bufferPool.hitsTotal,
    );
    counter(
      'keel_buffer_pool_misses_total',
      'Page requests that read from disk',
      (s) => s.bufferPool.missesTotal,
    );
    counter(
      'keel_buffer_pool_evictions_total',
      'Pages evicted to make room',
      (s) => s.bufferPool.evictionsTotal,
    );
    counter('keel_checkpoints_total', 'Checkpoints completed', (s) => s.checkpoints.completedTotal);
    gauge(
      'keel_checkpoint_redo_lsn_bytes',
      'Redo point of the last checkpoint',
      (s) => s.checkpoints.redoLsn,
    );
    const engine = () => this.engine();
    new Gauge({
      name: 'keel_checkpoint_last_duration_seconds',
      help: 'Duration of the last completed checkpoint (absent before the first)',
      registers: [this.nodeRegistry],
      labelNames: [],
      collect() {
        this.reset();
        const seconds = engine().checkpoints.lastDurationSeconds;
        if (seconds !== null) this.set(seconds);
      },
    });
  }

  private defineClusterMetrics(): void {
    const cluster = (): { stats: ClusterStats; engine: EngineStats } | null => {
      const { cluster: stats, engine } = this.current();
      return stats === null ? null : { stats, engine };
    };
    const registers = [this.clusterRegistry];
    new Gauge({
      name: 'keel_node_info',
      help: "This node's id in the cluster (value always 1)",
      labelNames: ['node_id'],
      registers,
      collect() {
        this.reset();
        const now = cluster();
        if (now !== null) this.set({ node_id: now.stats.nodeId }, 1);
      },
    });
    new Gauge({
      name: 'keel_raft_role',
      help: "This node's Raft role: 1 for the current role, 0 for the others (leader = primary)",
      labelNames: ['role'],
      registers,
      collect() {
        this.reset();
        const now = cluster();
        if (now !== null) for (const role of raftRoles) this.set({ role }, role === now.stats.role ? 1 : 0);
      },
    });
    const gauge = (name: string, help: string, read: (stats: ClusterStats) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const now = cluster();
          if (now !== null) this.set(read(now.stats));
        },
      });
    };
    const counter = (name: string, help: string, read: (stats: ClusterStats) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          const now = cluster();
          if (now !== null) this.inc(read(now.stats));
        },
      });
    };
    gauge('keel_raft_term', 'Current Raft term', (s) => s.term);
    gauge('keel_raft_commit_index', 'Raft log commit index', (s) => s.commitIndex);
    counter('keel_raft_elections_total', 'Elections this node started', (s) => s.electionsTotal);
    counter(
      'keel_raft_leader_changes_total',
      'Leader changes this node observed',
      (s) => s.leaderChangesTotal,
    );
    counter(
      'keel_failovers_total',
      'Promotions of this node to primary after losing the primary',
      (s) => s.failoversTotal,
    );
    counter(
      'keel_switchovers_total',
      'Promotions of this node to primary through a planned handover',
      (s) => s.switchoversTotal,
    );
    this.defineReplicationMetrics(cluster);
  }

  private defineReplicationMetrics(cluster: () => { stats: ClusterStats; engine: EngineStats } | null): void {
    const registers = [this.clusterRegistry];
    const perReplica = (
      name: string,
      help: string,
      read: (replica: ReplicaStats, primary: EngineStats) => number | null,
    ) => {
      new Gauge({
        name,
        help,
        labelNames: ['replica'],
        registers,
        collect() {
          this.reset();
          const now = cluster();
          if (now === null) return;
          for (const replica of now.stats.replicas) {
            const value = read(replica, now.engine);
            if (value !== null) this.set({ replica: replica.nodeId }, value);
          }
        },
      });
    };
    perReplica('keel_replication_write_lsn_bytes', 'WAL position a replica has written', (r) => r.writeLsn);
    perReplica(
      'keel_replication_flush_lsn_bytes',
      'WAL position a replica has made durable',
      (r) => r.flushLsn,
    );
    perReplica(
      'keel_replication_replay_lsn_bytes',
      'WAL position a replica has replayed',
      (r) => r.replayLsn,
    );
    perReplica(
      'keel_replication_lag_bytes',
      "WAL bytes durable on the primary but not yet replayed by a replica (primary's flush LSN minus replay LSN)",
      (r, primary) => Math.max(0, primary.wal.flushLsn - r.replayLsn),
    );
    perReplica(
      'keel_replication_lag_seconds',
      'Time between a commit on the primary and its replay on a replica',
      (r) => r.replayLagSeconds,
    );
    new Gauge({
      name: 'keel_replication_state',
      help: "A replica's stream state: 1 for the current state, 0 for the others",
      labelNames: ['replica', 'state'],
      registers,
      collect() {
        this.reset();
        const now = cluster();
        if (now === null) return;
        for (const replica of now.stats.replicas)
          for (const state of replicaStates)
            this.set({ replica: replica.nodeId, state }, state === replica.state ? 1 : 0);
      },
    });
  }
}
