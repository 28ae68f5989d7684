/**
 * Adapts the engine's and the Raft node's own counters to what the metrics endpoint reads
 * (NodeStatusSource). With a replication layer, the primary lists its replicas' positions, states
 * and replay lag (replication.status().replicas) and the WAL replay position is the
 * replication's; failovers and switchovers are not counted yet (always 0).
 * Exports: NodeStatus.
 */
import type { RaftNodeHandle } from '@keel/consensus';
import type { Engine } from '@keel/node-core';
import type { ReplicationControl } from '@keel/replication';
import type { ClusterStats, EngineStats, NodeStatusSource } from './metrics.js';

export class NodeStatus implements NodeStatusSource {
  private electionsTotal = 0;
  private leaderChangesTotal = 0;
  private lastLeader: string | null = null;

  constructor(
    /** The engine, or a ReplicatedEngine (whose engine changes on a role change): only stats() is read. */
    private readonly engine: Pick<Engine, 'stats'>,
    private readonly raft: RaftNodeHandle | null,
    /** The replication layer of a cluster node (null without one, or in the fixed-role mode). */
    private readonly replication: Pick<ReplicationControl, 'status'> | null = null,
  ) {
    raft?.onRoleChange((change) => {
      if (change.role === 'candidate') this.electionsTotal++;
      if (change.leaderId !== this.lastLeader) {
        this.leaderChangesTotal++;
        this.lastLeader = change.leaderId;
      }
    });
  }

  engineStats(): EngineStats {
    const stats = this.engine.stats();
    const { bufferPool, wal, checkpoints } = stats.storage;
    return {
      connections: { open: stats.sessions, max: stats.maxConnections },
      transactions: {
        active: stats.activeTransactions,
        committedTotal: stats.committedTotal,
        rolledBackTotal: stats.rolledBackTotal,
      },
      wal: {
        insertLsn: wal.insertLsn,
        flushLsn: wal.flushedLsn,
        replayLsn: this.replication?.status().replayLsn ?? wal.flushedLsn,
        writtenBytesTotal: wal.bytes,
        syncsTotal: wal.syncRounds,
      },
      bufferPool: {
        capacityPages: bufferPool.frames,
        usedPages: bufferPool.used,
        dirtyPages: bufferPool.dirty,
        hitsTotal: bufferPool.hits,
        missesTotal: bufferPool.misses,
        evictionsTotal: bufferPool.evictions,
      },
      checkpoints: {
        completedTotal: checkpoints.completed,
        redoLsn: checkpoints.lastRedoLsn,
        lastDurationSeconds: 0,
      },
    };
  }

  private replicas(leader: boolean): ClusterStats['replicas'] {
    const replication = leader ? (this.replication?.status() ?? null) : null;
    if (replication === null || replication.role !== 'primary') return [];
    return replication.replicas.map((r) => ({
      nodeId: r.nodeId,
      state: r.state,
      writeLsn: r.writeLsn,
      flushLsn: r.flushLsn,
      replayLsn: r.replayLsn,
      replayLagSeconds: r.replayLagMs === null ? null : r.replayLagMs / 1000,
    }));
  }

  clusterStats(): ClusterStats | null {
    if (this.raft === null) return null;
    const status = this.raft.status();
    return {
      nodeId: status.nodeId,
      role: status.role,
      term: status.term,
      commitIndex: status.commitIndex,
      electionsTotal: this.electionsTotal,
      leaderChangesTotal: this.leaderChangesTotal,
      failoversTotal: 0,
      switchoversTotal: 0,
      replicas: this.replicas(status.role === 'leader'),
    };
  }
}
