/**
 * What every join algorithm shares: combining a left and right row, null-extending for outer
 * joins, and the residual join quals evaluated on the combined row.
 * Exports: JoinShape, joinShape.
 */
import type { Row } from '../../../access/table-access.js';
import type { JoinNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compilePredicate, layoutOf } from '../compile-expr.js';
import type { Runtime } from '../runtime.js';

export interface JoinShape {
  leftWidth: number;
  rightWidth: number;
  combine(l: Row, r: Row): Row;
  leftOnly(l: Row): Row;
  rightOnly(r: Row): Row;
  /** Residual quals on the combined row (true when there are none). */
  qual(combined: Row): boolean;
}

export function joinShape(node: JoinNode, rt: Runtime, residual: JoinNode['condition']): JoinShape {
  const leftIds = outputColumns(node.left);
  const rightIds = outputColumns(node.right);
  const layout = layoutOf([...leftIds, ...rightIds]);
  const preds = residual.map((c) => compilePredicate(c, layout, rt));
  const rightNulls = rightIds.map(() => null);
  const leftNulls = leftIds.map(() => null);
  return {
    leftWidth: leftIds.length,
    rightWidth: rightIds.length,
    combine: (l, r) => [...l, ...r],
    leftOnly: (l) => [...l, ...rightNulls],
    rightOnly: (r) => [...leftNulls, ...r],
    qual: preds.length === 0 ? () => true : (row) => preds.every((p) => p(row)),
  };
}
