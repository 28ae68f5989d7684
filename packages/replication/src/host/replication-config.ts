/**
 * Configuration of a node's replication layer, as the server builds it from its flags
 * (--replication-port, --sync-replicas, --sync-timeout, --wal-keep-mb), with the defaults and
 * the reasons for them in README.md.
 * Exports: ReplicationConfig, ResolvedReplicationConfig, resolveReplicationConfig.
 */
import type { Logger } from '../logger.js';
import type { ReplicationStorage } from '../storage-port.js';

export interface ReplicationConfig {
  nodeId: string;
  /** Address the replication gRPC service listens on. */
  listenHost: string;
  /** 0 binds a free port (ReplicationControl.port tells which). */
  port: number;
  storage: ReplicationStorage;
  /** --sync-replicas: commits wait until this many replicas flushed them (0: asynchronous). */
  syncReplicas: number;
  /** --sync-timeout: a commit waiting for a quorum to exist fails after this long (0: never). */
  syncTimeoutMs: number;
  /** --wal-keep-mb, in bytes: WAL held for replicas at most this far behind the flush LSN. */
  walKeepBytes: number;
  logger: Logger;
  /** Driver tick (default 10 ms). */
  tickMs?: number;
  /** A replica silent for this long is disconnected (default 5 s). */
  replicaTimeoutMs?: number;
  /**
   * A failure the node cannot survive (an fsync or redo of received WAL failed): the server
   * stops the process, as PostgreSQL PANICs. Default: rethrow (an uncaught exception).
   */
  onFatal?: (error: Error) => void;
}

export interface ResolvedReplicationConfig extends Required<ReplicationConfig> {}

export function resolveReplicationConfig(config: ReplicationConfig): ResolvedReplicationConfig {
  return {
    tickMs: 10,
    replicaTimeoutMs: 5000,
    onFatal: (error) => {
      throw error;
    },
    ...config,
  };
}
