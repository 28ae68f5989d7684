/**
 * DISTINCT (hash of whole rows, first occurrence kept, streaming) and DISTINCT ON (first row of
 * each run of equal ON values; the input is sorted by them).
 * Exports: DistinctOp, rowKey.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { DistinctNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { hashKeyOf } from '../../plan/registry/registry.js';
import { compileExpr, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';

/** A hashable key for a list of values (equal values give equal keys). */
export function rowKey(values: Value[]): string | number | bigint | boolean | null {
  if (values.length === 1) {
    const k = hashKeyOf(values[0] ?? null);
    return typeof k === 'string' ? `s${k}` : k;
  }
  let out = '';
  for (const v of values) {
    const k = hashKeyOf(v);
    out += k === null ? '\u0001N' : `\u0001${typeof k}${String(k)}`;
  }
  return out;
}

export class DistinctOp implements Operator {
  private readonly seen = new Set<unknown>();
  private last: unknown = undefined;
  private readonly onKeys: ((row: Row) => Value[]) | null;

  constructor(
    node: DistinctNode,
    private readonly input: Operator,
    rt: Runtime,
  ) {
    if (node.on === null) this.onKeys = null;
    else {
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
          const key = rowKey(row);
          if (this.seen.has(key)) continue;
          this.seen.add(key);
          out.push(row);
        } else {
          const key = rowKey(this.onKeys(row));
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
