/**
 * WAL record framing. The WAL is one byte stream; a record's LSN is the stream position of its
 * first byte and its end LSN the position after its last. Every record carries, in a 36-byte
 * little-endian header:
 *
 *   0  length   4  header + payload bytes
 *   4  crc      4  CRC32C of bytes [8, length): everything after this field
 *   8  lsn      8  the record's own start position (detects stale bytes of a recycled segment)
 *   16 xid      8  transaction that wrote it (0 for none)
 *   24 term     8  cluster term at append (0/1 on a single node)
 *   32 rmgr     1  resource manager that redoes it (RmgrId; 16 and up belong to upper layers)
 *   33 info     1  record type within the rmgr
 *   34 reserved 2
 *
 * Records may cross segment boundaries. Exports: WAL_RECORD_HEADER_SIZE, MAX_RECORD_BYTES,
 * RmgrId, WalRecord, WalRecordInput, encodeRecord, checkRecord.
 */
import { crc32c } from '@node-rs/crc32';
import type { Lsn, Xid } from '../storage/ids.js';
import { readU53, writeU53 } from '../storage/int53.js';

export const WAL_RECORD_HEADER_SIZE = 36;
/** Sanity bound for a record's length; a larger length field means a torn or stale record. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Resource managers of the storage engine; upper layers use ids from `FirstUpperRmgr` on. */
export const RmgrId = {
  /** Checkpoints. */
  Xlog: 0,
  /** Relation file create, truncate, drop. */
  Storage: 1,
  /** Mini-transaction page images and deltas. */
  Page: 2,
  FirstUpperRmgr: 16,
} as const;

/** EndOfRecovery: a promoted standby's first record, starting its term (replication's term history). */
export const XlogInfo = { Checkpoint: 1, EndOfRecovery: 2 } as const;
export const StorageInfo = { Create: 1, Truncate: 2, Drop: 3 } as const;
export const PageInfo = { Mtr: 1 } as const;

/** What a writer hands to `Wal.append`. */
export interface WalRecordInput {
  rmgr: number;
  info: number;
  xid: Xid;
  payload: Uint8Array;
}

/** A record read back. `payload` and `raw` are views valid until the reader's next call. */
export interface WalRecord {
  lsn: Lsn;
  endLsn: Lsn;
  xid: Xid;
  term: number;
  rmgr: number;
  info: number;
  payload: Buffer;
  /** The whole framed record, as shipped to replicas and appended there unchanged. */
  raw: Buffer;
}

/** Writes a framed record at dst[offset]; returns its length. */
export function encodeRecord(
  dst: Buffer,
  offset: number,
  lsn: Lsn,
  term: number,
  rec: WalRecordInput,
): number {
  const length = WAL_RECORD_HEADER_SIZE + rec.payload.length;
  dst.writeUInt32LE(length, offset);
  writeU53(dst, offset + 8, lsn);
  writeU53(dst, offset + 16, rec.xid);
  writeU53(dst, offset + 24, term);
  dst[offset + 32] = rec.rmgr;
  dst[offset + 33] = rec.info;
  dst.writeUInt16LE(0, offset + 34);
  dst.set(rec.payload, offset + WAL_RECORD_HEADER_SIZE);
  dst.writeUInt32LE(crc32c(dst.subarray(offset + 8, offset + length)), offset + 4);
  return length;
}

export type RecordCheck = 'ok' | 'crc-mismatch' | 'lsn-mismatch';

/** Checks a complete framed record that should start at `expectedLsn`. */
export function checkRecord(raw: Buffer, expectedLsn: Lsn): RecordCheck {
  if (raw.readUInt32LE(4) !== crc32c(raw.subarray(8))) return 'crc-mismatch';
  if (readU53(raw, 8) !== expectedLsn) return 'lsn-mismatch';
  return 'ok';
}

/** Decodes a checked framed record. */
export function decodeRecord(raw: Buffer): WalRecord {
  const lsn = readU53(raw, 8) as Lsn;
  return {
    lsn,
    endLsn: (lsn + raw.length) as Lsn,
    xid: readU53(raw, 16) as Xid,
    term: readU53(raw, 24),
    rmgr: raw[32] ?? 0,
    info: raw[33] ?? 0,
    payload: raw.subarray(WAL_RECORD_HEADER_SIZE),
    raw,
  };
}
