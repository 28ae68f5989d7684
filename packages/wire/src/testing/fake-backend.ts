/**
 * FakeBackend: a small in-memory Backend for the wire package's own tests (session transcripts
 * and the net tests with the real `pg` client). It is not a database: statements are a tiny
 * command language, so a test can ask for exactly the protocol behaviour it checks.
 *
 *   rows N            RowDescription (one int4 column "n"), N DataRows "1".."N", "SELECT N"
 *   echo $1 $2 ...    one text column per parameter, one row with the parameters (extended only)
 *   fail CODE text    throws KeelError(CODE, text) with position 1
 *   crash             throws a plain Error (the wire layer must report XX000)
 *   bug               throws an InvariantError (the wire layer must let it crash the process)
 *   fatal             throws a FATAL KeelError (the session must end)
 *   notice text       a NoticeResponse, then "DO"
 *   begin | commit | rollback   transaction block: status T, then I (E after an error inside)
 *   set NAME VALUE    a ParameterStatus change, "SET"
 *   notify CH TEXT    a notification to this session, "NOTIFY"
 *   copy in           COPY FROM STDIN: "COPY n" with n the CopyData chunks received
 *   copy out N        COPY TO STDOUT with N chunks
 *   wait              runs until cancel() (57014) or release() is called
 *   (empty)           EmptyQueryResponse
 *
 * Roles: alice (SCRAM, "pencil"), bob (MD5 only, "bobpass"), carol (SCRAM, may not log in),
 * dave (both). Databases: shop, postgres and each role's name; anything else is 3D000.
 * Exports: FakeBackend, FakeBackendSession.
 */
import { InvariantError, isSqlStateCode, KeelError, SqlState, type SqlStateCode } from '@keel/errors';
import { md5PasswordHash } from '../auth/md5-password.js';
import { makeScramVerifier } from '../auth/scram-secret.js';
import type {
  Backend,
  BackendSession,
  ColumnDescription,
  ExecuteOutcome,
  ResultSink,
  RoleCredentials,
  SessionStartup,
  StatementDescription,
  TransactionStatus,
  TypeOid,
} from '../backend.js';

const INT4 = 23;
const TEXT = 25;
const fastScram = (password: string) =>
  makeScramVerifier(password, { iterations: 64, salt: Buffer.from('fake-salt') });

const roles = new Map<string, RoleCredentials>([
  ['alice', { scramVerifier: fastScram('pencil'), md5Hash: null, canLogin: true }],
  ['bob', { scramVerifier: null, md5Hash: md5PasswordHash('bobpass', 'bob'), canLogin: true }],
  ['carol', { scramVerifier: fastScram('carolpass'), md5Hash: null, canLogin: false }],
  [
    'dave',
    { scramVerifier: fastScram('davepass'), md5Hash: md5PasswordHash('davepass', 'dave'), canLogin: true },
  ],
]);

function column(name: string, typeOid: TypeOid, format: 0 | 1 = 0): ColumnDescription {
  return {
    name,
    tableOid: 0,
    columnAttr: 0,
    typeOid,
    typeSize: typeOid === INT4 ? 4 : -1,
    typeModifier: -1,
    format,
  };
}

export class FakeBackend implements Backend {
  readonly sessions: FakeBackendSession[] = [];

  lookupRole(user: string): RoleCredentials | null {
    return roles.get(user) ?? null;
  }

  startSession(startup: SessionStartup): { session: BackendSession; parameters: [string, string][] } {
    const databases = ['shop', 'postgres', ...roles.keys()];
    if (!databases.includes(startup.database)) {
      throw new KeelError(SqlState.InvalidCatalogName, `database "${startup.database}" does not exist`);
    }
    const session = new FakeBackendSession(startup);
    this.sessions.push(session);
    return {
      session,
      parameters: [
        ['server_version', '16.0'],
        ['client_encoding', 'UTF8'],
        ['TimeZone', 'UTC'],
        ['application_name', startup.parameters.get('application_name') ?? ''],
      ],
    };
  }
}

interface Portal {
  sql: string;
  params: (Uint8Array | null)[];
  resultFormats: number[];
  rowsSent: number;
}

export class FakeBackendSession implements BackendSession {
  transactionStatus: TransactionStatus = 'I';
  closed = false;
  cancelCount = 0;
  errorsBeforeSync = 0;
  syncCount = 0;
  /** Resolves when a `wait` statement starts, for tests that cancel it. */
  waiting: Promise<void>;
  private signalWaiting: () => void = () => {};
  private releaseWait: ((error?: KeelError) => void) | null = null;
  private readonly statements = new Map<string, { sql: string; paramTypeOids: TypeOid[] }>();
  private readonly portals = new Map<string, Portal>();
  private parameterChanges: [string, string][] = [];
  private notifications: { processId: number; channel: string; payload: string }[] = [];
  private notificationListener: () => void = () => {};
  private terminateListener: ((error: KeelError) => void) | null = null;

  constructor(readonly startup: SessionStartup) {
    this.waiting = this.nextWait();
  }

