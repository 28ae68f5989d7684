/**
 * A client session inside the engine: the BackendSession the wire protocol drives. Each message
 * runs one straight pipeline, as the seed's SELECT and INSERT paths draw it:
 *   parse (libpg-query) -> bind/plan/optimize (src/sql) -> take locks and a snapshot ->
 *   execute in batches -> encode rows -> commit or keep the transaction open.
 * The session owns its transaction block, settings, named statements and portals, and the
 * interrupt state that CancelRequest, statement_timeout and lock waits share.
 * Between client messages it runs idle_in_transaction_session_timeout and idle_session_timeout
 * (session-timeouts.ts); when one expires the session is terminated: its transaction rolls back
 * at once, every later message fails with the FATAL error, and the listener registered with
 * onTerminate (the wire layer's connection) is told to close the connection now.
 * Exports: Session, SessionOptions.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import type { Row, TableAccess, Value } from '../access/table-access.js';
import type { Oid } from '../catalog/objects.js';
import type { ExecutionContext, PlanningContext } from '../sql/context.js';
import { type ParsedStatement, parseSql } from '../sql/parse/parser.js';
import type { Snapshot } from '../txn/snapshot.js';
import type { Transaction } from '../txn/transaction.js';
import type {
  BackendSession,
  ColumnDescription,
  ResultSink,
  StatementDescription,
} from './backend-contract.js';
import { describeColumns } from './result-encoding.js';
import type { SessionHost } from './session-host.js';
import { Settings } from './session-settings.js';
import { IdleTimeouts } from './session-timeouts.js';
import { durationMs } from './setting-specs.js';
import type { ResultColumn, StatementExecution } from './statement-execution.js';
import { classifyStatement, forbiddenInBlock, nodeType, statementMetricKind } from './statement-kind.js';
import { readOnlyViolation, TransactionBlock } from './transaction-block.js';
import { runTransactionStatement } from './transaction-statement.js';

/** Statement texts whose plans are never shared (see Session.clientPlanningContext). */
const UNCACHEABLE_TEXT = /\bpg_|information_schema|\bcurrent\s+of\b/i;

export interface SessionOptions {
  pid: number;
  user: string;
  userOid: Oid;
  databaseOid: Oid;
  databaseName: string;
  superuser: boolean;
  startupParameters: ReadonlyMap<string, string>;
}

/** A statement after Parse: what it is, its parameter types and result shape. */
interface PreparedEntry {
  statement: ParsedStatement | null;
  kind: 'empty' | 'transaction' | 'query' | 'utility';
  paramTypeOids: Oid[];
  columns: ResultColumn[] | null;
  /** Catalog version the plan was made against; a newer catalog re-plans at Bind. */
  catalogVersion: number;
  plan: unknown;
}

interface Portal {
  entry: PreparedEntry;
  params: Value[];
  resultFormats: (0 | 1)[];
  execution: StatementExecution | null;
  /** The transaction the portal runs in: a portal dies with its transaction. */
  txn: Transaction;
}

const CANCELED_BY_USER = () =>
  new KeelError(SqlState.QueryCanceled, 'canceling statement due to user request');
const CANCELED_BY_TIMEOUT = () =>
  new KeelError(SqlState.QueryCanceled, 'canceling statement due to statement timeout');

export class Session implements BackendSession {
  readonly settings: Settings;
  readonly block: TransactionBlock;
  private readonly statements = new Map<string, PreparedEntry>();
  private readonly portals = new Map<string, Portal>();
  private interrupt: KeelError | null = null;
  private statementTimer: unknown = null;
  private extendedErrorPending = false;
  private notificationListener: (() => void) | null = null;
  private readonly notifications: { processId: number; channel: string; payload: string }[] = [];
  private readonly idleTimeouts = new IdleTimeouts((error) => this.terminate(error));
  /** Set once the session was terminated (idle timeouts): every later message fails with it. */
  private terminated: KeelError | null = null;
  private terminateListener: ((error: KeelError) => void) | null = null;
  /** A SERIALIZABLE READ ONLY DEFERRABLE statement waits for a safe snapshot (pg_stat_activity). */
  waitingForSafeSnapshot = false;
  /** A commit waits for the synchronous replication quorum (pg_stat_activity: IPC/SyncRep). */
  waitingForSyncRep = false;
  /** pg_stat_activity.backend_start. */
  readonly startedAt = new Date();
  /** What pg_stat_activity shows. */
  activity: {
    state: 'idle' | 'active' | 'idle in transaction' | 'idle in transaction (aborted)';
    query: string;
    since: Date;
  } = {
    state: 'idle',
    query: '',
    since: new Date(),
  };

