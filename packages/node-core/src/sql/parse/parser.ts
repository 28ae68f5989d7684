/**
 * SQL parsing with PostgreSQL's own grammar (libpg-query compiled to WebAssembly), so that every
 * statement PostgreSQL accepts parses identically here and syntax errors carry PostgreSQL's
 * message and cursor position. The WASM module loads once, asynchronously, at engine start;
 * after that parsing is synchronous (about 10-30 microseconds for a point query).
 * Exports: loadParser, parseSql, ParsedStatement.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node, RawStmt } from '@pgsql/types';
import { loadModule, parseSync } from 'libpg-query';

let loaded: Promise<void> | null = null;
let ready = false;

/** Loads the parser's WebAssembly module; call (and await) once before parseSql. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

/** One statement of a query string, with its text (for logs, pg_stat_activity and the plan cache). */
export interface ParsedStatement {
  node: Node;
  /** The statement's own text, without the separating semicolon. */
  text: string;
  /** 0-based character offset of the statement in the whole query string. */
  offset: number;
}

interface LibpgError {
  message: string;
  sqlDetails?: { message: string; cursorPosition: number };
}

function isLibpgError(error: unknown): error is LibpgError {
  return typeof error === 'object' && error !== null && 'message' in error;
}

/**
 * Parses a query string into its statements. An empty string (or only comments and semicolons)
 * yields no statements, which the protocol reports as EmptyQueryResponse.
 */
export function parseSql(sql: string): ParsedStatement[] {
  if (!ready) throw new KeelError(SqlState.InternalError, 'SQL parser used before loadParser() finished');
  let result: { stmts?: RawStmt[] };
  try {
    result = parseSync(sql) as { stmts?: RawStmt[] };
  } catch (error) {
    throw syntaxError(error);
  }
  const statements: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (raw.stmt === undefined) continue;
    const offset = raw.stmt_location ?? 0;
    const length = raw.stmt_len ?? sql.length - offset;
    statements.push({
      node: raw.stmt,
      text: sql.slice(offset, offset + (length || sql.length - offset)).trim(),
      offset,
    });
  }
  return statements;
}

/** libpg-query reports a 0-based character cursor; the protocol wants PostgreSQL's 1-based position. */
function syntaxError(error: unknown): KeelError {
  if (!isLibpgError(error)) return new KeelError(SqlState.SyntaxError, String(error));
  const details = error.sqlDetails;
  const message = details?.message ?? error.message;
  const position = details === undefined ? undefined : Math.max(0, details.cursorPosition) + 1;
  return new KeelError(SqlState.SyntaxError, message, position === undefined ? {} : { position });
}
