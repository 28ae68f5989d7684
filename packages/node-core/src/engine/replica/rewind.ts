/**
 * Rewind of a former primary (pg_rewind's approach, with the quarantine Keel adds). Its WAL left
 * the new primary's timeline at `divergeLsn`; everything it wrote from there on must go, but
 * nothing silently:
 *   1. plan: read its own WAL from the divergence point to its end, collecting every page a
 *      record touched (page records), every relation file created, truncated or dropped (whole
 *      files), and the transactions (commit, abort, or neither); pick the latest checkpoint both
 *      timelines share (its record ends at or before the divergence point);
 *   2. quarantine: before anything is overwritten, the committed and unfinished transactions past
 *      the divergence point, with the rows they inserted and deleted as the old pages still hold
 *      them, go to a file under quarantine/ (quarantine.ts);
 *   3. the new primary sends the pages and files of the plan plus its commit log and WAL from the
 *      shared checkpoint's redo point (base-backup.ts in rewind mode; backup-install.ts applies
 *      them), and recovery replays from there. Pages the old primary did not touch after the
 *      divergence point hold common history, which replay brings forward.
 * If no shared checkpoint is known or the local WAL past the divergence point is gone, the plan
 * is impossible and the node takes a full base backup instead.
 * Exports: planRewind, quarantineDiverged, CHECKPOINT_RECORD_BYTES, DivergedTransaction.
 */

import { tableCodec } from '../../access/table-codec.js';
import { decodeCatalogObject } from '../../catalog/catalog-codec.js';
import type { SchemaObject, SharedObject, TableRelation } from '../../catalog/objects.js';
import { defaultTypeSettings } from '../../sql/types/settings.js';
import { formatText } from '../../sql/types/text-io.js';
import type { Value as TypedValue } from '../../sql/types/value.js';
import { HeapInfomask, NodeDisk } from '../../storage/index.js';
import { forEachBlock } from '../../storage/mtr/page-delta.js';
import { decodeXactRecord } from '../../txn/transaction-manager.js';
import { FrozenXid, InvalidXid, type Xid } from '../../txn/xid.js';
import { readControlFile } from '../../wal/control-file.js';
import { PageInfo, RmgrId, WAL_RECORD_HEADER_SIZE } from '../../wal/wal-record.js';
import { type Engine, EngineRmgr } from '../engine.js';
import type { RelationBlocks, RewindPlan } from './port-types.js';
import { type QuarantinedRow, type QuarantineFile, writeQuarantine } from './quarantine.js';

/** A checkpoint record: header plus its 20-byte payload. */
export const CHECKPOINT_RECORD_BYTES = WAL_RECORD_HEADER_SIZE + 20;

export interface DivergedTransaction {
  xid: number;
  xids: number[];
  status: 'committed' | 'aborted' | 'unfinished';
  commitLsn: number | null;
  commitTime: string | null;
  term: number;
  records: number;
}

interface Scan {
  relations: Map<number, Set<number> | 'whole'>;
  transactions: Map<number, DivergedTransaction>;
  endLsn: number;
}

export function planRewind(engine: Engine, divergeLsn: number): RewindPlan | { impossible: string } {
  const checkpoint = sharedCheckpoint(engine, divergeLsn);
  if (checkpoint === null)
    return { impossible: `no checkpoint before the divergence point ${divergeLsn} is known` };
  const scan = scanDiverged(engine, divergeLsn);
  if ('impossible' in scan) return scan;
  const relations: RelationBlocks[] = [...scan.relations]
    .sort(([a], [b]) => a - b)
    .map(([relFile, pages]) => ({
      relFile,
      pages: pages === 'whole' ? 'whole' : [...pages].sort((a, b) => a - b),
    }));
  const transactions = [...scan.transactions.values()].filter((t) => t.status !== 'aborted').length;
  return {
    divergeLsn,
    checkpointLsn: checkpoint.checkpointLsn,
    redoLsn: checkpoint.redoLsn,
    relations,
    transactions,
  };
}

/**
 * Writes the quarantine file for a divergence (the engine still holds the diverged data) and
 * returns how many transactions it holds; a second call for the same divergence writes nothing
 * new (writeQuarantine keeps one file per divergence point and local end).
 */
export function quarantineDiverged(
  engine: Engine,
  divergeLsn: number,
  primary: string,
): { file: string | null; transactions: number } | { impossible: string } {
  const scan = scanDiverged(engine, divergeLsn);
  if ('impossible' in scan) return scan;
  const kept = [...scan.transactions.values()].filter((t) => t.status !== 'aborted');
  if (kept.length === 0) return { file: null, transactions: 0 };
  const rows = divergedRows(engine, scan, kept);
  const content: QuarantineFile = {
    format: 1,
    createdAt: new Date().toISOString(),
    divergeLsn,
    localEndLsn: scan.endLsn,
    newPrimary: primary,
    transactions: kept,
    rows,
  };
  const file = writeQuarantine(engine.options.dataDir, content);
  return { file, transactions: kept.length };
}

/** The latest checkpoint, known from the control file or the replication state, wholly before `lsn`. */
function sharedCheckpoint(engine: Engine, lsn: number): { checkpointLsn: number; redoLsn: number } | null {
  const known = [...(engine.replication.state?.checkpoints ?? [])];
  const control = readControlFile(new NodeDisk(), engine.options.dataDir);
  if (control !== null) known.push({ checkpointLsn: control.checkpointLsn, redoLsn: control.redoLsn });
  const usable = known.filter((c) => c.checkpointLsn + CHECKPOINT_RECORD_BYTES <= lsn);
  usable.sort((a, b) => b.checkpointLsn - a.checkpointLsn);
  return usable[0] ?? null;
}

