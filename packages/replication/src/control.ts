/**
 * The replication API the server and the failover orchestration (the control half) use: one
 * ReplicationControl per node, returned by `startReplication` (host/replication-node.ts). The
 * control half decides roles (Raft leadership, fencing, switchover); this API carries them out on
 * the data: it promotes, follows, rewinds, re-bootstraps, and reports positions.
 *
 * Contract, in the order a node lives through it:
 *   - After `startReplication` the node is `stopped`: its engine is a read-only hot standby on
 *     whatever WAL it holds, neither serving WAL nor following anyone. `dataPosition()` is valid.
 *   - `startAsPrimary({ term })`: promote (end standby, start WAL term `term` at the replayed end
 *     with an end-of-recovery record) or, when already primary, move to the new term. Resolves
 *     once writes are accepted. Calling it with the term it already serves is a no-op.
 *   - `startAsReplica({ primary })`: follow `primary`. A primary (or fenced primary) is demoted
 *     first: its engine is reopened as a standby, sessions are ended (57P01). In the background
 *     it connects, compares WAL histories, and streams, rewinds (quarantining transactions past
 *     the divergence point) or re-bootstraps from a base backup, as needed. Resolves once the
 *     role is switched (not once connected: `status().upstream` shows progress).
 *   - `stop()`: fence. A primary stops accepting writes (new write transactions fail with 25006;
 *     commits already waiting for the quorum keep waiting), stops serving WAL; a replica stops
 *     following. Data stays as it is.
 *   - `close()`: shutdown (the server calls it before closing the engine).
 * Calls are serialized: each waits for the previous role change to finish.
 * Exports: ReplicationControl, ReplicationStatus, ReplicaProgress, UpstreamStatus, PrimaryAddress,
 * ReplicationRole, WalPosition, SyncWaitStatus, BootstrapProgress.
 */

/** Where a replica finds its primary: the primary's replication gRPC service. */
export interface PrimaryAddress {
  /** The primary's node id (checked in the handshake: a different node there is refused). */
  id: string;
  host: string;
  /** The primary's replication port (its `--replication-port`). */
  port: number;
}

export type ReplicationRole = 'stopped' | 'primary' | 'replica';

/** The vote rule's data position (consensus DataPosition): term and end LSN of the durable WAL. */
export interface WalPosition {
  /** Term of the last durable WAL record. */
  term: number;
  /** End of the durable WAL (bigint, as consensus' DataPosition wants it). */
  lsn: bigint;
}

/** One replica as the primary sees it (pg_stat_replication). LSNs are byte positions. */
export interface ReplicaProgress {
  nodeId: string;
  /** backup: receiving a base backup; catchup: behind; streaming: caught up at least once. */
  state: 'backup' | 'catchup' | 'streaming';
  sentLsn: number;
  writeLsn: number;
  flushLsn: number;
  replayLsn: number;
  /** Primary flush LSN minus the replica's replay LSN. */
  lagBytes: number;
  /** Time from a WAL position being sent to the replica reporting it flushed / replayed (last sample). */
  flushLagMs: number | null;
  replayLagMs: number | null;
  /** 'quorum' when it counts toward --sync-replicas, 'async' otherwise. */
  syncState: 'quorum' | 'async';
  /** Milliseconds since the replica's last message. */
  lastReplyAgoMs: number;
  peer: string;
}

/** The replica's connection to its primary (pg_stat_wal_receiver). */
export interface UpstreamStatus {
  primary: PrimaryAddress;
  state: 'connecting' | 'handshake' | 'backup' | 'rewinding' | 'streaming' | 'waiting';
  /** Why the last connection ended or why it waits (null while streaming). */
  detail: string | null;
  receivedLsn: number;
  /** Primary's flush LSN as last reported. */
  primaryFlushLsn: number;
  lagBytes: number;
  lastMessageAgoMs: number | null;
  /** Times this replica installed a base backup (bootstraps) or rewound, since start. */
  bootstraps: number;
  rewinds: number;
}

/** Commits waiting for the synchronous quorum on the primary. */
export interface SyncWaitStatus {
  /** Commits whose record is written and that wait for N replicas to flush it. */
  commitsWaiting: number;
  /** Transactions waiting before their commit record because too few replicas are streaming. */
  commitsBlocked: number;
  /** Age of the oldest waiting commit, ms (0 when none). */
  oldestWaitMs: number;
}

export interface BootstrapProgress {
  kind: 'full' | 'rewind';
  bytesDone: number;
  bytesTotal: number;
}

export interface ReplicationStatus {
  nodeId: string;
  role: ReplicationRole;
  /** This node's WAL term: the term it writes in as primary, else of its last record. */
  term: number;
  /** Identifies the database a data directory belongs to (a replica of another one re-bootstraps). */
  systemId: string;
  insertLsn: number;
  flushLsn: number;
  replayLsn: number;
  /** Commits up to here are visible to readers on this node. */
  visibleLsn: number;
  /** Whether a write transaction can commit now; `writableReason` says why not (or 'primary'). */
  writable: boolean;
  writableReason: string;
  /** --sync-replicas (0: asynchronous). */
  syncReplicas: number;
  sync: SyncWaitStatus;
  /** The primary's replicas (empty elsewhere). */
  replicas: ReplicaProgress[];
  /** The replica's primary (null elsewhere). */
  upstream: UpstreamStatus | null;
  /** A base backup or rewind being received (null otherwise). */
  bootstrap: BootstrapProgress | null;
  /** The replication gRPC port this node listens on. */
  port: number;
}

export interface ReplicationControl {
  readonly nodeId: string;
  /** The replication gRPC port (resolved when `--replication-port 0`). */
  readonly port: number;
  startAsPrimary(options: { term: number }): Promise<void>;
  startAsReplica(options: { primary: PrimaryAddress }): Promise<void>;
  stop(): Promise<void>;
  status(): ReplicationStatus;
  /** For Raft's vote rule (startRaftNode's `dataPosition`, compared with `compareTermLsn`). */
  dataPosition(): WalPosition;
  /**
   * Resolves once replica `nodeId` has flushed WAL up to `lsn` (default: this primary's flush LSN
   * at the call), for a zero-loss switchover; rejects with 57014 after `timeoutMs` (default 10 s)
   * and with 55000 when this node is not the primary.
   */
  waitForReplicaCatchUp(nodeId: string, lsn?: number, options?: { timeoutMs?: number }): Promise<void>;
  /** Called after every role change and connection state change (cheap; read status() there). */
  onStatusChange(listener: (status: ReplicationStatus) => void): () => void;
  close(): Promise<void>;
}
