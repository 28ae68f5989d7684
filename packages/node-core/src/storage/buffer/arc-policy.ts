/**
 * ARC replacement (Megiddo and Modha, FAST 2003). T1 holds pages seen once recently, T2 pages
 * seen at least twice; B1 and B2 remember the keys recently evicted from each. A miss found in
 * B1 grows p, the target size of T1 (recency was undervalued); one found in B2 shrinks it.
 * Eviction takes T1's least recent page when T1 exceeds p, else T2's. Pages of a one-pass scan
 * stay in T1 and leave through it, so T2's hot pages survive scans.
 * Exports: ArcPolicy.
 */
import { FrameLists, GhostList } from './frame-lists.js';
import type { ReplacementPolicy } from './replacement-policy.js';

const T1 = 0;
const T2 = 1;

export class ArcPolicy implements ReplacementPolicy {
  readonly name = 'arc';
  private readonly lists: FrameLists;
  private readonly keys: Float64Array;
  private readonly b1 = new GhostList();
  private readonly b2 = new GhostList();
  /** Target size of T1. */
  private p = 0;

  constructor(private readonly c: number) {
    this.lists = new FrameLists(c, 2);
    this.keys = new Float64Array(c);
  }

  touch(frame: number): void {
    const list = this.lists.listOf(frame);
    if (list === T1) {
      this.lists.remove(frame);
      this.lists.pushFront(T2, frame);
    } else if (list === T2) {
      this.lists.moveToFront(T2, frame);
    }
  }

  admit(frame: number, key: number): void {
    this.keys[frame] = key;
    if (this.b1.has(key)) {
      this.p = Math.min(this.c, this.p + Math.max(this.b2.size / this.b1.size, 1));
      this.b1.delete(key);
      this.lists.pushFront(T2, frame);
      return;
    }
    if (this.b2.has(key)) {
      this.p = Math.max(0, this.p - Math.max(this.b1.size / this.b2.size, 1));
      this.b2.delete(key);
      this.lists.pushFront(T2, frame);
      return;
    }
    this.trimGhosts();
    this.lists.pushFront(T1, frame);
  }

  forget(frame: number): void {
    this.lists.remove(frame);
  }

  evict(incomingKey: number, canEvict: (frame: number) => boolean): number {
    const t1 = this.lists.size(T1);
    const fromT1 = t1 > 0 && (t1 > this.p || (this.b2.has(incomingKey) && t1 === Math.floor(this.p)));
    const order = fromT1 ? [T1, T2] : [T2, T1];
    for (const list of order) {
      const f = this.lists.findFromTail(list, canEvict);
      if (f < 0) continue;
      this.lists.remove(f);
      (list === T1 ? this.b1 : this.b2).add(this.keys[f] ?? 0);
      return f;
    }
    return -1;
  }

  evictionOrder(limit: number): number[] {
    const out: number[] = [];
    const first = this.lists.size(T1) > this.p ? T1 : T2;
    this.lists.collectFromTail(first, limit, out);
    this.lists.collectFromTail(first === T1 ? T2 : T1, limit, out);
    return out;
  }

  /** Keeps |T1| + |B1| <= c and the whole directory <= 2c (case IV of the paper). */
  private trimGhosts(): void {
    const t1 = this.lists.size(T1);
    const t2 = this.lists.size(T2);
    if (t1 + this.b1.size >= this.c && this.b1.size > 0) this.b1.dropOldest();
    else if (t1 + t2 + this.b1.size + this.b2.size >= 2 * this.c && this.b2.size > 0) this.b2.dropOldest();
  }
}