function scanDiverged(engine: Engine, divergeLsn: number): Scan | { impossible: string } {
  const reader = engine.storage.walReader(divergeLsn as never);
  const relations = new Map<number, Set<number> | 'whole'>();
  const transactions = new Map<number, DivergedTransaction>();
  const bySub = new Map<number, DivergedTransaction>();
  const touch = (xid: number, term: number): DivergedTransaction => {
    let txn = bySub.get(xid);
    if (txn === undefined) {
      txn = { xid, xids: [xid], status: 'unfinished', commitLsn: null, commitTime: null, term, records: 0 };
      transactions.set(xid, txn);
      bySub.set(xid, txn);
    }
    txn.records++;
    return txn;
  };
  try {
    let first = true;
    for (let record = reader.next(); record !== null; record = reader.next()) {
      first = false;
      if (record.xid !== 0) touch(record.xid, record.term);
      if (record.rmgr === RmgrId.Page && record.info === PageInfo.Mtr) {
        forEachBlock(record.payload, (block) => {
          const pages = relations.get(block.rel);
          if (pages === 'whole') return;
          if (pages === undefined) relations.set(block.rel, new Set([block.pageNo]));
          else pages.add(block.pageNo);
        });
      } else if (record.rmgr === RmgrId.Storage) {
        relations.set(record.payload.readUInt32LE(0), 'whole');
      } else if (record.rmgr === EngineRmgr.Xact) {
        const xact = decodeXactRecord(record.payload);
        if (xact.kind === 'reserve') continue;
        const txn = touch(record.xid, record.term);
        for (const sub of xact.xids) {
          if (!txn.xids.includes(sub)) txn.xids.push(sub);
          const other = bySub.get(sub);
          if (other !== undefined && other !== txn) transactions.delete(sub);
          bySub.set(sub, txn);
        }
        txn.status = xact.kind === 'commit' ? 'committed' : 'aborted';
        if (xact.kind === 'commit') {
          txn.commitLsn = record.endLsn;
          txn.commitTime = new Date(Date.UTC(2000, 0, 1) + Number(xact.timestamp / 1000n)).toISOString();
        }
      }
    }
    if (first && reader.stop?.reason === 'missing-segment') {
      return { impossible: `the local WAL at the divergence point ${divergeLsn} is gone` };
    }
    return { relations, transactions, endLsn: reader.position };
  } finally {
    reader.close();
  }
}

/** Rows the quarantined transactions inserted or deleted, decoded with the old catalog. */
function divergedRows(engine: Engine, scan: Scan, kept: DivergedTransaction[]): QuarantinedRow[] {
  const xids = new Map<number, number>();
  for (const txn of kept) for (const xid of txn.xids) xids.set(xid, txn.xid);
  const tables = tablesAsWritten(engine);
  const settings = defaultTypeSettings();
  const rows: QuarantinedRow[] = [];
  for (const [relFile, pages] of scan.relations) {
    const owner = tables.get(relFile);
    if (owner === undefined || pages === 'whole' || !engine.storage.files.has(relFile as never)) continue;
    const heap = engine.storage.heap(relFile as never);
    const codec = tableCodec(owner.table, settings);
    for (const pageNo of pages) {
      for (const tuple of heap.scanPage(pageNo as never)) {
        const inserted = xids.get(tuple.header.xmin as number);
        const lockOnly = (tuple.header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0;
        const deleted = lockOnly ? undefined : xids.get(tuple.header.xmax as number);
        if (inserted === undefined && deleted === undefined) continue;
        // Rows decode to the SQL layer's values (the access layer types them loosely, as the engine does).
        const values = codec.decode(tuple.data) as TypedValue[];
        const row: Record<string, string | null> = {};
        owner.table.columns.forEach((column, i) => {
          if (column.dropped) return;
          const value = values[i];
          row[column.name] =
            value === null || value === undefined ? null : formatText(column.typeOid, value, settings);
        });
        rows.push({
          database: owner.database,
          table: owner.table.name,
          change: inserted !== undefined ? 'insert' : 'delete',
          xid: inserted ?? deleted ?? 0,
          row,
        });
      }
    }
  }
  return rows;
}

/**
 * The tables as the old primary's own WAL left them: catalog tuples whose inserter committed in
 * that WAL, including commits a standby has replayed but not shown yet (the engine's catalog shows
 * only what the new primary confirmed, which may miss a table the diverged writes created).
 */
function tablesAsWritten(engine: Engine): Map<number, { table: TableRelation; database: string }> {
  const pending = engine.replication.standby?.xacts.pendingXids() ?? new Set<number>();
  const committed = (xid: number) =>
    xid === FrozenXid || pending.has(xid) || engine.txns.commitLog.status(xid as Xid) === 'committed';
  const objects = (relFile: number) => {
    const out: (SchemaObject | SharedObject)[] = [];
    if (!engine.storage.files.has(relFile as never)) return out;
    const heap = engine.storage.heap(relFile as never);
    for (let pageNo = 0; pageNo < heap.pageCount(); pageNo++) {
      for (const tuple of heap.scanPage(pageNo as never)) {
        const xmin = tuple.header.xmin as number;
        const xmax = tuple.header.xmax as number;
        if (!committed(xmin) || (xmax !== InvalidXid && committed(xmax))) continue;
        out.push(decodeCatalogObject(tuple.data));
      }
    }
    return out;
  };
  const tables = new Map<number, { table: TableRelation; database: string }>();
  for (const database of objects(engine.directory.readMeta().sharedCatalogRelFile)) {
    if (database.kind !== 'database') continue;
    for (const object of objects(database.catalogRelFile)) {
      if (object.kind === 'table') tables.set(object.relFile, { table: object, database: database.name });
    }
  }
  return tables;
}
