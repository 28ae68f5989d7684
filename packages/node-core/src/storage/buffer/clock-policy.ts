/**
 * CLOCK replacement: each resident frame has a reference bit, set on admission and on every
 * access; the hand sweeps the frames, clearing set bits and evicting the first unpinned frame
 * whose bit is clear. Not scan resistant: a long scan sets the bits of all its pages.
 * Exports: ClockPolicy.
 */
import type { ReplacementPolicy } from './replacement-policy.js';

export class ClockPolicy implements ReplacementPolicy {
  readonly name = 'clock';
  private readonly ref: Uint8Array;
  private readonly resident: Uint8Array;
  private hand = 0;

  constructor(private readonly frames: number) {
    this.ref = new Uint8Array(frames);
    this.resident = new Uint8Array(frames);
  }

  touch(frame: number): void {
    this.ref[frame] = 1;
  }

  admit(frame: number): void {
    this.resident[frame] = 1;
    this.ref[frame] = 1;
  }

  forget(frame: number): void {
    this.resident[frame] = 0;
    this.ref[frame] = 0;
  }

  evict(_incomingKey: number, canEvict: (frame: number) => boolean): number {
    for (let step = 0; step < 2 * this.frames + 1; step++) {
      const f = this.hand;
      this.hand = (this.hand + 1) % this.frames;
      if (!this.resident[f] || !canEvict(f)) continue;
      if (this.ref[f]) {
        this.ref[f] = 0;
        continue;
      }
      this.resident[f] = 0;
      return f;
    }
    return -1;
  }

  evictionOrder(limit: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.frames && out.length < limit; i++) {
      const f = (this.hand + i) % this.frames;
      if (this.resident[f] && !this.ref[f]) out.push(f);
    }
    return out;
  }
}
