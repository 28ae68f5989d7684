/**
 * The logger the storage engine is given: the subset of pino's API it uses, so the server can
 * pass a pino child logger and tests can pass a recorder. Constant messages, data in fields.
 * Exports: Logger, silentLogger.
 */

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

/** A logger that drops everything (the default when none is injected). */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => silentLogger,
};
