/**
 * VACUUM and ANALYZE. VACUUM removes row versions no snapshot can see any more: a version
 * whose inserter aborted, or whose deleter committed before the oldest running transaction
 * (and every snapshot) began. Index entries of those versions go first, then the heap slots are
 * freed for reuse, so an index never points at a reused slot. ANALYZE samples rows into the
 * statistics the optimizer reads (pg_statistic's contents, kept in the catalog).
 * Exports: vacuumTable, VacuumResult.
 */
import type { TableRelation } from '../../catalog/objects.js';
import type { RelFileId } from '../../storage/index.js';
import { HeapInfomask, type TupleHeader } from '../../storage/index.js';
import { InvalidXid, type Xid } from '../../txn/xid.js';
import type { Engine } from '../engine.js';
import type { Session } from '../session.js';

export interface VacuumResult {
  removed: number;
  pages: number;
}

export async function vacuumTable(
  engine: Engine,
  session: Session,
  table: TableRelation,
): Promise<VacuumResult> {
  const horizon = engine.txns.oldestRunningXid();
  const isDead = (header: TupleHeader): boolean => {
    const xmin = header.xmin as number as Xid;
    if (engine.txns.isRunning(xmin)) return false;
    if (engine.txns.statusOf(xmin) === 'aborted') return true;
    const xmax = header.xmax as number as Xid;
    if (xmax === InvalidXid || (header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0) return false;
    if (engine.txns.isRunning(xmax) || engine.txns.statusOf(xmax) !== 'committed') return false;
    return xmax < horizon;
  };
  const heap = engine.storage.heap(table.relFile as RelFileId);
  const pages = heap.pageCount();
  const dead = new Set<number>();
  for (let pageNo = 0; pageNo < pages; pageNo++) {
    for (const tuple of heap.scanPage(pageNo, { readAhead: 16 }))
      if (isDead(tuple.header)) dead.add(tuple.tid);
    if (pageNo % 64 === 63) {
      session.checkInterrupts();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  if (dead.size === 0) return { removed: 0, pages };
  for (const index of engine.catalog.view(session.options.databaseOid, null).indexesOf(table.oid)) {
    engine.storage.btree(index.relFile as RelFileId).bulkDelete((tid) => dead.has(tid));
  }
  let removed = 0;
  for (let pageNo = 0; pageNo < pages; pageNo++) {
    removed += heap.prune(pageNo, (tid) => dead.has(tid)).freed;
  }
  return { removed, pages };
}
