/**
 * Free space map of one heap: a category (free bytes / 32, 0-255) per page in a max segment
 * tree, so "a page with at least N free bytes" is O(log pages) and picks the lowest such page.
 * It is a hint, never trusted: an inserter checks the page and corrects the map when it was
 * wrong. Persisted at each checkpoint to `base/<rel>.fsm` (plain bytes, not WAL-logged, no
 * fsync: a stale or lost map only costs space until VACUUM or inserts correct it).
 * Exports: FreeSpaceMap.
 */

const CATEGORY_BYTES = 32;

export class FreeSpaceMap {
  private capacity = 1;
  private tree = new Uint8Array(2);
  private pages = 0;
  /** Changed since the last `serialize`. */
  dirty = false;

  constructor(initial?: Uint8Array) {
    if (!initial) return;
    this.grow(initial.length);
    this.pages = initial.length;
    this.tree.set(initial, this.capacity);
    for (let node = this.capacity - 1; node >= 1; node--) {
      this.tree[node] = Math.max(this.tree[2 * node] ?? 0, this.tree[2 * node + 1] ?? 0);
    }
  }

  get pageCount(): number {
    return this.pages;
  }

  /** Records that `pageNo` has `freeBytes` free. */
  set(pageNo: number, freeBytes: number): void {
    const category = Math.min(255, Math.floor(freeBytes / CATEGORY_BYTES));
    if (pageNo >= this.capacity) this.grow(pageNo + 1);
    if (pageNo >= this.pages) this.pages = pageNo + 1;
    if (this.tree[this.capacity + pageNo] === category) return;
    this.setCategory(pageNo, category);
    this.dirty = true;
  }

  /** Lower bound of the free bytes of a page as recorded. */
  get(pageNo: number): number {
    return pageNo < this.pages ? (this.tree[this.capacity + pageNo] ?? 0) * CATEGORY_BYTES : 0;
  }

  /** The lowest page recorded with at least `needBytes` free, or -1. */
  find(needBytes: number): number {
    const need = Math.ceil(needBytes / CATEGORY_BYTES);
    if ((this.tree[1] ?? 0) < need) return -1;
    let node = 1;
    while (node < this.capacity) {
      const left = 2 * node;
      node = (this.tree[left] ?? 0) >= need ? left : left + 1;
    }
    return node - this.capacity;
  }

  /** Forgets pages from `pageCount` on (relation truncated). */
  truncate(pageCount: number): void {
    for (let p = pageCount; p < this.pages; p++) this.setCategory(p, 0);
    this.pages = Math.min(this.pages, pageCount);
    this.dirty = true;
  }

  serialize(): Uint8Array {
    this.dirty = false;
    return this.tree.slice(this.capacity, this.capacity + this.pages);
  }

  private setCategory(pageNo: number, category: number): void {
    let node = this.capacity + pageNo;
    this.tree[node] = category;
    node >>= 1;
    while (node >= 1) {
      const value = Math.max(this.tree[2 * node] ?? 0, this.tree[2 * node + 1] ?? 0);
      if (this.tree[node] === value) break;
      this.tree[node] = value;
      node >>= 1;
    }
  }

  private grow(minPages: number): void {
    let capacity = this.capacity;
    while (capacity < minPages) capacity *= 2;
    if (capacity === this.capacity) return;
    const old = this.tree.slice(this.capacity, this.capacity + this.pages);
    this.capacity = capacity;
    this.tree = new Uint8Array(2 * capacity);
    this.tree.set(old, capacity);
    for (let node = capacity - 1; node >= 1; node--) {
      this.tree[node] = Math.max(this.tree[2 * node] ?? 0, this.tree[2 * node + 1] ?? 0);
    }
  }
}
