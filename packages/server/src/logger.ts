/**
 * The root logger: pino, JSON lines on stdout. Components get children with a `component`
 * field (wire, sql, wal, raft, replication, health), never loggers of their own.
 * Exports: createRootLogger, Logger.
 */
import { pino } from 'pino';
import type { LogLevel } from './config.js';

export type Logger = pino.Logger;

export function createRootLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
