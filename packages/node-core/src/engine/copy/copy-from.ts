/**
 * COPY ... FROM STDIN: reads the client's CopyData stream, splits it into records (text or CSV),
 * turns each field into a value with the column type's input function, and inserts the rows in
 * batches through one prepared INSERT ... SELECT FROM pg_catalog."keel copy source" (see
 * copy-source.ts), so constraints, defaults for columns not listed, and unique indexes are the
 * executor's and the access layer's. Everything runs in the statement's transaction: a bad row
 * fails the COPY and the transaction's rollback leaves the table as it was.
 *
 * A bad row is reported with its line number, as PostgreSQL's CONTEXT says it
 * ("COPY t, line 3, column a: "x""); it travels in DETAIL until the wire layer has a CONTEXT field.
 * Exports: copyFromStdin, CopyTarget.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, TableAccess, Value } from '../../access/table-access.js';
import type { Column, TableRelation } from '../../catalog/objects.js';
import type { ExecutionContext } from '../../sql/context.js';
import { parseSql } from '../../sql/parse/parser.js';
import { parseText } from '../../sql/types/text-io.js';
import type { Transaction } from '../../txn/transaction.js';
import type { ResultSink } from '../backend-contract.js';
import { quoteIdentifier } from '../catalog-reader.js';
import { typeSettingsOf } from '../result-encoding.js';
import type { Session } from '../session.js';
import { WorkYield } from '../utility/work-yield.js';
import { type CopyRecord, CopyRecordReader, copyFormatError, lineContext } from './copy-format.js';
import type { CopyOptions } from './copy-options.js';
import { COPY_SOURCE_NAME, CopySource, registerCopySource } from './copy-source.js';

/**
 * Rows per INSERT execution: large enough to amortize starting the plan (smaller batches cost
 * about a fifth of pgbench's load time), small in memory, and short enough (tens of ms) to run
 * without a turn of the event loop: between batches COPY yields (utility/work-yield.ts), since a
 * 100k-row COPY used to hold the loop for seconds, stalling Raft heartbeats until the leader
 * lease lapsed.
 */
const BATCH_ROWS = 2000;

export interface CopyTarget {
  table: TableRelation;
  schemaName: string;
  columns: Column[];
  /** WHERE clause of COPY FROM, as SQL over the column names, or null. */
  where: string | null;
}

interface Pending {
  rows: Row[];
  lines: number[];
}

/** Runs COPY FROM STDIN into `target`; returns the number of rows inserted. */
export async function copyFromStdin(
  target: CopyTarget,
  options: CopyOptions,
  session: Session,
  txn: Transaction,
  context: ExecutionContext,
  sink: ResultSink,
): Promise<number> {
  const { table, columns } = target;
  const source = new CopySource(columns.map((c) => ({ name: c.name, typeOid: c.typeOid, typmod: -1 })));
  const unregister = registerCopySource(session, source);
  try {
    const list = columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const sql =
      `INSERT INTO ${quoteIdentifier(target.schemaName)}.${quoteIdentifier(table.name)} (${list}) ` +
      `SELECT ${list} FROM pg_catalog.${quoteIdentifier(COPY_SOURCE_NAME)}` +
      (target.where === null ? '' : ` WHERE ${target.where}`);
    const [statement] = parseSql(sql);
    if (statement === undefined)
      throw new KeelError(SqlState.InternalError, 'COPY could not build its INSERT');
    const prepared = session.host.prepareQuery(statement, session.planningContext(txn), []);
    const counter = countingAccess(context.access);
    const insertContext: ExecutionContext = { ...context, access: counter.access };
    const settings = typeSettingsOf(session.settings);
    const nullRules = {
      forceNotNull: columns.map((c) => options.forceNotNull.includes(c.name)),
      forceNull: columns.map((c) => options.forceNull.includes(c.name)),
    };
    const reader = new CopyRecordReader(options, nullRules, table.name);
    const pending: Pending = { rows: [], lines: [] };
    let inserted = 0;
    const slice = new WorkYield();
    const flush = async () => {
      if (pending.rows.length === 0) return;
      source.batch = pending.rows;
      const before = counter.count();
      try {
        const execution = await session.host.executeQuery(prepared, session, txn, insertContext);
        while (!execution.done) await execution.fetch(0);
      } catch (error) {
        const failed = pending.lines[counter.count() - before] ?? pending.lines.at(-1) ?? 0;
        throw withContext(error, lineContext(table.name, failed));
      }
      inserted += counter.count() - before;
      pending.rows = [];
      pending.lines = [];
      context.checkInterrupts();
      await slice.maybeYield();
    };
    const take = async (records: CopyRecord[]) => {
      for (const record of records) {
        if (record.line === 1 && options.header !== false) {
          if (options.header === 'match') checkHeader(record, columns, table.name);
          continue;
        }
        pending.rows.push(toRow(record, columns, table.name, settings));
        pending.lines.push(record.line);
        if (pending.rows.length >= BATCH_ROWS) await flush();
      }
    };
    const stream = sink.copyIn({ overallFormat: 0, columnFormats: columns.map(() => 0) });
    for await (const chunk of stream) {
      await take(reader.push(chunk));
      await slice.maybeYield();
    }
    await take(reader.finish());
    await flush();
    return inserted;
  } finally {
    unregister();
  }
}

