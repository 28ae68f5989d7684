/**
 * The contract between the wire protocol and the database behind it. The wire package speaks
 * PostgreSQL's protocol v3 and knows nothing of SQL; everything it needs from the database is in
 * these interfaces, which node-core's engine implements. Values cross this boundary already
 * encoded (text or binary, as the client asked), so the type system stays in node-core.
 *
 * Invariants the implementation keeps:
 * - Every method that can fail throws a KeelError (from @keel/errors) carrying the SQLSTATE; the
 *   wire layer turns it into an ErrorResponse and never inspects the message.
 * - After an error inside a transaction block, `transactionStatus` is 'E' until ROLLBACK.
 * Exports: Backend, BackendSession, ResultSink, ColumnDescription, StatementDescription, ...
 */

import type { KeelError } from '@keel/errors';

/** A PostgreSQL type OID (int4 is 23, text is 25, ...). */
export type TypeOid = number;

/** One column of a RowDescription message. */
export interface ColumnDescription {
  name: string;
  /** OID of the table the column comes from, or 0. */
  tableOid: number;
  /** Attribute number of the column in that table, or 0. */
  columnAttr: number;
  typeOid: TypeOid;
  /** pg_type.typlen: -1 for variable length. */
  typeSize: number;
  typeModifier: number;
  /** 0 = text, 1 = binary. */
  format: 0 | 1;
}

/** What Describe of a prepared statement reports. `columns` is null for a statement that returns no rows. */
export interface StatementDescription {
  paramTypeOids: TypeOid[];
  /** Column formats are 0 here; the format is fixed only at Bind. */
  columns: ColumnDescription[] | null;
}

/** One encoded row: each value in the column's format, null for SQL NULL. */
export type EncodedRow = (Uint8Array | null)[];

/** A notice or warning for the client (NoticeResponse). */
export interface Notice {
  severity: 'WARNING' | 'NOTICE' | 'INFO' | 'LOG' | 'DEBUG';
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** COPY sub-protocol formats: 0 = text (text and CSV), 1 = binary. */
export interface CopyDescription {
  overallFormat: 0 | 1;
  columnFormats: (0 | 1)[];
}

/**
 * Where statement output goes. The engine calls these in protocol order for each statement:
 * [rowDescription] dataRows* (commandComplete | emptyQuery), or the COPY calls instead of rows.
 * A returned promise means "wait before producing more" (socket back-pressure).
 */
export interface ResultSink {
  /** Simple protocol only: the extended protocol sends RowDescription in answer to Describe. */
  rowDescription(columns: ColumnDescription[]): void;
  dataRows(rows: EncodedRow[]): void | Promise<void>;
  /** The command tag: "SELECT 3", "INSERT 0 1", "BEGIN", ... */
  commandComplete(tag: string): void;
  emptyQuery(): void;
  notice(notice: Notice): void;
  /**
   * COPY FROM STDIN: sends CopyInResponse and yields the CopyData payloads until the client
   * sends CopyDone. If the client sends CopyFail, the iterator throws a KeelError (57014,
   * "COPY from stdin failed: <client message>").
   */
  copyIn(description: CopyDescription): AsyncIterable<Uint8Array>;
  /** COPY TO STDOUT: sends CopyOutResponse; then copyData* and copyDone. */
  copyOut(description: CopyDescription): void;
  copyData(chunk: Uint8Array): void | Promise<void>;
  copyDone(): void;
}

/** The outcome of Execute: the portal ran to completion, or stopped at the row limit. */
export type ExecuteOutcome = 'complete' | 'suspended';

/** I idle, T in a transaction block, E in a failed transaction block (ReadyForQuery). */
export type TransactionStatus = 'I' | 'T' | 'E';

/** One client session inside the database. Not re-entrant: the wire layer awaits each call. */
export interface BackendSession {
  readonly transactionStatus: TransactionStatus;

  /** Query message: one or more statements, run as PostgreSQL does (one implicit transaction). */
  simpleQuery(sql: string, sink: ResultSink): Promise<void>;

  /** Parse: '' is the unnamed statement, which replaces any previous one. */
  parse(statementName: string, sql: string, paramTypeOids: TypeOid[]): StatementDescription;
  /** Bind: `params` in `paramFormats` (0 text, 1 binary; one entry applies to all; none means text). */
  bind(
    portalName: string,
    statementName: string,
    params: (Uint8Array | null)[],
    paramFormats: number[],
    resultFormats: number[],
  ): void;
  describeStatement(statementName: string): StatementDescription;
  /** RowDescription of a bound portal (with the result formats of Bind), or null for NoData. */
  describePortal(portalName: string): ColumnDescription[] | null;
  /** Execute: at most `maxRows` rows (0 = all). Output goes to the sink, without rowDescription. */
  execute(portalName: string, maxRows: number, sink: ResultSink): Promise<ExecuteOutcome>;
  closeStatement(statementName: string): void;
  closePortal(portalName: string): void;
  /** Sync: ends the implicit transaction of the extended protocol (commit, or rollback after an error). */
  sync(): Promise<void>;
  /**
   * Marks the error state the wire layer saw in the extended protocol so that Sync rolls back
   * an implicit transaction. Called once per ErrorResponse sent before Sync.
   */
  errorBeforeSync(): void;

  /** ParameterStatus values changed since the last call (SET TimeZone ...), to send before ReadyForQuery. */
  takeParameterChanges(): [name: string, value: string][];
  /** NotificationResponse payloads (LISTEN/NOTIFY) waiting for this session. */
  takeNotifications(): { processId: number; channel: string; payload: string }[];
  /** Set by the engine when notifications arrive while idle, so the wire layer can flush them. */
  onNotification(listener: () => void): void;

  /**
   * Optional: registers who ends the connection when the engine ends the session by itself
   * (idle_in_transaction_session_timeout, idle_session_timeout, pg_terminate_backend of an idle
   * session). The wire layer sends `error` as a FATAL ErrorResponse and closes the connection:
   * at once while the session waits for its client, after the current message otherwise.
   */
  onTerminate?(listener: (error: KeelError) => void): void;

  /** CancelRequest for this session: the running statement fails with 57014. */
  cancel(): void;
  /** The connection ended (Terminate or socket closed): roll back and release everything. */
  close(): Promise<void>;
}

/** Stored credentials of a role, for authentication. */
export interface RoleCredentials {
  /** SCRAM-SHA-256 verifier in PostgreSQL's format: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>. */
  scramVerifier: string | null;
  /** md5 hash in PostgreSQL's format: 'md5' + md5(password + username). */
  md5Hash: string | null;
  canLogin: boolean;
}

export interface SessionStartup {
  user: string;
  database: string;
  /** Every StartupMessage parameter, including application_name and options. */
  parameters: ReadonlyMap<string, string>;
  processId: number;
  remoteAddress: string;
}

/** The database as the wire layer sees it. */
export interface Backend {
  /** null when the role does not exist (the client still gets 28P01, never "no such role"). */
  lookupRole(user: string): RoleCredentials | null;
  /**
   * Starts a session after authentication. Throws 3D000 for a database that does not exist.
   * Returns the ParameterStatus values to send (server_version, TimeZone, ...).
   */
  startSession(startup: SessionStartup): { session: BackendSession; parameters: [string, string][] };
}
