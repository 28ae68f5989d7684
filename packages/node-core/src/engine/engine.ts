/**
 * The engine: one node's database. `Engine.open` loads the SQL parser, opens the storage
 * engine (which runs crash recovery, replaying WAL into pages and, through redo handlers, into
 * the commit log and sequences), initializes an empty data directory (superuser, databases
 * `postgres` and `keel`), and loads the catalogs. Sessions are created per client connection.
 *
 * The engine is the wire protocol's Backend (lookupRole, startSession) and every session's
 * SessionHost: it hands each statement its catalog view, table access and sequences, runs
 * utility statements, and applies the effects of transaction ends (catalog changes, storage
 * created or dropped by DDL, NOTIFY).
 * Exports: Engine, EngineOptions, EngineLogger.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import { HeapTableAccess } from '../access/heap-table-access.js';
import type { Row, TableAccess, Value } from '../access/table-access.js';
import { TableActivity } from '../access/table-activity.js';
import { CatalogManager, type CatalogScope } from '../catalog/catalog-manager.js';
import type { IndexRelation, Oid, SequenceRelation, TableRelation } from '../catalog/objects.js';
import type { ExecutionContext, PlanningContext, SequenceAccess } from '../sql/context.js';
import { loadParser, type ParsedStatement } from '../sql/parse/parser.js';
import { PlanCache } from '../sql/plan-cache.js';
import { formatType } from '../sql/types/type-registry.js';
import {
  type EvictionPolicyName,
  type FaultPoints,
  faultPointsFromEnv,
  type RelFileId,
  StorageEngine,
} from '../storage/index.js';
import { CommitLog } from '../txn/commit-log.js';
import { LockManager } from '../txn/lock-manager.js';
import type { Snapshot } from '../txn/snapshot.js';
import type { IsolationLevel, Transaction } from '../txn/transaction.js';
import { decodeXactRecord, TransactionManager } from '../txn/transaction-manager.js';
import type { Xid } from '../txn/xid.js';
import {
  Autovacuum,
  type AutovacuumSettings,
  autovacuumSettingsFrom,
  autovacuumShowValues,
} from './autovacuum.js';
import type { Backend, EncodedRow, ResultSink, RoleCredentials, SessionStartup } from './backend-contract.js';
import { bootstrapCluster } from './bootstrap.js';
import { CatalogHeaps } from './catalog-heaps.js';
import { EngineCatalogReader } from './catalog-reader.js';
import { DataDirectory } from './data-directory.js';
import type { QueryProcessor } from './query-processor.js';
import { EngineReplication } from './replica/engine-replication.js';
import { enterStandby, holdStandbyWal, isCommitRecord } from './replica/standby-open.js';
import { StandbyXacts } from './replica/standby-xacts.js';
import { decodeParameter, encodeRows, typeSettingsOf } from './result-encoding.js';
import { SequenceManager, SessionSequenceState } from './sequences.js';
import { Session } from './session.js';
import type { PreparedQueryShape, SessionHost } from './session-host.js';
import type { Settings } from './session-settings.js';
import { durationMs } from './setting-specs.js';
import type { ResultColumn, StatementExecution } from './statement-execution.js';
import type { StatementMetricKind } from './statement-kind.js';
import { catalogResolverFor, hasRegTypeColumn } from './system-views/reg-resolver.js';
import { UtilityRunner } from './utility/utility-runner.js';

/** Resource manager ids of the engine's own WAL records (the storage engine's start at 0). */
export const EngineRmgr = { Xact: 16, Sequence: 17 } as const;

/** The pino-compatible logger the engine writes to. */
export interface EngineLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  debug(fields: object, message?: string): void;
  child(bindings: Record<string, unknown>): EngineLogger;
}

export interface EngineOptions {
  dataDir: string;
  logger: EngineLogger;
  walLogger?: EngineLogger;
  bufferPoolBytes?: number;
  evictionPolicy?: EvictionPolicyName;
  checkpointIntervalMs?: number;
  checkpointWalBytes?: number;
  maxConnections?: number;
  /** First start of an empty data directory: the superuser and its SCRAM verifier. */
  bootstrap: { superuser: string; passwordVerifier: string } | null;
  /** Turns a clear-text password (CREATE ROLE ... PASSWORD) into a stored verifier. */
  hashPassword?: (password: string) => string;
  faults?: FaultPoints;
  /** The SQL layer; defaults to Keel's query processor. */
  queryProcessor?: QueryProcessor;
  /** Autovacuum settings (over PostgreSQL's defaults and KEEL_AUTOVACUUM_* variables). */
  autovacuum?: Partial<AutovacuumSettings>;
  /** Receives per-statement and per-commit timings (the server feeds its metrics with them). */
  observer?: EngineObserver;
  /** Open as a hot standby: read-only, WAL comes from a primary (replica/hot-standby.ts). */
  standby?: boolean;
}

