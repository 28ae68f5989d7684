/**
 * What a writer does with a row version that a committed transaction updated or deleted after
 * the writer's snapshot (or, for a version the writer was handed, before): under READ
 * COMMITTED it follows the update chain (each version's `next`) to the newest version, for the
 * executor to re-check its quals on (PostgreSQL's EvalPlanQual); under REPEATABLE READ and
 * SERIALIZABLE it fails with 40001. A link whose target's xmin is not the linking version's
 * xmax ends the chain (the newer version was removed and its slot reused), which reads as a
 * delete, as PostgreSQL reads a broken t_ctid chain.
 * A locking SELECT reports a concurrent delete as an update, as PostgreSQL's ExecLockRows does.
 * Exports: concurrentlyChanged, newestVersion, ChainEnv.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TableRelation } from '../catalog/objects.js';
import type { TypeSettings } from '../sql/types/settings.js';
import type { HeapFile } from '../storage/heap/heap-file.js';
import { HeapInfomask, type TupleHeader } from '../storage/heap/heap-tuple.js';
import type { Transaction } from '../txn/transaction.js';
import type { TransactionManager } from '../txn/transaction-manager.js';
import { InvalidXid, type Xid } from '../txn/xid.js';
import type { Tid, WriteOutcome } from './table-access.js';
import { tableCodec } from './table-codec.js';

export interface ChainEnv {
  readonly txns: TransactionManager;
  readonly typeSettings: TypeSettings;
  heap(table: TableRelation): HeapFile;
}

export function concurrentlyChanged(
  env: ChainEnv,
  txn: Transaction,
  table: TableRelation,
  header: TupleHeader,
  by: 'write' | 'lock' = 'write',
): WriteOutcome {
  const updated = (header.infomask & HeapInfomask.UPDATED) !== 0;
  if (txn.usesTransactionSnapshot) {
    throw new KeelError(
      SqlState.SerializationFailure,
      `could not serialize access due to concurrent ${updated || by === 'lock' ? 'update' : 'delete'}`,
    );
  }
  return newestVersion(env, txn, table, header);
}

/**
 * The newest version of a row whose version `header` a committed transaction replaced, whatever
 * the isolation level: `updated` with it, or `deleted` when the chain ends in a delete.
 */
export function newestVersion(
  env: ChainEnv,
  txn: Transaction,
  table: TableRelation,
  header: TupleHeader,
): WriteOutcome {
  if ((header.infomask & HeapInfomask.UPDATED) === 0) return { status: 'deleted' };
  const heap = env.heap(table);
  let current = header;
  let currentTid = header.next;
  for (let hops = 0; hops < 10_000; hops++) {
    const next = heap.fetch(currentTid);
    if (next === null || next.header.xmin !== current.xmax) return { status: 'deleted' };
    const xmax = next.header.xmax as number as Xid;
    const committed =
      xmax !== InvalidXid && !env.txns.isRunning(xmax) && env.txns.statusOf(xmax) === 'committed';
    if (committed && !txn.ownXids.has(xmax)) {
      if ((next.header.infomask & HeapInfomask.UPDATED) === 0) return { status: 'deleted' };
      current = next.header;
      currentTid = next.header.next;
      continue;
    }
    return {
      status: 'updated',
      tid: currentTid as number as Tid,
      row: tableCodec(table, env.typeSettings).decode(next.data),
    };
  }
  throw new KeelError(SqlState.InternalError, `update chain of a row in "${table.name}" does not end`);
}
