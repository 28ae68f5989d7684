/**
 * Transaction control statements: BEGIN/START TRANSACTION, COMMIT/END, ROLLBACK/ABORT,
 * SAVEPOINT, RELEASE, ROLLBACK TO, with PostgreSQL's warnings ("there is already a transaction
 * in progress") and command tags (COMMIT of a failed block reports ROLLBACK).
 * Exports: runTransactionStatement, transactionOptionsOf.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { DefElem, Node, TransactionStmt } from '@pgsql/types';
import type { TransactionOptions } from '../txn/transaction.js';
import type { ResultSink } from './backend-contract.js';
import type { Session } from './session.js';
import { parseIsolationLevel } from './transaction-block.js';

/** Runs one transaction control statement; returns its command tag. */
export async function runTransactionStatement(
  node: Node,
  session: Session,
  sink: ResultSink,
  _multi: boolean,
): Promise<string> {
  const stmt = (node as { TransactionStmt: TransactionStmt }).TransactionStmt;
  const block = session.block;
  switch (stmt.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START': {
      if (block.begin(transactionOptionsOf(stmt.options ?? [])) === 'already') {
        sink.notice({
          severity: 'WARNING',
          sqlstate: SqlState.ActiveSqlTransaction,
          message: 'there is already a transaction in progress',
        });
      }
      return stmt.kind === 'TRANS_STMT_BEGIN' ? 'BEGIN' : 'START TRANSACTION';
    }
    case 'TRANS_STMT_COMMIT': {
      const writing = (block.txn?.committableXids.length ?? 0) > 0;
      const started = performance.now();
      const outcome = await block.commit(session.settings.value('synchronous_commit') !== 'off');
      if (writing && outcome === 'COMMIT') session.host.observeCommit((performance.now() - started) / 1000);
      if (outcome === 'none') {
        sink.notice({
          severity: 'WARNING',
          sqlstate: SqlState.NoActiveSqlTransaction,
          message: 'there is no transaction in progress',
        });
      }
      return outcome === 'ROLLBACK' ? 'ROLLBACK' : 'COMMIT';
    }
    case 'TRANS_STMT_ROLLBACK': {
      if (block.rollback() === 'none') {
        sink.notice({
          severity: 'WARNING',
          sqlstate: SqlState.NoActiveSqlTransaction,
          message: 'there is no transaction in progress',
        });
      }
      return 'ROLLBACK';
    }
    case 'TRANS_STMT_SAVEPOINT':
      block.savepoint(savepointName(stmt));
      return 'SAVEPOINT';
    case 'TRANS_STMT_RELEASE':
      block.release(savepointName(stmt));
      return 'RELEASE';
    case 'TRANS_STMT_ROLLBACK_TO':
      block.rollbackTo(savepointName(stmt));
      return 'ROLLBACK';
    default:
      throw new KeelError(SqlState.FeatureNotSupported, 'two-phase commit is not supported');
  }
}

function savepointName(stmt: TransactionStmt): string {
  if (stmt.savepoint_name !== undefined) return stmt.savepoint_name;
  throw new KeelError(SqlState.SyntaxError, 'savepoint name is missing');
}

/** BEGIN / SET TRANSACTION options: isolation level, READ ONLY | READ WRITE, [NOT] DEFERRABLE. */
export function transactionOptionsOf(options: Node[]): Partial<TransactionOptions> {
  const out: Partial<TransactionOptions> = {};
  for (const option of options) {
    const def = (option as { DefElem?: DefElem }).DefElem;
    if (def === undefined) continue;
    const value = constantOf(def.arg);
    if (def.defname === 'transaction_isolation') out.isolation = parseIsolationLevel(String(value));
    else if (def.defname === 'transaction_read_only') out.readOnly = value === true || value === 1;
    else if (def.defname === 'transaction_deferrable') out.deferrable = value === true || value === 1;
  }
  return out;
}

function constantOf(node: Node | undefined): string | number | boolean | undefined {
  const constant = (
    node as
      | { A_Const?: { sval?: { sval?: string }; ival?: { ival?: number }; boolval?: { boolval?: boolean } } }
      | undefined
  )?.A_Const;
  if (constant === undefined) return undefined;
  if (constant.sval !== undefined) return constant.sval.sval ?? '';
  if (constant.ival !== undefined) return constant.ival.ival ?? 0;
  if (constant.boolval !== undefined) return constant.boolval.boolval ?? false;
  return undefined;
}
