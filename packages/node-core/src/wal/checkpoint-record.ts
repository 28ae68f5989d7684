/**
 * Payload of the checkpoint WAL record (rmgr Xlog, info Checkpoint): the redo LSN the
 * checkpoint started from, the next relation file id and the term.
 * Exports: CheckpointPayload, encodeCheckpoint, decodeCheckpoint.
 */
import type { Lsn } from '../storage/ids.js';
import { readU53, writeU53 } from '../storage/int53.js';

export interface CheckpointPayload {
  redoLsn: Lsn;
  nextRelId: number;
  term: number;
}

export function encodeCheckpoint(data: CheckpointPayload): Buffer {
  const buf = Buffer.alloc(20);
  writeU53(buf, 0, data.redoLsn);
  buf.writeUInt32LE(data.nextRelId, 8);
  writeU53(buf, 12, data.term);
  return buf;
}

export function decodeCheckpoint(payload: Buffer): CheckpointPayload {
  return {
    redoLsn: readU53(payload, 0) as Lsn,
    nextRelId: payload.readUInt32LE(8),
    term: readU53(payload, 12),
  };
}
