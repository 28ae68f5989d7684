/**
 * Per-execution state shared by the operators of one statement: the execution context,
 * values of outer (correlated or lateral) columns, materialized CTE results, recursive work
 * tables, work_mem and the EXPLAIN ANALYZE switch.
 * Exports: Runtime, Operator, Batch, createRuntime, workMemBytes, batchSize.
 */
import type { Row, Value } from '../../access/table-access.js';
import type { ExecutionContext } from '../context.js';
import type { EvalContext } from '../functions/eval-context.js';
import type { Actuals, PlanNode } from '../plan/ir/logical.js';
import { executionEvalContext } from '../type-settings.js';
import type { CteBuffer } from './operators/cte.js';

/** Rows per batch exchanged between operators (the seed's vector size). */
export const batchSize = 1024;

export type Batch = Row[];

/** A running plan node: pulls batches from its inputs, returns null when exhausted. */
export interface Operator {
  next(): Promise<Batch | null>;
  /** Releases resources (temp files) early; called once, also after an error. */
  close(): Promise<void>;
  /**
   * Starts over, re-reading parameters and outer values (an index scan inside a nested loop,
   * re-bound for each outer row without rebuilding the operator). Optional.
   */
  rescan?(): Promise<void>;
}

export interface Runtime {
  ctx: ExecutionContext;
  /** Current values of columns supplied from outside an operator's input (correlation, LATERAL). */
  outer: Map<number, Value>;
  /** CTE rows read so far, shared by the statement's references (operators/cte.ts). */
  cteResults: Map<number, CteBuffer>;
  workTables: Map<number, Row[]>;
  /** Operators not owned by one parent (a CTE's producer): closed when the statement ends. */
  closeAtEnd: Operator[];
  workMemBytes: number;
  analyze: boolean;
  /** EXPLAIN ANALYZE's counters per plan node (the plan itself stays untouched: it may be cached). */
  actuals: Map<PlanNode, Actuals>;
  /** What function implementations read: session settings, statement times, random(). */
  evalCtx: EvalContext;
  /**
   * Reports `units` of work done inside an operator's loop; now and then this checks for
   * cancellation and lets other sessions run. Operators whose inner loops can run long between
   * batches (nested loops, sorts, hash builds) call it.
   */
  spend(units: number): Promise<void> | undefined;
}

/** Work units (rows compared, tuples hashed) between cooperative checks: about 5-10 ms. */
const WORK_BETWEEN_CHECKS = 50_000;

/** work_mem in bytes from the session setting ('4MB', '64kB', '1GB', '1TB' or kilobytes), 4 MB by default. */
export function workMemBytes(setting: string | undefined): number {
  if (setting === undefined) return 4 * 1024 * 1024;
  const m = /^\s*(\d+)\s*(kB|MB|GB|TB|B)?\s*$/i.exec(setting);
  if (m === null) return 4 * 1024 * 1024;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'kB').toLowerCase();
  const factors: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
  return n * (factors[unit] ?? 1024);
}

export function createRuntime(ctx: ExecutionContext, analyze: boolean): Runtime {
  let spent = 0;
  return {
    ctx,
    spend: (units) => {
      spent += units;
      if (spent < WORK_BETWEEN_CHECKS) return undefined;
      spent = 0;
      ctx.checkInterrupts();
      return ctx.yieldToOthers().then(() => ctx.checkInterrupts());
    },
    outer: new Map(),
    cteResults: new Map(),
    workTables: new Map(),
    closeAtEnd: [],
    workMemBytes: workMemBytes(ctx.settings.get('work_mem')),
    analyze,
    actuals: new Map(),
    evalCtx: executionEvalContext(ctx),
  };
}
