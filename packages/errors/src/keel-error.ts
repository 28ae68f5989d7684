/**
 * KeelError: every expected failure that a client may see. It carries a SQLSTATE (so drivers
 * can branch on it), the fields of PostgreSQL's ErrorResponse, and what the caller may do next.
 * Only the wire package turns it into bytes.
 *
 * InvariantError is different: it marks a bug (a broken internal invariant). It is never
 * caught and reported as a query error; it crashes the process, because continuing after a
 * broken invariant risks corrupting data.
 * Exports: KeelError, ErrorSeverity, ErrorFields, InvariantError, assert, assertNever, isKeelError.
 */
import { SqlState, type SqlStateCode, sqlStateClass } from './sqlstate.js';

/** Severity as PostgreSQL reports it; FATAL ends the session, PANIC the server. */
export type ErrorSeverity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

/** Optional fields of an ErrorResponse (PostgreSQL protocol, "Error and Notice Message Fields"). */
export interface ErrorFields {
  detail?: string;
  hint?: string;
  /** 1-based character position in the query text, as PostgreSQL reports it. */
  position?: number;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  severity?: ErrorSeverity;
  /** The lower-level error this one wraps. */
  cause?: unknown;
}

export class KeelError extends Error {
  readonly sqlstate: SqlStateCode;
  readonly severity: ErrorSeverity;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly dataType: string | undefined;
  readonly constraint: string | undefined;

  constructor(sqlstate: SqlStateCode, message: string, fields: ErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'KeelError';
    this.sqlstate = sqlstate;
    this.severity = fields.severity ?? 'ERROR';
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
    this.schema = fields.schema;
    this.table = fields.table;
    this.column = fields.column;
    this.dataType = fields.dataType;
    this.constraint = fields.constraint;
  }

  /** Class 40 errors (serialization failure, deadlock) succeed when the transaction is retried. */
  get retryable(): boolean {
    return sqlStateClass(this.sqlstate) === '40';
  }

  /** A copy with another severity, e.g. to report an error as FATAL before closing a session. */
  withSeverity(severity: ErrorSeverity): KeelError {
    return new KeelError(this.sqlstate, this.message, { ...this.fieldsOf(), severity });
  }

  private fieldsOf(): ErrorFields {
    return {
      detail: this.detail,
      hint: this.hint,
      position: this.position,
      schema: this.schema,
      table: this.table,
      column: this.column,
      dataType: this.dataType,
      constraint: this.constraint,
      cause: this.cause,
    };
  }
}

export function isKeelError(value: unknown): value is KeelError {
  return value instanceof KeelError;
}

/** A broken internal invariant: a bug. Never caught; the process must stop. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantError';
  }
}

/** Throws InvariantError when `condition` is false. For bugs only, never for bad input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new InvariantError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/**
 * Converts anything thrown into a KeelError for reporting to a client. Unknown errors become
 * XX000 internal_error carrying the original as cause; InvariantError is rethrown, not converted.
 */
export function toKeelError(error: unknown): KeelError {
  if (error instanceof KeelError) return error;
  if (error instanceof InvariantError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  return new KeelError(SqlState.InternalError, message, { cause: error });
}
