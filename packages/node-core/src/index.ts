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
export { Engine, type EngineLogger, type EngineOptions } from './engine/engine.js';
