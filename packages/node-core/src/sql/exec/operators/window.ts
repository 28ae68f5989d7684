/**
 * WindowAgg: materializes its input, orders it by PARTITION BY + ORDER BY, and computes each
 * window function per row: ranking (row_number, rank, dense_rank, percent_rank, cume_dist,
 * ntile), value access (lag, lead, first_value, last_value, nth_value) and aggregates over the
 * frame (ROWS, RANGE or GROUPS with offsets, EXCLUDE). Peers are rows equal in ORDER BY.
 * Exports: WindowOp.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, Value } from '../../../access/table-access.js';
import type { WindowCall, WindowFrame, WindowNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { comparatorFor, comparatorForPair, resolveOperator } from '../../plan/registry/registry.js';
import type { Value as TypedValue } from '../../types/value.js';
import { compileExpr, compilePredicate, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { BatchQueue, drain } from './drain.js';
import { compareKeys } from './sort-keys.js';

interface Part {
  rows: Row[];
  orderKeys: Value[][];
  /** Index of the first row of each row's peer group, and the peer group number. */
  peerStart: number[];
  peerEnd: number[];
  group: number[];
}

export class WindowOp implements Operator {
  private queue: BatchQueue | null = null;
  private readonly partitionBy: Evaluator[];
  private readonly orderBy: Evaluator[];
  private readonly args: Evaluator[][];
  private readonly filters: (((row: Row) => boolean) | null)[];

  constructor(
    private readonly node: WindowNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    this.partitionBy = node.partitionBy.map((e) => compileExpr(e, layout, rt));
    this.orderBy = node.orderBy.map((k) => compileExpr(k.expr, layout, rt));
    this.args = node.calls.map((c) => c.args.map((a) => compileExpr(a, layout, rt)));
    this.filters = node.calls.map((c) => (c.filter === null ? null : compilePredicate(c.filter, layout, rt)));
  }

  async next(): Promise<Batch | null> {
    this.queue ??= new BatchQueue(await this.compute());
    return this.queue.take();
  }

  private async compute(): Promise<Row[]> {
    const rows = await drain(this.input);
    const partKeys = this.node.partitionBy.map((e) => ({
      expr: e,
      descending: false,
      nullsFirst: false,
      compare: comparatorFor(e.type),
    }));
    const keys = [...partKeys, ...this.node.orderBy];
    const decorated = rows.map((row, i) => ({
      row,
      i,
      p: this.partitionBy.map((e) => e(row)),
      o: this.orderBy.map((e) => e(row)),
    }));
    decorated.sort((a, b) => compareKeys(keys, [...a.p, ...a.o], [...b.p, ...b.o]) || a.i - b.i);
    const out: Row[] = [];
    let start = 0;
    while (start < decorated.length) {
      let end = start + 1;
      const first = decorated[start];
      while (
        end < decorated.length &&
        first !== undefined &&
        compareKeys(partKeys, first.p, (decorated[end] as typeof first).p) === 0
      )
        end++;
      const slice = decorated.slice(start, end);
      out.push(
        ...this.computePartition(
          this.makePart(
            slice.map((d) => d.row),
            slice.map((d) => d.o),
          ),
        ),
      );
      start = end;
      this.rt.ctx.checkInterrupts();
    }
    return out;
  }

  private makePart(rows: Row[], orderKeys: Value[][]): Part {
    const n = rows.length;
    const peerStart = new Array<number>(n);
    const peerEnd = new Array<number>(n);
    const group = new Array<number>(n);
    let g = -1;
    for (let i = 0; i < n; i++) {
      const peer = i > 0 && compareKeys(this.node.orderBy, orderKeys[i] ?? [], orderKeys[i - 1] ?? []) === 0;
      if (!peer) g++;
      peerStart[i] = peer ? (peerStart[i - 1] ?? i) : i;
      group[i] = g;
    }
    for (let i = n - 1; i >= 0; i--)
      peerEnd[i] = i < n - 1 && group[i + 1] === group[i] ? (peerEnd[i + 1] ?? i) : i;
    return { rows, orderKeys, peerStart, peerEnd, group };
  }