export interface EngineObserver {
  statement(kind: StatementMetricKind, seconds: number, ok: boolean): void;
  commit(seconds: number): void;
}

/** Counters and positions for metrics and health, read at scrape time. */
export interface EngineStats {
  sessions: number;
  maxConnections: number;
  activeTransactions: number;
  committedTotal: number;
  rolledBackTotal: number;
  storage: ReturnType<StorageEngine['stats']>;
}

let nextPid = 10_000 + Math.floor(Math.random() * 10_000);

export class Engine implements Backend, SessionHost {
  readonly txns: TransactionManager;
  readonly locks: LockManager;
  readonly catalog: CatalogManager;
  readonly tempDir: string;
  private readonly planCache: PlanCache<PreparedQueryShape>;
  readonly sequences: SequenceManager;
  /** Per-table write counts (pg_stat_user_tables) that drive autovacuum. */
  readonly activity = new TableActivity();
  readonly autovacuum: Autovacuum;
  /** Standby, fencing and the commit gate of the replication layer (replica/engine-replication.ts). */
  readonly replication: EngineReplication;
  private readonly sessions = new Set<Session>();
  private readonly sessionSequences = new WeakMap<Session, SessionSequenceState>();
  private readonly pendingStorageWork = new Set<Promise<void>>();
  private readonly utility: UtilityRunner;
  private closed = false;
  private committedTotal = 0;
  private rolledBackTotal = 0;

  private constructor(
    readonly options: EngineOptions,
    readonly storage: StorageEngine,
    readonly directory: DataDirectory,
    readonly catalogHeaps: CatalogHeaps,
    readonly queries: QueryProcessor,
    parts: {
      txns: TransactionManager;
      locks: LockManager;
      catalog: CatalogManager;
      sequences: SequenceManager;
      replication: EngineReplication;
    },
  ) {
    this.replication = parts.replication;
    this.txns = parts.txns;
    this.locks = parts.locks;
    this.catalog = parts.catalog;
    this.sequences = parts.sequences;
    // Spill files live in the data directory (PostgreSQL's pgsql_tmp), on the disk the operator
    // sized for the data, not in a possibly small /tmp. One sub-directory per engine instance:
    // a replicated node reopens its engine in the same process.
    this.tempDir = path.join(options.dataDir, TEMP_DIR, `${process.pid}-${randomBytes(4).toString('hex')}`);
    this.utility = new UtilityRunner(this);
    // Plans shared by every session: a repeated query string or prepared statement is planned
    // once per catalog version (see sql/plan-cache.ts for what else keys a plan).
    this.planCache = new PlanCache<PreparedQueryShape>(512, (statement, context, paramTypeOids) =>
      this.queries.prepare(statement, context, paramTypeOids),
    );
    // Notifications are delivered as commits become visible, so listeners hear them in commit order.
    this.txns.addObserver(this.utility.notifications);
    this.autovacuum = new Autovacuum(
      this,
      autovacuumSettingsFrom(process.env, options.autovacuum),
      options.logger.child({ component: 'autovacuum' }),
    );
    this.txns.addObserver(this.activity);
    // Catalog changes and relation files follow ROLLBACK TO / RELEASE SAVEPOINT.
    this.txns.addObserver({
      savepointRolledBack: (txn, depth) => {
        this.catalog.rollbackToSavepoint(txn, depth);
        for (const work of this.catalogHeaps.rollbackToSavepoint(txn, depth)) this.track(work);
      },
      savepointReleased: (txn, depth) => {
        this.catalog.releaseSavepoint(txn, depth);
        this.catalogHeaps.releaseSavepoint(txn, depth);
      },
    });
  }

  /** Whether `dataDir` holds an initialized Keel data directory. */
  static isInitialized(dataDir: string): boolean {
    return new DataDirectory(dataDir).isInitialized();
  }

