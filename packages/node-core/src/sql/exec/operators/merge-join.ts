/**
 * Merge join: both inputs arrive in ascending key order with NULLs last (an index scan or a
 * Sort below). The right input is read once into memory with its keys; the left streams, and
 * for each left row the matching run of right rows is found by moving one cursor forward
 * (equal keys share the run). NULL keys never match. All join types: inner, left, right, full,
 * semi, anti; residual quals are checked on each candidate pair.
 * Exports: MergeJoinOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { JoinNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { drain } from './drain.js';
import { type JoinShape, joinShape } from './join-output.js';

interface RightRow {
  row: Row;
  keys: Value[];
  matched: boolean;
}

export class MergeJoinOp implements Operator {
  private right: RightRow[] | null = null;
  private cursor = 0;
  private finished = false;
  private emittedUnmatched = false;
  private readonly shape: JoinShape;
  private readonly leftKeys: Evaluator[];
  private readonly rightKeys: Evaluator[];

  constructor(
    private readonly node: JoinNode,
    private readonly left: Operator,
    private readonly rightInput: Operator,
    private readonly rt: Runtime,
  ) {
    this.shape = joinShape(node, rt, node.condition);
    const ll = layoutOf(outputColumns(node.left));
    const rl = layoutOf(outputColumns(node.right));
    this.leftKeys = node.keys.map((k) => compileExpr(k.left, ll, rt));
    this.rightKeys = node.keys.map((k) => compileExpr(k.right, rl, rt));
  }

  /** Left key tuple against right key tuple; a NULL right key sorts after every value. */
  private compare(l: Value[], r: Value[]): number {
    const ctx = this.rt.evalCtx;
    for (let i = 0; i < l.length; i++) {
      const a = l[i] ?? null;
      const b = r[i] ?? null;
      if (b === null) return a === null ? 0 : -1;
      if (a === null) return 1;
      const c = (this.node.keys[i] as JoinNode['keys'][number]).compare(a, b, ctx);
      if (c !== 0) return c;
    }
    return 0;
  }

  private async loadRight(): Promise<RightRow[]> {
    const rows = await drain(this.rightInput);
    return rows.map((row) => ({ row, keys: this.rightKeys.map((k) => k(row)), matched: false }));
  }

  private joinRow(l: Row, right: RightRow[], out: Row[]): void {
    const type = this.node.joinType;
    const keys = this.leftKeys.map((k) => k(l));
    let matched = false;
    if (!keys.some((k) => k === null)) {
      while (this.cursor < right.length && this.compare(keys, (right[this.cursor] as RightRow).keys) > 0)
        this.cursor++;
      for (let j = this.cursor; j < right.length; j++) {
        const r = right[j] as RightRow;
        if (this.compare(keys, r.keys) !== 0) break;
        const combined = this.shape.combine(l, r.row);
        if (!this.shape.qual(combined)) continue;
        matched = true;
        r.matched = true;
        if (type === 'semi' || type === 'anti') break;
        out.push(combined);
      }
    }
    if (type === 'semi' && matched) out.push(l);
    if (type === 'anti' && !matched) out.push(l);
    if ((type === 'left' || type === 'full') && !matched) out.push(this.shape.leftOnly(l));
  }

  async next(): Promise<Batch | null> {
    this.right ??= await this.loadRight();
    while (!this.finished) {
      const batch = await this.left.next();
      if (batch === null) {
        this.finished = true;
        break;
      }
      this.rt.ctx.checkInterrupts();
      const out: Row[] = [];
      for (const l of batch) this.joinRow(l, this.right, out);
      const pause = this.rt.spend(batch.length);
      if (pause !== undefined) await pause;
      if (out.length > 0) return out;
    }
    return this.unmatchedRight();
  }

  private unmatchedRight(): Batch | null {
    const type = this.node.joinType;
    if (this.emittedUnmatched || (type !== 'right' && type !== 'full') || this.right === null) return null;
    this.emittedUnmatched = true;
    const out = this.right.filter((r) => !r.matched).map((r) => this.shape.rightOnly(r.row));
    return out.length === 0 ? null : out;
  }

  async close(): Promise<void> {
    await this.left.close();
    await this.rightInput.close();
  }
}
