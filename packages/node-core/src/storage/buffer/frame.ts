/**
 * Frame: one slot of the buffer pool and the page it holds. `page` is a fixed 8 KiB view into
 * the pool's memory; it changes only inside a mini-transaction (see mtr/). The page LSN lives
 * in the page header. A frame with pinCount > 0 is never evicted.
 * Exports: Frame.
 */
import type { Lsn, PageNo, RelFileId } from '../ids.js';
import { pageLsn } from '../page/page-layout.js';

export class Frame {
  rel = 0 as RelFileId;
  pageNo: PageNo = 0;
  /** pageKey(rel, pageNo) while valid, -1 when the frame is free. */
  key = -1;
  pinCount = 0;
  /** Changed since it was last written. */
  dirty = false;
  /**
   * Read ahead and not yet asked for: its first pin is its first use, not a re-reference, so it
   * must not promote the page in the replacement policy (else every page of a read-ahead scan
   * would look hot to 2Q and ARC, and the scan would flush their frequency lists).
   */
  prefetched = false;

  constructor(
    readonly id: number,
    readonly page: Buffer,
  ) {}

  get lsn(): Lsn {
    return pageLsn(this.page);
  }
}