  async simpleQuery(sql: string, sink: ResultSink): Promise<void> {
    const statements = sql.split(';').map((text) => text.trim());
    if (statements.every((text) => text === '')) {
      sink.emptyQuery();
      return;
    }
    for (const text of statements.filter((statement) => statement !== '')) {
      await this.run(text, [], 0, sink);
    }
  }

  parse(statementName: string, sql: string, paramTypeOids: TypeOid[]): StatementDescription {
    if (statementName !== '' && this.statements.has(statementName)) {
      throw new KeelError(
        SqlState.DuplicatePreparedStatement,
        `prepared statement "${statementName}" already exists`,
      );
    }
    if (sql.startsWith('fail')) throw failure(sql);
    const count = sql.startsWith('echo') ? (sql.match(/\$\d+/g) ?? []).length : paramTypeOids.length;
    const types = Array.from({ length: count }, (_, i) => paramTypeOids[i] || TEXT);
    this.statements.set(statementName, { sql, paramTypeOids: types });
    return this.describeStatement(statementName);
  }

  bind(
    portal: string,
    statement: string,
    params: (Uint8Array | null)[],
    _formats: number[],
    results: number[],
  ): void {
    const found = this.statements.get(statement);
    if (found === undefined) {
      throw new KeelError(
        SqlState.InvalidSqlStatementName,
        `prepared statement "${statement}" does not exist`,
      );
    }
    this.portals.set(portal, { sql: found.sql, params, resultFormats: results, rowsSent: 0 });
  }

  describeStatement(statementName: string): StatementDescription {
    const found = this.statements.get(statementName);
    if (found === undefined) {
      throw new KeelError(
        SqlState.InvalidSqlStatementName,
        `prepared statement "${statementName}" does not exist`,
      );
    }
    return {
      paramTypeOids: found.paramTypeOids,
      columns: describeSql(found.sql, found.paramTypeOids.length),
    };
  }

  describePortal(portalName: string): ColumnDescription[] | null {
    const portal = this.portal(portalName);
    const columns = describeSql(portal.sql, portal.params.length);
    const format = (i: number): 0 | 1 =>
      (portal.resultFormats[i] ?? portal.resultFormats[0] ?? 0) === 1 ? 1 : 0;
    return columns?.map((c, i) => ({ ...c, format: format(i) })) ?? null;
  }

  async execute(portalName: string, maxRows: number, sink: ResultSink): Promise<ExecuteOutcome> {
    const portal = this.portal(portalName);
    return this.run(portal.sql, portal.params, maxRows, sink, portal);
  }

  closeStatement(statementName: string): void {
    this.statements.delete(statementName);
  }

  closePortal(portalName: string): void {
    this.portals.delete(portalName);
  }

  async sync(): Promise<void> {
    this.syncCount += 1;
    this.portals.delete('');
  }

  errorBeforeSync(): void {
    this.errorsBeforeSync += 1;
  }

  takeParameterChanges(): [string, string][] {
    const changes = this.parameterChanges;
    this.parameterChanges = [];
    return changes;
  }

  takeNotifications(): { processId: number; channel: string; payload: string }[] {
    const notifications = this.notifications;
    this.notifications = [];
    return notifications;
  }

  onNotification(listener: () => void): void {
    this.notificationListener = listener;
  }

  /** Test hook: a notification arrives from another session. */
  deliverNotification(channel: string, payload: string): void {
    this.notifications.push({ processId: 999, channel, payload });
    this.notificationListener();
  }

  onTerminate(listener: (error: KeelError) => void): void {
    this.terminateListener = listener;
  }

  /** Test hook: the engine ends the session by itself (an idle timeout), as node-core's Session does. */
  terminateFromEngine(error: KeelError): void {
    this.terminateListener?.(error);
  }

  cancel(): void {
    this.cancelCount += 1;
    this.releaseWait?.(new KeelError(SqlState.QueryCanceled, 'canceling statement due to user request'));
  }

