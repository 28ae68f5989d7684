/**
 * The checked-in SQL corpus (packages/node-core/testdata/sql-corpus): schema.sql with the shared
 * tables and data, and the query files `NN-topic.sql`. A query file holds statements ending in
 * `;` at the end of a line, `--` comment lines between them. Each query gets the stable id
 * `file/ordinal` (ordinal from 1). A query is compared in order when it has a top-level ORDER BY
 * (the corpus orders by every output column or a key, so the order is total), else as a multiset;
 * INSERT/UPDATE/DELETE run inside a transaction that is rolled back, so the data never changes.
 * Exports: CorpusQuery, corpusDir, readSchema, readCorpus, splitStatements, hasTopLevelOrderBy,
 * isWrite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusDir = fileURLToPath(
  new URL('../../../packages/node-core/testdata/sql-corpus/', import.meta.url),
);

export interface CorpusQuery {
  id: string;
  sql: string;
  ordered: boolean;
  write: boolean;
}

/** Statements of a script: `;` at the end of a line ends one; `--` lines are comments. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const line of text.split('\n')) {
    if (current.length === 0 && (line.trim() === '' || line.trimStart().startsWith('--'))) continue;
    current.push(line);
    if (line.trimEnd().endsWith(';')) {
      out.push(current.join('\n').trim().replace(/;$/, ''));
      current = [];
    }
  }
  if (current.length > 0) out.push(current.join('\n').trim());
  return out;
}

/** Whether `ORDER BY` appears outside parentheses and string literals. */
export function hasTopLevelOrderBy(sql: string): boolean {
  let depth = 0;
  let quoted: string | null = null;
  const lower = sql.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i];
    if (quoted !== null) {
      if (c === quoted) quoted = null;
      continue;
    }
    if (c === "'" || c === '"') quoted = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && lower.startsWith('order by', i) && /\W/.test(lower[i - 1] ?? ' ')) return true;
  }
  return false;
}

export function isWrite(sql: string): boolean {
  return (
    /^\s*(insert|update|delete)\b/i.test(sql) || /^\s*with\b[\s\S]*\b(insert|update|delete)\b/i.test(sql)
  );
}

export function readSchema(): string[] {
  return splitStatements(readFileSync(join(corpusDir, 'schema.sql'), 'utf8'));
}

export function readCorpus(): CorpusQuery[] {
  const files = readdirSync(corpusDir)
    .filter((f) => /^\d\d-.*\.sql$/.test(f))
    .sort();
  const out: CorpusQuery[] = [];
  for (const file of files) {
    const statements = splitStatements(readFileSync(join(corpusDir, file), 'utf8'));
    statements.forEach((sql, i) => {
      out.push({
        id: `${file.replace(/\.sql$/, '')}/${i + 1}`,
        sql,
        ordered: hasTopLevelOrderBy(sql),
        write: isWrite(sql),
      });
    });
  }
  return out;
}
