/**
 * The logger the wire package writes to: a pino-compatible subset, so the server passes its root
 * pino logger (or a child) and tests pass a recording fake. Constant messages, data in fields;
 * nothing is logged per row or per message on the hot path.
 * Exports: Logger, silentLogger.
 */

export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything: the default where the caller does not care. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
