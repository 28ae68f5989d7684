/**
 * Binds the engine's QueryProcessor contract to Keel's query processor (src/sql).
 * Exports: defaultQueryProcessor.
 */
import { KeelError, SqlState } from '@keel/errors';
import { analyzeTable } from '../sql/analyze.js';
import { prepareQuery } from '../sql/index.js';
import { parseSql } from '../sql/parse/parser.js';
import { checkTableExpression, compileTableExpression } from '../sql/table-expression.js';
import type { QueryProcessor } from './query-processor.js';

export function defaultQueryProcessor(): QueryProcessor {
  return {
    prepare: (statement, context, paramTypeOids) => prepareQuery(statement, context, paramTypeOids),
    queryColumns: (queryText, context) => {
      const [statement] = parseSql(queryText);
      if (statement === undefined) throw new KeelError(SqlState.SyntaxError, 'empty query');
      const prepared = prepareQuery(statement, context, []);
      if (prepared.columns === null)
        throw new KeelError(SqlState.WrongObjectType, 'the query returns no columns');
      return prepared.columns.map((c) => ({ name: c.name, typeOid: c.typeOid, typmod: c.typmod }));
    },
    checkExpression: (expression, table, purpose, target, context) =>
      checkTableExpression(expression, table, purpose, target, context),
    analyze: (table, context) => analyzeTable(table, context),
    evaluate: (expression, table, row, context) => compileTableExpression(expression, table, context)(row),
  };
}
