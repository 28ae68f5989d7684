/**
 * Classifies a parsed statement for the session: transaction control runs outside the normal
 * transaction handling, queries go to the SQL layer (bind -> plan -> optimize -> execute), and
 * utility statements (DDL, SET, SHOW, COPY, VACUUM, ...) to their handlers.
 * Exports: StatementKind, classifyStatement, commandName.
 */
import type { Node } from '@pgsql/types';

export type StatementKind = 'transaction' | 'query' | 'utility';

const queryNodes = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'ExplainStmt',
  'MergeStmt',
]);

/** The node's type name, e.g. 'SelectStmt'. */
export function nodeType(node: Node): string {
  const [key] = Object.keys(node);
  return key ?? 'Unknown';
}

export function classifyStatement(node: Node): StatementKind {
  const type = nodeType(node);
  if (type === 'TransactionStmt') return 'transaction';
  return queryNodes.has(type) ? 'query' : 'utility';
}

/** Statements PostgreSQL refuses to run inside a transaction block (25001). */
const noTransactionBlock = new Set([
  'CreatedbStmt',
  'DropdbStmt',
  'VacuumStmt',
  'AlterSystemStmt',
  'CreateTableSpaceStmt',
]);

export function forbiddenInBlock(node: Node): boolean {
  const type = nodeType(node);
  if (type === 'VacuumStmt') {
    // ANALYZE alone may run in a block; VACUUM may not.
    const vacuum = (node as { VacuumStmt: { is_vacuumcmd?: boolean } }).VacuumStmt;
    return vacuum.is_vacuumcmd === true;
  }
  return noTransactionBlock.has(type);
}

/** The statement kinds the query latency metric distinguishes (a small, fixed set). */
export type StatementMetricKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'copy'
  | 'ddl'
  | 'transaction'
  | 'utility';

const metricKinds: Record<string, StatementMetricKind> = {
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  CopyStmt: 'copy',
  TransactionStmt: 'transaction',
  ExplainStmt: 'select',
};

const ddlNodes = /^(Create|Alter|Drop|Rename|Comment|Truncate|Index|View|Grant)/;

export function statementMetricKind(node: Node): StatementMetricKind {
  const type = nodeType(node);
  return metricKinds[type] ?? (ddlNodes.test(type) ? 'ddl' : 'utility');
}
