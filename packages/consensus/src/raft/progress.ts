/**
 * What a leader knows about one follower or learner: the highest index known to match
 * (`match`), the next index to send (`next`), and the messages in flight to it.
 *
 * A peer is in one of three states (the same flow control as etcd's raft):
 *   probe      the leader does not know where the logs diverge: one append at a time, each
 *              rejection moving `next` back (by a whole term, thanks to the hint);
 *   replicate  the logs match up to `match`: appends are pipelined, up to maxInFlight of
 *              them, `next` moving optimistically past what was sent;
 *   snapshot   the peer needs entries already compacted: one snapshot in flight.
 * A rejection in replicate (a lost or reordered append) drops back to probe. A message in flight
 * longer than the caller's timeout is presumed lost: the peer falls back to probe from `match`,
 * and the next heartbeat round sends again. `recentActive` feeds check-quorum.
 * Exports: Progress, ProgressState, InFlight.
 */
import { LogIndex } from './types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface InFlight {
  /** prevLogIndex of the append, or the snapshot's index. */
  readonly prev: LogIndex;
  /** The last index the message carries; a success response at or beyond it answers it. */
  readonly last: LogIndex;
  ticks: number;
}

export class Progress {
  match: LogIndex = LogIndex(0);
  next: LogIndex;
  state: ProgressState = 'probe';
  recentActive = false;
  private inFlight: InFlight[] = [];

  constructor(
    next: LogIndex,
    private readonly maxInFlight: number,
  ) {
    this.next = next;
  }

  /** Whether another message may be sent now. */
  canSend(): boolean {
    if (this.state === 'replicate') return this.inFlight.length < this.maxInFlight;
    return this.inFlight.length === 0;
  }

  inFlightCount(): number {
    return this.inFlight.length;
  }

  sent(prev: LogIndex, last: LogIndex): void {
    this.inFlight.push({ prev, last, ticks: 0 });
    if (this.state !== 'snapshot') this.next = LogIndex(last + 1);
  }

  sentSnapshot(index: LogIndex): void {
    this.state = 'snapshot';
    this.inFlight = [{ prev: index, last: index, ticks: 0 }];
  }

  /** Records a success response; returns true if the match index moved. */
  acknowledge(index: LogIndex): boolean {
    this.inFlight = this.inFlight.filter((f) => f.last > index);
    if (index <= this.match) return false;
    this.match = index;
    if (this.next <= index) this.next = LogIndex(index + 1);
    if (this.state === 'snapshot') this.inFlight = [];
    this.state = 'replicate';
    return true;
  }

  /**
   * Records a rejection of the append whose prevLogIndex was `prev`; `retryFrom` is where the
   * follower's hint says to resume. Returns false if the rejection is stale.
   */
  reject(prev: LogIndex, retryFrom: LogIndex): boolean {
    if (prev <= this.match) return false;
    if (this.state === 'snapshot') return false;
    if (this.state === 'probe' && !this.inFlight.some((f) => f.prev === prev)) return false;
    this.state = 'probe';
    this.inFlight = [];
    this.next = LogIndex(Math.max(this.match + 1, Math.min(retryFrom, prev)));
    return true;
  }

  /** Ages the messages in flight; after `timeoutTicks` the oldest counts as lost. */
  tick(timeoutTicks: number): void {
    const oldest = this.inFlight[0];
    if (oldest === undefined) return;
    for (const f of this.inFlight) f.ticks++;
    if (oldest.ticks < timeoutTicks) return;
    this.inFlight = [];
    if (this.state === 'snapshot') return; // `next` still points into the snapshot: it is sent again
    this.next = LogIndex(this.state === 'probe' ? Math.max(this.match, oldest.prev) + 1 : this.match + 1);
    this.state = 'probe';
  }
}
