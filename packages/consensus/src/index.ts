/**
 * @keel/consensus: Raft for Keel, as a pure state machine (src/raft) with the adapters that
 * connect it to the world: a durable log store (src/storage), a gRPC transport (src/grpc) and
 * the driver loop that owns timers, disk and network (src/host).
 *
 * The server uses `startRaftNode(config)` and the RaftNodeHandle it returns. The pure core and
 * its types are exported too, for the replication layer's data-position rule and for tests that
 * drive a node directly. See README.md for concepts, invariants and the Input/Output contract.
 */

export type { AppliedAt } from './host/pending-requests.js';
export type {
  AppliedCommand,
  NodeRole,
  PeerInfo,
  RaftNodeHandle,
  RaftNodeMetrics,
  RaftNodeStatus,
  RoleChange,
} from './host/raft-host.js';
export type { PeerAddress, RaftNodeConfig, StateMachineHooks } from './host/raft-node-config.js';
export { startRaftNode } from './host/start-raft-node.js';
export { type LogFields, type Logger, silentLogger } from './logger.js';
export { bootstrapConfig, emptyConfig } from './raft/cluster-config.js';
export { acceptAnyDataPosition, compareTermLsn } from './raft/data-position.js';
export type {
  DataPositionComparator,
  Env,
  Input,
  MembershipChange,
  Output,
  ProposalDropReason,
  RoleName,
} from './raft/io.js';
export type { RaftMessage } from './raft/messages.js';
export {
  type PeerStatus,
  persistedInputFor,
  RaftNode,
  type RaftNodeInit,
  type RaftStatus,
} from './raft/raft-node.js';
export type { RaftOptions } from './raft/raft-state.js';
export {
  type ClusterConfig,
  type DataPosition,
  type Entry,
  type EntryBody,
  type HardState,
  LogIndex,
  type NodeId,
  type Snapshot,
  type SnapshotMeta,
  Term,
} from './raft/types.js';
export { LogStore, type StoredState } from './storage/log-store.js';
