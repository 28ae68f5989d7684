/**
 * 2Q replacement (Johnson and Shasha, VLDB 1994). A page seen once lives in A1in, a FIFO of
 * about a quarter of the pool; evicted from there its key goes to A1out, a ghost list of half
 * the pool's size. A page used a second time enters Am, an LRU list: on a hit while in A1in
 * (a departure from the paper's "full" 2Q, which ignores A1in hits as correlated references;
 * with scans longer than A1out, hot pages would then never reach Am) or on a miss while its
 * key is in A1out. Eviction takes A1in's oldest while A1in is over its share, else Am's least
 * recent, so a one-pass scan (one pin per page) only churns A1in.
 * Exports: TwoQueuePolicy.
 */
import { FrameLists, GhostList } from './frame-lists.js';
import type { ReplacementPolicy } from './replacement-policy.js';

const A1IN = 0;
const AM = 1;

export class TwoQueuePolicy implements ReplacementPolicy {
  readonly name = '2q';
  private readonly lists: FrameLists;
  private readonly keys: Float64Array;
  private readonly a1out = new GhostList();
  private readonly kin: number;
  private readonly kout: number;

  constructor(frames: number) {
    this.lists = new FrameLists(frames, 2);
    this.keys = new Float64Array(frames);
    this.kin = Math.max(1, Math.floor(frames / 4));
    this.kout = Math.max(1, Math.floor(frames / 2));
  }

  touch(frame: number): void {
    if (this.lists.listOf(frame) === AM) {
      this.lists.moveToFront(AM, frame);
    } else {
      this.lists.remove(frame);
      this.lists.pushFront(AM, frame);
    }
  }

  admit(frame: number, key: number): void {
    this.keys[frame] = key;
    if (this.a1out.delete(key)) this.lists.pushFront(AM, frame);
    else this.lists.pushFront(A1IN, frame);
  }

  forget(frame: number): void {
    this.lists.remove(frame);
  }

  evict(_incomingKey: number, canEvict: (frame: number) => boolean): number {
    const preferIn = this.lists.size(A1IN) > this.kin || this.lists.size(AM) === 0;
    const order = preferIn ? [A1IN, AM] : [AM, A1IN];
    for (const list of order) {
      const f = this.lists.findFromTail(list, canEvict);
      if (f < 0) continue;
      this.lists.remove(f);
      if (list === A1IN) {
        this.a1out.add(this.keys[f] ?? 0);
        if (this.a1out.size > this.kout) this.a1out.dropOldest();
      }
      return f;
    }
    return -1;
  }

  evictionOrder(limit: number): number[] {
    const out: number[] = [];
    this.lists.collectFromTail(A1IN, limit, out);
    this.lists.collectFromTail(AM, limit, out);
    return out;
  }
}
