/**
 * Nested loop join, all join types. The inner side is materialized once, unless the join is
 * LATERAL (or an index nested loop): then the inner plan is re-opened for every outer row with
 * the outer row's columns published as outer values.
 * Exports: NestedLoopOp.
 */
import type { Row } from '../../../access/table-access.js';
import type { JoinNode, PlanNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { drain } from './drain.js';
import { type JoinShape, joinShape } from './join-output.js';

export class NestedLoopOp implements Operator {
  private inner: Row[] | null = null;
  private innerMatched: boolean[] = [];
  private finished = false;
  private emittedUnmatched = false;
  private readonly shape: JoinShape;
  private readonly leftIds: number[];
  /** The lateral inner operator, kept across outer rows when it can re-scan. */
  private lateralInner: Operator | null = null;

  constructor(
    private readonly node: JoinNode,
    private readonly left: Operator,
    private readonly openRight: () => Operator,
    private readonly rt: Runtime,
  ) {
    this.shape = joinShape(node, rt, node.condition);
    this.leftIds = outputColumns(node.left);
  }

  private async innerRows(l: Row): Promise<Row[]> {
    if (!this.node.lateral) {
      if (this.inner === null) {
        this.inner = await drain(this.openRight());
        this.innerMatched = this.inner.map(() => false);
      }
      return this.inner;
    }
    for (let i = 0; i < this.leftIds.length; i++) this.rt.outer.set(this.leftIds[i] as number, l[i] ?? null);
    const reusable = this.lateralInner;
    if (reusable?.rescan !== undefined) {
      await reusable.rescan();
      return drain(reusable);
    }
    const op = this.openRight();
    if (op.rescan !== undefined) {
      this.lateralInner = op;
      return drain(op);
    }
    try {
      return await drain(op);
    } finally {
      await op.close();
    }
  }

  private async joinRow(l: Row, out: Row[]): Promise<void> {
    const type = this.node.joinType;
    const rows = await this.innerRows(l);
    let matched = false;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as Row;
      const combined = this.shape.combine(l, r);
      if (!this.shape.qual(combined)) continue;
      matched = true;
      if (!this.node.lateral) this.innerMatched[i] = true;
      if (type === 'semi' || type === 'anti') break;
      out.push(combined);
    }
    if (type === 'semi' && matched) out.push(l);
    if (type === 'anti' && !matched) out.push(l);
    if ((type === 'left' || type === 'full') && !matched) out.push(this.shape.leftOnly(l));
  }

  async next(): Promise<Batch | null> {
    while (!this.finished) {
      const batch = await this.left.next();
      if (batch === null) {
        this.finished = true;
        break;
      }
      this.rt.ctx.checkInterrupts();
      const out: Row[] = [];
      for (const l of batch) {
        await this.joinRow(l, out);
        const pause = this.rt.spend(this.inner?.length ?? 1);
        if (pause !== undefined) await pause;
      }
      if (out.length > 0) return out;
    }
    return this.unmatchedInner();
  }

  private async unmatchedInner(): Promise<Batch | null> {
    const type = this.node.joinType;
    if (this.emittedUnmatched || (type !== 'right' && type !== 'full')) return null;
    this.emittedUnmatched = true;
    if (this.inner === null) {
      this.inner = await drain(this.openRight());
      this.innerMatched = this.inner.map(() => false);
    }
    const out = this.inner.filter((_, i) => !this.innerMatched[i]).map((r) => this.shape.rightOnly(r));
    return out.length === 0 ? null : out;
  }

  async close(): Promise<void> {
    await this.left.close();
    await this.lateralInner?.close();
  }
}

export type { PlanNode };
