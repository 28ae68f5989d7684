/**
 * The engine's view of the SQL layer (src/sql): what it calls to prepare and run queries. The
 * binding to the concrete query processor lives in sql-binding.ts, so that the engine's own
 * logic reads (and compiles) against this small contract.
 * Exports: QueryProcessor, PreparedQuery, QueryExecution.
 */

import type { Row } from '../access/table-access.js';
import type { Oid, TableRelation, TableStats } from '../catalog/objects.js';
import type { ExecutionContext, LockRequest, PlanningContext } from '../sql/context.js';
import type { ParsedStatement } from '../sql/parse/parser.js';
import type { ResultColumn } from './statement-execution.js';

export interface QueryExecution {
  fetch(maxRows: number): Promise<Row[]>;
  readonly done: boolean;
  commandTag(): string;
}

export interface PreparedQuery {
  readonly paramTypeOids: Oid[];
  readonly columns: ResultColumn[] | null;
  readonly locks: LockRequest[];
  readonly readOnly: boolean;
  execute(context: ExecutionContext): QueryExecution;
}

export interface QueryProcessor {
  prepare(statement: ParsedStatement, context: PlanningContext, paramTypeOids: Oid[]): PreparedQuery;
  /** Output columns of a query (CREATE VIEW, CREATE TABLE AS). */
  queryColumns(queryText: string, context: PlanningContext): { name: string; typeOid: Oid; typmod: number }[];
  /** Binds an expression over a table's columns; throws its error (42703, 42804, ...). */
  checkExpression(
    expression: string,
    table: TableRelation,
    purpose: 'default' | 'check',
    targetType: { typeOid: Oid; typmod: number } | null,
    context: PlanningContext,
  ): void;
  /** ANALYZE: samples the table into optimizer statistics. */
  analyze(table: TableRelation, context: ExecutionContext): Promise<TableStats>;
  /** Evaluates an index expression or predicate over a row of the table. */
  evaluate(expression: string, table: TableRelation, row: Row, context: PlanningContext): unknown;
}
