/**
 * Aggregation: plain (one row, even over no input), hashed GROUP BY, and GROUPING SETS (one
 * pass per set, grouping-id column for GROUPING()). Aggregates support FILTER, DISTINCT and
 * ORDER BY inside the call. When the hash table outgrows work_mem, rows of groups not yet in
 * memory are spilled to hash partitions on disk and aggregated partition by partition.
 * Exports: AggregateOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { AggCall, AggregateNode, SortKey } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { comparatorFor } from '../../plan/registry/registry.js';
import type { Value as TypedValue } from '../../types/value.js';
import { compileExpr, compilePredicate, type Evaluator, type Layout, layoutOf } from '../compile-expr.js';
import { type RowKey, rowKeyOf } from '../row-key.js';
import { type Batch, batchSize, type Operator, type Runtime } from '../runtime.js';
import { estimateRowBytes } from '../spill/row-codec.js';
import { TempRowFile } from '../spill/temp-file.js';
import { BatchQueue } from './drain.js';
import { compileRowComparator, type KeyedRow } from './sort-keys.js';

interface CompiledAgg {
  call: AggCall;
  filter: ((row: Row) => boolean) | null;
  /** The argument values of one row (a fresh array: implementations may keep it). */
  argsOf: (row: Row) => TypedValue[];
  /** Key of the argument values, for DISTINCT. */
  argKey: RowKey;
  order: ReturnType<typeof compileRowComparator> | null;
}

interface Group {
  keys: Value[];
  states: unknown[];
  distinct: (Set<unknown> | null)[];
  /** Rows buffered for aggregates with ORDER BY. */
  ordered: (KeyedRow[] | null)[];
}

const partitionCount = 8;

export class AggregateOp implements Operator {
  private queue: BatchQueue | null = null;
  private readonly groupEvals: Evaluator[];
  private readonly aggs: CompiledAgg[];
  private readonly groupKey: RowKey;
  private readonly spills: TempRowFile[] = [];
  /** Partitions written because the hash table exceeded work_mem (for EXPLAIN ANALYZE). */
  spilledPartitions = 0;
  private peakBytes = 0;

  constructor(
    private readonly node: AggregateNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    this.groupEvals = node.groupBy.map((g) => compileExpr(g.expr, layout, rt));
    this.aggs = node.aggregates.map((call) => ({
      call,
      filter: call.filter === null ? null : compilePredicate(call.filter, layout, rt),
      argsOf: argsEvaluator(call.args.map((a) => compileExpr(a, layout, rt))),
      argKey: rowKeyOf(call.argTypes),
      order: orderOf(call, layout, rt),
    }));
    this.groupKey = rowKeyOf(node.groupBy.map((g) => g.expr.type));
  }

  private newGroup(keys: Value[]): Group {
    return {
      keys,
      states: this.aggs.map((a) => a.call.agg.init()),
      distinct: this.aggs.map((a) => (a.call.distinct ? new Set<unknown>() : null)),
      ordered: this.aggs.map((a) => (a.order === null ? null : [])),
    };
  }

