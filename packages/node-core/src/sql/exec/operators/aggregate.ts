/**
 * Aggregation: plain (one row, even over no input), hashed GROUP BY, and GROUPING SETS (one
 * pass per set, grouping-id column for GROUPING()). Aggregates support FILTER, DISTINCT and
 * ORDER BY inside the call. When the hash table outgrows work_mem, rows of groups not yet in
 * memory are spilled to hash partitions on disk and aggregated partition by partition.
 * Exports: AggregateOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { AggCall, AggregateNode, SortKey } from '../../plan/ir/logical.js';
import { comparatorFor } from '../../plan/registry/registry.js';
import { outputColumns } from '../../plan/ir/logical.js';
import type { Value as TypedValue } from '../../types/value.js';
import { compileExpr, compilePredicate, type Evaluator, type Layout, layoutOf } from '../compile-expr.js';
import { type RowKey, rowKeyOf } from '../row-key.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { estimateRowBytes } from '../spill/row-codec.js';
import { TempRowFile } from '../spill/temp-file.js';
import { BatchQueue } from './drain.js';
import { compileRowComparator, type KeyedRow } from './sort-keys.js';

interface CompiledAgg {
  call: AggCall;
  args: Evaluator[];
  filter: ((row: Row) => boolean) | null;
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

  constructor(
    private readonly node: AggregateNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    this.groupEvals = node.groupBy.map((g) => compileExpr(g.expr, layout, rt));
    this.aggs = node.aggregates.map((call) => ({
      call,
      args: call.args.map((a) => compileExpr(a, layout, rt)),
      filter: call.filter === null ? null : compilePredicate(call.filter, layout, rt),
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
      const args = a.args.map((e) => e(row)) as TypedValue[];
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

  private async aggregateRows(
    source: AsyncIterable<Row> | Row[],
    set: number[] | null,
    setIndex: number,
    depth: number,
  ): Promise<Row[]> {
    const groups = new Map<unknown, Group>();
    let bytes = 0;
    const partitions: (TempRowFile | null)[] = new Array(partitionCount).fill(null);
    const plain = this.node.groupBy.length === 0 || (set !== null && set.length === 0);
    for await (const row of source as AsyncIterable<Row>) {
      const keys = this.groupEvals.map((e, i) => (set === null || set.includes(i) ? e(row) : null));
      const key = plain ? 0 : this.groupKey(keys);
      let group = groups.get(key);
      if (group === undefined) {
        if (bytes > this.rt.workMemBytes && depth < 3 && !plain) {
          await this.spillRow(partitions, key, row, depth);
          continue;
        }
        group = this.newGroup(keys);
        groups.set(key, group);
        bytes += estimateRowBytes(keys) + 64 * this.aggs.length;
      }
      this.accumulate(group, row);
      if (this.aggs.some((a) => a.call.distinct || a.order !== null)) bytes += estimateRowBytes(row);
    }
    if (plain && groups.size === 0 && (this.node.groupBy.length === 0 || set !== null))
      groups.set(0, this.newGroup(this.groupEvals.map(() => null)));
    const out = [...groups.values()].map((g) => this.finish(g, set, setIndex));
    for (const p of partitions) {
      if (p === null) continue;
      out.push(...(await this.aggregateRows(p.rows(), set, setIndex, depth + 1)));
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
    if (sets === null) return this.aggregateRows(this.stream(), null, 0, 0);
    const input: Row[] = [];
    for (let b = await this.input.next(); b !== null; b = await this.input.next())
      for (const r of b) input.push(r);
    const out: Row[] = [];
    for (let i = 0; i < sets.length; i++) out.push(...(await this.aggregateRows(input, sets[i] ?? [], i, 0)));
    return out;
  }

  private async *stream(): AsyncGenerator<Row> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      this.rt.ctx.checkInterrupts();
      yield* batch;
    }
  }

  async next(): Promise<Batch | null> {
    this.queue ??= new BatchQueue(await this.compute());
    return this.queue.take();
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
