/**
 * Common table expressions, computed lazily as PostgreSQL does: a CTE's rows are produced only
 * as far as some reference reads them, into a buffer every reference of the statement shares
 * (so `WITH RECURSIVE r AS (... no stop ...) SELECT * FROM r LIMIT 3` ends). WITH RECURSIVE
 * runs its recursive term over the previous iteration's rows (the work table) until an
 * iteration adds none, de-duplicating for UNION; it streams each iteration's rows as they come.
 * Exports: CteScanOp, WorkTableScanOp, RecursiveUnionOp, CteBuffer.
 */
import type { Row } from '../../../access/table-access.js';
import type { CteScanNode, PlanNode, RecursiveUnionNode, WorkTableScanNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import { rowKeyOf } from '../row-key.js';
import { type Batch, batchSize, type Operator, type Runtime } from '../runtime.js';
import { BatchQueue } from './drain.js';

export type OpenPlan = (plan: PlanNode) => Operator;

/** A CTE's rows so far and the operator producing more; shared by the statement's references. */
export interface CteBuffer {
  rows: Row[];
  producer: Operator | null;
}

export class CteScanOp implements Operator {
  private position = 0;
  constructor(
    private readonly node: CteScanNode,
    private readonly open: OpenPlan,
    private readonly rt: Runtime,
  ) {}

  private buffer(): CteBuffer {
    const id = this.node.cte.id;
    let buffer = this.rt.cteResults.get(id);
    if (buffer === undefined) {
      const producer = this.open(this.node.cte.plan);
      buffer = { rows: [], producer };
      this.rt.cteResults.set(id, buffer);
      this.rt.closeAtEnd.push(producer);
    }
    return buffer;
  }

  async next(): Promise<Batch | null> {
    const buffer = this.buffer();
    if (this.position >= buffer.rows.length && buffer.producer !== null) {
      const batch = await buffer.producer.next();
      if (batch === null) buffer.producer = null;
      else for (const row of batch) buffer.rows.push(row);
    }
    if (this.position >= buffer.rows.length) return null;
    const out = buffer.rows.slice(this.position, this.position + batchSize);
    this.position += out.length;
    return out;
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
  private readonly anchorExprs: Evaluator[];
  private readonly recursiveExprs: Evaluator[];
  private readonly seen = new Set<unknown>();
  private readonly rowKey;
  /** The running term: the anchor first, then one recursive iteration after another. */
  private current: Operator | null = null;
  private inAnchor = true;
  private finished = false;
  /** Rows of the running iteration: the next iteration's work table. */
  private produced: Row[] = [];

  constructor(
    private readonly node: RecursiveUnionNode,
    private readonly open: OpenPlan,
    private readonly rt: Runtime,
  ) {
    this.anchorExprs = node.anchorExprs.map((e) => compileExpr(e, layoutOf(outputColumns(node.anchor)), rt));
    this.recursiveExprs = node.recursiveExprs.map((e) =>
      compileExpr(e, layoutOf(outputColumns(node.recursive)), rt),
    );
    this.rowKey = rowKeyOf(node.anchorExprs.map((e) => e.type));
  }

  private keep(rows: Row[]): Row[] {
    if (this.node.all) return rows;
    return rows.filter((r) => {
      const k = this.rowKey(r);
      if (this.seen.has(k)) return false;
      this.seen.add(k);
      return true;
    });
  }

  async next(): Promise<Batch | null> {
    while (!this.finished) {
      if (this.current === null)
        this.current = this.open(this.inAnchor ? this.node.anchor : this.node.recursive);
      const batch = await this.current.next();
      if (batch !== null) {
        const exprs = this.inAnchor ? this.anchorExprs : this.recursiveExprs;
        const rows = this.keep(batch.map((r) => exprs.map((e) => e(r))));
        for (const r of rows) this.produced.push(r);
        if (rows.length > 0) return rows;
        continue;
      }
      await this.current.close();
      this.current = null;
      this.inAnchor = false;
      if (this.produced.length === 0) {
        this.finished = true;
        break;
      }
      this.rt.workTables.set(this.node.cteId, this.produced);
      this.produced = [];
      this.rt.ctx.checkInterrupts();
      await this.rt.ctx.yieldToOthers();
    }
    return null;
  }

  async close(): Promise<void> {
    await this.current?.close();
    this.current = null;
  }
}
