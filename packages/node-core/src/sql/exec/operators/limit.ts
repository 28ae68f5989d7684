/**
 * LIMIT/OFFSET/FETCH FIRST [WITH TIES]: stops pulling its input as soon as it has enough rows,
 * so a portal's row limit and LIMIT 1 over an index scan read little.
 * Exports: LimitOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { LimitNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, invalidRowCount, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { compareKeys } from './sort-keys.js';

export class LimitOp implements Operator {
  private remaining: number | null = null;
  private skip = 0;
  private done = false;
  private lastKeys: Value[] | null = null;
  private readonly tieKeys: ((row: Row) => Value[]) | null;

  constructor(
    private readonly node: LimitNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    const ties = node.withTies;
    if (ties === null) this.tieKeys = null;
    else {
      const evals = ties.map((k) => compileExpr(k.expr, layout, rt));
      this.tieKeys = (row) => evals.map((e) => e(row));
    }
  }

  private init(): void {
    const empty = new Map<number, number>();
    const limit = this.node.limit === null ? null : compileExpr(this.node.limit, empty, this.rt)([]);
    const offset = this.node.offset === null ? null : compileExpr(this.node.offset, empty, this.rt)([]);
    if (limit !== null && (limit as bigint) < 0n) throw invalidRowCount('LIMIT');
    if (offset !== null && (offset as bigint) < 0n) throw invalidRowCount('OFFSET');
    this.remaining = limit === null ? Number.POSITIVE_INFINITY : Number(limit);
    this.skip = offset === null ? 0 : Number(offset);
  }

  async next(): Promise<Batch | null> {
    if (this.remaining === null) this.init();
    while (!this.done) {
      const batch = await this.input.next();
      if (batch === null) break;
      const out = this.take(batch);
      if (out.length > 0) return out;
    }
    this.done = true;
    return null;
  }

  private take(batch: Batch): Row[] {
    let rows = batch;
    if (this.skip > 0) {
      const n = Math.min(this.skip, rows.length);
      this.skip -= n;
      rows = rows.slice(n);
    }
    const out: Row[] = [];
    for (const row of rows) {
      if ((this.remaining ?? 0) > 0) {
        out.push(row);
        this.remaining = (this.remaining ?? 0) - 1;
        if (this.remaining === 0 && this.tieKeys !== null) this.lastKeys = this.tieKeys(row);
        continue;
      }
      if (
        this.tieKeys !== null &&
        this.lastKeys !== null &&
        compareKeys(this.node.withTies ?? [], this.tieKeys(row), this.lastKeys) === 0
      ) {
        out.push(row);
        continue;
      }
      this.done = true;
      break;
    }
    if (this.remaining === 0 && this.tieKeys === null) this.done = true;
    return out;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
