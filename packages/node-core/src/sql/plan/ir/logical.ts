/**
 * Plan trees. The binder builds a logical tree (scans, joins, filters, aggregates, ...); the
 * optimizer keeps the same node types and fills in the physical choices (access path, join
 * method, aggregation strategy) and the estimates; the executor builds one operator per node.
 * A node's output row is the values of `outputColumns(node)` in that order.
 * Exports: PlanNode and its variants, SortKey, AggCall, WindowCall, CteDef, Estimate,
 * outputColumns, planChildren.
 */

import type { LockWaitPolicy, RowLockMode } from '../../../access/table-access.js';
import type { IndexRelation, Oid, TableRelation } from '../../../catalog/objects.js';
import type { VirtualTable } from '../../context.js';
import type { AggregateImpl, Comparator, EvalContext } from '../registry/registry.js';
import type { ColumnId, Expr, SetReturning, SubLinkExpr } from './expr.js';

export type LogicalPlan = PlanNode;

export interface Estimate {
  rows: number;
  startupCost: number;
  totalCost: number;
  width: number;
}

/** Filled by EXPLAIN ANALYZE. */
export interface Actuals {
  rows: number;
  loops: number;
  startMs: number;
  totalMs: number;
  /** Sorts and hash aggregates: how they used work_mem and disk (EXPLAIN ANALYZE's Sort Method, Disk). */
  memory?: { method: string; spillFiles: number; diskBytes: number; peakBytes: number };
}

interface Base {
  est?: Estimate;
}

export interface SortKey {
  expr: Expr;
  descending: boolean;
  nullsFirst: boolean;
  compare: Comparator;
}

export interface ScanColumn {
  id: ColumnId;
  /** Table attnum, or 0 for the row's tid (ctid). */
  attnum: number;
}

export type AccessPath =
  | { kind: 'seq' }
  | {
      kind: 'index';
      index: IndexRelation;
      /** Equality values of a key prefix, then an optional range on the next key. */
      equal: Expr[];
      lower: { value: Expr; inclusive: boolean } | null;
      upper: { value: Expr; inclusive: boolean } | null;
      direction: 'forward' | 'backward';
      /** The quals the bounds came from (for EXPLAIN's Index Cond). */
      indexQuals: Expr[];
    };

export interface ScanNode extends Base {
  kind: 'scan';
  table: TableRelation;
  alias: string;
  columns: ScanColumn[];
  /** Quals evaluated on each scanned row. */
  filter: Expr[];
  access: AccessPath;
}
export interface VirtualScanNode extends Base {
  kind: 'virtualScan';
  table: VirtualTable;
  alias: string;
  columns: { id: ColumnId; index: number }[];
  filter: Expr[];
}
export interface ValuesNode extends Base {
  kind: 'values';
  rows: Expr[][];
  columns: ColumnId[];
}
/** One row of no columns (SELECT without FROM). */
export interface ResultNode extends Base {
  kind: 'result';
}
export interface FilterNode extends Base {
  kind: 'filter';
  input: PlanNode;
  predicate: Expr;
}
export interface ProjectNode extends Base {
  kind: 'project';
  input: PlanNode;
  outputs: { id: ColumnId; expr: Expr }[];
}
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
export interface JoinNode extends Base {
  kind: 'join';
  joinType: JoinType;
  left: PlanNode;
  right: PlanNode;
  /** Join quals (ON and pushed-down WHERE quals for inner joins). */
  condition: Expr[];
  method: 'nested' | 'hash' | 'merge' | 'indexNested';
  /** Equi-join keys for hash and merge joins (left expr = right expr) with their btree order. */
  keys: JoinKey[];
  /** The right side reads left columns (LATERAL or an index nested loop's parameters). */
  lateral: boolean;
}
/** `left = right` of an equi-join; `compare` orders a left value against a right one. */
export interface JoinKey {
  left: Expr;
  right: Expr;
  compare: (a: unknown, b: unknown, ctx: EvalContext) => number;
}

