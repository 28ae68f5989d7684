/**
 * Redo dispatch: applies one WAL record to the storage engine's state, by resource manager.
 * Used by crash recovery (and, later, by replicas replaying WAL received from the primary).
 * Page records go through the buffer pool: a full-page image is restored unconditionally, a
 * delta only when the page's LSN is below the record's end LSN. Relation create/truncate/drop
 * are replayed on the files; relations a page record names are created when missing (the
 * relation may have been dropped later in the WAL, which drops it again). Records of other
 * rmgrs go to the upper layers' handlers.
 * Exports: RedoHandler, redoRecord, RedoTarget, encodeStorageRecord helpers.
 */
import { KeelError, SqlState } from '@keel/errors';
import { decodeCheckpoint } from '../wal/checkpoint-record.js';
import { PageInfo, RmgrId, StorageInfo, type WalRecord, XlogInfo } from '../wal/wal-record.js';
import type { BufferPool } from './buffer/buffer-pool.js';
import type { RelationFiles } from './file/relation-files.js';
import { asRelFileId, type RelFileId } from './ids.js';
import { applyBlock, BlockKind, forEachBlock } from './mtr/page-delta.js';
import { setPageLsn } from './page/page-layout.js';

export type RedoHandler = (record: WalRecord) => void;

export interface RedoTarget {
  pool: BufferPool;
  files: RelationFiles;
  handlers: ReadonlyMap<number, RedoHandler>;
  /** A relation id was seen in use. */
  noteRelId(id: number): void;
  /** A relation was truncated or dropped (cached access objects must forget pages). */
  relationChanged(id: RelFileId, nblocks: number | 'dropped'): void;
}

export function encodeRelRecord(id: RelFileId, extra: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt32LE(id, 0);
  buf.writeUInt32LE(extra, 4);
  return buf;
}

export function redoRecord(target: RedoTarget, rec: WalRecord): void {
  switch (rec.rmgr) {
    case RmgrId.Xlog:
      if (rec.info === XlogInfo.Checkpoint) target.noteRelId(decodeCheckpoint(rec.payload).nextRelId - 1);
      return;
    case RmgrId.Storage:
      redoStorage(target, rec);
      return;
    case RmgrId.Page:
      if (rec.info === PageInfo.Mtr) redoPages(target, rec);
      return;
    default: {
      const handler = target.handlers.get(rec.rmgr);
      if (!handler) {
        throw new KeelError(SqlState.InternalError, `no redo handler for WAL resource manager ${rec.rmgr}`, {
          detail: `record at LSN ${rec.lsn}`,
        });
      }
      handler(rec);
    }
  }
}

function redoStorage(target: RedoTarget, rec: WalRecord): void {
  const id = asRelFileId(rec.payload.readUInt32LE(0));
  const extra = rec.payload.readUInt32LE(4);
  target.noteRelId(id);
  switch (rec.info) {
    case StorageInfo.Create:
      target.files.ensure(id);
      return;
    case StorageInfo.Truncate:
      if (!target.files.has(id)) return;
      target.pool.dropRelation(id, extra);
      target.files.truncate(id, extra);
      target.relationChanged(id, extra);
      return;
    case StorageInfo.Drop:
      target.pool.dropRelation(id);
      target.files.remove(id);
      target.relationChanged(id, 'dropped');
      return;
    default:
      throw new KeelError(
        SqlState.DataCorrupted,
        `unknown storage WAL record type ${rec.info} at ${rec.lsn}`,
      );
  }
}

function redoPages(target: RedoTarget, rec: WalRecord): void {
  const { pool, files } = target;
  forEachBlock(rec.payload, (block) => {
    files.ensure(block.rel);
    files.noteBlock(block.rel, block.pageNo);
    target.noteRelId(block.rel);
    const frame =
      block.kind === BlockKind.FullImage
        ? pool.pinForOverwrite(block.rel, block.pageNo)
        : pool.pin(block.rel, block.pageNo);
    try {
      if (block.kind === BlockKind.FullImage || frame.lsn < rec.endLsn) {
        applyBlock(rec.payload, block, frame.page);
        setPageLsn(frame.page, rec.endLsn);
        pool.markDirty(frame);
      }
    } finally {
      pool.unpin(frame);
    }
  });
}