  constructor(
    readonly host: SessionHost,
    readonly options: SessionOptions,
  ) {
    this.settings = new Settings(options.startupParameters, host.serverSettings());
    this.settings.setInternal('is_superuser', options.superuser ? 'on' : 'off');
    this.settings.setInternal('session_authorization', options.user);
    this.block = new TransactionBlock(
      host.txns,
      options.pid,
      {
        begun: () => this.settings.beginTransaction(),
        ended: (txn, committed) => {
          this.settings.endTransaction(committed);
          this.closePortalsOf(txn);
          host.transactionEnded(this, txn, committed);
        },
        savepointCreated: () => this.settings.savepoint(),
        savepointRolledBack: (_txn, depth) => this.settings.rollbackToSavepoint(depth),
        savepointReleased: (_txn, depth) => this.settings.releaseSavepoint(depth),
      },
      () => host.nowMicros(),
      () => this.transactionDefaults(),
    );
  }

  get transactionStatus(): 'I' | 'T' | 'E' {
    return this.block.status;
  }

  get pid(): number {
    return this.options.pid;
  }

  // ---- simple query protocol ------------------------------------------------------------

  async simpleQuery(sql: string, sink: ResultSink): Promise<void> {
    this.enterMessage();
    this.beginActivity(sql);
    try {
      const statements = this.parseOrFail(sql);
      if (statements.length === 0) {
        sink.emptyQuery();
        return;
      }
      for (const statement of statements) {
        const entry = this.prepareEntry(statement, []);
        const portal = this.makePortal(entry, [], []);
        await this.runPortal(portal, 0, sink, { describe: true, multiStatement: statements.length > 1 });
      }
      await this.commitImplicit();
    } catch (error) {
      this.block.fail();
      throw error;
    } finally {
      this.endActivity();
      this.leaveMessage();
    }
  }

  // ---- extended query protocol ----------------------------------------------------------

  parse(statementName: string, sql: string, paramTypeOids: Oid[]): StatementDescription {
    this.enterMessage();
    try {
      if (statementName !== '' && this.statements.has(statementName)) {
        throw new KeelError(
          SqlState.DuplicatePreparedStatement,
          `prepared statement "${statementName}" already exists`,
        );
      }
      const statements = this.parseOrFail(sql);
      if (statements.length > 1) {
        throw new KeelError(
          SqlState.SyntaxError,
          'cannot insert multiple commands into a prepared statement',
        );
      }
      const entry = this.prepareEntry(statements[0] ?? null, paramTypeOids);
      this.statements.set(statementName, entry);
      return this.describeEntry(entry);
    } catch (error) {
      this.failExtended();
      throw error;
    } finally {
      this.leaveMessage();
    }
  }

  bind(
    portalName: string,
    statementName: string,
    params: (Uint8Array | null)[],
    paramFormats: number[],
    resultFormats: number[],
  ): void {
    this.enterMessage();
    try {
      let entry = this.statements.get(statementName);
      if (entry === undefined) {
        throw new KeelError(
          SqlState.InvalidSqlStatementName,
          `prepared statement "${statementName}" does not exist`,
        );
      }
      if (portalName !== '' && this.portals.has(portalName)) {
        throw new KeelError(SqlState.DuplicateCursor, `portal "${portalName}" already exists`);
      }
      if (params.length !== entry.paramTypeOids.length) {
        throw new KeelError(
          SqlState.ProtocolViolation,
          `bind message supplies ${params.length} parameters, but prepared statement "${statementName}" requires ${entry.paramTypeOids.length}`,
        );
      }
      if (entry.kind !== 'transaction') this.block.current();
      entry = this.replanIfStale(statementName, entry);
      const values = params.map((raw, i) =>
        this.host.decodeParameter(
          raw,
          formatAt(paramFormats, i),
          entry.paramTypeOids[i] ?? 25,
          this.settings,
        ),
      );
      const formats = entry.columns?.map((_c, i) => formatAt(resultFormats, i)) ?? [];
      this.portals.set(portalName, this.makePortal(entry, values, formats));
    } catch (error) {
      this.failExtended();
      throw error;
    } finally {
      this.leaveMessage();
    }
  }