export interface AggCall {
  id: ColumnId;
  name: string;
  /** The aggregate bound to its argument types (src/sql/functions). */
  agg: AggregateImpl;
  /** Rows with a NULL argument are skipped (strict aggregates). */
  skipNulls: boolean;
  args: Expr[];
  argTypes: Oid[];
  type: Oid;
  star: boolean;
  distinct: boolean;
  filter: Expr | null;
  orderBy: SortKey[];
}
export interface AggregateNode extends Base {
  kind: 'aggregate';
  input: PlanNode;
  groupBy: { id: ColumnId; expr: Expr }[];
  aggregates: AggCall[];
  /** GROUPING SETS as lists of indexes into groupBy; null for a plain GROUP BY. */
  groupingSets: number[][] | null;
  /** Column carrying the grouping-set bitmask (for GROUPING()), when there are grouping sets. */
  groupingIdColumn: ColumnId | null;
  strategy: 'hash' | 'sorted' | 'plain';
}
export interface WindowFrame {
  mode: 'rows' | 'range' | 'groups';
  start: {
    kind: 'unboundedPreceding' | 'preceding' | 'currentRow' | 'following' | 'unboundedFollowing';
    offset: Expr | null;
  };
  end: {
    kind: 'unboundedPreceding' | 'preceding' | 'currentRow' | 'following' | 'unboundedFollowing';
    offset: Expr | null;
  };
  exclude: 'noOthers' | 'currentRow' | 'group' | 'ties';
}
export interface WindowCall {
  id: ColumnId;
  name: string;
  type: Oid;
  args: Expr[];
  argTypes: Oid[];
  /** An aggregate used as a window function. */
  agg: AggregateImpl | null;
  skipNulls: boolean;
  star: boolean;
  filter: Expr | null;
}
export interface WindowNode extends Base {
  kind: 'window';
  input: PlanNode;
  partitionBy: Expr[];
  orderBy: SortKey[];
  frame: WindowFrame;
  calls: WindowCall[];
}
export interface SortNode extends Base {
  kind: 'sort';
  input: PlanNode;
  keys: SortKey[];
  /** Top-N: only this many rows are needed (LIMIT above). */
  limit: number | null;
}
export interface LimitNode extends Base {
  kind: 'limit';
  input: PlanNode;
  limit: Expr | null;
  offset: Expr | null;
  /** FETCH FIRST ... WITH TIES: the ORDER BY keys that define ties. */
  withTies: SortKey[] | null;
}
export interface DistinctNode extends Base {
  kind: 'distinct';
  input: PlanNode;
  /** DISTINCT ON expressions (input sorted by them); null for DISTINCT on all columns. */
  on: Expr[] | null;
}
export interface SetOpNode extends Base {
  kind: 'setop';
  op: 'union' | 'intersect' | 'except';
  all: boolean;
  left: PlanNode;
  right: PlanNode;
  columns: ColumnId[];
  /** Conversions of each side's output to the common column types. */
  leftExprs: Expr[];
  rightExprs: Expr[];
}
export interface CteDef {
  id: number;
  name: string;
  plan: PlanNode;
  columns: ColumnId[];
  /** Referenced more than once or MATERIALIZED: computed once and buffered. */
  materialized: boolean;
  recursive: boolean;
  /** A data-modifying statement (WITH x AS (DELETE ... RETURNING ...)): runs to completion once. */
  modifying: boolean;
  /** Set once the optimizer has planned `plan` (each CTE is planned once, before its users). */
  optimized: boolean;
}
export interface CteScanNode extends Base {
  kind: 'cteScan';
  cte: CteDef;
  columns: ColumnId[];
  alias: string;
}
export interface RecursiveUnionNode extends Base {
  kind: 'recursiveUnion';
  cteId: number;
  all: boolean;
  anchor: PlanNode;
  recursive: PlanNode;
  columns: ColumnId[];
  anchorExprs: Expr[];
  recursiveExprs: Expr[];
}
export interface WorkTableScanNode extends Base {
  kind: 'workTableScan';
  cteId: number;
  columns: ColumnId[];
  types: Oid[];
  alias: string;
}
export interface FunctionScanNode extends Base {
  kind: 'functionScan';
  name: string;
  srf: SetReturning;
  /** NULL arguments give no rows without calling the function. */
  strict: boolean;
  args: Expr[];
  argTypes: Oid[];
  /** One column per result (a composite result is split into fields), plus ordinality. */
  columns: ColumnId[];
  ordinality: ColumnId | null;
  alias: string;
  /** Split record results into this many fields (1 for scalars). */
  fieldCount: number;
}
/** Set-returning functions in the target list: one output row per SRF result row. */
export interface ProjectSetNode extends Base {
  kind: 'projectSet';
  input: PlanNode;
  outputs: { id: ColumnId; expr: Expr; srf: { srf: SetReturning; strict: boolean; args: Expr[] } | null }[];
}
/** Evaluates subqueries per input row and appends their results as columns. */
export interface ApplyNode extends Base {
  kind: 'apply';
  input: PlanNode;
  links: { id: ColumnId; link: SubLinkExpr }[];
}
export interface LockRowsNode extends Base {
  kind: 'lockRows';
  input: PlanNode;
  targets: { table: TableRelation; tid: ColumnId }[];
  mode: RowLockMode;
  wait: LockWaitPolicy;
}
export interface ModifyNode extends Base {
  kind: 'modify';
  operation: 'insert' | 'update' | 'delete';
  table: TableRelation;
  input: PlanNode;
  /** Columns the node outputs (for RETURNING): the table's columns of the new (or deleted) row. */
  rowColumns: ColumnId[];
  /** insert: input columns in attnum order. update: tid + old row + new values. delete: tid + old row. */
  spec: ModifySpec;
  /** CHECK constraints bound over rowColumns. */
  checks: { name: string; expr: Expr }[];
}

export type ModifySpec =
  | {
      kind: 'insert';
      /** Input ColumnIds giving each table column's value, by attnum-1. */
      values: ColumnId[];
      onConflict: OnConflictSpec | null;
    }
  | {
      kind: 'update';
      tid: ColumnId;
      /** Old values of each table column, by attnum-1. */
      oldValues: ColumnId[];
      /** New values: attnum -> input ColumnId. */
      set: Map<number, ColumnId>;
      /** Re-check for READ COMMITTED: WHERE quals over the target's columns, and SET exprs. */
      recheck: Expr | null;
      setExprs: Map<number, Expr>;
    }
  | {
      kind: 'delete';
      tid: ColumnId;
      oldValues: ColumnId[];
      recheck: Expr | null;
    };

