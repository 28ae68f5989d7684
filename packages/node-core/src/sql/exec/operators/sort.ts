/**
 * Sort: collects its input, sorts in memory while it fits in work_mem, otherwise writes sorted
 * runs to temp files and merges them (external merge sort, as PostgreSQL's tuplesort). A Top-N
 * sort keeps only the first `limit` rows. The sort is stable.
 * Exports: SortOp.
 */
import type { Row } from '../../../access/table-access.js';
import type { SortNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { layoutOf } from '../compile-expr.js';
import { type Batch, batchSize, type Operator, type Runtime } from '../runtime.js';
import { estimateRowBytes } from '../spill/row-codec.js';
import { TempRowFile } from '../spill/temp-file.js';
import { compileRowComparator, type KeyedRow } from './sort-keys.js';

export class SortOp implements Operator {
  private output: AsyncGenerator<Row> | null = null;
  private readonly runs: TempRowFile[] = [];
  /** Readers of the runs during the merge: returned on close, which closes their files. */
  private readers: AsyncGenerator<Row>[] = [];
  private peakBytes = 0;
  private readonly cmp: ReturnType<typeof compileRowComparator>;
  /** How the sort ran, for EXPLAIN ANALYZE ("quicksort" in memory or "external merge"). */
  method: 'quicksort' | 'external merge' | 'top-N heapsort' = 'quicksort';

  constructor(
    private readonly node: SortNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    this.cmp = compileRowComparator(node.keys, layoutOf(outputColumns(node.input)), rt);
  }

  private sortChunk(rows: KeyedRow[]): KeyedRow[] {
    const indexed = rows.map((r, i) => ({ r, i }));
    indexed.sort((a, b) => this.cmp.compare(a.r, b.r) || a.i - b.i);
    return indexed.map((x) => x.r);
  }

  private async spill(chunk: KeyedRow[]): Promise<void> {
    const file = await TempRowFile.create(this.rt.ctx.tempDir, 'sort');
    for (const k of this.sortChunk(chunk)) await file.append(k.row);
    await file.flush();
    this.runs.push(file);
  }

  private async consume(): Promise<AsyncGenerator<Row>> {
    let chunk: KeyedRow[] = [];
    let bytes = 0;
    const limit = this.node.limit;
    // Top-N: once `limit` rows are kept, a row not before the last kept one can never make it
    // (a later equal row sorts after it: the sort is stable), so most rows cost one comparison.
    let worst: KeyedRow | null = null;
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      this.rt.ctx.checkInterrupts();
      for (const row of batch) {
        const keyed = this.cmp.decorate(row);
        if (worst !== null && this.cmp.compare(keyed, worst) >= 0) continue;
        chunk.push(keyed);
        bytes += estimateRowBytes(row);
      }
      if (limit !== null && chunk.length > Math.max(2 * limit, batchSize)) {
        chunk = this.sortChunk(chunk).slice(0, limit);
        worst = chunk.length === limit ? (chunk[limit - 1] ?? null) : null;
        this.method = 'top-N heapsort';
        bytes = chunk.reduce((n, k) => n + estimateRowBytes(k.row), 0);
      }
      this.peakBytes = Math.max(this.peakBytes, bytes);
      if (bytes > this.rt.workMemBytes && limit === null) {
        await this.spill(chunk);
        chunk = [];
        bytes = 0;
      }
    }
    const all = this.sortChunk(chunk);
    const sorted = limit === null ? all : all.slice(0, limit);
    if (this.runs.length > 0) {
      this.method = 'external merge';
      if (sorted.length > 0) await this.spill(sorted);
    }
    this.report();
    return this.runs.length === 0 ? fromArray(sorted.map((k) => k.row)) : this.merge();
  }

  /** What EXPLAIN ANALYZE prints as "Sort Method: ...  Disk: ...". */
  private report(): void {
    const actual = this.rt.actuals.get(this.node);
    if (actual === undefined) return;
    actual.memory = {
      method: this.method,
      spillFiles: this.runs.length,
      diskBytes: this.runs.reduce((n, r) => n + r.bytes, 0),
      peakBytes: this.peakBytes,
    };
  }

  /** k-way merge of the sorted runs; ties go to the earlier run, so the sort stays stable. */
  private async *merge(): AsyncGenerator<Row> {
    const iters = this.runs.map((r) => r.rows());
    this.readers = iters;
    const heads: (KeyedRow | null)[] = [];
    for (const it of iters) {
      const step = await it.next();
      heads.push(step.done ? null : this.cmp.decorate(step.value));
    }
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === null || h === undefined) continue;
        const b = best < 0 ? null : heads[best];
        if (b === null || b === undefined || this.cmp.compare(h, b) < 0) best = i;
      }
      if (best < 0) return;
      const h = heads[best] as KeyedRow;
      yield h.row;
      const step = await (iters[best] as AsyncGenerator<Row>).next();
      heads[best] = step.done ? null : this.cmp.decorate(step.value);
    }
  }

  async next(): Promise<Batch | null> {
    this.output ??= await this.consume();
    const out: Row[] = [];
    while (out.length < batchSize) {
      const step = await this.output.next();
      if (step.done) break;
      out.push(step.value);
    }
    return out.length === 0 ? null : out;
  }

  async close(): Promise<void> {
    await this.input.close();
    for (const reader of this.readers) await reader.return(undefined);
    for (const run of this.runs) await run.remove();
  }

  /** Number of runs written to disk (0 when the sort fit in work_mem). */
  get spilledRuns(): number {
    return this.runs.length;
  }
}

async function* fromArray(rows: Row[]): AsyncGenerator<Row> {
  for (const row of rows) yield row;
}
