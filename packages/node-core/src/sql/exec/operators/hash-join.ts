/**
 * Hash join on equi-join keys (NULL keys never match): builds a hash table on the right input,
 * probes it with batches of the left, applies residual quals; supports inner, left, right,
 * full, semi and anti joins.
 * Exports: HashJoinOp.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { JoinNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import { type RowKey, rowKeyOf } from '../row-key.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { type JoinShape, joinShape } from './join-output.js';

interface Entry {
  row: Row;
  matched: boolean;
}

export class HashJoinOp implements Operator {
  private table: Map<unknown, Entry[]> | null = null;
  private readonly nullKeyed: Entry[] = [];
  private finished = false;
  private emittedUnmatched = false;
  private readonly shape: JoinShape;
  private readonly leftKeys: Evaluator[];
  private readonly rightKeys: Evaluator[];
  private readonly leftKey: RowKey;
  private readonly rightKey: RowKey;

  constructor(
    private readonly node: JoinNode,
    private readonly left: Operator,
    private readonly right: Operator,
    private readonly rt: Runtime,
  ) {
    const residual = node.condition;
    this.shape = joinShape(node, rt, residual);
    const ll = layoutOf(outputColumns(node.left));
    const rl = layoutOf(outputColumns(node.right));
    this.leftKeys = node.keys.map((k) => compileExpr(k.left, ll, rt));
    this.rightKeys = node.keys.map((k) => compileExpr(k.right, rl, rt));
    this.leftKey = rowKeyOf(node.keys.map((k) => k.left.type));
    this.rightKey = rowKeyOf(node.keys.map((k) => k.right.type));
  }

  private keyOf(evals: Evaluator[], key: RowKey, row: Row): unknown | null {
    const values: Value[] = evals.map((e) => e(row));
    if (values.some((v) => v === null)) return null;
    return key(values);
  }

  private async build(): Promise<Map<unknown, Entry[]>> {
    const table = new Map<unknown, Entry[]>();
    for (let batch = await this.right.next(); batch !== null; batch = await this.right.next()) {
      this.rt.ctx.checkInterrupts();
      for (const row of batch) {
        const key = this.keyOf(this.rightKeys, this.rightKey, row);
        const entry = { row, matched: false };
        if (key === null) {
          this.nullKeyed.push(entry);
          continue;
        }
        const list = table.get(key);
        if (list === undefined) table.set(key, [entry]);
        else list.push(entry);
      }
    }
    return table;
  }

  private probe(l: Row, table: Map<unknown, Entry[]>, out: Row[]): void {
    const type = this.node.joinType;
    const key = this.keyOf(this.leftKeys, this.leftKey, l);
    const entries = key === null ? undefined : table.get(key);
    let matched = false;
    for (const e of entries ?? []) {
      const combined = this.shape.combine(l, e.row);
      if (!this.shape.qual(combined)) continue;
      matched = true;
      e.matched = true;
      if (type === 'semi' || type === 'anti') break;
      out.push(combined);
    }
    if (type === 'semi' && matched) out.push(l);
    if (type === 'anti' && !matched) out.push(l);
    if ((type === 'left' || type === 'full') && !matched) out.push(this.shape.leftOnly(l));
  }

  async next(): Promise<Batch | null> {
    this.table ??= await this.build();
    while (!this.finished) {
      const batch = await this.left.next();
      if (batch === null) {
        this.finished = true;
        break;
      }
      const out: Row[] = [];
      for (const l of batch) this.probe(l, this.table, out);
      if (out.length > 0) return out;
    }
    return this.unmatched();
  }

  private unmatched(): Batch | null {
    const type = this.node.joinType;
    if (this.emittedUnmatched || (type !== 'right' && type !== 'full') || this.table === null) return null;
    this.emittedUnmatched = true;
    const out: Row[] = [];
    for (const list of this.table.values())
      for (const e of list) if (!e.matched) out.push(this.shape.rightOnly(e.row));
    for (const e of this.nullKeyed) out.push(this.shape.rightOnly(e.row));
    return out.length === 0 ? null : out;
  }

  async close(): Promise<void> {
    await this.left.close();
    await this.right.close();
  }
}
