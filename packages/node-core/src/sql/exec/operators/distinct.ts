/**
 * DISTINCT (hash of whole rows, first occurrence kept, streaming) and DISTINCT ON (first row of
 * each run of equal ON values; the input is sorted by them).
 * Exports: DistinctOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { DistinctNode } from '../../plan/ir/logical.js';
import { outputColumns, outputTypes } from '../../plan/ir/logical.js';
import { compileExpr, layoutOf } from '../compile-expr.js';
import { type RowKey, rowKeyOf } from '../row-key.js';
import type { Batch, Operator, Runtime } from '../runtime.js';

export class DistinctOp implements Operator {
  private readonly seen = new Set<unknown>();
  private last: unknown = undefined;
  private readonly onKeys: ((row: Row) => Value[]) | null;
  private readonly rowKey: RowKey;

  constructor(
    node: DistinctNode,
    private readonly input: Operator,
    rt: Runtime,
  ) {
    if (node.on === null) {
      this.onKeys = null;
      this.rowKey = rowKeyOf(outputTypes(node.input));
    } else {
      this.rowKey = rowKeyOf(node.on.map((e) => e.type));
      const layout = layoutOf(outputColumns(node.input));
      const evals = node.on.map((e) => compileExpr(e, layout, rt));
      this.onKeys = (row) => evals.map((e) => e(row));
    }
  }

  async next(): Promise<Batch | null> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      const out: Row[] = [];
      for (const row of batch) {
        if (this.onKeys === null) {
          const key = this.rowKey(row);
          if (this.seen.has(key)) continue;
          this.seen.add(key);
          out.push(row);
        } else {
          const key = this.rowKey(this.onKeys(row));
          if (key === this.last && this.last !== undefined) continue;
          this.last = key;
          out.push(row);
        }
      }
      if (out.length > 0) return out;
    }
    return null;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
