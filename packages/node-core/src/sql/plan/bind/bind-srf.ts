/**
 * Set-returning functions inside SELECT-list or GROUP BY expressions (PostgreSQL 10+ semantics):
 * every SRF call is computed by a ProjectSet node below the expression that uses it, advancing
 * in lockstep with the query's other SRFs, and the expression reads its column. GROUP BY
 * expressions get their ProjectSet below the aggregation, the SELECT list above it.
 * Exports: hasSetReturning, liftSetReturning, replaceByKey.
 */
import { KeelError, SqlState } from '@keel/errors';
import { type Expr, exprSome, mapExpr } from '../ir/expr.js';
import { exprKey } from '../ir/expr-key.js';
import { outputColumns, outputTypes, type PlanNode } from '../ir/logical.js';
import type { Binder } from './binder.js';

export function hasSetReturning(e: Expr): boolean {
  return exprSome(e, (x) => x.kind === 'call' && x.srf !== undefined);
}

/**
 * Moves the SRF calls of `exprs` into a ProjectSet over `input` (which keeps passing the input's
 * columns through); returns the new input, the rewritten expressions and, by exprKey, the column
 * that replaced each call.
 */
export function liftSetReturning(
  input: PlanNode,
  exprs: Expr[],
  binder: Binder,
): { plan: PlanNode; exprs: Expr[]; replaced: Map<string, Expr> } {
  const replaced = new Map<string, Expr>();
  const lifted: Extract<PlanNode, { kind: 'projectSet' }>['outputs'] = [];
  const rewritten = exprs.map((e) =>
    mapExpr(e, (x) => {
      if (x.kind !== 'call' || x.srf === undefined) return null;
      if (x.args.some(hasSetReturning))
        throw new KeelError(SqlState.FeatureNotSupported, 'nested set-returning functions are not supported');
      const key = exprKey(x);
      const known = replaced.get(key);
      if (known !== undefined) return known;
      const id = binder.newColumn(x.name);
      lifted.push({ id, expr: x, srf: { srf: x.srf, strict: x.strict, args: x.args } });
      const column: Expr = { kind: 'column', id, name: x.name, type: x.type, typmod: x.typmod };
      replaced.set(key, column);
      return column;
    }),
  );
  if (lifted.length === 0) return { plan: input, exprs, replaced };
  const types = outputTypes(input);
  const passthrough = outputColumns(input).map((id, i) => ({
    id,
    expr: { kind: 'column', id, name: '', type: types[i] ?? 0, typmod: -1 } as Expr,
    srf: null,
  }));
  return {
    plan: { kind: 'projectSet', input, outputs: [...lifted, ...passthrough] },
    exprs: rewritten,
    replaced,
  };
}

/** Replaces sub-expressions equal (by exprKey) to an already lifted SRF call by its column. */
export function replaceByKey(e: Expr, replaced: Map<string, Expr>): Expr {
  if (replaced.size === 0) return e;
  return mapExpr(e, (x) =>
    x.kind === 'call' && x.srf !== undefined ? (replaced.get(exprKey(x)) ?? null) : null,
  );
}
