/**
 * Test helper: parse, prepare and run SQL against a MemoryDatabase, returning rows and tags.
 * Exports: runSql.
 */
import type { Row } from '../../access/table-access.js';
import { prepareQuery } from '../index.js';
import { loadParser, parseSql } from '../parse/parser.js';
import type { MemoryDatabase } from './memory-database.js';

export async function runSql(
  db: MemoryDatabase,
  sql: string,
  params: unknown[] = [],
  paramTypes: number[] = [],
): Promise<{ rows: Row[]; tag: string; columns: string[] }> {
  await loadParser();
  const [statement] = parseSql(sql);
  if (statement === undefined) throw new Error('no statement');
  const prepared = prepareQuery(statement, db.planning(), paramTypes);
  const execution = prepared.execute(db.execution(params));
  const rows = await execution.fetch(0);
  return { rows, tag: execution.commandTag(), columns: prepared.columns?.map((c) => c.name) ?? [] };
}
