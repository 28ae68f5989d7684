/**
 * @keel/replication: WAL shipping from the primary to its replicas. The server calls
 * `startReplication(config)` with the node's ReplicationStorage (node-core's engine glue) and
 * drives roles through the ReplicationControl it returns; the failover orchestration (the
 * control half) uses only that interface. See README.md for the contract, the protocol and the
 * invariants.
 */

export type {
  BootstrapProgress,
  PrimaryAddress,
  ReplicaProgress,
  ReplicationControl,
  ReplicationRole,
  ReplicationStatus,
  SyncWaitStatus,
  UpstreamStatus,
  WalPosition,
} from './control.js';
export type { ReplicationConfig } from './host/replication-config.js';
export { startReplication } from './host/replication-node.js';
export { type LogFields, type Logger, silentLogger } from './logger.js';
export type {
  BackupPiece,
  BackupRequest,
  CommitGate,
  DataIdentity,
  InstallOutcome,
  RelationBlocks,
  ReplicationStorage,
  RewindPlan,
  StoragePositions,
  SyncLevel,
  TermStart,
  WalRead,
  XidHorizon,
} from './storage-port.js';