function toRow(
  record: CopyRecord,
  columns: Column[],
  relation: string,
  settings: ReturnType<typeof typeSettingsOf>,
): Row {
  const { fields } = record;
  if (fields.length > columns.length)
    throw copyFormatError(
      'extra data after last expected column',
      lineContext(relation, record.line, record.text),
    );
  const row: Value[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as Column;
    if (i >= fields.length) {
      throw copyFormatError(
        `missing data for column "${column.name}"`,
        lineContext(relation, record.line, record.text),
      );
    }
    const field = fields[i] ?? null;
    if (field === null) {
      row[i] = null;
      continue;
    }
    try {
      row[i] = parseText(column.typeOid, field, settings);
    } catch (error) {
      throw withContext(error, `COPY ${relation}, line ${record.line}, column ${column.name}: "${field}"`);
    }
  }
  return row;
}

function checkHeader(record: CopyRecord, columns: Column[], relation: string): void {
  const context = lineContext(relation, record.line, record.text);
  if (record.fields.length !== columns.length) {
    throw copyFormatError(
      `wrong number of fields in header line: got ${record.fields.length}, expected ${columns.length}`,
      context,
    );
  }
  record.fields.forEach((name, i) => {
    const expected = columns[i]?.name ?? '';
    if (name === null)
      throw copyFormatError(
        `column name mismatch in header line field ${i + 1}: got null value ("\\N"), expected "${expected}"`,
        context,
      );
    if (name !== expected)
      throw copyFormatError(
        `column name mismatch in header line field ${i + 1}: got "${name}", expected "${expected}"`,
        context,
      );
  });
}

/** The same error with COPY's line context added (after any detail it already has). */
function withContext(error: unknown, context: string): unknown {
  if (!(error instanceof KeelError)) return error;
  const detail = error.detail === undefined ? context : `${error.detail}\n${context}`;
  return new KeelError(error.sqlstate, error.message, {
    detail,
    hint: error.hint,
    schema: error.schema,
    table: error.table,
    column: error.column,
    dataType: error.dataType,
    constraint: error.constraint,
    cause: error,
  });
}

/** Table access that counts inserts, so a failing batch can name the row (line) that failed. */
function countingAccess(access: TableAccess): { access: TableAccess; count: () => number } {
  let inserts = 0;
  const wrapped = new Proxy(access, {
    get(target, property, receiver) {
      if (property === 'insert') {
        return async (table: TableRelation, row: Row) => {
          const tid = await target.insert(table, row);
          inserts++;
          return tid;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { access: wrapped, count: () => inserts };
}
