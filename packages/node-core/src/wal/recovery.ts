/**
 * Crash recovery: replays the WAL from the control file's redo LSN to the end of valid WAL,
 * handing every record to `redo` in LSN order. It first fdatasyncs the segments it will read,
 * so nothing replayed can be lost by a later power failure (data pages written during redo
 * must not get ahead of durable WAL). The first invalid record (zero length, torn, CRC
 * mismatch, stale LSN) ends the WAL; one log line says where and why.
 * Exports: recoverWal, RecoveryResult.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Lsn } from '../storage/ids.js';
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
  checkCheckpointRecord(segments, control);
  const reader = new WalReader(segments, control.redoLsn);
  let records = 0;
  try {
    for (let rec = reader.next(); rec; rec = reader.next()) {
      gate.replayedLsn = rec.endLsn;
      redo(rec);
      records++;
    }
  } finally {
    reader.close();
  }
  const stop = reader.stop ?? { lsn: reader.position, reason: 'end-of-wal' };
  logger.info(
    { redoLsn: control.redoLsn, endLsn: stop.lsn, records, reason: stop.reason },
    stop.reason === 'end-of-wal' ? 'redo done at end of WAL' : 'redo done: WAL ends at an invalid record',
  );
  return { endLsn: reader.position, records, stop };
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
