/**
 * Replacement policies of the buffer pool: which unpinned frame to evict on a miss. All four
 * of the design's table are O(1) per access (the eviction search skips pinned frames):
 *
 *   clock  reference bit and a sweeping hand (PostgreSQL's clock sweep with one bit)
 *   lru    least recently used, one list
 *   2q     Johnson and Shasha's full 2Q: first touches go to a FIFO (A1in, 1/4 of the pool);
 *          a page evicted from it is remembered (A1out ghosts, 1/2 of the pool) and admitted
 *          to the LRU main queue (Am) if it comes back, so one big scan cannot flush Am
 *   arc    Megiddo and Modha's ARC: recency (T1) and frequency (T2) lists with ghosts (B1,
 *          B2) steering the target size of T1
 * Exports: EvictionPolicyName, ReplacementPolicy, createReplacementPolicy.
 */
import { assertNever } from '@keel/errors';
import { ArcPolicy } from './arc-policy.js';
import { ClockPolicy } from './clock-policy.js';
import { LruPolicy } from './lru-policy.js';
import { TwoQueuePolicy } from './two-queue-policy.js';

export type EvictionPolicyName = 'clock' | 'lru' | '2q' | 'arc';
export const evictionPolicyNames: readonly EvictionPolicyName[] = ['clock', 'lru', '2q', 'arc'];

export interface ReplacementPolicy {
  readonly name: EvictionPolicyName;
  /** A resident frame was accessed. */
  touch(frame: number): void;
  /** A frame now holds page `key` (after a miss or a read-ahead). */
  admit(frame: number, key: number): void;
  /** A frame was emptied without eviction (relation dropped or truncated). */
  forget(frame: number): void;
  /**
   * Picks a frame to evict among those `canEvict` accepts and stops tracking it (recording a
   * ghost where the policy keeps them); -1 when there is none.
   */
  evict(incomingKey: number, canEvict: (frame: number) => boolean): number;
  /** Up to `limit` resident frames, roughly in the order they would be evicted. */
  evictionOrder(limit: number): number[];
}

export function createReplacementPolicy(name: EvictionPolicyName, frames: number): ReplacementPolicy {
  switch (name) {
    case 'clock':
      return new ClockPolicy(frames);
    case 'lru':
      return new LruPolicy(frames);
    case '2q':
      return new TwoQueuePolicy(frames);
    case 'arc':
      return new ArcPolicy(frames);
    default:
      return assertNever(name, 'eviction policy');
  }
}
