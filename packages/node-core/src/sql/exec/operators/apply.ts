/**
 * Apply: evaluates sub-queries (SubPlans) for each input row and appends their results: EXISTS,
 * scalar (21000 when more than one row), ARRAY, and op ANY/ALL with SQL's NULL semantics.
 * Uncorrelated sub-queries run once (PostgreSQL's InitPlan); correlated ones are re-run per row
 * with the outer columns published, memoized by the values of those columns.
 * Exports: ApplyOp.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, Value } from '../../../access/table-access.js';
import type { SubLinkExpr } from '../../plan/ir/expr.js';
import type { ApplyNode, PlanNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { type EvalContext, elementTypeOf, makeArray, TypeOid } from '../../plan/registry/registry.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import { type RowKey, rowKeyOf } from '../row-key.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { drain } from './drain.js';

interface CompiledLink {
  link: SubLinkExpr;
  left: Evaluator[];
  correlated: { id: number; read: Evaluator }[];
  key: RowKey;
  cache: Map<unknown, Row[]>;
}

export class ApplyOp implements Operator {
  private readonly links: CompiledLink[];

  constructor(
    node: ApplyNode,
    private readonly input: Operator,
    private readonly open: (plan: PlanNode) => Operator,
    private readonly rt: Runtime,
  ) {
    const layout = layoutOf(outputColumns(node.input));
    this.links = node.links.map(({ link }) => ({
      link,
      left: link.left.map((e) => compileExpr(e, layout, rt)),
      correlated: link.correlated.map((id) => ({
        id,
        read: compileExpr({ kind: 'column', id, name: '', type: 0, typmod: -1 }, layout, rt),
      })),
      key: rowKeyOf(link.correlated.map(() => 0)),
      cache: new Map(),
    }));
  }

  private async rowsOf(c: CompiledLink, row: Row): Promise<Row[]> {
    const values = c.correlated.map((x) => x.read(row));
    const key = c.key(values);
    const cached = c.cache.get(key);
    if (cached !== undefined) return cached;
    for (let i = 0; i < c.correlated.length; i++)
      this.rt.outer.set((c.correlated[i] as { id: number }).id, values[i] ?? null);
    const op = this.open(c.link.plan);
    let rows: Row[];
    try {
      rows = c.link.linkType === 'exists' ? ((await op.next()) ?? []).slice(0, 1) : await drain(op);
    } finally {
      await op.close();
    }
    if (c.cache.size > 10_000) c.cache.clear();
    c.cache.set(key, rows);
    return rows;
  }

  private async evaluate(c: CompiledLink, row: Row): Promise<Value> {
    const rows = await this.rowsOf(c, row);
    const link = c.link;
    switch (link.linkType) {
      case 'exists':
        return rows.length > 0;
      case 'expr':
        if (rows.length > 1)
          throw new KeelError(
            SqlState.CardinalityViolation,
            'more than one row returned by a subquery used as an expression',
          );
        return rows[0]?.[0] ?? null;
      case 'array':
        return makeArray(
          elementTypeOf(link.type) || TypeOid.text,
          rows.map((r) => r[0] ?? null),
        );
      default:
        return quantified(
          this.rt.evalCtx,
          link,
          c.left.map((e) => e(row)),
          rows,
        );
    }
  }

  async next(): Promise<Batch | null> {
    const batch = await this.input.next();
    if (batch === null) return null;
    const out: Row[] = [];
    for (const row of batch) {
      const extra: Value[] = [];
      for (const c of this.links) extra.push(await this.evaluate(c, row));
      out.push([...row, ...extra]);
    }
    return out;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}

/** x op ANY/ALL (subquery): TRUE/FALSE/NULL as SQL defines them. */
function quantified(ctx: EvalContext, link: SubLinkExpr, left: Value[], rows: Row[]): Value {
  const all = link.linkType === 'all';
  if (rows.length === 0) return all;
  let sawNull = false;
  for (const r of rows) {
    let result: Value = true;
    for (let i = 0; i < left.length; i++) {
      const a = left[i] ?? null;
      const b = r[i] ?? null;
      const cmp = link.compare[i];
      const v = a === null || b === null || cmp === undefined ? null : cmp(a, b, ctx);
      if (v === false) {
        result = false;
        break;
      }
      if (v === null) result = null;
    }
    if (result === null) sawNull = true;
    else if (result === !all) return !all;
  }
  return sawNull ? null : all;
}
