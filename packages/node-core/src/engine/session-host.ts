/**
 * What a Session needs from the engine around it. The Engine implements this; keeping it an
 * interface lets the session's protocol logic be read (and tested) apart from storage.
 * Exports: SessionHost, PreparedQueryShape.
 */
import type { Node } from '@pgsql/types';
import type { Row, TableAccess, Value } from '../access/table-access.js';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import type { Oid } from '../catalog/objects.js';
import type { CatalogReader, ExecutionContext, PlanningContext, SequenceAccess } from '../sql/context.js';
import type { ParsedStatement } from '../sql/parse/parser.js';
import type { LockManager } from '../txn/lock-manager.js';
import type { Snapshot } from '../txn/snapshot.js';
import type { IsolationLevel, Transaction } from '../txn/transaction.js';
import type { TransactionManager } from '../txn/transaction-manager.js';
import type { EncodedRow, ResultSink } from './backend-contract.js';
import type { Session } from './session.js';
import type { Settings } from './session-settings.js';
import type { ResultColumn, StatementExecution } from './statement-execution.js';
import type { StatementMetricKind } from './statement-kind.js';

/** The part of a prepared query the session itself looks at. */
export interface PreparedQueryShape {
  paramTypeOids: Oid[];
  columns: ResultColumn[] | null;
}

export interface SessionHost {
  readonly txns: TransactionManager;
  readonly locks: LockManager;
  readonly catalog: CatalogManager;
  readonly tempDir: string;

  nowMicros(): bigint;
  /** Node-wide setting values (max_connections, in_hot_standby, ...). */
  serverSettings(): ReadonlyMap<string, string>;
  /** A hot standby accepts only read-only transactions. */
  readOnlyNode(): boolean;
  /** keel.read_after_lsn: resolves once commits up to `lsn` show on this node (a standby waits for replay). */
  waitForVisibleLsn(lsn: number): Promise<void>;
  isolationFromSetting(value: string): IsolationLevel;

  catalogReader(session: Session, txn: Transaction | null): CatalogReader;
  tableAccess(session: Session, txn: Transaction, snapshot: Snapshot): TableAccess;
  sequenceAccess(session: Session, txn: Transaction): SequenceAccess;

  prepareQuery(
    statement: ParsedStatement,
    context: PlanningContext,
    paramTypeOids: Oid[],
  ): PreparedQueryShape;
  /** Takes the query's table locks, then starts it. */
  executeQuery(
    plan: unknown,
    session: Session,
    txn: Transaction,
    context: ExecutionContext,
  ): Promise<StatementExecution>;
  utilityColumns(node: Node, session: Session): ResultColumn[] | null;
  runUtility(
    statement: ParsedStatement,
    session: Session,
    txn: Transaction,
    context: ExecutionContext,
    sink: ResultSink,
  ): Promise<StatementExecution>;

  decodeParameter(raw: Uint8Array | null, format: 0 | 1, typeOid: Oid, settings: Settings): Value;
  encodeRows(
    rows: Row[],
    columns: ResultColumn[],
    formats: readonly (0 | 1)[],
    settings: Settings,
  ): EncodedRow[];

  transactionEnded(session: Session, txn: Transaction, committed: boolean): void;
  /** A statement finished (metrics). */
  observeStatement(kind: StatementMetricKind, seconds: number, ok: boolean): void;
  /** A writing transaction's COMMIT was acknowledged after `seconds` (metrics). */
  observeCommit(seconds: number): void;
  sessionClosed(session: Session): void;
}
