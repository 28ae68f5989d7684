/**
 * Crash recovery: replays the WAL from the control file's redo LSN to the end of valid WAL,
 * handing every record to `redo` in LSN order. It first fdatasyncs the segments it will read,
 * and the WAL directory, so nothing replayed can be lost by a later power failure (data pages
 * written during redo must not get ahead of durable WAL). The first invalid record (zero length, torn, CRC
 * mismatch, stale LSN) ends the WAL; one log line says where and why.
 * Recovery also reports the highest xid it replayed: the upper layers must not hand that xid
 * out again, since the pages it changed are already back (PostgreSQL advances its next xid
 * from every replayed record for the same reason).
 * Exports: recoverWal, RecoveryResult, RecoveryGate.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Lsn, Xid } from '../storage/ids.js';
import type { Logger } from '../storage/logger.js';
import type { ControlData } from './control-file.js';
import { WalReader, type WalStop } from './wal-reader.js';
import { RmgrId, type WalRecord, XlogInfo } from './wal-record.js';
import type { WalSegments } from './wal-segments.js';

export interface RecoveryResult {
  /** End of the last valid record: where new WAL goes. */
  endLsn: Lsn;
  records: number;
  stop: WalStop;
  /**
   * The highest xid of any replayed record (0 when none). Every record carries the xid that
   * wrote it, so the transaction layer's next xid must be above this, whatever it saved.
   */
  maxXid: Xid;
}

export interface RecoveryGate {
  /** Updated as records are replayed: WAL up to here is durable (the pool may write pages up to it). */
  replayedLsn: Lsn;
}

export async function recoverWal(
  segments: WalSegments,
  control: ControlData,
  redo: (record: WalRecord) => void,
  gate: RecoveryGate,
  logger: Logger,
): Promise<RecoveryResult> {
  const first = segments.segmentOf(control.redoLsn);
  for (const segNo of segments.list()) {
    if (segNo < first) continue;
    const file = segments.openForRead(segNo);
    if (!file) continue;
    await file.datasync();
    file.close();
  }
  // Their directory entries too: a segment that was created just before the crash must not
  // vanish in a later power loss once pages rebuilt from its records are on disk.
  segments.dirDirty = true;
  await segments.syncDir();
  checkCheckpointRecord(segments, control);
  const reader = new WalReader(segments, control.redoLsn);
  let records = 0;
  let maxXid = 0;
  try {
    for (let rec = reader.next(); rec; rec = reader.next()) {
      gate.replayedLsn = rec.endLsn;
      redo(rec);
      records++;
      if (rec.xid > maxXid) maxXid = rec.xid;
    }
  } finally {
    reader.close();
  }
  const stop = reader.stop ?? { lsn: reader.position, reason: 'end-of-wal' };
  logger.info(
    { redoLsn: control.redoLsn, endLsn: stop.lsn, records, reason: stop.reason, maxXid },
    stop.reason === 'end-of-wal' ? 'redo done at end of WAL' : 'redo done: WAL ends at an invalid record',
  );
  return { endLsn: reader.position, records, stop, maxXid: maxXid as Xid };
}

function checkCheckpointRecord(segments: WalSegments, control: ControlData): void {
  const reader = new WalReader(segments, control.checkpointLsn);
  try {
    const rec = reader.next();
    if (!rec || rec.rmgr !== RmgrId.Xlog || rec.info !== XlogInfo.Checkpoint) {
      throw new KeelError(
        SqlState.DataCorrupted,
        `could not locate a valid checkpoint record at ${control.checkpointLsn}`,
        {
          severity: 'PANIC',
          detail: reader.stop ? `WAL reading stopped: ${reader.stop.reason}` : 'record is not a checkpoint',
        },
      );
    }
  } finally {
    reader.close();
  }
}
