/**
 * Set-returning functions: FunctionScan (a function in FROM, WITH ORDINALITY) and ProjectSet
 * (set-returning functions in the SELECT list, advanced in lockstep as PostgreSQL 10+ does,
 * shorter results padded with NULL).
 * Exports: FunctionScanOp, ProjectSetOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { SetReturning } from '../../plan/ir/expr.js';
import type { FunctionScanNode, ProjectSetNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { makeRecord } from '../../plan/registry/registry.js';
import type { Value as TypedValue } from '../../types/value.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { BatchQueue } from './drain.js';

/** The rows of a set-returning call: one array of column values per row. */
function callSet(srf: SetReturning, strict: boolean, args: Value[], rt: Runtime): Value[][] {
  if (strict && args.some((a) => a === null)) return [];
  return srf.rows(args as TypedValue[], rt.evalCtx);
}

export class FunctionScanOp implements Operator {
  private queue: BatchQueue | null = null;
  constructor(
    private readonly node: FunctionScanNode,
    private readonly rt: Runtime,
  ) {}

  async next(): Promise<Batch | null> {
    if (this.queue === null) {
      const empty = new Map<number, number>();
      const args = this.node.args.map((a) => compileExpr(a, empty, this.rt)([]));
      const rows = callSet(this.node.srf, this.node.strict, args, this.rt);
      const ordinality = this.node.ordinality !== null;
      this.queue = new BatchQueue(ordinality ? rows.map((r, i) => [...r, BigInt(i + 1)]) : rows);
    }
    return this.queue.take();
  }

  async close(): Promise<void> {}
}

export class ProjectSetOp implements Operator {
  private readonly outputs: { plain: Evaluator | null; args: Evaluator[] }[];
  constructor(
    private readonly node: ProjectSetNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    this.outputs = node.outputs.map((o) =>
      o.srf === null
        ? { plain: compileExpr(o.expr, layout, rt), args: [] }
        : { plain: null, args: o.srf.args.map((a) => compileExpr(a, layout, rt)) },
    );
  }

  async next(): Promise<Batch | null> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      const out: Row[] = [];
      for (const row of batch) this.expand(row, out);
      if (out.length > 0) return out;
    }
    return null;
  }

  private expand(row: Row, out: Row[]): void {
    const sets = this.node.outputs.map((o, i) => {
      const c = this.outputs[i];
      if (o.srf === null || c === undefined) return null;
      const rows = callSet(
        o.srf.srf,
        o.srf.strict,
        c.args.map((a) => a(row)),
        this.rt,
      );
      // A multi-column function in the SELECT list yields one record per row.
      const columns = o.srf.srf.columns;
      return columns.length === 1
        ? rows.map((r) => r[0] ?? null)
        : rows.map((r) =>
            makeRecord(
              columns.map((col) => col.type),
              r,
              columns.map((col) => col.name),
            ),
          );
    });
    const n = Math.max(0, ...sets.map((s) => (s === null ? 0 : s.length)));
    for (let i = 0; i < n; i++) {
      out.push(this.outputs.map((c, j) => (c.plain !== null ? c.plain(row) : (sets[j]?.[i] ?? null))));
    }
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
