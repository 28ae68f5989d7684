/**
 * UNION / INTERSECT / EXCEPT [ALL] with hashing: UNION ALL streams both sides; the others count
 * occurrences per distinct row (left and right) and emit PostgreSQL's multiplicities.
 * Exports: SetOpOp.
 */
import type { Row } from '../../../access/table-access.js';
import type { SetOpNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import { type RowKey, rowKeyOf } from '../row-key.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { BatchQueue } from './drain.js';

export class SetOpOp implements Operator {
  private queue: BatchQueue | null = null;
  private leftDone = false;
  private readonly seen = new Set<unknown>();
  private readonly leftExprs: Evaluator[];
  private readonly rightExprs: Evaluator[];
  private readonly rowKey: RowKey;

  constructor(
    private readonly node: SetOpNode,
    private readonly left: Operator,
    private readonly right: Operator,
    rt: Runtime,
  ) {
    const ll = layoutOf(outputColumns(node.left));
    const rl = layoutOf(outputColumns(node.right));
    this.leftExprs = node.leftExprs.map((e) => compileExpr(e, ll, rt));
    this.rightExprs = node.rightExprs.map((e) => compileExpr(e, rl, rt));
    this.rowKey = rowKeyOf(node.leftExprs.map((e) => e.type));
  }

  private convert(rows: Row[], exprs: Evaluator[]): Row[] {
    return rows.map((r) => exprs.map((e) => e(r)));
  }

  async next(): Promise<Batch | null> {
    if (this.node.op === 'union') return this.nextUnion();
    this.queue ??= new BatchQueue(await this.counted());
    return this.queue.take();
  }

  private async nextUnion(): Promise<Batch | null> {
    for (;;) {
      const side = this.leftDone ? this.right : this.left;
      const batch = await side.next();
      if (batch === null) {
        if (this.leftDone) return null;
        this.leftDone = true;
        continue;
      }
      const rows = this.convert(batch, this.leftDone ? this.rightExprs : this.leftExprs);
      if (this.node.all) return rows;
      const out = rows.filter((r) => {
        const k = this.rowKey(r);
        if (this.seen.has(k)) return false;
        this.seen.add(k);
        return true;
      });
      if (out.length > 0) return out;
    }
  }

  private async counted(): Promise<Row[]> {
    const groups = new Map<unknown, { row: Row; left: number; right: number }>();
    const add = async (op: Operator, exprs: Evaluator[], side: 'left' | 'right') => {
      for (let b = await op.next(); b !== null; b = await op.next()) {
        for (const row of this.convert(b, exprs)) {
          const k = this.rowKey(row);
          let g = groups.get(k);
          if (g === undefined) {
            if (side === 'right') continue;
            g = { row, left: 0, right: 0 };
            groups.set(k, g);
          }
          g[side]++;
        }
      }
    };
    await add(this.left, this.leftExprs, 'left');
    await add(this.right, this.rightExprs, 'right');
    const out: Row[] = [];
    for (const g of groups.values()) {
      const n = this.multiplicity(g.left, g.right);
      for (let i = 0; i < n; i++) out.push(g.row);
    }
    return out;
  }

  private multiplicity(left: number, right: number): number {
    if (this.node.op === 'intersect')
      return this.node.all ? Math.min(left, right) : left > 0 && right > 0 ? 1 : 0;
    return this.node.all ? Math.max(0, left - right) : left > 0 && right === 0 ? 1 : 0;
  }

  async close(): Promise<void> {
    await this.left.close();
    await this.right.close();
  }
}
