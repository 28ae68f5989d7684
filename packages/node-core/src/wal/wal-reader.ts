/**
 * WalReader: reads records from any LSN onward, across segment files, and stops at the first
 * record that is not valid: end of the written WAL (a zero length field), a length that does
 * not fit, a CRC mismatch (torn or corrupt) or a record whose LSN field is not its position
 * (stale bytes of a recycled segment). `stop` says where and why. Recovery replays from it;
 * replication will ship `record.raw` from it (pass `upTo` = the flushed LSN).
 * Exports: WalReader, WalStop.
 */
import { assert } from '@keel/errors';
import type { DiskFile } from '../storage/disk/disk.js';
import type { Lsn } from '../storage/ids.js';
import {
  checkRecord,
  decodeRecord,
  MAX_RECORD_BYTES,
  WAL_RECORD_HEADER_SIZE,
  type WalRecord,
} from './wal-record.js';
import type { WalSegments } from './wal-segments.js';

export type WalStopReason =
  | 'end-of-wal'
  | 'missing-segment'
  | 'bad-length'
  | 'crc-mismatch'
  | 'lsn-mismatch'
  | 'limit';

export interface WalStop {
  lsn: Lsn;
  reason: WalStopReason;
}

const CHUNK = 256 * 1024;

export class WalReader {
  /** Set once `next()` has returned null. */
  stop: WalStop | null = null;
  private buf = Buffer.alloc(CHUNK);
  /** Stream position of buf[0] and number of valid bytes in buf. */
  private bufStart: number;
  private bufLen = 0;
  private pos: number;
  private readonly files = new Map<number, DiskFile | null>();

  constructor(
    private readonly segments: WalSegments,
    from: Lsn,
    private readonly upTo: number = Number.MAX_SAFE_INTEGER,
  ) {
    this.pos = from;
    this.bufStart = from;
  }

  /** Position of the next record (after the last one returned). */
  get position(): Lsn {
    return this.pos as Lsn;
  }

  /** The next valid record, or null (see `stop`). The record's buffers are valid until the next call. */
  next(): WalRecord | null {
    if (this.stop) return null;
    if (this.pos >= this.upTo) return this.halt('limit');
    const header = this.ensure(WAL_RECORD_HEADER_SIZE);
    if (header === 'missing-segment') return this.halt('missing-segment');
    if (header < WAL_RECORD_HEADER_SIZE) return this.halt('end-of-wal');
    const offset = this.pos - this.bufStart;
    const length = this.buf.readUInt32LE(offset);
    if (length === 0) return this.halt('end-of-wal');
    if (length < WAL_RECORD_HEADER_SIZE || length > MAX_RECORD_BYTES || this.pos + length > this.upTo) {
      return this.halt('bad-length');
    }
    const got = this.ensure(length);
    if (got === 'missing-segment' || got < length) return this.halt('bad-length');
    const start = this.pos - this.bufStart;
    const raw = this.buf.subarray(start, start + length);
    const check = checkRecord(raw, this.pos as Lsn);
    if (check !== 'ok') return this.halt(check);
    this.pos += length;
    return decodeRecord(raw);
  }

  close(): void {
    for (const file of this.files.values()) file?.close();
    this.files.clear();
  }

  private halt(reason: WalStopReason): null {
    this.stop = { lsn: this.pos as Lsn, reason };
    return null;
  }

  /** Makes at least `n` bytes from `pos` available in buf when the WAL has them; returns how many are. */
  private ensure(n: number): number | 'missing-segment' {
    const have = this.bufStart + this.bufLen - this.pos;
    if (have >= n) return have;
    this.compact(n);
    while (this.bufStart + this.bufLen - this.pos < n) {
      const end = this.bufStart + this.bufLen;
      const segNo = this.segments.segmentOf(end);
      const file = this.segmentFile(segNo);
      if (!file) return end === this.pos ? 'missing-segment' : this.bufStart + this.bufLen - this.pos;
      const segEnd = (segNo + 1) * this.segments.segmentBytes;
      const want = Math.min(this.buf.length - this.bufLen, segEnd - end);
      const got = file.read(
        this.buf.subarray(this.bufLen, this.bufLen + want),
        end - segNo * this.segments.segmentBytes,
      );
      this.bufLen += got;
      if (got < want) break;
    }
    return this.bufStart + this.bufLen - this.pos;
  }

  /** Drops consumed bytes and grows the buffer so `n` bytes from `pos` fit. */
  private compact(n: number): void {
    const keep = this.bufStart + this.bufLen - this.pos;
    assert(keep >= 0, 'wal reader position outside its buffer');
    const size = Math.max(this.buf.length, n + CHUNK);
    const next = size === this.buf.length ? this.buf : Buffer.alloc(size);
    this.buf.copy(next, 0, this.pos - this.bufStart, this.pos - this.bufStart + keep);
    this.buf = next;
    this.bufStart = this.pos;
    this.bufLen = keep;
  }

  private segmentFile(segNo: number): DiskFile | null {
    let file = this.files.get(segNo);
    if (file === undefined) {
      for (const [n, old] of this.files) {
        if (n < segNo - 1) {
          old?.close();
          this.files.delete(n);
        }
      }
      file = this.segments.openForRead(segNo);
      this.files.set(segNo, file);
    }
    return file;
  }
}