  describeStatement(statementName: string): StatementDescription {
    const entry = this.statements.get(statementName);
    if (entry === undefined) {
      this.failExtended();
      throw new KeelError(
        SqlState.InvalidSqlStatementName,
        `prepared statement "${statementName}" does not exist`,
      );
    }
    return this.describeEntry(entry);
  }

  describePortal(portalName: string): ColumnDescription[] | null {
    const portal = this.portals.get(portalName);
    if (portal === undefined) {
      this.failExtended();
      throw new KeelError(SqlState.InvalidCursorName, `portal "${portalName}" does not exist`);
    }
    return portal.entry.columns === null ? null : describeColumns(portal.entry.columns, portal.resultFormats);
  }

  async execute(portalName: string, maxRows: number, sink: ResultSink): Promise<'complete' | 'suspended'> {
    this.enterMessage();
    const portal = this.portals.get(portalName);
    try {
      if (portal === undefined)
        throw new KeelError(SqlState.InvalidCursorName, `portal "${portalName}" does not exist`);
      this.beginActivity(portal.entry.statement?.text ?? '');
      const outcome = await this.runPortal(portal, maxRows, sink, { describe: false, multiStatement: false });
      if (outcome === 'complete' && portalName === '') this.portals.delete('');
      return outcome;
    } catch (error) {
      this.failExtended();
      throw error;
    } finally {
      this.endActivity();
      this.leaveMessage();
    }
  }

  closeStatement(statementName: string): void {
    this.statements.delete(statementName);
  }

  closePortal(portalName: string): void {
    this.portals.delete(portalName);
  }

  async sync(): Promise<void> {
    this.enterMessage();
    const hadError = this.extendedErrorPending;
    this.extendedErrorPending = false;
    try {
      if (hadError) {
        if (this.block.state === 'implicit') this.block.fail();
        return;
      }
      await this.commitImplicit();
    } catch (error) {
      this.block.fail();
      throw error;
    } finally {
      this.leaveMessage();
    }
  }

  errorBeforeSync(): void {
    this.extendedErrorPending = true;
  }

  // ---- session state ------------------------------------------------------------------

  takeParameterChanges(): [string, string][] {
    return this.settings.takeReportedChanges();
  }

  takeNotifications(): { processId: number; channel: string; payload: string }[] {
    return this.notifications.splice(0);
  }

  onNotification(listener: () => void): void {
    this.notificationListener = listener;
  }

  /** Called by the engine when a NOTIFY this session listens to commits. */
  deliverNotification(notification: { processId: number; channel: string; payload: string }): void {
    this.notifications.push(notification);
    this.notificationListener?.();
  }

  cancel(): void {
    this.raiseInterrupt(CANCELED_BY_USER());
  }

  /**
   * Registers who closes the connection when the engine ends the session by itself (idle
   * timeouts): the listener gets the FATAL error to send before closing.
   */
  onTerminate(listener: (error: KeelError) => void): void {
    this.terminateListener = listener;
  }

  /** True while a statement of this session runs (pg_stat_activity's 'active'). */
  get isRunningStatement(): boolean {
    return this.activity.state === 'active';
  }

  /** pg_terminate_backend and shutdown: the running statement fails with this error. */
  raiseInterrupt(error: KeelError): void {
    if (this.activity.state !== 'active') return;
    this.interrupt = error;
    const txn = this.block.txn;
    if (txn !== null) {
      this.host.locks.cancelWait(txn, error);
      this.host.txns.interruptSafeSnapshotWait(txn);
    }
  }

  /** Ends the session from the engine's side: rollback now, then the connection must close. */
  terminate(error: KeelError): void {
    if (this.terminated !== null) return;
    this.terminated = error;
    this.idleTimeouts.disarm();
    this.block.close();
    this.terminateListener?.(error);
  }

  async close(): Promise<void> {
    this.idleTimeouts.disarm();
    this.portals.clear();
    this.statements.clear();
    this.block.close();
    this.host.sessionClosed(this);
  }

  // ---- helpers used by utility statements ----------------------------------------------

