/**
 * VALUES lists: rows of expressions converted per column to a common type (column1, column2, ...).
 * Exports: bindValues.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import { positionOf, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import type { BoundQuery } from './bind-query.js';
import type { Binder, ExprContext } from './binder.js';
import { coerceToCommon, resolveUnknownAsText } from './coerce.js';
import type { Scope } from './scope.js';

export function bindValues(
  lists: Node[],
  binder: Binder,
  scope: Scope,
  bindItem?: (n: Node, i: number, ec: ExprContext) => Expr,
): BoundQuery {
  const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: 'VALUES' };
  const rows = lists.map((l) =>
    (unwrap<{ items?: Node[] }>(l, 'List')?.items ?? []).map((n, i) =>
      bindItem ? bindItem(n, i, ec) : bindExpr(n, ec),
    ),
  );
  const width = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== width)) {
    throw new KeelError(SqlState.SyntaxError, 'VALUES lists must all be the same length', {
      position: positionOf(lists[1]),
    });
  }
  const types: number[] = [];
  for (let c = 0; c < width; c++) {
    const common = coerceToCommon(
      binder,
      rows.map((r) => r[c] as Expr),
      'VALUES',
    );
    common.exprs.forEach((e, r) => {
      const row = rows[r];
      if (row !== undefined) row[c] = resolveUnknownAsText(binder, e);
    });
    types.push(rows[0]?.[c]?.type ?? common.type);
  }
  const columns = types.map((type, i) => ({
    id: binder.newColumn(`column${i + 1}`),
    name: `column${i + 1}`,
    type,
    typmod: -1,
    tableOid: 0,
    attnum: 0,
  }));
  return { plan: { kind: 'values', rows, columns: columns.map((c) => c.id) }, columns };
}
