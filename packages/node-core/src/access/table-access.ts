/**
 * The table access layer: what the SQL executor may do to tables and indexes. It joins the
 * storage engine (heap, B-tree, buffer pool, WAL) with the transaction layer (snapshots,
 * visibility, row and table locks, unique checks), so the executor never sees tuple headers,
 * xids or pages: it sees visible rows, tids, and the outcome of each write.
 *
 * Rules the implementation keeps (PostgreSQL's, see heapam.c and nodeModifyTable.c):
 * - Scans return only rows visible to the statement's snapshot; rows written by the current
 *   command are never visible to it (no Halloween problem).
 * - update/delete/lockRow wait for a concurrent writer of the row to finish (subject to
 *   lock_timeout, statement_timeout, deadlock detection), then report what happened; under
 *   READ COMMITTED a row updated by a committed transaction is reported as `updated` with the
 *   newest version so the executor can re-check its quals (EvalPlanQual); under REPEATABLE READ
 *   and SERIALIZABLE that is a 40001 error thrown by the access layer.
 * - insert/update check every unique index (waiting for in-progress conflicting writers) and
 *   throw 23505 with PostgreSQL's detail "Key (a)=(1) already exists.".
 * Exports: TableAccess and the types of its arguments and results.
 */
import type { IndexRelation, Oid, TableRelation } from '../catalog/objects.js';

/** A SQL value in Keel's JS representation (see src/sql/types/README.md); null is SQL NULL. */
export type Value = unknown;
/** One row: values in attnum order (dropped columns hold null). */
export type Row = Value[];

/** Physical address of a row version (page and slot), opaque to the executor. */
export type Tid = number & { readonly __brand: 'Tid' };

export interface RowBatch {
  tids: Tid[];
  rows: Row[];
}

export interface ScanOptions {
  /** Decode only these attnums (others are null in the returned rows); all when omitted. */
  columns?: readonly number[];
  /** Rows per batch; about 1024 by default (the executor's vector size). */
  batchSize?: number;
}

export interface IndexBound {
  /** Values of a prefix of the index's key columns. */
  values: Value[];
  inclusive: boolean;
}

export interface IndexScanOptions extends ScanOptions {
  lower?: IndexBound;
  upper?: IndexBound;
  direction: 'forward' | 'backward';
}

export type RowLockMode = 'update' | 'no key update' | 'share' | 'key share';
export type LockWaitPolicy = 'block' | 'nowait' | 'skip locked';

/** What happened to a row the executor tried to update, delete or lock. */
export type WriteOutcome =
  | { status: 'ok'; tid: Tid }
  /** READ COMMITTED only: the row was updated by a committed transaction; here is its newest version. */
  | { status: 'updated'; tid: Tid; row: Row }
  /** The row was deleted by a committed transaction (or, for lockRow with SKIP LOCKED, is locked). */
  | { status: 'deleted' }
  | { status: 'skipped' }
  /** The row was already updated or deleted by the current command (the "self-updated" case). */
  | { status: 'self-updated' };

export interface TableAccess {
  /** Sequential scan in batches, in physical order. */
  scan(table: TableRelation, options?: ScanOptions): AsyncIterable<RowBatch>;
  /** B-tree range scan returning the visible heap rows, in index order. */
  indexScan(index: IndexRelation, table: TableRelation, options: IndexScanOptions): AsyncIterable<RowBatch>;
  /** The row version at tid if it is visible to the statement's snapshot. */
  fetch(table: TableRelation, tid: Tid): Row | null;

  /** Inserts a row (all constraints except unique were checked by the caller) and its index entries. */
  insert(table: TableRelation, row: Row): Promise<Tid>;
  /**
   * INSERT ... ON CONFLICT support: the tid of a live row that conflicts with `row` on one of the
   * given unique indexes (all unique indexes when omitted), waiting for in-progress writers.
   */
  findConflict(
    table: TableRelation,
    row: Row,
    indexOids?: readonly Oid[],
  ): Promise<{ tid: Tid; row: Row } | null>;
  /** Replaces the row at tid with `row` (a new version); `keyChanged` selects the row lock strength. */
  update(table: TableRelation, tid: Tid, row: Row, options: { keyChanged: boolean }): Promise<WriteOutcome>;
  delete(table: TableRelation, tid: Tid): Promise<WriteOutcome>;
  /** SELECT ... FOR UPDATE/SHARE. */
  lockRow(table: TableRelation, tid: Tid, mode: RowLockMode, wait: LockWaitPolicy): Promise<WriteOutcome>;

  /** Estimated rows and pages for the optimizer when there are no statistics. */
  estimateSize(table: TableRelation): { rows: number; pages: number };
}
