import { InvariantError } from '@keel/errors';
import { describe, expect, it } from 'vitest';
import {
  type ClusterStats,
  type EngineStats,
  NodeMetrics,
  type NodeStatusSource,
  type ReplicaStats,
  statementKinds,
} from './metrics.js';

function engineStats(overrides: Partial<EngineStats> = {}): EngineStats {
  return {
    connections: { open: 7, max: 100 },
    transactions: { active: 2, committedTotal: 1234, rolledBackTotal: 56 },
    wal: {
      insertLsn: 90_000,
      flushLsn: 80_000,
      replayLsn: 80_000,
      writtenBytesTotal: 90_000,
      syncsTotal: 321,
    },
    bufferPool: {
      capacityPages: 16_384,
      usedPages: 900,
      dirtyPages: 12,
      hitsTotal: 9_000,
      missesTotal: 1_000,
      evictionsTotal: 40,
    },
    checkpoints: { completedTotal: 3, redoLsn: 70_000, lastDurationSeconds: 0.25 },
    ...overrides,
  };
}

function replica(nodeId: string, overrides: Partial<ReplicaStats> = {}): ReplicaStats {
  return {
    nodeId,
    state: 'streaming',
    writeLsn: 79_000,
    flushLsn: 78_000,
    replayLsn: 77_000,
    replayLagSeconds: 0.004,
    ...overrides,
  };
}

function clusterStats(overrides: Partial<ClusterStats> = {}): ClusterStats {
  return {
    nodeId: 'n1',
    role: 'leader',
    term: 5,
    commitIndex: 42,
    electionsTotal: 2,
    leaderChangesTotal: 3,
    failoversTotal: 1,
    switchoversTotal: 0,
    replicas: [replica('n2'), replica('n3', { state: 'catchup', replayLsn: 95_000, replayLagSeconds: null })],
    ...overrides,
  };
}