  private computePartition(part: Part): Row[] {
    const results = this.node.calls.map((call, ci) => this.computeCall(call, ci, part));
    return part.rows.map((row, i) => [...row, ...results.map((r) => r[i] ?? null)]);
  }

  private computeCall(call: WindowCall, ci: number, part: Part): Value[] {
    const n = part.rows.length;
    const args = (i: number) => (this.args[ci] ?? []).map((a) => a(part.rows[i] as Row));
    const groups = (part.group[n - 1] ?? -1) + 1;
    switch (call.name) {
      case 'row_number':
        return part.rows.map((_, i) => BigInt(i + 1));
      case 'rank':
        return part.rows.map((_, i) => BigInt((part.peerStart[i] ?? i) + 1));
      case 'dense_rank':
        return part.rows.map((_, i) => BigInt((part.group[i] ?? 0) + 1));
      case 'percent_rank':
        return part.rows.map((_, i) => (n <= 1 ? 0 : (part.peerStart[i] ?? 0) / (n - 1)));
      case 'cume_dist':
        return part.rows.map((_, i) => ((part.peerEnd[i] ?? i) + 1) / n);
      case 'ntile':
        return part.rows.map((_, i) => ntile(args(i)[0], i, n));
      case 'lag':
      case 'lead':
        return part.rows.map((_, i) => {
          const [, offset = 1, dflt = null] = args(i);
          if (offset === null) return null;
          const j = call.name === 'lag' ? i - (offset as number) : i + (offset as number);
          return j >= 0 && j < n ? (args(j)[0] ?? null) : dflt;
        });
      default:
        void groups;
        return this.framed(call, ci, part, args);
    }
  }

  private framed(call: WindowCall, ci: number, part: Part, args: (i: number) => Value[]): Value[] {
    const out: Value[] = [];
    const filter = this.filters[ci] ?? null;
    for (let i = 0; i < part.rows.length; i++) {
      const frame = this.frameRows(this.node.frame, part, i);
      if (call.agg === null) {
        out.push(valueAt(call, frame, args, i));
        continue;
      }
      const agg = call.agg;
      const ctx = this.rt.evalCtx;
      let state = agg.init();
      for (const j of frame) {
        if (filter !== null && !filter(part.rows[j] as Row)) continue;
        const a = (call.star ? [] : args(j)) as TypedValue[];
        if (call.skipNulls && a.some((v) => v === null)) continue;
        state = agg.transition(state, a, ctx);
      }
      out.push(agg.final(state, ctx));
    }
    return out;
  }

  private frameRows(frame: WindowFrame, part: Part, i: number): number[] {
    const n = part.rows.length;
    const empty = new Map<number, number>();
    const offsetOf = (b: WindowFrame['start']) =>
      b.offset === null ? null : compileExpr(b.offset, empty, this.rt)([]);
    const bound = (b: WindowFrame['start'], isStart: boolean): number => {
      switch (b.kind) {
        case 'unboundedPreceding':
          return 0;
        case 'unboundedFollowing':
          return n - 1;
        case 'currentRow':
          return frame.mode === 'rows' ? i : isStart ? (part.peerStart[i] ?? i) : (part.peerEnd[i] ?? i);
        default:
          return this.offsetBound(frame.mode, b.kind, offsetOf(b), b.offset?.type ?? 20, part, i, isStart);
      }
    };
    const lo = bound(frame.start, true);
    const hi = bound(frame.end, false);
    const rows: number[] = [];
    for (let j = Math.max(0, lo); j <= Math.min(n - 1, hi); j++) {
      if (frame.exclude === 'currentRow' && j === i) continue;
      if (frame.exclude === 'group' && part.group[j] === part.group[i]) continue;
      if (frame.exclude === 'ties' && j !== i && part.group[j] === part.group[i]) continue;
      rows.push(j);
    }
    return rows;
  }