  static async open(options: EngineOptions): Promise<Engine> {
    await loadParser();
    const directory = new DataDirectory(options.dataDir);
    const initialized = directory.isInitialized();
    if (!initialized && directory.hasOtherContent()) {
      throw new KeelError(
        SqlState.ObjectNotInPrerequisiteState,
        `data directory ${options.dataDir} is not empty but was never initialized`,
        {
          hint: 'An earlier first start did not finish. Remove the directory (it holds no committed data) and start again.',
        },
      );
    }
    if (!initialized && options.bootstrap === null) {
      throw new KeelError(
        SqlState.ObjectNotInPrerequisiteState,
        'an empty data directory needs bootstrap options',
      );
    }
    const commitLog = new CommitLog();
    directory.loadCommitLog(commitLog);
    const xactState = directory.readXactState();
    let nextXid = xactState.nextXid;
    let storageRef: StorageEngine | null = null;
    let txnsRef: TransactionManager | null = null;
    const sequences = new SequenceManager({
      appendSequence: (payload) => {
        assert(storageRef !== null, 'sequence WAL before the storage engine opened');
        return storageRef.wal.append({ rmgr: EngineRmgr.Sequence, info: 0, xid: 0 as never, payload });
      },
    });
    sequences.load(xactState.sequences);
    const standbyXacts = options.standby === true ? new StandbyXacts(commitLog, nextXid) : null;
    const replication = new EngineReplication();
    const recoveryXacts = {
      redo: ({ payload }: { payload: Uint8Array }) => {
        const record = decodeXactRecord(payload);
        if (record.kind === 'commit') commitLog.setCommitted(record.xids);
        else if (record.kind === 'abort') commitLog.setAborted(record.xids);
        const highest = record.kind === 'reserve' ? record.upTo : Math.max(0, ...record.xids);
        if (highest >= nextXid) nextXid = highest + 1;
      },
    };
    const walLogger = options.walLogger ?? options.logger.child({ component: 'wal' });
    const storage = await StorageEngine.open({
      dataDir: options.dataDir,
      bufferPoolBytes: options.bufferPoolBytes,
      evictionPolicy: options.evictionPolicy,
      checkpointIntervalMs: options.checkpointIntervalMs,
      checkpointWalBytes: options.checkpointWalBytes,
      logger: walLogger,
      faults: options.faults ?? faultPointsFromEnv(process.env.KEEL_FAULT),
      redoHandlers: replication.redoHandlers(
        new Map([
          [EngineRmgr.Xact, (record) => (standbyXacts ?? recoveryXacts).redo(record)],
          [EngineRmgr.Sequence, (record) => sequences.redo(record.payload)],
        ]),
      ),
      // The commit log and sequence positions are saved by every checkpoint, the end-of-recovery
      // one included, before its record moves the redo point past the WAL that rebuilt them.
      checkpointHooks: [
        async ({ redoLsn }) => {
          await txnsRef?.waitForCommitsBefore(redoLsn);
          directory.saveTransactionState(commitLog.takeDirtySegments(), {
            nextXid: txnsRef?.checkpointNextXid ?? nextXid,
            sequences: sequences.snapshot(),
          });
        },
      ],
    });
    storageRef = storage;
    if (standbyXacts !== null) holdStandbyWal(storage);
    const aborted = standbyXacts === null ? commitLog.abortUnfinished(nextXid as Xid, new Set()) : 0;
    if (aborted > 0)
      options.logger.info(
        { transactions: aborted },
        'transactions in progress at the crash were rolled back',
      );

    const locks = new LockManager(
      { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      () => 1000,
      16,
      () => Date.now(),
    );
    const txns = new TransactionManager({
      wal: {
        appendXact: (xid, payload) => {
          const lsn = storage.wal.append({ rmgr: EngineRmgr.Xact, info: 0, xid: xid as never, payload });
          if (isCommitRecord(payload)) replication.commitAppended(lsn);
          return lsn;
        },
        flush: (lsn) => storage.wal.flush(lsn as never),
      },
      locks,
      commitLog,
      nextXid: nextXid as Xid,
      beforeCommitRecord: (txn) => replication.beforeCommitRecord(txn),
      beforeCommitVisible: (lsn, txn) => replication.beforeCommitVisible(lsn, txn),
    });
    txnsRef = txns;
    const catalogHeaps = new CatalogHeaps(storage, txns);
    const catalog = new CatalogManager((scope: CatalogScope) => catalogHeaps.heapFor(scope));
    const queries = options.queryProcessor ?? (await import('./sql-binding.js')).defaultQueryProcessor();
    const engine = new Engine(options, storage, directory, catalogHeaps, queries, {
      txns,
      locks,
      catalog,
      sequences,
      replication,
    });
    replication.attach(engine);
    if (!initialized) {
      const bootstrap = options.bootstrap;
      assert(bootstrap !== null, 'bootstrap options checked above');
      await bootstrapCluster(engine, bootstrap);
    }
    engine.loadCatalogs();
    removeStaleTempFiles(options.dataDir);
    mkdirSync(engine.tempDir, { recursive: true });
    if (standbyXacts !== null) enterStandby(engine, standbyXacts);
    else engine.autovacuum.start();
    return engine;
  }

  private loadCatalogs(): void {
    const meta = this.directory.readMeta();
    this.catalogHeaps.setShared(meta.sharedCatalogRelFile as RelFileId);
    this.catalog.load('shared', this.catalogHeaps.readCommitted('shared'));
    for (const object of this.catalog.sharedObjects(null)) {
      if (object.kind !== 'database') continue;
      this.catalogHeaps.setDatabase(object.oid, object.catalogRelFile as RelFileId);
      this.catalog.load(object.oid, this.catalogHeaps.readCommitted(object.oid));
    }
  }

  // ---- Backend (the wire protocol's view) ------------------------------------------------

  lookupRole(user: string): RoleCredentials | null {
    for (const object of this.catalog.sharedObjects(null)) {
      if (object.kind !== 'role' || object.name !== user) continue;
      const password = object.password ?? '';
      return {
        scramVerifier: password.startsWith('SCRAM-SHA-256$') ? password : null,
        md5Hash: /^md5[0-9a-f]{32}$/.test(password) ? password : null,
        canLogin: object.canLogin,
      };
    }
    return null;
  }

  startSession(startup: SessionStartup): { session: Session; parameters: [string, string][] } {
    if (this.closed) throw new KeelError(SqlState.AdminShutdown, 'the database system is shutting down');
    const database = this.catalog.database(startup.database, null);
    if (database === null)
      throw new KeelError(SqlState.InvalidCatalogName, `database "${startup.database}" does not exist`);
    if (!database.allowConnections) {
      throw new KeelError(
        SqlState.ObjectNotInPrerequisiteState,
        `database "${startup.database}" is not currently accepting connections`,
      );
    }
    const role = this.catalog.sharedObjects(null).find((o) => o.kind === 'role' && o.name === startup.user);
    if (role === undefined || role.kind !== 'role') {
      throw new KeelError(
        SqlState.InvalidAuthorizationSpecification,
        `role "${startup.user}" does not exist`,
      );
    }
    if (!role.canLogin)
      throw new KeelError(
        SqlState.InvalidAuthorizationSpecification,
        `role "${startup.user}" is not permitted to log in`,
      );
    const session = new Session(this, {
      pid: startup.processId || nextPid++,
      user: startup.user,
      userOid: role.oid,
      databaseOid: database.oid,
      databaseName: database.name,
      superuser: role.superuser,
      startupParameters: new Map(
        [...startup.parameters].filter(([name]) => name !== 'user' && name !== 'database'),
      ),
    });
    this.sessions.add(session);
    return { session, parameters: session.settings.reportedAtStartup() };
  }

  // ---- SessionHost ---------------------------------------------------------------------

  nowMicros(): bigint {
    return BigInt(Date.now() - Date.UTC(2000, 0, 1)) * 1000n;
  }

  serverSettings(): ReadonlyMap<string, string> {
    return new Map([
      ['max_connections', String(this.options.maxConnections ?? 100)],
      ...autovacuumShowValues(this.autovacuum.settings),
      ...this.replication.serverSettings(),
    ]);
  }

  readOnlyNode(): boolean {
    return this.replication.readOnly();
  }

  waitForVisibleLsn(lsn: number): Promise<void> {
    return this.replication.standby?.waitForVisible(lsn) ?? Promise.resolve();
  }

  isolationFromSetting(value: string): IsolationLevel {
    const lower = value.toLowerCase();
    if (lower === 'serializable') return 'serializable';
    if (lower === 'repeatable read') return 'repeatable read';
    if (lower === 'read uncommitted') return 'read uncommitted';
    return 'read committed';
  }

  catalogReader(session: Session, txn: Transaction | null): EngineCatalogReader {
    return new EngineCatalogReader(this, session, this.catalog.view(session.options.databaseOid, txn));
  }

  tableAccess(session: Session, txn: Transaction, snapshot: Snapshot): TableAccess {
    const view = () => this.catalog.view(session.options.databaseOid, txn);
    const settings = typeSettingsOf(session.settings);
    return new HeapTableAccess(
      {
        txns: this.txns,
        locks: this.locks,
        heap: (table) => this.storage.heap(table.relFile as RelFileId),
        btree: (index) => this.storage.btree(index.relFile as RelFileId),
        indexesOf: (table) =>
          view()
            .indexesOf(table.oid)
            .filter((index) => index.valid),
        indexKeyValues: (index, table, row) => this.indexKeyValues(index, table, row, session, txn),
        typeSettings: settings,
        activity: this.activity,
        lockTimeoutMs: () => durationMs(session.settings.value('lock_timeout')),
        deadlockTimeoutMs: () => durationMs(session.settings.value('deadlock_timeout')),
        checkInterrupts: () => session.checkInterrupts(),
        yieldToOthers: () => new Promise<void>((resolve) => setImmediate(resolve)),
      },
      txn,
      snapshot,
    );
  }

  /** Index key values for a row: plain columns, or expressions and predicates via the SQL layer. */
  indexKeyValues(
    index: IndexRelation,
    table: TableRelation,
    row: Row,
    session: Session,
    txn: Transaction | null,
  ): Value[] | null {
    const context = session.planningContext(txn);
    if (index.predicate !== null && this.queries.evaluate(index.predicate, table, row, context) !== true)
      return null;
    return index.keys.map((key) =>
      key.attnum === 0
        ? this.queries.evaluate(key.expr ?? 'NULL', table, row, context)
        : (row[key.attnum - 1] ?? null),
    );
  }

  sequenceAccess(session: Session, txn: Transaction): SequenceAccess {
    let state = this.sessionSequences.get(session);
    if (state === undefined) {
      state = new SessionSequenceState();
      this.sessionSequences.set(session, state);
    }
    const sessionState = state;
    const sequence = (oid: Oid): SequenceRelation => {
      const relation = this.catalog.view(session.options.databaseOid, txn).relation(oid);
      if (relation?.kind !== 'sequence')
        throw new KeelError(SqlState.WrongObjectType, `"${relation?.name ?? oid}" is not a sequence`);
      return relation;
    };
    return {
      nextval: (oid) => this.sequences.nextval(sequence(oid), sessionState),
      currval: (oid) => this.sequences.currval(sequence(oid), sessionState),
      setval: (oid, value, isCalled) => this.sequences.setval(sequence(oid), value, isCalled, sessionState),
      lastval: () => {
        if (sessionState.last === null) {
          throw new KeelError(
            SqlState.ObjectNotInPrerequisiteState,
            'lastval is not yet defined in this session',
          );
        }
        return sessionState.last.value;
      },
    };
  }

  prepareQuery(
    statement: ParsedStatement,
    context: PlanningContext,
    paramTypeOids: Oid[],
  ): PreparedQueryShape {
    return this.planCache.prepare(statement, context, paramTypeOids);
  }

  async executeQuery(
    plan: unknown,
    session: Session,
    txn: Transaction,
    context: ExecutionContext,
  ): Promise<StatementExecution> {
    const prepared = plan as ReturnType<QueryProcessor['prepare']>;
    if (!prepared.readOnly && txn.options.readOnly) {
      throw new KeelError(
        SqlState.ReadOnlySqlTransaction,
        'cannot execute this statement in a read-only transaction',
      );
    }
    for (const lock of prepared.locks) await this.lockRelation(session, txn, lock.relationOid, lock.mode);
    return prepared.execute(context);
  }

  /** Takes a table lock for the transaction, honouring lock_timeout. */
  async lockRelation(
    session: Session,
    txn: Transaction,
    relationOid: Oid,
    mode: Parameters<LockManager['acquire']>[2],
  ): Promise<void> {
    const tag = `relation:${session.options.databaseOid}:${relationOid}`;
    if (this.locks.holds(txn, tag, mode)) return;
    const name =
      this.catalog.view(session.options.databaseOid, txn).relation(relationOid)?.name ?? String(relationOid);
    await this.locks.acquire(txn, tag, mode, {
      policy: 'block',
      lockTimeoutMs: durationMs(session.settings.value('lock_timeout')),
      deadlockTimeoutMs: durationMs(session.settings.value('deadlock_timeout')),
      describe: `relation "${name}"`,
    });
  }

  utilityColumns(node: Node, session: Session): ResultColumn[] | null {
    return this.utility.columns(node, session);
  }

  runUtility(
    statement: ParsedStatement,
    session: Session,
    txn: Transaction,
    context: ExecutionContext,
    sink: ResultSink,
  ): Promise<StatementExecution> {
    return this.utility.run(statement, session, txn, context, sink);
  }

  decodeParameter(raw: Uint8Array | null, format: 0 | 1, typeOid: Oid, settings: Settings): Value {
    return decodeParameter(raw, format, typeOid, typeSettingsOf(settings));
  }

  encodeRows(
    rows: Row[],
    columns: ResultColumn[],
    formats: readonly (0 | 1)[],
    settings: Settings,
  ): EncodedRow[] {
    // reg* values print as names, which needs the session's catalog view.
    const session = hasRegTypeColumn(columns)
      ? [...this.sessions].find((s) => s.settings === settings)
      : undefined;
    const resolver =
      session === undefined ? undefined : catalogResolverFor(this.catalogReader(session, session.block.txn));
    return encodeRows(rows, columns, formats, typeSettingsOf(settings, resolver));
  }

  /** pg_listening_channels(): the channels `session` listens on (committed LISTENs). */
  listeningChannels(session: Session): string[] {
    return this.utility.notifications.channelsOf(session);
  }

  /** pg_notify(): a NOTIFY queued in `txn`, delivered to listeners when it commits. */
  notify(txn: Transaction, pid: number, channel: string, payload: string): void {
    this.utility.notifications.notify(txn, pid, channel, payload);
  }

  transactionEnded(_session: Session, txn: Transaction, committed: boolean): void {
    if (committed) this.catalog.commit(txn);
    else this.catalog.abort(txn);
    if (committed) this.committedTotal++;
    else this.rolledBackTotal++;
    this.utility.transactionEnded(txn, committed);
    for (const work of this.catalogHeaps.takeStorageWork(txn, committed)) this.track(work);
  }

  sessionClosed(session: Session): void {
    this.sessions.delete(session);
    this.utility.sessionClosed(session);
  }

  // ---- node-level operations ---------------------------------------------------------

  /** Sessions connected to a database (DROP DATABASE refuses while there are any). */
  sessionsOn(databaseOid: Oid, except?: Session): Session[] {
    return [...this.sessions].filter((s) => s.options.databaseOid === databaseOid && s !== except);
  }

  allSessions(): Session[] {
    return [...this.sessions];
  }

  async checkpoint(): Promise<void> {
    await this.storage.checkpoint();
  }

  /** ANALYZE: fresh statistics for the optimizer, stored in the table's catalog entry. */
  async analyze(session: Session, txn: Transaction, table: TableRelation): Promise<void> {
    const context = session.internalExecutionContext(txn);
    const stats = await this.queries.analyze(table, context);
    const current = this.catalog.view(session.options.databaseOid, txn).table(table.oid);
    if (current !== null) this.catalog.put(txn, session.options.databaseOid, { ...current, stats });
  }

  /** A type's SQL spelling with its modifier (format_type), for generated DDL. */
  typeSql(typeOid: Oid, typmod: number): string {
    return formatType(typeOid, typmod);
  }

  stats(): EngineStats {
    return {
      sessions: this.sessions.size,
      maxConnections: this.options.maxConnections ?? 100,
      activeTransactions: this.txns.activeTransactions().size,
      committedTotal: this.committedTotal,
      rolledBackTotal: this.rolledBackTotal,
      storage: this.storage.stats(),
    };
  }

  observeStatement(kind: StatementMetricKind, seconds: number, ok: boolean): void {
    this.options.observer?.statement(kind, seconds, ok);
  }

  observeCommit(seconds: number): void {
    this.options.observer?.commit(seconds);
  }

  /** Clean shutdown: every session's transaction is rolled back, then a final checkpoint. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.autovacuum.stop();
    for (const session of [...this.sessions]) await session.close();
    await Promise.allSettled([...this.pendingStorageWork]);
    await this.storage.close();
    rmSync(this.tempDir, { recursive: true, force: true });
  }

  /** Background storage work (dropping files of committed DROPs); failures are logged, never lost. */
  track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'removing dropped relation storage failed');
    });
    this.pendingStorageWork.add(tracked);
    void tracked.finally(() => this.pendingStorageWork.delete(tracked));
  }
}

const TEMP_DIR = 'pgsql_tmp';

/** Spill files of an earlier process (one that crashed mid-sort) are garbage: remove them. */
function removeStaleTempFiles(dataDir: string): void {
  const root = path.join(dataDir, TEMP_DIR);
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    if (!name.startsWith(`${process.pid}-`)) rmSync(path.join(root, name), { recursive: true, force: true });
  }
}