  planningContext(txn: Transaction | null): PlanningContext {
    return {
      catalog: this.host.catalogReader(this, txn),
      settings: this.settings,
      currentUser: this.options.user,
      sessionUser: this.options.user,
    };
  }

  /**
   * The planning context of a client's statement, with the catalog version that lets the plan
   * cache share its plan. Not shared: plans made while the transaction sees its own uncommitted
   * DDL (a catalog no other session has), and statements that may bind session state or rows
   * computed at planning: the system catalogs and views, cursors (WHERE CURRENT OF). Internal
   * statements (COPY's INSERT reads the session's copy source) use planningContext and are
   * never cached.
   */
  private clientPlanningContext(statement: ParsedStatement, txn: Transaction | null): PlanningContext {
    const context = this.planningContext(txn);
    const privateCatalog = txn !== null && this.host.catalog.hasPendingChanges(txn);
    if (privateCatalog || UNCACHEABLE_TEXT.test(statement.text)) return context;
    return { ...context, catalogVersion: this.host.catalog.version, database: this.options.databaseName };
  }

  /**
   * Runs a query inside `txn` as part of the current statement (DDL validation and rewrites):
   * same transaction, a snapshot that sees the transaction's earlier commands.
   */
  async runInternal(sql: string, txn: Transaction): Promise<Row[]> {
    const [statement] = parseSql(sql);
    assert(statement !== undefined && parseSql(sql).length === 1, 'internal query must be one statement');
    const prepared = this.host.prepareQuery(statement, this.planningContext(txn), []);
    const sink = silentSink();
    const execution = await this.host.executeQuery(prepared, this, txn, this.executionContext(txn, [], sink));
    return execution.fetch(0);
  }

  /** Runs a utility statement (generated DDL) inside `txn`; its notices go to `sink`. */
  async runInternalUtility(sql: string, txn: Transaction, sink: ResultSink): Promise<string> {
    const [statement] = parseSql(sql);
    assert(statement !== undefined, 'internal utility statement');
    const execution = await this.host.runUtility(
      statement,
      this,
      txn,
      this.executionContext(txn, [], sink),
      sink,
    );
    await execution.fetch(0);
    return execution.commandTag();
  }

  /** Runs a DML statement inside `txn`; returns its command tag ("INSERT 0 5"). */
  async runInternalCommand(sql: string, txn: Transaction): Promise<string> {
    const [statement] = parseSql(sql);
    assert(statement !== undefined, 'internal command');
    const prepared = this.host.prepareQuery(statement, this.planningContext(txn), []);
    const execution = await this.host.executeQuery(
      prepared,
      this,
      txn,
      this.executionContext(txn, [], silentSink()),
    );
    await execution.fetch(0);
    return execution.commandTag();
  }

  /** An execution context for engine-internal work (ANALYZE) inside `txn`. */
  internalExecutionContext(txn: Transaction): ExecutionContext {
    return this.executionContext(txn, [], silentSink());
  }

  /** Throws the pending interrupt (cancel, statement timeout, termination), if any. */
  checkInterrupts(): void {
    const interrupt = this.interrupt;
    if (interrupt !== null) {
      this.interrupt = null;
      throw interrupt;
    }
  }

  // ---- internals ------------------------------------------------------------------------

  private parseOrFail(sql: string): ParsedStatement[] {
    return parseSql(sql);
  }

  private prepareEntry(statement: ParsedStatement | null, paramTypeOids: Oid[]): PreparedEntry {
    const version = this.host.catalog.version;
    if (statement === null) {
      return {
        statement,
        kind: 'empty',
        paramTypeOids: [],
        columns: null,
        catalogVersion: version,
        plan: null,
      };
    }
    const kind = classifyStatement(statement.node);
    if (kind === 'transaction') {
      return { statement, kind, paramTypeOids: [], columns: null, catalogVersion: version, plan: null };
    }
    if (kind === 'utility') {
      const columns = this.host.utilityColumns(statement.node, this);
      return {
        statement,
        kind,
        paramTypeOids: [...paramTypeOids],
        columns,
        catalogVersion: version,
        plan: null,
      };
    }
    // Planning reads the catalog as the current transaction sees it (its own DDL included).
    const prepared = this.host.prepareQuery(
      statement,
      this.clientPlanningContext(statement, this.block.txn),
      paramTypeOids,
    );
    return {
      statement,
      kind,
      paramTypeOids: prepared.paramTypeOids,
      columns: prepared.columns,
      catalogVersion: version,
      plan: prepared,
    };
  }

