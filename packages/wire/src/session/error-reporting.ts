/**
 * Turning what a backend call threw into what the client sees. A KeelError is reported as it is
 * (an ERROR keeps the session; FATAL or PANIC ends it). Anything else is a failure the engine did
 * not expect: it is logged with its stack and reported as XX000 with its message. An
 * InvariantError is a bug and is rethrown untouched, so it crashes the process instead of being
 * reported (STYLE.md, "Bugs are not errors").
 * Exports: toReportableError, callBackend, endsSession, asErrorReport.
 */
import { InvariantError, isKeelError, KeelError, SqlState } from '@keel/errors';
import type { ErrorReport } from '../codec/error-response.js';
import type { Logger } from '../logger.js';

export function toReportableError(error: unknown, logger: Logger): KeelError {
  if (error instanceof InvariantError) throw error;
  if (isKeelError(error)) return error;
  logger.error({ err: error }, 'internal error in a backend call');
  const message = error instanceof Error ? error.message : String(error);
  return new KeelError(SqlState.InternalError, message, { cause: error });
}

/** Runs a synchronous backend call, turning what it throws into a reportable KeelError. */
export function callBackend<T>(work: () => T, logger: Logger): T {
  try {
    return work();
  } catch (error) {
    throw toReportableError(error, logger);
  }
}

/** FATAL and PANIC end the session after the ErrorResponse. */
export function endsSession(error: KeelError): boolean {
  return error.severity === 'FATAL' || error.severity === 'PANIC';
}

/** A thrown error is at least an ERROR, whatever severity it was built with. */
export function asErrorReport(error: KeelError): ErrorReport {
  const severity = endsSession(error) ? error.severity : 'ERROR';
  return {
    severity,
    sqlstate: error.sqlstate,
    message: error.message,
    detail: error.detail,
    hint: error.hint,
    position: error.position,
    schema: error.schema,
    table: error.table,
    column: error.column,
    dataType: error.dataType,
    constraint: error.constraint,
  };
}
