/**
 * Sort specifications: SortBy -> SortKey with PostgreSQL's defaults (ASC NULLS LAST, DESC NULLS
 * FIRST) and the type's ordering.
 * Exports: makeSortKey, sortDirection.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { SortBy } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import type { SortKey } from '../ir/logical.js';
import { comparatorFor, TypeOid, typeDisplayName } from '../registry/registry.js';

export function sortDirection(s: SortBy): { descending: boolean; nullsFirst: boolean } {
  if (s.sortby_dir === 'SORTBY_USING') {
    const op = (s.useOp ?? []).map((n) => (n as { String?: { sval?: string } }).String?.sval ?? '').pop();
    const descending = op === '>' || op === '>=';
    return {
      descending,
      nullsFirst:
        s.sortby_nulls === 'SORTBY_NULLS_DEFAULT' || s.sortby_nulls === undefined
          ? descending
          : s.sortby_nulls === 'SORTBY_NULLS_FIRST',
    };
  }
  const descending = s.sortby_dir === 'SORTBY_DESC';
  const nulls = s.sortby_nulls ?? 'SORTBY_NULLS_DEFAULT';
  return {
    descending,
    nullsFirst: nulls === 'SORTBY_NULLS_DEFAULT' ? descending : nulls === 'SORTBY_NULLS_FIRST',
  };
}

export function makeSortKey(
  expr: Expr,
  direction: { descending: boolean; nullsFirst: boolean },
  position?: number,
): SortKey {
  if (expr.type === TypeOid.json) {
    throw new KeelError(
      SqlState.UndefinedFunction,
      `could not identify an ordering operator for type ${typeDisplayName(expr.type)}`,
      {
        position,
      },
    );
  }
  return {
    expr,
    descending: direction.descending,
    nullsFirst: direction.nullsFirst,
    compare: comparatorFor(expr.type),
  };
}
