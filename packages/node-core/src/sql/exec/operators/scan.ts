/**
 * Table scans: sequential (physical order) or B-tree index range scans (bounds evaluated once
 * per open, so parameters and outer values of an index nested loop work), projecting the
 * requested attnums and the tid, and applying the scan's quals.
 * Exports: ScanOp.
 */
import type { Row, RowBatch, Tid } from '../../../access/table-access.js';
import type { ScanNode } from '../../plan/ir/logical.js';
import { parseText } from '../../plan/registry/registry.js';
import { compileExpr, compilePredicate, layoutOf } from '../compile-expr.js';
import { type Batch, batchSize, type Operator, type Runtime } from '../runtime.js';

export class ScanOp implements Operator {
  private iterator: AsyncIterator<RowBatch> | null = null;
  private readonly project: (row: Row, tid: Tid) => Row;
  private readonly filter: ((row: Row) => boolean) | null;

  constructor(
    private readonly node: ScanNode,
    private readonly rt: Runtime,
  ) {
    const slots = node.columns.map((c) => c.attnum);
    const defaults = node.columns.map((c) => {
      const col = node.table.columns.find((x) => x.attnum === c.attnum);
      return col?.missingValue == null
        ? null
        : parseText(col.typeOid, col.missingValue, rt.evalCtx, col.typmod);
    });
    const width = slots.length;
    // The usual shape: every column in attnum order, then the tid. The decoded row is reused.
    const inOrder = slots.every((attnum, i) => (i === width - 1 ? attnum === 0 : attnum === i + 1));
    this.project = (row, tid) => {
      if (inOrder && row.length === width - 1) {
        row.push(tid);
        return row;
      }
      const out: Row = new Array(width);
      for (let i = 0; i < width; i++) {
        const attnum = slots[i] as number;
        out[i] =
          attnum === 0 ? tid : attnum <= row.length ? (row[attnum - 1] ?? null) : (defaults[i] ?? null);
      }
      return out;
    };
    const layout = layoutOf(node.columns.map((c) => c.id));
    const preds = node.filter.map((f) => compilePredicate(f, layout, rt));
    this.filter = preds.length === 0 ? null : (row) => preds.every((p) => p(row));
  }

  private open(): AsyncIterator<RowBatch> {
    const { node, rt } = this;
    const columns = [...new Set(node.columns.map((c) => c.attnum).filter((a) => a > 0))];
    const access = node.access;
    if (access.kind === 'seq')
      return rt.ctx.access.scan(node.table, { columns, batchSize })[Symbol.asyncIterator]();
    const empty = new Map<number, number>();
    const evaluate = (e: Parameters<typeof compileExpr>[0]) => compileExpr(e, empty, rt)([]);
    const equal = access.equal.map(evaluate);
    const lowerValue = access.lower === null ? null : evaluate(access.lower.value);
    const upperValue = access.upper === null ? null : evaluate(access.upper.value);
    if (
      equal.some((v) => v === null) ||
      (access.lower !== null && lowerValue === null) ||
      (access.upper !== null && upperValue === null)
    ) {
      return emptyIterator();
    }
    const lower =
      access.lower === null
        ? equal.length > 0
          ? { values: equal, inclusive: true }
          : undefined
        : { values: [...equal, lowerValue], inclusive: access.lower.inclusive };
    const upper =
      access.upper === null
        ? equal.length > 0
          ? { values: equal, inclusive: true }
          : undefined
        : { values: [...equal, upperValue], inclusive: access.upper.inclusive };
    return rt.ctx.access
      .indexScan(access.index, node.table, { columns, batchSize, lower, upper, direction: access.direction })
      [Symbol.asyncIterator]();
  }

  async next(): Promise<Batch | null> {
    this.iterator ??= this.open();
    for (;;) {
      this.rt.ctx.checkInterrupts();
      const step = await this.iterator.next();
      if (step.done) return null;
      const { rows, tids } = step.value;
      const out: Row[] = [];
      for (let i = 0; i < rows.length; i++) {
        const row = this.project(rows[i] ?? [], tids[i] as Tid);
        if (this.filter === null || this.filter(row)) out.push(row);
      }
      if (out.length > 0) return out;
    }
  }

  async close(): Promise<void> {
    await this.iterator?.return?.();
  }

  async rescan(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = null;
  }
}

function emptyIterator(): AsyncIterator<RowBatch> {
  return { next: async () => ({ done: true, value: undefined }) };
}
