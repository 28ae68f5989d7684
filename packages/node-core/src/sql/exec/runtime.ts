/**
 * Per-execution state shared by the operators of one statement: the execution context,
 * values of outer (correlated or lateral) columns, materialized CTE results, recursive work
 * tables, work_mem and the EXPLAIN ANALYZE switch.
 * Exports: Runtime, Operator, Batch, createRuntime, workMemBytes, batchSize.
 */
import type { Row, Value } from '../../access/table-access.js';
import type { ExecutionContext } from '../context.js';

/** Rows per batch exchanged between operators (the seed's vector size). */
export const batchSize = 1024;

export type Batch = Row[];

/** A running plan node: pulls batches from its inputs, returns null when exhausted. */
export interface Operator {
  next(): Promise<Batch | null>;
  /** Releases resources (temp files) early; called once, also after an error. */
  close(): Promise<void>;
}

export interface Runtime {
  ctx: ExecutionContext;
  /** Current values of columns supplied from outside an operator's input (correlation, LATERAL). */
  outer: Map<number, Value>;
  cteResults: Map<number, Row[]>;
  workTables: Map<number, Row[]>;
  workMemBytes: number;
  analyze: boolean;
  /** Deterministic pseudo-random source for random() (seeded per statement). */
  random(): number;
}

/** work_mem in bytes from the session setting ('4MB', '64kB', '1GB' or kilobytes), 4 MB by default. */
export function workMemBytes(setting: string | undefined): number {
  if (setting === undefined) return 4 * 1024 * 1024;
  const m = /^\s*(\d+)\s*(kB|MB|GB|B)?\s*$/i.exec(setting);
  if (m === null) return 4 * 1024 * 1024;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'kB').toLowerCase();
  const factor = unit === 'b' ? 1 : unit === 'kb' ? 1024 : unit === 'mb' ? 1024 * 1024 : 1024 * 1024 * 1024;
  return n * factor;
}

export function createRuntime(ctx: ExecutionContext, analyze: boolean): Runtime {
  let seed = Number(ctx.statementTimestamp % 2147483647n) || 1;
  return {
    ctx,
    outer: new Map(),
    cteResults: new Map(),
    workTables: new Map(),
    workMemBytes: workMemBytes(ctx.settings.get('work_mem')),
    analyze,
    random: () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    },
  };
}
