/**
 * Set-returning functions: FunctionScan (a function in FROM, WITH ORDINALITY) and ProjectSet
 * (set-returning functions in the SELECT list, advanced in lockstep as PostgreSQL 10+ does,
 * shorter results padded with NULL).
 * Exports: FunctionScanOp, ProjectSetOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { FunctionScanNode, ProjectSetNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { BatchQueue } from './drain.js';

function callSet(fn: FunctionScanNode['fn'], args: Value[], argTypes: number[], rt: Runtime): Value[] {
  if (fn.strict && args.some((a) => a === null)) return [];
  const v = fn.fn(args, { argTypes, random: rt.random });
  return fn.returnsSet ? (v as Value[]) : [v === undefined ? null : v];
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
      const values = callSet(this.node.fn, args, this.node.argTypes, this.rt);
      const ordinality = this.node.ordinality !== null;
      this.queue = new BatchQueue(values.map((v, i) => (ordinality ? [v, BigInt(i + 1)] : [v])));
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
      return callSet(
        o.srf.fn,
        c.args.map((a) => a(row)),
        o.srf.argTypes,
        this.rt,
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
