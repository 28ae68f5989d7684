/**
 * Common table expressions: a CTE is computed once per statement and buffered (every reference
 * reads the buffer); WITH RECURSIVE iterates its recursive term over the previous iteration's
 * rows (the work table) until no new rows appear, de-duplicating for UNION.
 * Exports: CteScanOp, WorkTableScanOp, RecursiveUnionOp.
 */
import type { Row } from '../../../access/table-access.js';
import type { CteScanNode, PlanNode, RecursiveUnionNode, WorkTableScanNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { rowKey } from './distinct.js';
import { BatchQueue, drain } from './drain.js';

export type OpenPlan = (plan: PlanNode) => Operator;

export class CteScanOp implements Operator {
  private queue: BatchQueue | null = null;
  constructor(
    private readonly node: CteScanNode,
    private readonly open: OpenPlan,
    private readonly rt: Runtime,
  ) {}

  async next(): Promise<Batch | null> {
    if (this.queue === null) {
      const id = this.node.cte.id;
      let rows = this.rt.cteResults.get(id);
      if (rows === undefined) {
        const op = this.open(this.node.cte.plan);
        try {
          rows = await drain(op);
        } finally {
          await op.close();
        }
        this.rt.cteResults.set(id, rows);
      }
      this.queue = new BatchQueue(rows);
    }
    return this.queue.take();
  }

  async close(): Promise<void> {}
}

export class WorkTableScanOp implements Operator {
  private queue: BatchQueue | null = null;
  constructor(
    private readonly node: WorkTableScanNode,
    private readonly rt: Runtime,
  ) {}

  async next(): Promise<Batch | null> {
    this.queue ??= new BatchQueue(this.rt.workTables.get(this.node.cteId) ?? []);
    return this.queue.take();
  }

  async close(): Promise<void> {}
}

export class RecursiveUnionOp implements Operator {
  private queue: BatchQueue | null = null;
  private readonly anchorExprs: Evaluator[];
  private readonly recursiveExprs: Evaluator[];

  constructor(
    private readonly node: RecursiveUnionNode,
    private readonly open: OpenPlan,
    private readonly rt: Runtime,
  ) {
    this.anchorExprs = node.anchorExprs.map((e) => compileExpr(e, layoutOf(outputColumns(node.anchor)), rt));
    this.recursiveExprs = node.recursiveExprs.map((e) =>
      compileExpr(e, layoutOf(outputColumns(node.recursive)), rt),
    );
  }

  private async run(plan: PlanNode, exprs: Evaluator[]): Promise<Row[]> {
    const op = this.open(plan);
    try {
      return (await drain(op)).map((r) => exprs.map((e) => e(r)));
    } finally {
      await op.close();
    }
  }

  private async compute(): Promise<Row[]> {
    const seen = new Set<unknown>();
    const keep = (rows: Row[]) =>
      this.node.all
        ? rows
        : rows.filter((r) => {
            const k = rowKey(r);
            if (seen.has(k)) return false;
            seen.add(k);
            return true;
          });
    const out: Row[] = [];
    let work = keep(await this.run(this.node.anchor, this.anchorExprs));
    while (work.length > 0) {
      this.rt.ctx.checkInterrupts();
      out.push(...work);
      this.rt.workTables.set(this.node.cteId, work);
      work = keep(await this.run(this.node.recursive, this.recursiveExprs));
      await this.rt.ctx.yieldToOthers();
    }
    return out;
  }

  async next(): Promise<Batch | null> {
    this.queue ??= new BatchQueue(await this.compute());
    return this.queue.take();
  }

  async close(): Promise<void> {}
}