class FakeSource implements NodeStatusSource {
  engineCalls = 0;
  clusterCalls = 0;
  constructor(
    public engine: EngineStats = engineStats(),
    public cluster: ClusterStats | null = null,
  ) {}
  engineStats(): EngineStats {
    this.engineCalls++;
    return this.engine;
  }
  clusterStats(): ClusterStats | null {
    this.clusterCalls++;
    return this.cluster;
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of the Prometheus text format (label values here never hold commas or quotes). */
function samples(body: string): Sample[] {
  const out: Sample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter((p) => p !== '')) {
      const [key = '', quoted = ''] = pair.split('=');
      labels[key] = quoted.replace(/^"|"$/g, '');
    }
    out.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return out;
}

function value(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(body).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

function types(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(match[1] ?? '', match[2] ?? '');
  return out;
}

describe('NodeMetrics', () => {
  it('exposes the engine numbers under keel_ names with Prometheus text content type', async () => {
    const { contentType, body } = await new NodeMetrics(new FakeSource()).render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(body, 'keel_connections')).toBe(7);
    expect(value(body, 'keel_connections_max')).toBe(100);
    expect(value(body, 'keel_transactions_active')).toBe(2);
    expect(value(body, 'keel_transactions_committed_total')).toBe(1234);
    expect(value(body, 'keel_transactions_rolled_back_total')).toBe(56);
    expect(value(body, 'keel_wal_insert_lsn_bytes')).toBe(90_000);
    expect(value(body, 'keel_wal_flush_lsn_bytes')).toBe(80_000);
    expect(value(body, 'keel_wal_replay_lsn_bytes')).toBe(80_000);
    expect(value(body, 'keel_wal_written_bytes_total')).toBe(90_000);
    expect(value(body, 'keel_wal_syncs_total')).toBe(321);
    expect(value(body, 'keel_buffer_pool_capacity_pages')).toBe(16_384);
    expect(value(body, 'keel_buffer_pool_used_pages')).toBe(900);
    expect(value(body, 'keel_buffer_pool_dirty_pages')).toBe(12);
    expect(value(body, 'keel_buffer_pool_hits_total')).toBe(9_000);
    expect(value(body, 'keel_buffer_pool_misses_total')).toBe(1_000);
    expect(value(body, 'keel_buffer_pool_evictions_total')).toBe(40);
    expect(value(body, 'keel_checkpoints_total')).toBe(3);
    expect(value(body, 'keel_checkpoint_redo_lsn_bytes')).toBe(70_000);
    expect(value(body, 'keel_checkpoint_last_duration_seconds')).toBe(0.25);
    expect(body).toContain('# HELP keel_transactions_committed_total Transactions committed');
  });

  it("includes Node's default process metrics", async () => {
    const { body } = await new NodeMetrics(new FakeSource()).render();
    const declared = types(body);
    expect(declared.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(declared.get('process_resident_memory_bytes')).toBe('gauge');
    expect(declared.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(declared.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
  });

  it('follows the naming conventions: keel_ prefix, counters end in _total and nothing else does', async () => {
    const source = new FakeSource(engineStats(), clusterStats());
    const { body } = await new NodeMetrics(source).render();
    const keel = [...types(body)].filter(([name]) => name.startsWith('keel_'));
    expect(keel.length).toBeGreaterThan(30);
    for (const [name, type] of keel) {
      expect(name).toMatch(/^keel_[a-z][a-z0-9_]*[a-z]$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
  });

  it('leaves the cluster metrics out while the source reports no cluster', async () => {
    const { body } = await new NodeMetrics(new FakeSource(engineStats(), null)).render();
    expect(body).not.toMatch(/^keel_(raft|replication|failovers|switchovers|node_info)/m);
    expect(body).not.toContain('# TYPE keel_raft_term');
  });

  it('exposes role as a state set, term, elections and failovers', async () => {
    const source = new FakeSource(engineStats(), clusterStats());
    const metrics = new NodeMetrics(source);
    let { body } = await metrics.render();
    expect(value(body, 'keel_node_info', { node_id: 'n1' })).toBe(1);
    expect(value(body, 'keel_raft_role', { role: 'leader' })).toBe(1);
    expect(value(body, 'keel_raft_role', { role: 'follower' })).toBe(0);
    expect(value(body, 'keel_raft_role', { role: 'candidate' })).toBe(0);
    expect(value(body, 'keel_raft_role', { role: 'learner' })).toBe(0);
    expect(value(body, 'keel_raft_term')).toBe(5);
    expect(value(body, 'keel_raft_commit_index')).toBe(42);
    expect(value(body, 'keel_raft_elections_total')).toBe(2);
    expect(value(body, 'keel_raft_leader_changes_total')).toBe(3);
    expect(value(body, 'keel_failovers_total')).toBe(1);
    expect(value(body, 'keel_switchovers_total')).toBe(0);

    source.cluster = clusterStats({ role: 'follower', term: 6, electionsTotal: 3, replicas: [] });
    ({ body } = await metrics.render());
    expect(value(body, 'keel_raft_role', { role: 'leader' })).toBe(0);
    expect(value(body, 'keel_raft_role', { role: 'follower' })).toBe(1);
    expect(value(body, 'keel_raft_term')).toBe(6);
    expect(value(body, 'keel_raft_elections_total')).toBe(3);
  });

  it('exposes WAL positions and lag per replica, and drops a replica that left', async () => {
    const source = new FakeSource(engineStats(), clusterStats());
    const metrics = new NodeMetrics(source);
    let { body } = await metrics.render();
    expect(value(body, 'keel_replication_write_lsn_bytes', { replica: 'n2' })).toBe(79_000);
    expect(value(body, 'keel_replication_flush_lsn_bytes', { replica: 'n2' })).toBe(78_000);
    expect(value(body, 'keel_replication_replay_lsn_bytes', { replica: 'n2' })).toBe(77_000);
    // Lag in bytes: the primary's flush LSN (80 000) minus the replica's replay LSN.
    expect(value(body, 'keel_replication_lag_bytes', { replica: 'n2' })).toBe(3_000);
    expect(value(body, 'keel_replication_lag_seconds', { replica: 'n2' })).toBe(0.004);
    // A replica that replayed past the primary's flush position (WAL is shipped once written) has no lag.
    expect(value(body, 'keel_replication_lag_bytes', { replica: 'n3' })).toBe(0);
    // Unknown lag in seconds is left out, not reported as 0.
    expect(value(body, 'keel_replication_lag_seconds', { replica: 'n3' })).toBeUndefined();
    expect(value(body, 'keel_replication_state', { replica: 'n2', state: 'streaming' })).toBe(1);
    expect(value(body, 'keel_replication_state', { replica: 'n3', state: 'catchup' })).toBe(1);
    expect(value(body, 'keel_replication_state', { replica: 'n3', state: 'streaming' })).toBe(0);

    source.cluster = clusterStats({ replicas: [replica('n2')] });
    ({ body } = await metrics.render());
    expect(value(body, 'keel_replication_replay_lsn_bytes', { replica: 'n2' })).toBe(77_000);
    expect(body).not.toContain('replica="n3"');
  });

  it('reads the source once per scrape', async () => {
    const source = new FakeSource(engineStats(), clusterStats());
    const metrics = new NodeMetrics(source);
    await metrics.render();
    await metrics.render();
    expect(source.engineCalls).toBe(2);
    expect(source.clusterCalls).toBe(2);
  });

  it('reports counters as the source counts them, scrape after scrape', async () => {
    const source = new FakeSource();
    const metrics = new NodeMetrics(source);
    await metrics.render();
    source.engine = engineStats({ transactions: { active: 0, committedTotal: 2000, rolledBackTotal: 60 } });
    const { body } = await metrics.render();
    expect(value(body, 'keel_transactions_committed_total')).toBe(2000);
    expect(value(body, 'keel_transactions_rolled_back_total')).toBe(60);
  });

  it('histograms commit latency', async () => {
    const metrics = new NodeMetrics(new FakeSource());
    metrics.observeCommit(0.0007);
    metrics.observeCommit(0.003);
    metrics.observeCommit(0.2);
    const { body } = await metrics.render();
    expect(types(body).get('keel_commit_duration_seconds')).toBe('histogram');
    expect(value(body, 'keel_commit_duration_seconds_bucket', { le: '0.0005' })).toBe(0);
    expect(value(body, 'keel_commit_duration_seconds_bucket', { le: '0.001' })).toBe(1);
    expect(value(body, 'keel_commit_duration_seconds_bucket', { le: '0.005' })).toBe(2);
    expect(value(body, 'keel_commit_duration_seconds_bucket', { le: '0.25' })).toBe(3);
    expect(value(body, 'keel_commit_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(value(body, 'keel_commit_duration_seconds_count')).toBe(3);
    expect(value(body, 'keel_commit_duration_seconds_sum')).toBeCloseTo(0.2037, 6);
  });

  it('histograms query latency by statement kind and counts errors', async () => {
    const metrics = new NodeMetrics(new FakeSource());
    metrics.observeQuery('select', 0.0002, 'ok');
    metrics.observeQuery('select', 0.02, 'ok');
    metrics.observeQuery('insert', 0.004, 'error');
    const { body } = await metrics.render();
    expect(value(body, 'keel_query_duration_seconds_count', { kind: 'select' })).toBe(2);
    expect(value(body, 'keel_query_duration_seconds_bucket', { kind: 'select', le: '0.00025' })).toBe(1);
    expect(value(body, 'keel_query_duration_seconds_count', { kind: 'insert' })).toBe(1);
    expect(value(body, 'keel_query_errors_total', { kind: 'insert' })).toBe(1);
    expect(value(body, 'keel_query_errors_total', { kind: 'select' })).toBe(0);
    // Every kind is present from the first scrape, so rate() and dashboards see zeros, not gaps.
    for (const kind of statementKinds) {
      expect(value(body, 'keel_query_duration_seconds_count', { kind })).toBeTypeOf('number');
      expect(value(body, 'keel_query_errors_total', { kind })).toBeTypeOf('number');
    }
  });

  it('treats a negative or non-finite duration as a bug', () => {
    const metrics = new NodeMetrics(new FakeSource());
    expect(() => metrics.observeCommit(-0.001)).toThrow(InvariantError);
    expect(() => metrics.observeCommit(Number.NaN)).toThrow(InvariantError);
    expect(() => metrics.observeQuery('select', Number.POSITIVE_INFINITY, 'ok')).toThrow(InvariantError);
  });
});
