/**
 * @keel/node-core: the single-node database. The server opens an Engine on a data directory
 * and hands it to the wire protocol listener as its Backend; everything else (SQL, transactions,
 * storage, WAL) is internal.
 */

export type {
  Backend,
  BackendSession,
  ColumnDescription,
  CopyDescription,
  EncodedRow,
  ExecuteOutcome,
  Notice,
  ResultSink,
  RoleCredentials,
  SessionStartup,
  StatementDescription,
  TransactionStatus,
  TypeOid,
} from './engine/backend-contract.js';
export {
  Engine,
  type EngineLogger,
  type EngineObserver,
  type EngineOptions,
  type EngineStats,
} from './engine/engine.js';
export type { ReplicationViewSource } from './engine/replica/engine-replication.js';
export { formatQuarantine, readQuarantine } from './engine/replica/quarantine.js';
export { ReplicatedEngine, type ReplicatedEngineOptions } from './engine/replica/replicated-engine.js';
export type { EngineReplicationStorage } from './engine/replica/replication-storage.js';
