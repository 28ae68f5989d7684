/**
 * Intrusive doubly linked lists of buffer frame ids, kept in typed arrays so that moving a frame
 * between lists allocates nothing. Each frame is in at most one list. Front = most recent.
 * GhostList: keys of pages evicted recently (2Q's A1out, ARC's B1/B2), oldest first, on a Map
 * (insertion-ordered, O(1) delete).
 * Exports: FrameLists, GhostList.
 */
import { assert } from '@keel/errors';

const NONE = -1;

export class FrameLists {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** List id of each frame, or NONE. */
  private readonly owner: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  private readonly sizes: Int32Array;

  constructor(frames: number, lists: number) {
    this.prev = new Int32Array(frames).fill(NONE);
    this.next = new Int32Array(frames).fill(NONE);
    this.owner = new Int32Array(frames).fill(NONE);
    this.heads = new Int32Array(lists).fill(NONE);
    this.tails = new Int32Array(lists).fill(NONE);
    this.sizes = new Int32Array(lists);
  }

  listOf(frame: number): number {
    return this.owner[frame] ?? NONE;
  }

  size(list: number): number {
    return this.sizes[list] ?? 0;
  }

  pushFront(list: number, frame: number): void {
    assert(this.owner[frame] === NONE, 'frame already in a list');
    const head = this.heads[list] ?? NONE;
    this.prev[frame] = NONE;
    this.next[frame] = head;
    if (head !== NONE) this.prev[head] = frame;
    else this.tails[list] = frame;
    this.heads[list] = frame;
    this.owner[frame] = list;
    this.sizes[list] = (this.sizes[list] ?? 0) + 1;
  }

  remove(frame: number): void {
    const list = this.owner[frame] ?? NONE;
    if (list === NONE) return;
    const p = this.prev[frame] ?? NONE;
    const n = this.next[frame] ?? NONE;
    if (p !== NONE) this.next[p] = n;
    else this.heads[list] = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tails[list] = p;
    this.owner[frame] = NONE;
    this.sizes[list] = (this.sizes[list] ?? 0) - 1;
  }

  moveToFront(list: number, frame: number): void {
    if (this.heads[list] === frame) return;
    this.remove(frame);
    this.pushFront(list, frame);
  }

  /** From the least recent end, the first frame accepted by `ok`, or -1. */
  findFromTail(list: number, ok: (frame: number) => boolean): number {
    for (let f = this.tails[list] ?? NONE; f !== NONE; f = this.prev[f] ?? NONE) if (ok(f)) return f;
    return NONE;
  }

  /** Appends up to `limit` frames of a list, least recent first. */
  collectFromTail(list: number, limit: number, out: number[]): void {
    for (let f = this.tails[list] ?? NONE; f !== NONE && out.length < limit; f = this.prev[f] ?? NONE)
      out.push(f);
  }
}

export class GhostList {
  private readonly keys = new Map<number, true>();

  get size(): number {
    return this.keys.size;
  }

  has(key: number): boolean {
    return this.keys.has(key);
  }

  delete(key: number): boolean {
    return this.keys.delete(key);
  }

  add(key: number): void {
    this.keys.delete(key);
    this.keys.set(key, true);
  }

  dropOldest(): void {
    for (const key of this.keys.keys()) {
      this.keys.delete(key);
      return;
    }
  }
}