  /** Test hook: lets a running `wait` statement finish normally. */
  release(): void {
    this.releaseWait?.();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private portal(name: string): Portal {
    const portal = this.portals.get(name);
    if (portal === undefined)
      throw new KeelError(SqlState.InvalidCursorName, `portal "${name}" does not exist`);
    return portal;
  }

  private nextWait(): Promise<void> {
    return new Promise((resolve) => {
      this.signalWaiting = resolve;
    });
  }

  private async run(
    sql: string,
    params: (Uint8Array | null)[],
    maxRows: number,
    sink: ResultSink,
    portal?: Portal,
  ): Promise<ExecuteOutcome> {
    const [command = '', ...args] = sql.split(/\s+/);
    if (this.transactionStatus === 'E' && command !== 'rollback' && command !== 'commit') {
      throw new KeelError(
        SqlState.InFailedSqlTransaction,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    try {
      return await this.runCommand(command, args, params, maxRows, sink, portal);
    } catch (error) {
      if (this.transactionStatus === 'T') this.transactionStatus = 'E';
      throw error;
    }
  }

  private async runCommand(
    command: string,
    args: string[],
    params: (Uint8Array | null)[],
    maxRows: number,
    sink: ResultSink,
    portal?: Portal,
  ): Promise<ExecuteOutcome> {
    switch (command) {
      case 'rows':
        if (portal === undefined) sink.rowDescription(describeSql('rows') ?? []);
        return this.rows(Number(args[0] ?? 0), maxRows, sink, portal);
      case 'echo':
        await sink.dataRows([params]);
        sink.commandComplete('SELECT 1');
        return 'complete';
      case 'fail':
        throw failure(['fail', ...args].join(' '));
      case 'crash':
        throw new Error('boom');
      case 'bug':
        throw new InvariantError('the fake backend hit a bug');
      case 'fatal':
        throw new KeelError(SqlState.AdminShutdown, 'terminating connection by request', {
          severity: 'FATAL',
        });
      case 'notice':
        sink.notice({ severity: 'NOTICE', sqlstate: '00000', message: args.join(' ') });
        sink.commandComplete('DO');
        return 'complete';
      case 'wait':
        await this.waitForRelease();
        sink.commandComplete('SELECT 0');
        return 'complete';
      default:
        return this.runUtility(command, args, sink);
    }
  }

  private async runUtility(command: string, args: string[], sink: ResultSink): Promise<ExecuteOutcome> {
    switch (command) {
      case 'begin':
        this.transactionStatus = 'T';
        sink.commandComplete('BEGIN');
        return 'complete';
      case 'commit':
      case 'rollback':
        sink.commandComplete(
          this.transactionStatus === 'E' || command === 'rollback' ? 'ROLLBACK' : 'COMMIT',
        );
        this.transactionStatus = 'I';
        return 'complete';
      case 'set':
        this.parameterChanges.push([args[0] ?? '', args[1] ?? '']);
        sink.commandComplete('SET');
        return 'complete';
      case 'notify':
        this.notifications.push({
          processId: this.startup.processId,
          channel: args[0] ?? '',
          payload: args[1] ?? '',
        });
        sink.commandComplete('NOTIFY');
        return 'complete';
      case 'copy':
        return args[0] === 'in' ? this.copyIn(sink) : this.copyOut(Number(args[1] ?? 0), sink);
      default:
        throw new KeelError(SqlState.SyntaxError, `syntax error at or near "${command}"`, { position: 1 });
    }
  }

  private async rows(
    count: number,
    maxRows: number,
    sink: ResultSink,
    portal?: Portal,
  ): Promise<ExecuteOutcome> {
    const start = portal?.rowsSent ?? 0;
    const end = maxRows > 0 ? Math.min(count, start + maxRows) : count;
    const rows = [];
    for (let n = start + 1; n <= end; n += 1) rows.push([Buffer.from(String(n))]);
    await sink.dataRows(rows);
    if (portal !== undefined) portal.rowsSent = end;
    if (end < count) return 'suspended';
    sink.commandComplete(`SELECT ${end - start}`);
    return 'complete';
  }

  private async copyIn(sink: ResultSink): Promise<ExecuteOutcome> {
    let chunks = 0;
    for await (const chunk of sink.copyIn({ overallFormat: 0, columnFormats: [0, 0] })) {
      if (Buffer.from(chunk).toString() === 'bad\n') {
        throw new KeelError(
          SqlState.InvalidTextRepresentation,
          'invalid input syntax for type integer: "bad"',
        );
      }
      chunks += 1;
    }
    sink.commandComplete(`COPY ${chunks}`);
    return 'complete';
  }

  private async copyOut(count: number, sink: ResultSink): Promise<ExecuteOutcome> {
    sink.copyOut({ overallFormat: 0, columnFormats: [0] });
    for (let n = 1; n <= count; n += 1) await sink.copyData(Buffer.from(`${n}\n`));
    sink.copyDone();
    sink.commandComplete(`COPY ${count}`);
    return 'complete';
  }

  private waitForRelease(): Promise<void> {
    const started = this.signalWaiting;
    return new Promise<void>((resolve, reject) => {
      this.releaseWait = (error) => {
        this.releaseWait = null;
        this.waiting = this.nextWait();
        if (error === undefined) resolve();
        else reject(error);
      };
      started();
    });
  }
}

/** The columns a statement returns, or null for one that returns none. */
function describeSql(sql: string, paramCount = 0): ColumnDescription[] | null {
  if (sql.startsWith('rows')) return [column('n', INT4)];
  if (sql.startsWith('echo')) return Array.from({ length: paramCount }, (_, i) => column(`$${i + 1}`, TEXT));
  return null;
}

function failure(sql: string): KeelError {
  const [, code = '', ...words] = sql.split(/\s+/);
  const sqlstate: SqlStateCode = isSqlStateCode(code) ? code : SqlState.InternalError;
  return new KeelError(sqlstate, words.join(' ') || 'failed', {
    position: 1,
    detail: 'from the fake backend',
  });
}
