/**
 * COPY ... TO STDOUT: runs a query (the table's listed columns, or COPY (query)) through the SQL
 * layer in the statement's snapshot, formats each row in text or CSV with the types' output
 * functions (the session's DateStyle, extra_float_digits, bytea_output, ...) and streams the
 * lines as CopyData, honouring the socket's back-pressure.
 * Exports: copyToStdout.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row } from '../../access/table-access.js';
import type { ExecutionContext } from '../../sql/context.js';
import { parseSql } from '../../sql/parse/parser.js';
import { formatText } from '../../sql/types/text-io.js';
import type { Value } from '../../sql/types/value.js';
import type { Transaction } from '../../txn/transaction.js';
import type { ResultSink } from '../backend-contract.js';
import { typeSettingsOf } from '../result-encoding.js';
import type { Session } from '../session.js';
import { formatCopyHeader, formatCopyRow } from './copy-format.js';
import type { CopyOptions } from './copy-options.js';

/** Output is sent in CopyData messages of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/** Runs `querySql` and streams its rows as COPY data; returns the row count. */
export async function copyToStdout(
  querySql: string,
  options: CopyOptions,
  session: Session,
  txn: Transaction,
  context: ExecutionContext,
  sink: ResultSink,
): Promise<number> {
  const [statement] = parseSql(querySql);
  if (statement === undefined) throw new KeelError(SqlState.SyntaxError, 'COPY needs a query');
  const prepared = session.host.prepareQuery(statement, session.planningContext(txn), []);
  const columns = prepared.columns;
  if (columns === null)
    throw new KeelError(SqlState.FeatureNotSupported, 'COPY query must have a RETURNING clause');
  const forced = options.forceQuote;
  for (const name of forced === '*' ? [] : forced) {
    if (!columns.some((c) => c.name === name))
      throw new KeelError(
        SqlState.InvalidColumnReference,
        `FORCE_QUOTE column "${name}" not referenced by COPY`,
      );
  }
  const forceQuote = columns.map((c) => forced === '*' || forced.includes(c.name));
  const execution = await session.host.executeQuery(prepared, session, txn, context);
  const settings = typeSettingsOf(session.settings);
  sink.copyOut({ overallFormat: 0, columnFormats: columns.map(() => 0) });
  let buffered =
    options.header === true
      ? formatCopyHeader(
          columns.map((c) => c.name),
          options,
        )
      : '';
  let count = 0;
  const text: (string | null)[] = new Array(columns.length);
  while (!execution.done) {
    const rows: Row[] = await execution.fetch(1024);
    context.checkInterrupts();
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const value = row[i] as Value;
        text[i] =
          value === null || value === undefined
            ? null
            : formatText(columns[i]?.typeOid ?? 25, value, settings);
      }
      buffered += formatCopyRow(text, options, forceQuote);
      count++;
    }
    if (buffered.length >= CHUNK_CHARS) {
      await sink.copyData(Buffer.from(buffered, 'utf8'));
      buffered = '';
    }
  }
  if (buffered !== '') await sink.copyData(Buffer.from(buffered, 'utf8'));
  sink.copyDone();
  return count;
}
