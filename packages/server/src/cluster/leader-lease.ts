/**
 * The leader lease: how long this leader may keep accepting writes without hearing from a
 * quorum, chosen so that it stops before any other node can be elected. The argument (also in
 * cluster/README.md, "Fencing"):
 *
 *   1. Every `renewEveryMs` the leader proposes a lease entry and notes the time `s` (a monotonic
 *      clock) *before* proposing. When the entry commits, a majority M of voters appended it, so
 *      each follower in M received an append from this leader at some time r >= s and reset its
 *      election timer then.
 *   2. Raft's leader lease on the follower side (consensus: `inLeaderLease`, with check-quorum)
 *      makes such a follower ignore (pre-)vote requests, and not campaign itself, until
 *      `electionTimeoutTicks` ticks (50 x 10 ms in the server) have passed since r. Ticks come from a
 *      setInterval, which never fires early by more than a timer's rounding and never catches up
 *      missed intervals, so those ticks span at least electionTimeoutMs x (1 - 0.04) of real time.
 *   3. A new leader needs votes from a majority; any two majorities share a node, and the old
 *      leader does not vote while it leads. So no new leader exists before
 *      s + electionTimeoutMs x 0.96, unless the old leader itself hands over (leadership
 *      transfer, which it starts only after fencing its own writes: switchover).
 *   4. The lease is valid until s + `durationMs`, with durationMs = 0.8 x electionTimeoutMs
 *      (400 ms of 500 ms): the 16% left over covers timer rounding, clock rate drift between
 *      processes on one machine (well under 1%) and the time between deciding a write may
 *      proceed and the fence taking effect.
 * Two caveats, both documented: a follower that restarts forgets when it last heard from the
 * leader and may vote at once (the lease then rests on the other members of M), and a process
 * paused for longer than the lease (SIGSTOP, a VM freeze) wakes with a stale view until its
 * next check. In synchronous mode neither can lose an acknowledged commit: a commit also waits
 * for the quorum's flush, which a cut-off primary cannot get.
 * Exports: LeaderLease.
 */

export class LeaderLease {
  private term = -1;
  private validUntilMs = Number.NEGATIVE_INFINITY;

  constructor(readonly durationMs: number) {}

  /** A new term (or losing leadership): the lease starts empty. */
  reset(term: number): void {
    this.term = term;
    this.validUntilMs = Number.NEGATIVE_INFINITY;
  }

  /** A lease entry proposed at `startedAtMs` in `term` committed. */
  renewed(term: number, startedAtMs: number): void {
    if (term !== this.term) return;
    this.validUntilMs = Math.max(this.validUntilMs, startedAtMs + this.durationMs);
  }

  valid(nowMs: number): boolean {
    return nowMs < this.validUntilMs;
  }

  /** Milliseconds left (negative once expired), for logs and /cluster. */
  remainingMs(nowMs: number): number {
    return this.validUntilMs - nowMs;
  }
}
