/**
 * Row comparison for ORDER BY keys: evaluates each key once per row ("decorate"), then compares
 * with ASC/DESC and NULLS FIRST/LAST as PostgreSQL does.
 * Exports: compileRowComparator, KeyedRow.
 */
import type { Row, Value } from '../../../access/table-access.js';
import type { SortKey } from '../../plan/ir/logical.js';
import { compileExpr, type Layout } from '../compile-expr.js';
import type { Runtime } from '../runtime.js';

export interface KeyedRow {
  keys: Value[];
  row: Row;
}

export function compileRowComparator(keys: SortKey[], layout: Layout, rt: Runtime) {
  const evals = keys.map((k) => compileExpr(k.expr, layout, rt));
  const decorate = (row: Row): KeyedRow => ({ keys: evals.map((e) => e(row)), row });
  const compare = (a: KeyedRow, b: KeyedRow): number => compareKeys(keys, a.keys, b.keys);
  return { decorate, compare };
}

export function compareKeys(keys: SortKey[], a: Value[], b: Value[]): number {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as SortKey;
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x === null && y === null) continue;
      const nullFirst = k.nullsFirst ? -1 : 1;
      return x === null ? nullFirst : -nullFirst;
    }
    const c = k.compare(x, y);
    if (c !== 0) return k.descending ? -c : c;
  }
  return 0;
}
