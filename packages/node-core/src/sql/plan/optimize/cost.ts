/**
 * The cost model, in PostgreSQL's units (costsize.c): a sequential page read costs 1, a random
 * one 4, each tuple 0.01 of CPU and each operator evaluation 0.0025. Scans, sorts, hash, merge
 * and nested-loop joins and aggregates are costed with PostgreSQL's formulas, simplified where
 * Keel's executor differs (every join materializes or hashes its inner side in memory).
 * Exports: costs constants, seqScanCost, indexScanCost, sortCost, hashJoinCost, mergeJoinCost,
 * nestLoopCost, indexNestLoopCost.
 */

export const SEQ_PAGE_COST = 1;
export const RANDOM_PAGE_COST = 4;
export const CPU_TUPLE_COST = 0.01;
export const CPU_INDEX_TUPLE_COST = 0.005;
export const CPU_OPERATOR_COST = 0.0025;

export interface Cost {
  startup: number;
  total: number;
}

export function seqScanCost(pages: number, rows: number, quals: number): Cost {
  return { startup: 0, total: pages * SEQ_PAGE_COST + rows * (CPU_TUPLE_COST + quals * CPU_OPERATOR_COST) };
}

/**
 * An index range scan returning `matched` of the table's `rows`: descent, index tuples, and heap
 * fetches that are random unless the column is physically ordered (correlation near ±1).
 */
export function indexScanCost(
  tableRows: number,
  tablePages: number,
  matched: number,
  correlation: number,
  quals: number,
): Cost {
  const descent = Math.ceil(Math.log2(Math.max(2, tableRows))) * CPU_OPERATOR_COST + RANDOM_PAGE_COST;
  const indexPages = Math.max(1, Math.ceil((matched / Math.max(1, tableRows)) * tablePages * 0.5));
  const random = Math.min(matched, tablePages) * RANDOM_PAGE_COST;
  const sequential = Math.max(1, Math.ceil((matched / Math.max(1, tableRows)) * tablePages)) * SEQ_PAGE_COST;
  const c2 = correlation * correlation;
  const heap = random + c2 * (sequential - random);
  const cpu = matched * (CPU_INDEX_TUPLE_COST + CPU_TUPLE_COST + quals * CPU_OPERATOR_COST);
  return { startup: descent, total: descent + indexPages * RANDOM_PAGE_COST * 0.25 + heap + cpu };
}

/** Sorting `rows` rows: n log n comparisons; all of it is paid before the first row. */
export function sortCost(input: Cost, rows: number, limit: number | null): Cost {
  const n = Math.max(2, rows);
  const kept = limit === null ? n : Math.max(2, Math.min(n, limit));
  const cmp = 2 * CPU_OPERATOR_COST * n * Math.log2(limit === null ? n : 2 * kept);
  const startup = input.total + cmp;
  return { startup, total: startup + kept * CPU_OPERATOR_COST };
}

/** Hash join: build a table on the inner side, probe it with the outer rows. */
export function hashJoinCost(
  outer: Cost,
  inner: Cost,
  outerRows: number,
  innerRows: number,
  outRows: number,
): Cost {
  const build = innerRows * (CPU_OPERATOR_COST + CPU_TUPLE_COST);
  const startup = inner.total + build + outer.startup;
  const probe = outerRows * CPU_OPERATOR_COST * 2;
  return { startup, total: startup + (outer.total - outer.startup) + probe + outRows * CPU_TUPLE_COST };
}

/** Merge join of inputs already in key order. */
export function mergeJoinCost(
  outer: Cost,
  inner: Cost,
  outerRows: number,
  innerRows: number,
  outRows: number,
): Cost {
  const startup = outer.startup + inner.startup;
  return {
    startup,
    total: outer.total + inner.total + (outerRows + innerRows) * CPU_OPERATOR_COST + outRows * CPU_TUPLE_COST,
  };
}

/** Nested loop over a materialized inner side: every outer row meets every inner row. */
export function nestLoopCost(
  outer: Cost,
  inner: Cost,
  outerRows: number,
  innerRows: number,
  outRows: number,
): Cost {
  const startup = outer.startup + inner.total;
  return {
    startup,
    total: outer.total + inner.total + outerRows * innerRows * CPU_OPERATOR_COST + outRows * CPU_TUPLE_COST,
  };
}

/** Index nested loop: one index probe per outer row. */
export function indexNestLoopCost(outer: Cost, probe: Cost, outerRows: number, outRows: number): Cost {
  return {
    startup: outer.startup + probe.startup,
    total: outer.total + Math.max(1, outerRows) * probe.total + outRows * CPU_TUPLE_COST,
  };
}
