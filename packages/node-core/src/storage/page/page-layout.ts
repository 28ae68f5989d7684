/**
 * Page layout shared by every relation page (heap, B-tree, B-tree meta): 8 KiB pages, as in
 * PostgreSQL, with a 24-byte header:
 *
 *   0  lsn       8 bytes  end LSN of the last WAL record that changed the page
 *   8  checksum  4 bytes  CRC32C of the page (checksum field excluded) salted with rel and page no
 *   12 kind      1 byte   PageKind; 0 only on an all-zero (never written) page
 *   13 flags     1 byte   kind-specific
 *   14 lower     2 bytes  end of the slot array
 *   16 upper     2 bytes  start of item data
 *   18 special   2 bytes  start of the special area (PAGE_SIZE when none)
 *   20 frag      2 bytes  bytes inside [upper, special) held by no item (freed, not yet compacted)
 *   22 reserved  2 bytes
 *
 * Slots (4 bytes: item offset, item length) grow up from byte 24, items grow down from
 * `special`. Slot numbers are 1-based; a slot with offset 0 is unused.
 * Exports: PAGE_SIZE, PAGE_HEADER_SIZE, SLOT_SIZE, PageKind, header accessors, isZeroPage.
 */
import type { Lsn } from '../ids.js';
import { readU53, writeU53 } from '../int53.js';

export const PAGE_SIZE = 8192;
export const PAGE_HEADER_SIZE = 24;
export const SLOT_SIZE = 4;

export const OFF_LSN = 0;
export const OFF_CHECKSUM = 8;
export const OFF_KIND = 12;
export const OFF_FLAGS = 13;
export const OFF_LOWER = 14;
export const OFF_UPPER = 16;
export const OFF_SPECIAL = 18;
export const OFF_FRAG = 20;

export const PageKind = {
  Zero: 0,
  Heap: 1,
  BTreeMeta: 2,
  BTreeNode: 3,
  BTreeFree: 4,
} as const;
export type PageKind = (typeof PageKind)[keyof typeof PageKind];

export function pageLsn(page: Buffer): Lsn {
  return readU53(page, OFF_LSN) as Lsn;
}

export function setPageLsn(page: Buffer, lsn: Lsn): void {
  writeU53(page, OFF_LSN, lsn);
}

export function pageKind(page: Buffer): number {
  return page[OFF_KIND] ?? 0;
}

export function pageLower(page: Buffer): number {
  return page.readUInt16LE(OFF_LOWER);
}

export function pageUpper(page: Buffer): number {
  return page.readUInt16LE(OFF_UPPER);
}

export function pageSpecial(page: Buffer): number {
  return page.readUInt16LE(OFF_SPECIAL);
}

const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

/** A page that was allocated (file extended) but never written: valid and empty. */
export function isZeroPage(page: Buffer): boolean {
  return page.equals(ZERO_PAGE);
}

/** Formats an empty page of a kind with `specialSize` bytes of special area at its end. */
export function initPage(page: Buffer, kind: PageKind, specialSize: number): void {
  page.fill(0, OFF_CHECKSUM);
  page[OFF_KIND] = kind;
  page.writeUInt16LE(PAGE_HEADER_SIZE, OFF_LOWER);
  page.writeUInt16LE(PAGE_SIZE - specialSize, OFF_UPPER);
  page.writeUInt16LE(PAGE_SIZE - specialSize, OFF_SPECIAL);
}