  private offsetBound(
    mode: WindowFrame['mode'],
    kind: string,
    offset: Value,
    offsetType: number,
    part: Part,
    i: number,
    isStart: boolean,
  ): number {
    if (
      offset === null ||
      (typeof offset === 'bigint' && offset < 0n) ||
      (typeof offset === 'number' && offset < 0)
    ) {
      throw new KeelError(
        SqlState.InvalidPrecedingOrFollowingSize,
        'frame starting offset must not be negative',
      );
    }
    const sign = kind === 'preceding' ? -1 : 1;
    const n = part.rows.length;
    if (mode === 'rows') return i + sign * Number(offset);
    if (mode === 'groups') {
      const target = (part.group[i] ?? 0) + sign * Number(offset);
      const idx = part.group.indexOf(target);
      if (isStart) return idx >= 0 ? idx : target < 0 ? 0 : n;
      const last = part.group.lastIndexOf(target);
      return last >= 0 ? last : target < 0 ? -1 : n - 1;
    }
    return this.rangeBound(sign, offset, offsetType, part, i, isStart);
  }

  private rangeBound(
    sign: number,
    offset: Value,
    offsetType: number,
    part: Part,
    i: number,
    isStart: boolean,
  ): number {
    const key = this.node.orderBy[0];
    const current = part.orderKeys[i]?.[0] ?? null;
    if (key === undefined || current === null)
      return isStart ? (part.peerStart[i] ?? i) : (part.peerEnd[i] ?? i);
    const direction = key.descending ? -1 : 1;
    const op = resolveOperator(sign * direction > 0 ? '+' : '-', key.expr.type, offsetType);
    const ctx = this.rt.evalCtx;
    const limit = op.impl([current, offset] as TypedValue[], ctx);
    // date + interval is a timestamp: compare the ORDER BY values with the bound across types.
    const compare =
      comparatorForPair(key.expr.type, op.resultType) ?? ((a: Value, b: Value) => key.compare(a, b));
    const n = part.rows.length;
    const inside = (j: number) => {
      const v = part.orderKeys[j]?.[0] ?? null;
      if (v === null) return false;
      const c = compare(v, limit, ctx) * direction;
      return isStart ? c >= 0 : c <= 0;
    };
    if (isStart) {
      for (let j = 0; j < n; j++) if (inside(j)) return j;
      return n;
    }
    for (let j = n - 1; j >= 0; j--) if (inside(j)) return j;
    return -1;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}

function ntile(buckets: Value, i: number, n: number): Value {
  if (buckets === null || buckets === undefined) return null;
  const b = Number(buckets);
  if (b <= 0)
    throw new KeelError(
      SqlState.InvalidArgumentForNtileFunction,
      'argument of ntile must be greater than zero',
    );
  const size = Math.floor(n / b);
  const extra = n % b;
  const big = extra * (size + 1);
  return i < big ? Math.floor(i / (size + 1)) + 1 : extra + Math.floor((i - big) / Math.max(1, size)) + 1;
}

function valueAt(call: WindowCall, frame: number[], args: (i: number) => Value[], _i: number): Value {
  if (frame.length === 0) return null;
  switch (call.name) {
    case 'first_value':
      return args(frame[0] as number)[0] ?? null;
    case 'last_value':
      return args(frame[frame.length - 1] as number)[0] ?? null;
    default: {
      const nth = args(frame[0] as number)[1];
      if (nth === null || nth === undefined) return null;
      if ((nth as number) <= 0)
        throw new KeelError(
          SqlState.InvalidArgumentForNthValueFunction,
          'argument of nth_value must be greater than zero',
        );
      const j = frame[(nth as number) - 1];
      return j === undefined ? null : (args(j)[0] ?? null);
    }
  }
}