export interface OnConflictSpec {
  action: 'nothing' | 'update';
  /** Unique indexes that arbitrate (all unique indexes when empty). */
  arbiterIndexes: Oid[];
  /** Column ids of the existing row and of EXCLUDED, by attnum-1, as read by set/where. */
  existingColumns: ColumnId[];
  excludedColumns: ColumnId[];
  set: Map<number, Expr>;
  where: Expr | null;
}

export type PlanNode =
  | ScanNode
  | VirtualScanNode
  | ValuesNode
  | ResultNode
  | FilterNode
  | ProjectNode
  | JoinNode
  | AggregateNode
  | WindowNode
  | SortNode
  | LimitNode
  | DistinctNode
  | SetOpNode
  | CteScanNode
  | RecursiveUnionNode
  | WorkTableScanNode
  | FunctionScanNode
  | ProjectSetNode
  | ApplyNode
  | LockRowsNode
  | ModifyNode;

/** The ColumnIds of a node's output rows, in order. */
export function outputColumns(node: PlanNode): ColumnId[] {
  switch (node.kind) {
    case 'scan':
    case 'virtualScan':
      return node.columns.map((c) => c.id);
    case 'values':
    case 'setop':
    case 'cteScan':
    case 'recursiveUnion':
    case 'workTableScan':
      return node.columns;
    case 'functionScan':
      return node.ordinality === null ? node.columns : [...node.columns, node.ordinality];
    case 'result':
      return [];
    case 'project':
    case 'projectSet':
      return node.outputs.map((o) => o.id);
    case 'join':
      return node.joinType === 'semi' || node.joinType === 'anti'
        ? outputColumns(node.left)
        : [...outputColumns(node.left), ...outputColumns(node.right)];
    case 'aggregate': {
      const ids = [...node.groupBy.map((g) => g.id), ...node.aggregates.map((a) => a.id)];
      return node.groupingIdColumn === null ? ids : [...ids, node.groupingIdColumn];
    }
    case 'window':
      return [...outputColumns(node.input), ...node.calls.map((c) => c.id)];
    case 'apply':
      return [...outputColumns(node.input), ...node.links.map((l) => l.id)];
    case 'filter':
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'lockRows':
      return outputColumns(node.input);
    case 'modify':
      return node.rowColumns;
  }
}

/** The type oids of a node's output columns, in outputColumns order. */
export function outputTypes(node: PlanNode): Oid[] {
  const types = (exprs: Expr[]) => exprs.map((e) => e.type);
  switch (node.kind) {
    case 'scan':
      return node.columns.map(
        (c) => node.table.columns.find((col) => col.attnum === c.attnum)?.typeOid ?? TID_TYPE,
      );
    case 'virtualScan':
      return node.columns.map((c) => node.table.columns[c.index]?.typeOid ?? 0);
    case 'values':
      return node.columns.map((_, i) => node.rows[0]?.[i]?.type ?? 0);
    case 'setop':
      return types(node.leftExprs);
    case 'cteScan':
      return outputTypes(node.cte.plan);
    case 'recursiveUnion':
      return types(node.anchorExprs);
    case 'workTableScan':
      return node.types;
    case 'functionScan': {
      const cols = node.srf.columns.map((c) => c.type);
      return node.ordinality === null ? cols : [...cols, INT8_TYPE];
    }
    case 'result':
      return [];
    case 'project':
    case 'projectSet':
      return node.outputs.map((o) => o.expr.type);
    case 'join':
      return node.joinType === 'semi' || node.joinType === 'anti'
        ? outputTypes(node.left)
        : [...outputTypes(node.left), ...outputTypes(node.right)];
    case 'aggregate': {
      const ids = [...types(node.groupBy.map((g) => g.expr)), ...node.aggregates.map((a) => a.type)];
      return node.groupingIdColumn === null ? ids : [...ids, INT4_TYPE];
    }
    case 'window':
      return [...outputTypes(node.input), ...node.calls.map((c) => c.type)];
    case 'apply':
      return [...outputTypes(node.input), ...node.links.map((l) => l.link.type)];
    case 'filter':
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'lockRows':
      return outputTypes(node.input);
    case 'modify':
      return node.table.columns.map((c) => c.typeOid);
  }
}

const TID_TYPE = 20;
const INT8_TYPE = 20;
const INT4_TYPE = 23;

export function planChildren(node: PlanNode): PlanNode[] {
  switch (node.kind) {
    case 'scan':
    case 'virtualScan':
    case 'values':
    case 'result':
    case 'cteScan':
    case 'workTableScan':
    case 'functionScan':
      return [];
    case 'join':
    case 'setop':
      return [node.left, node.right];
    case 'recursiveUnion':
      return [node.anchor, node.recursive];
    default:
      return [node.input];
  }
}
