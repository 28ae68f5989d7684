/**
 * The COPY statement: checks what PostgreSQL checks before any data moves (the relation, its
 * columns, option validity, privileges) and hands over to COPY FROM STDIN or COPY TO STDOUT.
 *
 * COPY to or from a file or program on the server is refused: a non-superuser gets PostgreSQL's
 * own 42501, a superuser 0A000, because a node of a replicated cluster should not read or write
 * its host's files on a client's behalf (psql's \copy streams through STDIN/STDOUT instead).
 * Exports: runCopy.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CopyStmt } from '@pgsql/types';
import type { Column, TableRelation } from '../../catalog/objects.js';
import type { ExecutionContext } from '../../sql/context.js';
import { stringsOf } from '../../sql/parse/ast.js';
import { deparseNode } from '../../sql/parse/deparse.js';
import type { Transaction } from '../../txn/transaction.js';
import type { ResultSink } from '../backend-contract.js';
import { quoteIdentifier } from '../catalog-reader.js';
import type { Session } from '../session.js';
import { copyFromStdin } from './copy-from.js';
import { type CopyOptions, parseCopyOptions } from './copy-options.js';
import { copyToStdout } from './copy-to.js';

/** Runs one COPY statement; returns its command tag ("COPY 42"). */
export async function runCopy(
  stmt: CopyStmt,
  session: Session,
  txn: Transaction,
  context: ExecutionContext,
  sink: ResultSink,
): Promise<string> {
  const from = stmt.is_from === true;
  if (stmt.filename !== undefined || stmt.is_program === true)
    refuseServerFile(session, from, stmt.is_program === true);
  const options = parseCopyOptions(stmt.options, from);
  if (stmt.query !== undefined) {
    if (from) throw new KeelError(SqlState.SyntaxError, 'COPY FROM a query is not allowed');
    const count = await copyToStdout(deparseNode(stmt.query), options, session, txn, context, sink);
    return `COPY ${count}`;
  }
  const { table, schemaName } = resolveTable(stmt, session, txn, from);
  const columns = copyColumns(table, stringsOf(stmt.attlist));
  checkForcedColumns(options, columns);
  if (from) {
    const where = stmt.whereClause === undefined ? null : deparseNode(stmt.whereClause);
    const count = await copyFromStdin(
      { table, schemaName, columns, where },
      options,
      session,
      txn,
      context,
      sink,
    );
    return `COPY ${count}`;
  }
  if (stmt.whereClause !== undefined)
    throw new KeelError(SqlState.FeatureNotSupported, 'WHERE clause not allowed with COPY TO');
  const list = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const query = `SELECT ${list} FROM ONLY ${quoteIdentifier(schemaName)}.${quoteIdentifier(table.name)}`;
  const count = await copyToStdout(query, options, session, txn, context, sink);
  return `COPY ${count}`;
}

function refuseServerFile(session: Session, from: boolean, program: boolean): never {
  if (!session.options.superuser) {
    const what = program
      ? 'COPY to or from an external program'
      : from
        ? 'COPY from a file'
        : 'COPY to a file';
    const role = program
      ? 'pg_execute_server_program'
      : from
        ? 'pg_read_server_files'
        : 'pg_write_server_files';
    throw new KeelError(
      SqlState.InsufficientPrivilege,
      `must be superuser or have privileges of the ${role} role to ${what}`,
      { hint: "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone." },
    );
  }
  throw new KeelError(
    SqlState.FeatureNotSupported,
    'COPY to or from a server file or program is not supported',
    { hint: "Use COPY ... FROM STDIN or TO STDOUT (psql's \\copy does this)." },
  );
}

function resolveTable(
  stmt: CopyStmt,
  session: Session,
  txn: Transaction,
  from: boolean,
): { table: TableRelation; schemaName: string } {
  const catalog = session.planningContext(txn).catalog;
  const name = stmt.relation?.relname ?? '';
  const schema = stmt.relation?.schemaname ?? null;
  const relation = catalog.resolveRelation(schema, name);
  if (relation === null)
    throw new KeelError(
      SqlState.UndefinedTable,
      `relation "${schema === null ? name : `${schema}.${name}`}" does not exist`,
    );
  if (!('kind' in relation) || relation.kind !== 'table') {
    const kind = 'kind' in relation && relation.kind === 'sequence' ? 'sequence' : 'view';
    const message = from
      ? `cannot copy to ${kind} "${relation.name}"`
      : `cannot copy from ${kind} "${relation.name}"`;
    throw new KeelError(SqlState.WrongObjectType, message, {
      hint: from ? undefined : 'Try the COPY (SELECT ...) TO variant.',
    });
  }
  const namespace = catalog.namespace(relation.namespaceOid);
  return { table: relation, schemaName: namespace?.name ?? 'public' };
}

function copyColumns(table: TableRelation, names: string[]): Column[] {
  const live = table.columns.filter((c) => !c.dropped);
  if (names.length === 0) return live;
  const seen = new Set<string>();
  return names.map((name) => {
    const column = live.find((c) => c.name === name);
    if (column === undefined)
      throw new KeelError(
        SqlState.UndefinedColumn,
        `column "${name}" of relation "${table.name}" does not exist`,
      );
    if (seen.has(name))
      throw new KeelError(SqlState.DuplicateColumn, `column "${name}" specified more than once`);
    seen.add(name);
    return column;
  });
}

function checkForcedColumns(options: CopyOptions, columns: Column[]): void {
  const listed = (label: string, names: string[]) => {
    for (const name of names) {
      if (!columns.some((c) => c.name === name))
        throw new KeelError(
          SqlState.InvalidColumnReference,
          `${label} column "${name}" not referenced by COPY`,
        );
    }
  };
  if (options.forceQuote !== '*') listed('FORCE_QUOTE', options.forceQuote);
  listed('FORCE_NOT_NULL', options.forceNotNull);
  listed('FORCE_NULL', options.forceNull);
}