  private replanIfStale(name: string, entry: PreparedEntry): PreparedEntry {
    if (entry.kind !== 'query' || entry.catalogVersion === this.host.catalog.version) return entry;
    const fresh = this.prepareEntry(entry.statement, entry.paramTypeOids);
    const sameShape =
      JSON.stringify(fresh.columns?.map((c) => c.typeOid)) ===
      JSON.stringify(entry.columns?.map((c) => c.typeOid));
    if (!sameShape)
      throw new KeelError(SqlState.FeatureNotSupported, 'cached plan must not change result type');
    this.statements.set(name, fresh);
    return fresh;
  }

  private describeEntry(entry: PreparedEntry): StatementDescription {
    return {
      paramTypeOids: entry.paramTypeOids,
      columns: entry.columns === null ? null : describeColumns(entry.columns, []),
    };
  }

  private makePortal(entry: PreparedEntry, params: Value[], resultFormats: (0 | 1)[]): Portal {
    const txn =
      entry.kind === 'transaction' || entry.kind === 'empty' ? this.block.txn : this.block.current();
    return { entry, params, resultFormats, execution: null, txn: txn ?? this.block.current() };
  }

  private async runPortal(
    portal: Portal,
    maxRows: number,
    sink: ResultSink,
    options: { describe: boolean; multiStatement: boolean },
  ): Promise<'complete' | 'suspended'> {
    const started = performance.now();
    const kind =
      portal.entry.statement === null ? 'utility' : statementMetricKind(portal.entry.statement.node);
    try {
      const outcome = await this.runPortalTimed(portal, maxRows, sink, options);
      if (outcome === 'complete')
        this.host.observeStatement(kind, (performance.now() - started) / 1000, true);
      return outcome;
    } catch (error) {
      this.host.observeStatement(kind, (performance.now() - started) / 1000, false);
      throw error;
    }
  }

  private async runPortalTimed(
    portal: Portal,
    maxRows: number,
    sink: ResultSink,
    options: { describe: boolean; multiStatement: boolean },
  ): Promise<'complete' | 'suspended'> {
    const { entry } = portal;
    if (entry.kind === 'empty' || entry.statement === null) {
      sink.emptyQuery();
      return 'complete';
    }
    if (entry.kind === 'transaction') {
      const tag = await runTransactionStatement(entry.statement.node, this, sink, options.multiStatement);
      sink.commandComplete(tag);
      return 'complete';
    }
    if (portal.execution === null) {
      if (
        forbiddenInBlock(entry.statement.node) &&
        (this.block.state === 'block' || options.multiStatement)
      ) {
        throw new KeelError(
          SqlState.ActiveSqlTransaction,
          `${commandLabel(entry.statement.node)} cannot run inside a transaction block`,
        );
      }
      portal.execution = await this.startExecution(portal, sink);
      if (options.describe && entry.columns !== null)
        sink.rowDescription(describeColumns(entry.columns, portal.resultFormats));
    }
    return this.drain(portal, maxRows, sink);
  }

  private async startExecution(portal: Portal, sink: ResultSink): Promise<StatementExecution> {
    const { entry, txn } = portal;
    assert(entry.statement !== null, 'executing an empty statement');
    this.armStatementTimeout();
    if (entry.kind === 'query' && needsSafeSnapshot(txn)) {
      this.waitingForSafeSnapshot = true;
      try {
        await this.host.txns.awaitSafeSnapshot(txn, () => this.takeInterrupt());
      } finally {
        this.waitingForSafeSnapshot = false;
      }
    }
    if (entry.kind === 'query' && txn.options.readOnly && !planIsReadOnly(entry.plan)) {
      throw readOnlyViolation(entry.statement.node);
    }
    if (entry.kind === 'query') await this.waitForReadAfterLsn();
    const context = this.executionContext(txn, portal.params, sink, entry.kind === 'query');
    if (entry.kind === 'utility') {
      return this.host.runUtility(entry.statement, this, txn, context, sink);
    }
    return this.host.executeQuery(entry.plan, this, txn, context);
  }

