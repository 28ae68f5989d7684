/**
 * The node's replication layer (@keel/replication) on its ReplicatedEngine, as the flags ask:
 * `--replication-port` enables it; `--replication-role auto` (the default) leaves the roles to the
 * cluster's failover orchestration (cluster/), while `primary` and `replica` fix them here, for
 * tests and manual setups: a fixed primary starts a new term past its last one at every start, a
 * fixed replica follows `--replicate-from`. pg_stat_replication and pg_stat_wal_receiver read the
 * layer's status.
 * Exports: replicationEnabled, startNodeReplication.
 */
import type { ReplicatedEngine } from '@keel/node-core';
import { type ReplicationControl, type ReplicationStatus, startReplication } from '@keel/replication';
import { ConfigError, type NodeConfig } from './config.js';
import type { Logger } from './logger.js';

export function replicationEnabled(config: NodeConfig): boolean {
  return config.replicationPort !== null || config.replicationRole !== 'auto';
}

export async function startNodeReplication(
  config: NodeConfig,
  replicated: ReplicatedEngine,
  logger: Logger,
): Promise<ReplicationControl> {
  if (config.replicationRole === 'replica' && config.replicateFrom === null) {
    throw new ConfigError('--replication-role replica needs --replicate-from ID=HOST:PORT');
  }
  const replication = await startReplication({
    nodeId: config.nodeId ?? 'node1',
    listenHost: config.grpcHost,
    port: config.replicationPort ?? 0,
    storage: replicated.replicationStorage,
    syncReplicas: config.syncReplicas,
    syncTimeoutMs: config.syncTimeoutMs,
    walKeepBytes: config.walKeepMb * 1024 * 1024,
    logger,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'replication stopped: the node cannot continue');
      process.exit(70);
    },
  });
  replicated.setReplicationViews({
    replicas: () => replicaRows(replication.status()),
    receiver: () => receiverRow(replication.status()),
  });
  if (config.replicationRole === 'primary') {
    await replication.startAsPrimary({ term: replication.dataPosition().term + 1 });
  } else if (config.replicationRole === 'replica' && config.replicateFrom !== null) {
    await replication.startAsReplica({ primary: config.replicateFrom });
  }
  return replication;
}

/** pg_stat_replication rows (PostgreSQL's columns; LSNs in X/Y form, lags as intervals in ms). */
function replicaRows(status: ReplicationStatus): Record<string, unknown>[] {
  return status.replicas.map((replica) => ({
    application_name: replica.nodeId,
    client_addr: replica.peer,
    state: replica.state,
    sent_lsn: replica.sentLsn,
    write_lsn: replica.writeLsn,
    flush_lsn: replica.flushLsn,
    replay_lsn: replica.replayLsn,
    flush_lag_ms: replica.flushLagMs,
    replay_lag_ms: replica.replayLagMs,
    lag_bytes: replica.lagBytes,
    sync_state: replica.syncState,
    reply_ago_ms: replica.lastReplyAgoMs,
  }));
}

function receiverRow(status: ReplicationStatus): Record<string, unknown> | null {
  const upstream = status.upstream;
  if (upstream === null) return null;
  return {
    status: upstream.state,
    received_lsn: upstream.receivedLsn,
    flushed_lsn: status.flushLsn,
    replay_lsn: status.replayLsn,
    visible_lsn: status.visibleLsn,
    received_tli: status.term,
    sender_host: upstream.primary.host,
    sender_port: upstream.primary.port,
    primary_id: upstream.primary.id,
    primary_flush_lsn: upstream.primaryFlushLsn,
    lag_bytes: upstream.lagBytes,
    last_msg_ago_ms: upstream.lastMessageAgoMs,
    detail: upstream.detail,
  };
}
