/**
 * Page checksums: CRC32C (hardware-accelerated, from @node-rs/crc32) over the whole page with
 * the checksum field skipped, salted with the relation file id and page number so a page
 * written to the wrong place fails too (PostgreSQL mixes in the block number for the same
 * reason). Set just before a page is written, verified on every read from disk; an all-zero
 * page is valid and empty, as in PostgreSQL.
 * Exports: setPageChecksum, verifyPage.
 */
import { KeelError, SqlState } from '@keel/errors';
import { crc32c } from '@node-rs/crc32';
import type { PageNo, RelFileId } from '../ids.js';
import { isZeroPage, OFF_CHECKSUM, PAGE_SIZE } from './page-layout.js';

const salt = Buffer.alloc(8);

function computeChecksum(page: Buffer, rel: RelFileId, pageNo: PageNo): number {
  salt.writeUInt32LE(rel, 0);
  salt.writeUInt32LE(pageNo, 4);
  let crc = crc32c(salt);
  crc = crc32c(page.subarray(0, OFF_CHECKSUM), crc);
  return crc32c(page.subarray(OFF_CHECKSUM + 4, PAGE_SIZE), crc);
}

export function setPageChecksum(page: Buffer, rel: RelFileId, pageNo: PageNo): void {
  page.writeUInt32LE(computeChecksum(page, rel, pageNo), OFF_CHECKSUM);
}

/** Throws XX001 unless the page's checksum matches or the page is all zeros. */
export function verifyPage(page: Buffer, rel: RelFileId, pageNo: PageNo, fileName: string): void {
  if (page.readUInt32LE(OFF_CHECKSUM) === computeChecksum(page, rel, pageNo)) return;
  if (isZeroPage(page)) return;
  throw new KeelError(
    SqlState.DataCorrupted,
    `invalid page in block ${pageNo} of relation file ${fileName}`,
    { detail: 'page checksum mismatch' },
  );
}

/** Same check as a boolean, for read-ahead pages that nobody asked for yet. */
export function pageIsValid(page: Buffer, rel: RelFileId, pageNo: PageNo): boolean {
  return page.readUInt32LE(OFF_CHECKSUM) === computeChecksum(page, rel, pageNo) || isZeroPage(page);
}