  private async drain(portal: Portal, maxRows: number, sink: ResultSink): Promise<'complete' | 'suspended'> {
    const execution = portal.execution;
    assert(execution !== null, 'draining a portal that did not start');
    const columns = portal.entry.columns;
    let remaining = maxRows;
    while (!execution.done) {
      this.checkInterrupts();
      const rows: Row[] = await execution.fetch(maxRows === 0 ? 1024 : Math.min(remaining, 1024));
      if (rows.length > 0 && columns !== null) {
        await sink.dataRows(this.host.encodeRows(rows, columns, portal.resultFormats, this.settings));
      }
      if (maxRows > 0) {
        remaining -= rows.length;
        if (remaining <= 0 && !execution.done) return 'suspended';
      }
    }
    this.finishStatement(portal.txn);
    sink.commandComplete(execution.commandTag());
    return 'complete';
  }

  /**
   * keel.read_after_lsn = 'X/Y' (an LSN the client got from the primary, e.g. pg_current_wal_lsn()
   * after its commit): a query waits until this node shows every commit up to it, so a replica
   * reads the client's own writes. Cancel and statement_timeout end the wait.
   */
  private async waitForReadAfterLsn(): Promise<void> {
    const raw = this.settings.get('keel.read_after_lsn');
    if (raw === undefined || raw.trim() === '' || raw.trim() === '0') return;
    const lsn = parseLsn(raw);
    const wait = this.host.waitForVisibleLsn(lsn);
    for (;;) {
      const interrupt = this.takeInterrupt();
      if (interrupt !== null) throw interrupt;
      const done = await Promise.race([
        wait.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 20)),
      ]);
      if (done) return;
    }
  }

  /** The statement is over: later statements of the transaction see what it wrote. */
  private finishStatement(txn: Transaction): void {
    this.disarmStatementTimeout();
    if (txn.commandWrote) {
      txn.cid++;
      txn.commandWrote = false;
    }
  }

  /** The snapshot a statement of `txn` reads with: a fresh one under READ COMMITTED. */
  statementSnapshot(txn: Transaction): Snapshot {
    if (!txn.usesTransactionSnapshot) return this.host.txns.takeSnapshot(txn);
    txn.transactionSnapshot ??= this.host.txns.takeSnapshot(txn);
    return this.host.txns.advanceSnapshot(txn.transactionSnapshot, txn);
  }

  private executionContext(
    txn: Transaction,
    params: Value[],
    sink: ResultSink,
    query = false,
  ): ExecutionContext {
    const statementTimestamp = this.host.nowMicros();
    // When the snapshot is taken, as in PostgreSQL: a query under REPEATABLE READ or SERIALIZABLE
    // takes the transaction snapshot now, before its table locks; under READ COMMITTED the
    // statement snapshot comes after them, when the statement first reads (so it sees what a
    // lock holder it waited for committed), but the query still counts as the first snapshot for
    // SET TRANSACTION. Utility statements take one only if they touch a table (SET, SHOW and
    // LOCK take none).
    let access: TableAccess | null = null;
    if (query && txn.usesTransactionSnapshot)
      access = this.host.tableAccess(this, txn, this.statementSnapshot(txn));
    else if (query) txn.firstSnapshotTaken = true;
    const tableAccess = (): TableAccess => {
      access ??= this.host.tableAccess(this, txn, this.statementSnapshot(txn));
      return access;
    };
    return {
      ...this.planningContext(txn),
      get access() {
        return tableAccess();
      },
      sequences: this.host.sequenceAccess(this, txn),
      params,
      statementTimestamp,
      transactionTimestamp: txn.startTimestamp,
      checkInterrupts: () => this.checkInterrupts(),
      yieldToOthers: () => new Promise<void>((resolve) => setImmediate(resolve)),
      notice: (severity, message, sqlstate = '00000') => sink.notice({ severity, message, sqlstate }),
      backendPid: this.options.pid,
      tempDir: this.host.tempDir,
    };
  }

  private armStatementTimeout(): void {
    this.disarmStatementTimeout();
    this.interrupt = null;
    const ms = durationMs(this.settings.value('statement_timeout'));
    if (ms > 0) this.statementTimer = setTimeout(() => this.raiseInterrupt(CANCELED_BY_TIMEOUT()), ms);
  }

  private disarmStatementTimeout(): void {
    if (this.statementTimer !== null) clearTimeout(this.statementTimer as NodeJS.Timeout);
    this.statementTimer = null;
  }

  private failExtended(): void {
    this.disarmStatementTimeout();
    this.block.fail();
  }

  private closePortalsOf(txn: Transaction): void {
    for (const [name, portal] of this.portals) if (portal.txn === txn) this.portals.delete(name);
  }

  private transactionDefaults() {
    return {
      isolation: this.host.isolationFromSetting(this.settings.value('default_transaction_isolation')),
      readOnly: this.settings.value('default_transaction_read_only') === 'on' || this.host.readOnlyNode(),
      deferrable: this.settings.value('default_transaction_deferrable') === 'on',
    };
  }

  /** Ends an implicit transaction with a commit, timing it for the commit latency metric. */
  private async commitImplicit(): Promise<void> {
    const writing = (this.block.txn?.committableXids.length ?? 0) > 0;
    const started = performance.now();
    await this.block.finishImplicit(this.synchronousCommit());
    if (writing) this.host.observeCommit((performance.now() - started) / 1000);
  }

  private synchronousCommit(): boolean {
    return this.settings.value('synchronous_commit') !== 'off';
  }

  /** Every client message starts here: idle timeouts stop; a terminated session refuses. */
  private enterMessage(): void {
    this.idleTimeouts.disarm();
    if (this.terminated !== null) throw this.terminated;
  }

  /** The session waits for its client again. */
  private leaveMessage(): void {
    if (this.terminated === null) this.idleTimeouts.arm(this.block.state, this.settings);
  }

  /** The pending interrupt, cleared (for waits that report it themselves). */
  private takeInterrupt(): KeelError | null {
    const interrupt = this.interrupt;
    this.interrupt = null;
    return interrupt;
  }

  private beginActivity(query: string): void {
    this.interrupt = null;
    this.activity = { state: 'active', query, since: new Date() };
  }

  private endActivity(): void {
    this.disarmStatementTimeout();
    const state = this.block.state;
    this.activity = {
      state:
        state === 'block'
          ? 'idle in transaction'
          : state === 'failed'
            ? 'idle in transaction (aborted)'
            : 'idle',
      query: this.activity.query,
      since: new Date(),
    };
  }
}

