/**
 * Unique index checks, PostgreSQL's _bt_check_unique: before a row goes in, every unique index
 * is searched for a live version with the same key, looking at versions with a "dirty
 * snapshot" (committed, in progress, or our own), not with the statement's snapshot: a
 * duplicate inserted by a transaction still in progress makes the inserter wait for it, and
 * one committed after our snapshot is still a duplicate (23505, not a serialization failure,
 * as PostgreSQL reports a plain INSERT).
 * Exports: UniqueCheckEnv, uniqueConflict, uniqueViolation.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { IndexRelation, TableRelation } from '../catalog/objects.js';
import { encodeKey } from '../sql/types/key-encoding.js';
import type { TypeSettings } from '../sql/types/settings.js';
import { formatText } from '../sql/types/text-io.js';
import type { Value as TypedValue } from '../sql/types/value.js';
import type { BTree } from '../storage/btree/btree.js';
import type { HeapFile } from '../storage/heap/heap-file.js';
import { HeapInfomask, type TupleHeader } from '../storage/heap/heap-tuple.js';
import type { Transaction } from '../txn/transaction.js';
import type { TransactionManager } from '../txn/transaction-manager.js';
import { InvalidXid, type Xid } from '../txn/xid.js';
import type { Row, Tid } from './table-access.js';
import { indexKeyColumns } from './table-codec.js';

export interface UniqueCheckEnv {
  readonly txns: TransactionManager;
  heap(table: TableRelation): HeapFile;
  btree(index: IndexRelation): BTree;
  indexKeyValues(index: IndexRelation, table: TableRelation, row: Row): unknown[] | null;
}

/** A live row (or an in-progress writer to wait for) with the same key in a unique index. */
export function uniqueConflict(
  env: UniqueCheckEnv,
  txn: Transaction,
  table: TableRelation,
  index: IndexRelation,
  row: Row,
  self: Tid | null,
): { kind: 'live'; tid: Tid } | { kind: 'wait'; xid: Xid } | null {
  const values = env.indexKeyValues(index, table, row);
  if (values === null) return null;
  if (!index.nullsNotDistinct && values.some((v) => v === null)) return null;
  const key = encodeKey(values as TypedValue[], indexKeyColumns(index, table));
  const heap = env.heap(table);
  for (const candidate of env.btree(index).lookup(key)) {
    if (self !== null && (candidate as number) === (self as number)) continue;
    const header = heap.fetchHeader(candidate);
    if (header === null) continue;
    const state = liveness(env.txns, txn, header);
    if (state === 'dead') continue;
    if (state === 'live') return { kind: 'live', tid: candidate as number as Tid };
    return { kind: 'wait', xid: state.wait };
  }
  return null;
}

/** PostgreSQL's "dirty snapshot" view of a version: live, dead, or wait for its writer. */
function liveness(
  txns: TransactionManager,
  txn: Transaction,
  header: TupleHeader,
): 'live' | 'dead' | { wait: Xid } {
  const xmin = header.xmin as number as Xid;
  if (!txn.ownXids.has(xmin)) {
    if (txns.isRunning(xmin)) return { wait: xmin };
    if (txns.statusOf(xmin) !== 'committed') return 'dead';
  }
  const xmax = header.xmax as number as Xid;
  if (xmax === InvalidXid || (header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0) return 'live';
  if (txn.ownXids.has(xmax)) return 'dead';
  if (txns.isRunning(xmax)) return { wait: xmax };
  return txns.statusOf(xmax) === 'committed' ? 'dead' : 'live';
}

export function uniqueViolation(
  table: TableRelation,
  index: IndexRelation,
  values: unknown[],
  settings: TypeSettings,
): KeelError {
  const names = index.keys.map((k) =>
    k.attnum === 0 ? (k.expr ?? '?') : (table.columns[k.attnum - 1]?.name ?? '?'),
  );
  const types = indexKeyColumns(index, table).map((c) => c.type);
  const shown = values.map((v, i) =>
    v === null ? 'null' : formatText(types[i] ?? 25, v as TypedValue, settings),
  );
  return new KeelError(
    SqlState.UniqueViolation,
    `duplicate key value violates unique constraint "${index.name}"`,
    {
      detail: `Key (${names.join(', ')})=(${shown.join(', ')}) already exists.`,
      table: table.name,
      constraint: index.name,
    },
  );
}
