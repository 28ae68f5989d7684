/**
 * The contract between the wire protocol and the engine is owned by @keel/wire (backend.ts):
 * the engine implements Backend and BackendSession. Re-exported here so engine code imports it
 * from one place.
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
} from '@keel/wire';
