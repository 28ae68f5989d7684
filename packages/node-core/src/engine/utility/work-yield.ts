/**
 * Yielding to the event loop from long synchronous work (index builds, COPY, WAL replay on a
 * standby): one process serves every session and also keeps the node's Raft heartbeats and
 * replication streams going, so a statement that holds the loop for longer than the leader lease
 * (400 ms) fences the primary, and one longer than the election timeout loses it. Work checks
 * `due()` (one performance.now()) every few rows and awaits `yield()` once a slice
 * (WORK_SLICE_MS) of it ran: a setImmediate turn, in which timers and socket I/O run, costs a few
 * microseconds when nothing else waits, so throughput does not change.
 * Exports: WorkYield, WORK_SLICE_MS, workSliceMs, setWorkSliceMsForTests, workYieldsTaken.
 */

/** Synchronous work between two turns of the event loop, at most (roughly). */
export const WORK_SLICE_MS = 10;

let sliceMs = WORK_SLICE_MS;
let yieldsTaken = 0;

/** The slice in force (WORK_SLICE_MS unless a test changed it). */
export function workSliceMs(): number {
  return sliceMs;
}

/** Tests: a 0 ms slice yields at every check, so a test can see that a loop checks. */
export function setWorkSliceMsForTests(ms: number | null): void {
  sliceMs = ms ?? WORK_SLICE_MS;
}

/** Yields taken by every WorkYield so far (tests). */
export function workYieldsTaken(): number {
  return yieldsTaken;
}

export class WorkYield {
  private last = performance.now();

  /** Whether the slice is used up (the caller then awaits yield()). */
  due(): boolean {
    return performance.now() - this.last >= sliceMs;
  }

  /** One turn of the event loop; the next slice starts when it returns. */
  async yield(): Promise<void> {
    yieldsTaken++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }

  /** yield() if the slice is used up. */
  async maybeYield(): Promise<void> {
    if (this.due()) await this.yield();
  }
}
