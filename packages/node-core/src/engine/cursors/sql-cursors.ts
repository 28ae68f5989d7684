/**
 * SQL-level cursors: DECLARE ... CURSOR, FETCH, MOVE and CLOSE, which psql (FETCH_COUNT),
 * psycopg2's named cursors and reporting tools use to read a large result in pieces. A cursor
 * is a query started at DECLARE (its snapshot is DECLARE's) whose rows are pulled as FETCH asks;
 * it lives until CLOSE or the end of its transaction. Cursors scan forward only (PostgreSQL's
 * NO SCROLL behaviour); WITH HOLD cursors are materialised at DECLARE, which keeps them after
 * COMMIT, as PostgreSQL does by materialising at commit.
 * Exports: SqlCursors.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import type { Row } from '../../access/table-access.js';
import type { ExecutionContext } from '../../sql/context.js';
import { unwrap } from '../../sql/parse/ast.js';
import { deparseNode } from '../../sql/parse/deparse.js';
import { parseSql } from '../../sql/parse/parser.js';
import type { Transaction } from '../../txn/transaction.js';
import type { Session } from '../session.js';
import type { ResultColumn, StatementExecution } from '../statement-execution.js';

/** DeclareCursorStmt.options bits (PostgreSQL's CURSOR_OPT_*). */
const CURSOR_OPT_SCROLL = 0x2;
const CURSOR_OPT_HOLD = 0x20;

interface Cursor {
  columns: ResultColumn[];
  execution: StatementExecution;
  /** Rows already pulled from the execution and not yet fetched (WITH HOLD: all of them). */
  buffered: Row[];
  txn: Transaction;
  hold: boolean;
}

export class SqlCursors {
  private readonly bySession = new WeakMap<Session, Map<string, Cursor>>();
  /** The sessions with cursors declared in a transaction, to close them when it ends. */
  private readonly byTransaction = new Map<Transaction, Set<Session>>();

  /** FETCH's result columns (the cursor's), or null for MOVE and unknown cursors. */
  fetchColumns(node: Node, session: Session): ResultColumn[] | null {
    const fetch = unwrap(node, 'FetchStmt');
    if (fetch === undefined || fetch.ismove === true) return null;
    return this.cursorsOf(session).get(fetch.portalname ?? '')?.columns ?? null;
  }

  async declare(node: Node, session: Session, txn: Transaction, context: ExecutionContext): Promise<string> {
    const stmt = unwrap(node, 'DeclareCursorStmt');
    const name = stmt?.portalname ?? '';
    const options = stmt?.options ?? 0;
    const hold = (options & CURSOR_OPT_HOLD) !== 0;
    if (!hold && !txn.explicit && session.block.state !== 'block') {
      throw new KeelError(
        SqlState.NoActiveSqlTransaction,
        'DECLARE CURSOR can only be used in transaction blocks',
      );
    }
    if ((options & CURSOR_OPT_SCROLL) !== 0)
      throw new KeelError(
        SqlState.FeatureNotSupported,
        'SCROLL cursors are not supported; cursors scan forward only',
      );
    const cursors = this.cursorsOf(session);
    if (cursors.has(name)) throw new KeelError(SqlState.DuplicateCursor, `cursor "${name}" already exists`);
    if (stmt?.query === undefined) throw new KeelError(SqlState.SyntaxError, 'DECLARE CURSOR needs a query');
    const [statement] = parseSql(deparseNode(stmt.query));
    if (statement === undefined) throw new KeelError(SqlState.SyntaxError, 'DECLARE CURSOR needs a query');
    const prepared = session.host.prepareQuery(statement, session.planningContext(txn), []);
    if (prepared.columns === null)
      throw new KeelError(SqlState.InvalidCursorDefinition, 'cursor query must return rows');
    const execution = await session.host.executeQuery(prepared, session, txn, context);
    const buffered = hold ? await execution.fetch(0) : [];
    cursors.set(name, { columns: prepared.columns, execution, buffered, txn, hold });
    let sessions = this.byTransaction.get(txn);
    if (sessions === undefined) {
      sessions = new Set();
      this.byTransaction.set(txn, sessions);
    }
    sessions.add(session);
    return 'DECLARE CURSOR';
  }

  async fetch(node: Node, session: Session): Promise<{ tag: string; rows: Row[] }> {
    const stmt = unwrap(node, 'FetchStmt');
    const name = stmt?.portalname ?? '';
    const move = stmt?.ismove === true;
    const cursor = this.cursorsOf(session).get(name);
    if (cursor === undefined)
      throw new KeelError(SqlState.InvalidCursorName, `cursor "${name}" does not exist`);
    if (stmt?.direction !== undefined && stmt.direction !== 'FETCH_FORWARD') {
      throw new KeelError(SqlState.ObjectNotInPrerequisiteState, 'cursor can only scan forward', {
        hint: 'Declare it with SCROLL option to enable backward scan.',
      });
    }
    const wanted = Number(stmt?.howMany ?? 1);
    const rows = await this.take(cursor, wanted >= 2_147_483_647 ? Number.POSITIVE_INFINITY : wanted);
    return move ? { tag: `MOVE ${rows.length}`, rows: [] } : { tag: `FETCH ${rows.length}`, rows };
  }

  close(node: Node, session: Session): string {
    const name = unwrap(node, 'ClosePortalStmt')?.portalname;
    const cursors = this.cursorsOf(session);
    if (name === undefined) cursors.clear();
    else if (!cursors.delete(name))
      throw new KeelError(SqlState.InvalidCursorName, `cursor "${name}" does not exist`);
    return 'CLOSE CURSOR';
  }

  /** Cursors without HOLD end with their transaction; a rolled-back one takes HOLD cursors too. */
  transactionEnded(txn: Transaction, committed: boolean): void {
    const sessions = this.byTransaction.get(txn);
    if (sessions === undefined) return;
    this.byTransaction.delete(txn);
    for (const session of sessions) {
      const cursors = this.bySession.get(session);
      if (cursors === undefined) continue;
      for (const [name, cursor] of cursors) {
        if (cursor.txn === txn && (!cursor.hold || !committed)) cursors.delete(name);
      }
    }
  }

  sessionClosed(session: Session): void {
    this.bySession.delete(session);
  }

  private async take(cursor: Cursor, count: number): Promise<Row[]> {
    const out: Row[] = [];
    while (out.length < count) {
      if (cursor.buffered.length === 0) {
        if (cursor.execution.done) break;
        cursor.buffered = await cursor.execution.fetch(Math.min(1024, count - out.length));
        if (cursor.buffered.length === 0) break;
      }
      const room = count - out.length;
      const slice = cursor.buffered.splice(0, Number.isFinite(room) ? room : cursor.buffered.length);
      for (const row of slice) out.push(row);
    }
    return out;
  }

  private cursorsOf(session: Session): Map<string, Cursor> {
    let cursors = this.bySession.get(session);
    if (cursors === undefined) {
      cursors = new Map();
      this.bySession.set(session, cursors);
    }
    return cursors;
  }
}
