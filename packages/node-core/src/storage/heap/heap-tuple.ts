/**
 * Heap tuple layout: a 32-byte MVCC header followed by the row bytes (opaque here; the SQL
 * layer encodes rows).
 *
 *   0  xmin      8  inserting transaction
 *   8  xmax      8  deleting/updating/locking transaction, 0 for none
 *   16 next      8  tid of the newer version (PostgreSQL's ctid), 0 (InvalidTid) for none
 *   24 cid       4  command id within the inserting or deleting transaction
 *   28 infomask  2  HeapInfomask flags
 *   30 reserved  2
 *
 * When following `next`, check that the newer tuple's xmin equals this tuple's xmax (as
 * PostgreSQL does): VACUUM may have freed and reused the slot.
 * Exports: HEAP_TUPLE_HEADER_SIZE, HeapInfomask, TupleHeader, HeaderPatch, read/write helpers.
 */
import type { Tid, Xid } from '../ids.js';
import { readU53, writeU53 } from '../int53.js';

export const HEAP_TUPLE_HEADER_SIZE = 32;

const OFF_XMIN = 0;
const OFF_XMAX = 8;
const OFF_NEXT = 16;
const OFF_CID = 24;
const OFF_INFOMASK = 28;

/** Infomask bits. Lock strength sits in bits 1-3 (values of LockStrength) with XMAX_IS_LOCK_ONLY. */
export const HeapInfomask = {
  /** xmax only locks the row (SELECT ... FOR ...), it did not delete or update it. */
  XMAX_IS_LOCK_ONLY: 0x0001,
  LOCK_STRENGTH_MASK: 0x000e,
  LOCK_KEY_SHARE: 0x0002,
  LOCK_SHARE: 0x0004,
  LOCK_NO_KEY_UPDATE: 0x0006,
  LOCK_UPDATE: 0x0008,
  /** xmax came from an UPDATE: follow `next` to the newer version. */
  UPDATED: 0x0010,
  /** The update changed key columns (FOR KEY SHARE lockers conflict). */
  KEYS_UPDATED: 0x0020,
  /** Hint bits for the transaction layer (set through setHeader, so they are WAL-logged). */
  XMIN_COMMITTED: 0x0100,
  XMIN_ABORTED: 0x0200,
  XMAX_COMMITTED: 0x0400,
  XMAX_ABORTED: 0x0800,
  /** The newer version is on the same page (HOT-like; informative only). */
  HEAP_ONLY_NEXT: 0x1000,
} as const;

export interface TupleHeader {
  xmin: Xid;
  xmax: Xid;
  cid: number;
  infomask: number;
  next: Tid;
}

/** Fields `setHeader` may change. */
export interface HeaderPatch {
  xmax?: Xid;
  cid?: number;
  infomask?: number;
  next?: Tid;
}

export function readTupleHeader(page: Buffer, offset: number): TupleHeader {
  return {
    xmin: readU53(page, offset + OFF_XMIN) as Xid,
    xmax: readU53(page, offset + OFF_XMAX) as Xid,
    cid: page.readUInt32LE(offset + OFF_CID),
    infomask: page.readUInt16LE(offset + OFF_INFOMASK),
    next: readU53(page, offset + OFF_NEXT) as Tid,
  };
}

export function writeTupleHeader(page: Buffer, offset: number, header: TupleHeader): void {
  writeU53(page, offset + OFF_XMIN, header.xmin);
  writeU53(page, offset + OFF_XMAX, header.xmax);
  writeU53(page, offset + OFF_NEXT, header.next);
  page.writeUInt32LE(header.cid, offset + OFF_CID);
  page.writeUInt16LE(header.infomask, offset + OFF_INFOMASK);
  page.writeUInt16LE(0, offset + 30);
}

export function patchTupleHeader(page: Buffer, offset: number, patch: HeaderPatch): void {
  if (patch.xmax !== undefined) writeU53(page, offset + OFF_XMAX, patch.xmax);
  if (patch.next !== undefined) writeU53(page, offset + OFF_NEXT, patch.next);
  if (patch.cid !== undefined) page.writeUInt32LE(patch.cid, offset + OFF_CID);
  if (patch.infomask !== undefined) page.writeUInt16LE(patch.infomask, offset + OFF_INFOMASK);
}
