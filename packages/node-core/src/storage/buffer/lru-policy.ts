/**
 * LRU replacement: one list, most recently used at the front; evicts the least recently used
 * unpinned frame. Not scan resistant.
 * Exports: LruPolicy.
 */
import { FrameLists } from './frame-lists.js';
import type { ReplacementPolicy } from './replacement-policy.js';

const LIST = 0;

export class LruPolicy implements ReplacementPolicy {
  readonly name = 'lru';
  private readonly lists: FrameLists;

  constructor(frames: number) {
    this.lists = new FrameLists(frames, 1);
  }

  touch(frame: number): void {
    this.lists.moveToFront(LIST, frame);
  }

  admit(frame: number): void {
    this.lists.pushFront(LIST, frame);
  }

  forget(frame: number): void {
    this.lists.remove(frame);
  }

  evict(_incomingKey: number, canEvict: (frame: number) => boolean): number {
    const f = this.lists.findFromTail(LIST, canEvict);
    if (f >= 0) this.lists.remove(f);
    return f;
  }

  evictionOrder(limit: number): number[] {
    const out: number[] = [];
    this.lists.collectFromTail(LIST, limit, out);
    return out;
  }
}