/** PostgreSQL's pg_lsn text ('16/B374D848'), or a plain byte position. */
function parseLsn(text: string): number {
  const match = /^\s*([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})\s*$/.exec(text);
  const lsn =
    match === null
      ? Number(text.trim())
      : Number.parseInt(match[1] ?? '0', 16) * 2 ** 32 + Number.parseInt(match[2] ?? '0', 16);
  if (!Number.isSafeInteger(lsn) || lsn < 0) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `invalid value for parameter "keel.read_after_lsn": "${text}"`,
    );
  }
  return lsn;
}

/** Whether a prepared query only reads (the SQL layer's verdict). */
function planIsReadOnly(plan: unknown): boolean {
  return typeof plan === 'object' && plan !== null && 'readOnly' in plan && plan.readOnly === true;
}

/** SERIALIZABLE READ ONLY DEFERRABLE before its snapshot: the first query waits for a safe one. */
function needsSafeSnapshot(txn: Transaction): boolean {
  return (
    txn.isolation === 'serializable' &&
    txn.options.readOnly &&
    txn.options.deferrable &&
    !txn.firstSnapshotTaken
  );
}

/** A sink for internal statements, which never talk to the client. */
function silentSink(): ResultSink {
  return {
    rowDescription: () => {},
    dataRows: () => {},
    commandComplete: () => {},
    emptyQuery: () => {},
    notice: () => {},
    copyIn: () => {
      throw new KeelError(SqlState.FeatureNotSupported, 'COPY inside an internal statement');
    },
    copyOut: () => {},
    copyData: () => {},
    copyDone: () => {},
  };
}

function formatAt(formats: readonly number[], index: number): 0 | 1 {
  const format = formats.length === 1 ? formats[0] : formats[index];
  return format === 1 ? 1 : 0;
}

function commandLabel(node: Node): string {
  const type = nodeType(node);
  if (type === 'VacuumStmt') return 'VACUUM';
  if (type === 'CreatedbStmt') return 'CREATE DATABASE';
  if (type === 'DropdbStmt') return 'DROP DATABASE';
  return type.replace(/Stmt$/, '').toUpperCase();
}
