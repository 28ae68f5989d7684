/**
 * Utility statements: everything that is not a query. DDL goes to ddl/*.ts with a DdlContext
 * of the session's transaction; SET/SHOW to set-show.ts; the rest (LOCK, CHECKPOINT, VACUUM,
 * ANALYZE, LISTEN/NOTIFY, DISCARD, CREATE TABLE AS, ...) is handled here; COPY in ../copy/. Each returns a
 * finished StatementExecution with its command tag (and rows, for SHOW).
 * Exports: UtilityRunner.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import type { Row } from '../../access/table-access.js';
import type { ExecutionContext } from '../../sql/context.js';
import { stringsOf, unwrap } from '../../sql/parse/ast.js';
import { deparseNode } from '../../sql/parse/deparse.js';
import type { ParsedStatement } from '../../sql/parse/parser.js';
import type { LockMode } from '../../txn/lock-modes.js';
import type { Transaction } from '../../txn/transaction.js';
import type { ResultSink } from '../backend-contract.js';
import { runCopy } from '../copy/copy-statement.js';
import { SqlCursors } from '../cursors/sql-cursors.js';
import { alterTable } from '../ddl/alter-table.js';
import { commentOn } from '../ddl/comment.js';
import { createIndex } from '../ddl/create-index.js';
import { createSchema } from '../ddl/create-schema.js';
import { createTable } from '../ddl/create-table.js';
import { createView } from '../ddl/create-view.js';
import { createDatabase, dropDatabase } from '../ddl/databases.js';
import type { DdlContext } from '../ddl/ddl-context.js';
import { dropObjects } from '../ddl/drop.js';
import { requireTable } from '../ddl/names.js';
import { renameObject } from '../ddl/rename.js';
import { alterRole, createRole, dropRoles, grantRole } from '../ddl/roles.js';
import { alterSequence, createSequence } from '../ddl/sequence-ddl.js';
import { truncateTables } from '../ddl/truncate.js';
import { makeDdlContext } from '../ddl-services.js';
import type { Engine } from '../engine.js';
import type { Session } from '../session.js';
import { finishedExecution, type ResultColumn, type StatementExecution } from '../statement-execution.js';
import { nodeType } from '../statement-kind.js';
import { NotificationHub } from './notifications.js';
import { runSet, runShow, showColumns } from './set-show.js';
import { runVacuumStatement } from './vacuum.js';

const lockModes: LockMode[] = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

type Handler = (
  node: Node,
  session: Session,
  txn: Transaction,
  sink: ResultSink,
  context: ExecutionContext,
) => Promise<string | { tag: string; rows: Row[] }>;

export class UtilityRunner {
  readonly notifications = new NotificationHub();
  private readonly cursors = new SqlCursors();
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly engine: Engine) {
    const ddl =
      <T>(type: string, run: (stmt: T, context: DdlContext) => Promise<string> | string): Handler =>
      async (node, session, txn, sink) =>
        run((node as unknown as Record<string, T>)[type] as T, this.ddlContext(session, txn, sink));
    this.handlers = {
      CreateStmt: ddl('CreateStmt', createTable),
      IndexStmt: ddl('IndexStmt', createIndex),
      DropStmt: ddl('DropStmt', dropObjects),
      AlterTableStmt: ddl('AlterTableStmt', alterTable),
      CreateSchemaStmt: ddl('CreateSchemaStmt', createSchema),
      CreateSeqStmt: ddl('CreateSeqStmt', createSequence),
      AlterSeqStmt: ddl('AlterSeqStmt', (stmt: Parameters<typeof alterSequence>[0], context) =>
        alterSequence(stmt, context, (sequence, value) => this.engine.sequences.restart(sequence, value)),
      ),
      TruncateStmt: ddl('TruncateStmt', (stmt: Parameters<typeof truncateTables>[0], context) =>
        truncateTables(stmt, context, (sequence) => this.engine.sequences.restart(sequence, sequence.start)),
      ),
      CommentStmt: ddl('CommentStmt', commentOn),
      RenameStmt: ddl('RenameStmt', renameObject),
      ViewStmt: async (node, session, txn, sink) => {
        const stmt = (node as { ViewStmt: Parameters<typeof createView>[0] }).ViewStmt;
        return createView(stmt, this.ddlContext(session, txn, sink), (query) =>
          this.engine.queries.queryColumns(query, session.planningContext(txn)),
        );
      },
      CreateRoleStmt: ddl('CreateRoleStmt', (stmt: Parameters<typeof createRole>[0], context) =>
        createRole(stmt, context, this.hasher()),
      ),
      AlterRoleStmt: ddl('AlterRoleStmt', (stmt: Parameters<typeof alterRole>[0], context) =>
        alterRole(stmt, context, this.hasher()),
      ),
      DropRoleStmt: ddl('DropRoleStmt', dropRoles),
      GrantRoleStmt: ddl('GrantRoleStmt', grantRole),
      CreatedbStmt: ddl('CreatedbStmt', (stmt: Parameters<typeof createDatabase>[0], context) =>
        createDatabase(stmt, context, this.databaseServices(context)),
      ),
      DropdbStmt: ddl('DropdbStmt', (stmt: Parameters<typeof dropDatabase>[0], context) =>
        dropDatabase(stmt, context, this.databaseServices(context)),
      ),
      GrantStmt: async () => 'GRANT',
      VariableSetStmt: async (node, session) =>
        runSet((node as { VariableSetStmt: Parameters<typeof runSet>[0] }).VariableSetStmt, session),
      VariableShowStmt: async (node, session) => ({
        tag: 'SHOW',
        rows: runShow(
          (node as { VariableShowStmt: Parameters<typeof runShow>[0] }).VariableShowStmt,
          session,
        ),
      }),
      CheckPointStmt: async (_node, session) => {
        if (session.settings.value('is_superuser') !== 'on') {
          throw new KeelError(SqlState.InsufficientPrivilege, 'must be superuser to do CHECKPOINT');
        }
        await this.engine.checkpoint();
        return 'CHECKPOINT';
      },
      LockStmt: (node, session, txn) => this.lockTables(node, session, txn),
      VacuumStmt: (node, session, txn, sink) => runVacuumStatement(this.engine, node, session, txn, sink),
      ListenStmt: async (node, session, txn) => {
        this.notifications.listen(
          session,
          txn,
          (node as { ListenStmt: { conditionname?: string } }).ListenStmt.conditionname ?? '',
        );
        return 'LISTEN';
      },
      UnlistenStmt: async (node, session, txn) => {
        this.notifications.unlisten(
          session,
          txn,
          (node as { UnlistenStmt: { conditionname?: string } }).UnlistenStmt.conditionname ?? null,
        );
        return 'UNLISTEN';
      },
      NotifyStmt: async (node, session, txn) => {
        const stmt = (node as { NotifyStmt: { conditionname?: string; payload?: string } }).NotifyStmt;
        this.notifications.notify(txn, session.pid, stmt.conditionname ?? '', stmt.payload ?? '');
        return 'NOTIFY';
      },
      DiscardStmt: async (_node, session) => {
        session.settings.resetAll();
        this.notifications.forget(session);
        return 'DISCARD ALL';
      },
      CreateTableAsStmt: (node, session, txn, sink) => this.createTableAs(node, session, txn, sink),
      DeclareCursorStmt: (node, session, txn, _sink, context) =>
        this.cursors.declare(node, session, txn, context),
      FetchStmt: (node, session) => this.cursors.fetch(node, session),
      ClosePortalStmt: async (node, session) => this.cursors.close(node, session),
      CopyStmt: (node, session, txn, sink, context) =>
        runCopy((node as { CopyStmt: Parameters<typeof runCopy>[0] }).CopyStmt, session, txn, context, sink),
      CreateExtensionStmt: async (node) => {
        const name =
          (node as { CreateExtensionStmt: { extname?: string } }).CreateExtensionStmt.extname ?? '';
        throw new KeelError(SqlState.FeatureNotSupported, `extension "${name}" is not available`, {
          hint: 'Keel has no extensions; gen_random_uuid() and the common functions are built in.',
        });
      },
      DoStmt: async () => {
        throw new KeelError(SqlState.FeatureNotSupported, 'DO blocks (PL/pgSQL) are not supported');
      },
    };
  }

  columns(node: Node, session: Session): ResultColumn[] | null {
    const show = unwrap(node, 'VariableShowStmt');
    if (show === undefined) return this.cursors.fetchColumns(node, session);
    return showColumns(show, session);
  }

  async run(
    statement: ParsedStatement,
    session: Session,
    txn: Transaction,
    context: ExecutionContext,
    sink: ResultSink,
  ): Promise<StatementExecution> {
    const type = nodeType(statement.node);
    const handler = this.handlers[type];
    if (handler === undefined) {
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `${type.replace(/Stmt$/, '')} statements are not supported`,
      );
    }
    const result = await handler(statement.node, session, txn, sink, context);
    return typeof result === 'string'
      ? finishedExecution(result)
      : finishedExecution(result.tag, result.rows);
  }

  transactionEnded(txn: Transaction, committed: boolean): void {
    // Normally done already: the hub observes the transaction manager (commit order).
    this.notifications.transactionEnded(txn, committed);
    this.cursors.transactionEnded(txn, committed);
  }

  sessionClosed(session: Session): void {
    this.notifications.forget(session);
    this.cursors.sessionClosed(session);
  }

  private ddlContext(session: Session, txn: Transaction, sink: ResultSink): DdlContext {
    return makeDdlContext(this.engine, session, txn, (message, sqlstate) =>
      sink.notice({ severity: 'NOTICE', message, sqlstate }),
    );
  }

  private databaseServices(context: DdlContext) {
    return context.storage as unknown as Parameters<typeof createDatabase>[2];
  }

  private hasher(): (password: string) => string {
    const hash = this.engine.options.hashPassword;
    if (hash === undefined) {
      return () => {
        throw new KeelError(SqlState.FeatureNotSupported, 'this node cannot store passwords');
      };
    }
    return hash;
  }

  private async lockTables(node: Node, session: Session, txn: Transaction): Promise<string> {
    const stmt = (node as { LockStmt: { relations?: Node[]; mode?: number; nowait?: boolean } }).LockStmt;
    if (!txn.explicit)
      throw new KeelError(
        SqlState.NoActiveSqlTransaction,
        'LOCK TABLE can only be used in transaction blocks',
      );
    const mode = lockModes[(stmt.mode ?? 8) - 1] ?? 'AccessExclusiveLock';
    for (const relationNode of stmt.relations ?? []) {
      const table = requireTable(
        this.ddlContext(session, txn, silentNotices()),
        unwrap(relationNode, 'RangeVar'),
      );
      if (stmt.nowait) {
        const tag = `relation:${session.options.databaseOid}:${table.oid}`;
        if (!this.engine.locks.tryAcquire(txn, tag, mode)) {
          throw new KeelError(SqlState.LockNotAvailable, `could not obtain lock on relation "${table.name}"`);
        }
      } else {
        await this.engine.lockRelation(session, txn, table.oid, mode);
      }
    }
    return 'LOCK TABLE';
  }

  private async createTableAs(
    node: Node,
    session: Session,
    txn: Transaction,
    sink: ResultSink,
  ): Promise<string> {
    const stmt = (
      node as {
        CreateTableAsStmt: {
          query?: Node;
          into?: { rel?: { relname?: string; schemaname?: string }; colNames?: Node[]; skipData?: boolean };
          if_not_exists?: boolean;
          objtype?: string;
        };
      }
    ).CreateTableAsStmt;
    if (stmt.objtype === 'OBJECT_MATVIEW')
      throw new KeelError(SqlState.FeatureNotSupported, 'materialized views are not supported');
    if (stmt.query === undefined || stmt.into?.rel === undefined)
      throw new KeelError(SqlState.SyntaxError, 'CREATE TABLE AS needs a query');
    const queryText = deparseNode(stmt.query);
    const columns = this.engine.queries.queryColumns(queryText, session.planningContext(txn));
    const names = stringsOf(stmt.into.colNames);
    const target = `${stmt.into.rel.schemaname === undefined ? '' : `${quoteIdent(stmt.into.rel.schemaname)}.`}${quoteIdent(stmt.into.rel.relname ?? '')}`;
    const definitions = columns.map(
      (c, i) => `${quoteIdent(names[i] ?? c.name)} ${this.engine.typeSql(c.typeOid, c.typmod)}`,
    );
    await session.runInternalUtility(
      `CREATE TABLE ${stmt.if_not_exists ? 'IF NOT EXISTS ' : ''}${target} (${definitions.join(', ')})`,
      txn,
      sink,
    );
    if (stmt.into.skipData) return 'CREATE TABLE AS';
    const inserted = await session.runInternalCommand(`INSERT INTO ${target} ${queryText}`, txn);
    return `SELECT ${inserted.replace(/^INSERT 0 /, '')}`;
  }
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function silentNotices(): ResultSink {
  return {
    rowDescription: () => {},
    dataRows: () => {},
    commandComplete: () => {},
    emptyQuery: () => {},
    notice: () => {},
    copyIn: () => {
      throw new KeelError(SqlState.FeatureNotSupported, 'COPY is not available here');
    },
    copyOut: () => {},
    copyData: () => {},
    copyDone: () => {},
  };
}