  private accumulate(group: Group, row: Row): void {
    const ctx = this.rt.evalCtx;
    const aggs = this.aggs;
    for (let i = 0; i < aggs.length; i++) {
      const a = aggs[i] as CompiledAgg;
      if (a.filter !== null && !a.filter(row)) continue;
      const args = a.argsOf(row);
      if (a.call.skipNulls && hasNull(args)) continue;
      const seen = group.distinct[i];
      if (seen !== null && seen !== undefined) {
        const key = a.argKey(args);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      const ordered = group.ordered[i];
      if (ordered !== null && ordered !== undefined && a.order !== null) {
        ordered.push({ ...a.order.decorate(row), row: args });
        continue;
      }
      group.states[i] = a.call.agg.transition(group.states[i], args, ctx);
    }
  }

  private finish(group: Group, set: number[] | null, setIndex: number): Row {
    const ctx = this.rt.evalCtx;
    const values = this.aggs.map((a, i) => {
      let state = group.states[i];
      const ordered = group.ordered[i];
      if (ordered !== null && ordered !== undefined && a.order !== null) {
        const order = a.order;
        ordered.sort((x, y) => order.compare(x, y));
        for (const k of ordered) state = a.call.agg.transition(state, k.row as TypedValue[], ctx);
      }
      return a.call.agg.final(state, ctx);
    });
    const keys = set === null ? group.keys : group.keys.map((k, i) => (set.includes(i) ? k : null));
    const row: Row = [...keys, ...values];
    if (this.node.groupingIdColumn !== null) {
      let mask = 0;
      for (let i = 0; i < keys.length; i++) if (set !== null && !set.includes(i)) mask |= 1 << i;
      row.push(mask);
      void setIndex;
    }
    return row;
  }

  /** Aggregates every batch `next` yields (grouped by `set`), spilling past work_mem. */
  private async aggregateRows(
    next: () => Promise<readonly Row[] | null>,
    set: number[] | null,
    setIndex: number,
    depth: number,
  ): Promise<Row[]> {
    const groups = new Map<unknown, Group>();
    let bytes = 0;
    const partitions: (TempRowFile | null)[] = new Array(partitionCount).fill(null);
    const plain = this.node.groupBy.length === 0 || (set !== null && set.length === 0);
    const buffering = this.aggs.some((a) => a.call.distinct || a.order !== null);
    const evals = this.groupEvals;
    let single: Group | null = null;
    for (let batch = await next(); batch !== null; batch = await next()) {
      this.rt.ctx.checkInterrupts();
      for (let r = 0; r < batch.length; r++) {
        const row = batch[r] as Row;
        if (plain) {
          single ??= this.newGroup(evals.map(() => null));
          this.accumulate(single, row);
          continue;
        }
        const keys: Value[] = new Array(evals.length);
        for (let i = 0; i < evals.length; i++)
          keys[i] = set === null || set.includes(i) ? (evals[i] as Evaluator)(row) : null;
        const key = this.groupKey(keys);
        let group = groups.get(key);
        if (group === undefined) {
          if (bytes > this.rt.workMemBytes && depth < 3) {
            await this.spillRow(partitions, key, row, depth);
            continue;
          }
          group = this.newGroup(keys);
          groups.set(key, group);
          bytes += estimateRowBytes(keys) + 64 * this.aggs.length;
        }
        this.accumulate(group, row);
        if (buffering) bytes += estimateRowBytes(row);
      }
      if (bytes > this.peakBytes) this.peakBytes = bytes;
      const pause = this.rt.spend(batch.length);
      if (pause !== undefined) await pause;
    }
    if (plain) {
      // An aggregate without GROUP BY (or the empty grouping set) has one row, even over no input.
      if (single !== null || this.node.groupBy.length === 0 || set !== null)
        groups.set(0, single ?? this.newGroup(evals.map(() => null)));
    }
    const out: Row[] = [];
    for (const g of groups.values()) out.push(this.finish(g, set, setIndex));
    for (const p of partitions) {
      if (p === null) continue;
      const rows = p.rows();
      const more = await this.aggregateRows(() => readChunk(rows), set, setIndex, depth + 1);
      for (const row of more) out.push(row);
      await p.remove();
    }
    return out;
  }

  private async spillRow(
    partitions: (TempRowFile | null)[],
    key: unknown,
    row: Row,
    depth: number,
  ): Promise<void> {
    const h = hashString(`${depth}:${String(key)}`) % partitionCount;
    let file = partitions[h] ?? null;
    if (file === null) {
      file = await TempRowFile.create(this.rt.ctx.tempDir, 'hashagg');
      partitions[h] = file;
      this.spills.push(file);
      this.spilledPartitions++;
    }
    await file.append(row);
  }

  private async compute(): Promise<Row[]> {
    const sets = this.node.groupingSets;
    if (sets === null) return this.aggregateRows(() => this.input.next(), null, 0, 0);
    const input: Row[] = [];
    for (let b = await this.input.next(); b !== null; b = await this.input.next())
      for (const r of b) input.push(r);
    const out: Row[] = [];
    for (let i = 0; i < sets.length; i++) {
      let offset = 0;
      const chunk = async () => {
        if (offset >= input.length) return null;
        const rows = input.slice(offset, offset + batchSize);
        offset += batchSize;
        return rows;
      };
      for (const row of await this.aggregateRows(chunk, sets[i] ?? [], i, 0)) out.push(row);
    }
    return out;
  }

  async next(): Promise<Batch | null> {
    if (this.queue === null) {
      this.queue = new BatchQueue(await this.compute());
      this.report();
    }
    return this.queue.take();
  }

  /** What EXPLAIN ANALYZE prints as "Batches: n  Memory Usage: ...  Disk Usage: ...". */
  private report(): void {
    const actual = this.rt.actuals.get(this.node);
    if (actual === undefined) return;
    actual.memory = {
      method: 'hash',
      spillFiles: this.spills.length,
      diskBytes: this.spills.reduce((n, f) => n + f.bytes, 0),
      peakBytes: this.peakBytes,
    };
  }

  async close(): Promise<void> {
    await this.input.close();
    for (const f of this.spills) await f.remove();
  }
}

/**
 * The order an aggregate sees its rows in: its ORDER BY; for DISTINCT without one, the sorted
 * arguments (PostgreSQL sorts to find distinct values, so array_agg(DISTINCT x) comes out sorted).
 */
function orderOf(call: AggCall, layout: Layout, rt: Runtime): ReturnType<typeof compileRowComparator> | null {
  if (call.orderBy.length > 0) return compileRowComparator(call.orderBy, layout, rt);
  if (!call.distinct) return null;
  const keys: SortKey[] = call.args.map((expr) => ({
    expr,
    descending: false,
    nullsFirst: false,
    compare: comparatorFor(expr.type),
  }));
  return compileRowComparator(keys, layout, rt);
}

const noArgs: TypedValue[] = [];

function argsEvaluator(evals: Evaluator[]): (row: Row) => TypedValue[] {
  const [first] = evals;
  if (first === undefined) return () => noArgs;
  if (evals.length === 1) return (row) => [first(row) as TypedValue];
  return (row) => evals.map((e) => e(row)) as TypedValue[];
}

/** Up to one batch of rows from a spill file's row stream; null at its end. */
async function readChunk(rows: AsyncIterator<Row>): Promise<Row[] | null> {
  const out: Row[] = [];
  while (out.length < batchSize) {
    const step = await rows.next();
    if (step.done === true) break;
    out.push(step.value);
  }
  return out.length === 0 ? null : out;
}

function hasNull(values: readonly TypedValue[]): boolean {
  for (const v of values) if (v === null) return true;
  return false;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
