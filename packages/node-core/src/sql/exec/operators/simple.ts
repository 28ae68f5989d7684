/**
 * Stateless row operators: Filter (quals), Project (target expressions), Values, Result (one
 * empty row) and the system-view scan.
 * Exports: FilterOp, ProjectOp, ValuesOp, ResultOp, VirtualScanOp.
 */
import type { Row } from '../../../access/table-access.js';
import type { FilterNode, ProjectNode, ValuesNode, VirtualScanNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, compilePredicate, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { BatchQueue } from './drain.js';

export class FilterOp implements Operator {
  private readonly test: (row: Row) => boolean;
  constructor(
    node: FilterNode,
    private readonly input: Operator,
    rt: Runtime,
  ) {
    this.test = compilePredicate(node.predicate, layoutOf(outputColumns(node.input)), rt);
  }

  async next(): Promise<Batch | null> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      const out = batch.filter(this.test);
      if (out.length > 0) return out;
    }
    return null;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}

export class ProjectOp implements Operator {
  private readonly exprs: Evaluator[];
  constructor(
    node: ProjectNode,
    private readonly input: Operator,
    rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    this.exprs = node.outputs.map((o) => compileExpr(o.expr, layout, rt));
  }

  async next(): Promise<Batch | null> {
    const batch = await this.input.next();
    if (batch === null) return null;
    const exprs = this.exprs;
    const n = exprs.length;
    const out: Row[] = new Array(batch.length);
    for (let r = 0; r < batch.length; r++) {
      const row = batch[r] as Row;
      const result: Row = new Array(n);
      for (let i = 0; i < n; i++) result[i] = (exprs[i] as Evaluator)(row);
      out[r] = result;
    }
    return out;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}

export class ValuesOp implements Operator {
  private done = false;
  constructor(
    private readonly node: ValuesNode,
    private readonly rt: Runtime,
  ) {}

  async next(): Promise<Batch | null> {
    if (this.done) return null;
    this.done = true;
    const empty = new Map<number, number>();
    const rows = this.node.rows.map((r) => r.map((e) => compileExpr(e, empty, this.rt)([])));
    return rows.length === 0 ? null : rows;
  }

  async close(): Promise<void> {}
}

export class ResultOp implements Operator {
  private done = false;
  async next(): Promise<Batch | null> {
    if (this.done) return null;
    this.done = true;
    return [[]];
  }

  async close(): Promise<void> {}
}

export class VirtualScanOp implements Operator {
  private queue: BatchQueue | null = null;
  constructor(
    private readonly node: VirtualScanNode,
    private readonly rt: Runtime,
  ) {}

  async next(): Promise<Batch | null> {
    if (this.queue === null) {
      const layout = layoutOf(this.node.columns.map((c) => c.id));
      const preds = this.node.filter.map((f) => compilePredicate(f, layout, this.rt));
      const rows = this.node.table
        .rows()
        .map((r) => this.node.columns.map((c) => r[c.index] ?? null))
        .filter((r) => preds.every((p) => p(r)));
      this.queue = new BatchQueue(rows);
    }
    return this.queue.take();
  }

  async close(): Promise<void> {}
}
