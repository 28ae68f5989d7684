/**
 * The logging interface the replication package accepts: the subset of pino's API it uses, so the
 * server passes `rootLogger.child({ component: 'replication' })` unchanged, and tests pass a recorder.
 * Constant message, data in fields. Exports: Logger, LogFields, silentLogger.
 */

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(fields: LogFields, msg: string): void;
  child(bindings: LogFields): Logger;
}

function discard(_fields: LogFields, _msg: string): void {}

/** A logger that drops everything: the default when the host passes none. */
export const silentLogger: Logger = {
  debug: discard,
  info: discard,
  warn: discard,
  error: discard,
  child: () => silentLogger,
};
