/**
 * Identifiers shared by the storage engine, the WAL and the layers above them.
 *
 * `Xid`, `Lsn`, `RelFileId` and `Tid` are branded JS numbers so they cannot be mixed by
 * accident. They are plain numbers, not bigint (a departure from STYLE.md section 5, chosen by
 * the lead for speed on hot paths): every value is an integer below 2^53. An LSN is a byte
 * position in the WAL stream; 2^53 bytes is 8 PiB of WAL, which at 1 GiB/s takes 97 days of
 * nonstop writing per PiB, about 2.5 centuries in all. 2^53 xids at a million transactions
 * per second last 285 years. So neither ever wraps, and no wraparound logic exists anywhere.
 *
 * A `Tid` (PostgreSQL's ctid) packs `pageNo * 65536 + slot`; slots are 1-based, so tid 0 is
 * never a real tuple and serves as `InvalidTid`. Page numbers stay below 2^32 (32 TiB per
 * relation with 8 KiB pages), which keeps tids below 2^48.
 * Exports: Xid, Lsn, RelFileId, PageNo, Tid and their constructors and helpers.
 */
import { assert } from '@keel/errors';

export type Xid = number & { readonly __brand: 'Xid' };
export type Lsn = number & { readonly __brand: 'Lsn' };
export type RelFileId = number & { readonly __brand: 'RelFileId' };
export type PageNo = number;
export type Tid = number & { readonly __brand: 'Tid' };

/** The largest page number a relation may have (exclusive). */
export const PAGE_NO_LIMIT = 2 ** 32;
const SLOTS_PER_PAGE_LIMIT = 65536;

export const InvalidXid = 0 as Xid;
export const InvalidLsn = 0 as Lsn;
export const InvalidTid = 0 as Tid;

export function asXid(value: number): Xid {
  assert(Number.isSafeInteger(value) && value >= 0, `bad xid ${value}`);
  return value as Xid;
}

export function asLsn(value: number): Lsn {
  assert(Number.isSafeInteger(value) && value >= 0, `bad lsn ${value}`);
  return value as Lsn;
}

export function asRelFileId(value: number): RelFileId {
  assert(Number.isInteger(value) && value > 0 && value < 2 ** 31, `bad relation file id ${value}`);
  return value as RelFileId;
}

export function asTid(value: number): Tid {
  assert(Number.isSafeInteger(value) && value >= 0, `bad tid ${value}`);
  return value as Tid;
}

export function makeTid(pageNo: PageNo, slot: number): Tid {
  return (pageNo * SLOTS_PER_PAGE_LIMIT + slot) as Tid;
}

export function tidPage(tid: Tid): PageNo {
  return Math.floor(tid / SLOTS_PER_PAGE_LIMIT);
}

export function tidSlot(tid: Tid): number {
  return tid % SLOTS_PER_PAGE_LIMIT;
}

/** Key of one page in maps: relation and page number in one safe integer. */
export function pageKey(rel: RelFileId, pageNo: PageNo): number {
  return rel * PAGE_NO_LIMIT + pageNo;
}
