/**
 * Lock manager: heavyweight locks on tables, rows (explicit FOR UPDATE/SHARE locks) and
 * transactions (each transaction holds ExclusiveLock on its own xid; a writer that meets a row
 * being changed by another transaction waits for ShareLock on that xid, as PostgreSQL's
 * XactLockTableWait does). The table is split into shards by tag so that no single map holds
 * every lock of a busy node.
 *
 * Granting rule (PostgreSQL's): a request is granted when it conflicts with no mode held by
 * another owner and with no earlier waiter, so a stream of share lockers cannot starve an
 * exclusive waiter. A waiter gives up after lock_timeout (55P03) and, once it has waited
 * deadlock_timeout, runs deadlock detection over the wait-for graph; the youngest transaction
 * of a cycle is aborted with 40P01 and a detail naming the cycle. The others proceed.
 * Timers are injected, so tests drive time explicitly.
 * Exports: LockManager, LockOwner, LockTag, Timers, LockWaitOptions.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import { findDeadlockCycle, type WaitForEdge } from './deadlock-detector.js';
import { conflicts, type LockMode } from './lock-modes.js';

/** Who holds or waits for locks: a transaction (top level). */
export interface LockOwner {
  readonly id: number;
  /** PostgreSQL-style process label for messages: the session's backend pid. */
  readonly pid: number;
  /** Larger is younger; the deadlock victim is the youngest owner of a cycle. */
  readonly startOrder: number;
}

/** A lockable object: `relation:<db>:<oid>`, `transaction:<xid>`, `tuple:<oid>:<tid>`, ... */
export type LockTag = string;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LockWaitOptions {
  /** 'nowait' fails at once with 55P03 instead of waiting. */
  policy: 'block' | 'nowait';
  /** 0 = wait forever (lock_timeout). */
  lockTimeoutMs: number;
  /** How the object is named in error messages ("relation \"t\"", "transaction 1234"). */
  describe: string;
}

interface Waiter {
  owner: LockOwner;
  tag: LockTag;
  mode: LockMode;
  describe: string;
  resolve: () => void;
  reject: (error: Error) => void;
  timers: unknown[];
}

interface LockState {
  holders: Map<LockOwner, Map<LockMode, number>>;
  queue: Waiter[];
}

export class LockManager {
  private readonly shards: Map<LockTag, LockState>[];
  private readonly heldBy = new Map<LockOwner, Set<LockTag>>();
  private readonly waiting = new Map<LockOwner, Waiter>();

  constructor(
    private readonly timers: Timers,
    private readonly deadlockTimeoutMs: () => number,
    shardCount = 16,
  ) {
    this.shards = Array.from({ length: shardCount }, () => new Map());
  }

  /** Takes the lock if it can be granted now, without waiting. */
  tryAcquire(owner: LockOwner, tag: LockTag, mode: LockMode): boolean {
    const state = this.stateOf(tag, true);
    if (!this.grantable(state, owner, mode, state.queue.length)) return false;
    this.grant(state, owner, tag, mode);
    return true;
  }

  /** Takes the lock, waiting as the options say. Resolves when granted. */
  acquire(owner: LockOwner, tag: LockTag, mode: LockMode, options: LockWaitOptions): Promise<void> {
    if (this.tryAcquire(owner, tag, mode)) return Promise.resolve();
    if (options.policy === 'nowait') {
      return Promise.reject(
        new KeelError(SqlState.LockNotAvailable, `could not obtain lock on ${options.describe}`),
      );
    }
    assert(!this.waiting.has(owner), 'a lock owner waits for two locks at once');
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { owner, tag, mode, describe: options.describe, resolve, reject, timers: [] };
      this.stateOf(tag, true).queue.push(waiter);
      this.waiting.set(owner, waiter);
      waiter.timers.push(this.timers.setTimeout(() => this.checkDeadlock(waiter), this.deadlockTimeoutMs()));
      if (options.lockTimeoutMs > 0) {
        waiter.timers.push(
          this.timers.setTimeout(
            () =>
              this.failWait(
                waiter,
                new KeelError(SqlState.LockNotAvailable, 'canceling statement due to lock timeout'),
              ),
            options.lockTimeoutMs,
          ),
        );
      }
    });
  }

  /** Fails the owner's current wait (statement cancelled or timed out); no-op when not waiting. */
  cancelWait(owner: LockOwner, error: Error): void {
    const waiter = this.waiting.get(owner);
    if (waiter !== undefined) this.failWait(waiter, error);
  }

  isWaiting(owner: LockOwner): boolean {
    return this.waiting.has(owner);
  }

  holds(owner: LockOwner, tag: LockTag, mode?: LockMode): boolean {
    const modes = this.stateOf(tag, false)?.holders.get(owner);
    if (modes === undefined) return false;
    return mode === undefined || modes.has(mode);
  }

  /** Whether another owner holds a mode on the tag that conflicts with `mode`. */
  conflictsWithHolders(owner: LockOwner, tag: LockTag, mode: LockMode): boolean {
    const state = this.stateOf(tag, false);
    if (state === undefined) return false;
    for (const [holder, modes] of state.holders) {
      if (holder === owner) continue;
      for (const held of modes.keys()) if (conflicts(held, mode)) return true;
    }
    return false;
  }

  /** Owners holding a lock on the tag (for pg_locks and "blocked by" messages). */
  holdersOf(tag: LockTag): { owner: LockOwner; modes: LockMode[] }[] {
    const state = this.stateOf(tag, false);
    if (state === undefined) return [];
    return [...state.holders].map(([owner, modes]) => ({ owner, modes: [...modes.keys()] }));
  }

  /** Releases one hold of `mode` (locks taken twice must be released twice). */
  release(owner: LockOwner, tag: LockTag, mode: LockMode): void {
    const state = this.stateOf(tag, false);
    const modes = state?.holders.get(owner);
    const count = modes?.get(mode);
    if (state === undefined || modes === undefined || count === undefined) return;
    if (count > 1) modes.set(mode, count - 1);
    else modes.delete(mode);
    if (modes.size === 0) {
      state.holders.delete(owner);
      this.heldBy.get(owner)?.delete(tag);
    }
    this.wake(tag, state);
  }

  /** Transaction end: every lock of the owner goes, and waiters that can now run are granted. */
  releaseAll(owner: LockOwner): void {
    const waiter = this.waiting.get(owner);
    if (waiter !== undefined)
      this.failWait(waiter, new KeelError(SqlState.QueryCanceled, 'lock wait abandoned'));
    const tags = this.heldBy.get(owner);
    this.heldBy.delete(owner);
    for (const tag of tags ?? []) {
      const state = this.stateOf(tag, false);
      if (state === undefined) continue;
      state.holders.delete(owner);
      this.wake(tag, state);
    }
  }

  /** Number of lock objects currently tracked, for tests and metrics. */
  get size(): number {
    return this.shards.reduce((sum, shard) => sum + shard.size, 0);
  }

  private shardOf(tag: LockTag): Map<LockTag, LockState> {
    let hash = 0;
    for (let i = 0; i < tag.length; i++) hash = (hash * 31 + tag.charCodeAt(i)) | 0;
    const shard = this.shards[Math.abs(hash) % this.shards.length];
    assert(shard !== undefined, 'lock shard index out of range');
    return shard;
  }

  private stateOf(tag: LockTag, create: true): LockState;
  private stateOf(tag: LockTag, create: false): LockState | undefined;
  private stateOf(tag: LockTag, create: boolean): LockState | undefined {
    const shard = this.shardOf(tag);
    let state = shard.get(tag);
    if (state === undefined && create) {
      state = { holders: new Map(), queue: [] };
      shard.set(tag, state);
    }
    return state;
  }

  /** Conflicts with another owner's held mode, or with a waiter ahead of position `queuePosition`. */
  private grantable(state: LockState, owner: LockOwner, mode: LockMode, queuePosition: number): boolean {
    for (const [holder, modes] of state.holders) {
      if (holder === owner) continue;
      for (const held of modes.keys()) if (conflicts(held, mode)) return false;
    }
    // An owner that already holds a lock on the object may jump the queue (as PostgreSQL lets it).
    if (state.holders.has(owner)) return true;
    for (let i = 0; i < queuePosition; i++) {
      const ahead = state.queue[i];
      if (ahead !== undefined && ahead.owner !== owner && conflicts(ahead.mode, mode)) return false;
    }
    return true;
  }

  private grant(state: LockState, owner: LockOwner, tag: LockTag, mode: LockMode): void {
    let modes = state.holders.get(owner);
    if (modes === undefined) {
      modes = new Map();
      state.holders.set(owner, modes);
    }
    modes.set(mode, (modes.get(mode) ?? 0) + 1);
    let tags = this.heldBy.get(owner);
    if (tags === undefined) {
      tags = new Set();
      this.heldBy.set(owner, tags);
    }
    tags.add(tag);
  }

  private wake(tag: LockTag, state: LockState): void {
    for (let i = 0; i < state.queue.length; ) {
      const waiter = state.queue[i];
      assert(waiter !== undefined, 'lock queue hole');
      if (this.grantable(state, waiter.owner, waiter.mode, i)) {
        state.queue.splice(i, 1);
        this.finishWait(waiter);
        this.grant(state, waiter.owner, tag, waiter.mode);
        waiter.resolve();
      } else {
        i++;
      }
    }
    if (state.holders.size === 0 && state.queue.length === 0) this.shardOf(tag).delete(tag);
  }

  private finishWait(waiter: Waiter): void {
    for (const timer of waiter.timers) this.timers.clearTimeout(timer);
    waiter.timers.length = 0;
    this.waiting.delete(waiter.owner);
  }

  private failWait(waiter: Waiter, error: Error): void {
    const state = this.stateOf(waiter.tag, false);
    if (state === undefined) return;
    const index = state.queue.indexOf(waiter);
    if (index < 0) return;
    state.queue.splice(index, 1);
    this.finishWait(waiter);
    waiter.reject(error);
    this.wake(waiter.tag, state);
  }

  /** Runs when a waiter has waited deadlock_timeout: abort the youngest member of any cycle through it. */
  private checkDeadlock(waiter: Waiter): void {
    const cycle = findDeadlockCycle(waiter.owner, this.waitForEdges());
    if (cycle === null) return;
    const victim = cycle.reduce((youngest, edge) =>
      edge.waiter.startOrder > youngest.waiter.startOrder ? edge : youngest,
    );
    const victimWait = this.waiting.get(victim.waiter);
    if (victimWait === undefined) return;
    const detail = cycle
      .map(
        (edge) =>
          `Process ${edge.waiter.pid} waits for ${edge.mode} on ${edge.describe}; blocked by process ${edge.blocker.pid}.`,
      )
      .join('\n');
    this.failWait(
      victimWait,
      new KeelError(SqlState.DeadlockDetected, 'deadlock detected', {
        detail,
        hint: 'See server log for query details.',
      }),
    );
  }

  private waitForEdges(): WaitForEdge<LockOwner>[] {
    const edges: WaitForEdge<LockOwner>[] = [];
    for (const waiter of this.waiting.values()) {
      const state = this.stateOf(waiter.tag, false);
      if (state === undefined) continue;
      for (const [holder, modes] of state.holders) {
        if (holder === waiter.owner) continue;
        if ([...modes.keys()].some((held) => conflicts(held, waiter.mode))) {
          edges.push({ waiter: waiter.owner, blocker: holder, mode: waiter.mode, describe: waiter.describe });
        }
      }
      for (const ahead of state.queue) {
        if (ahead === waiter) break;
        if (ahead.owner !== waiter.owner && conflicts(ahead.mode, waiter.mode)) {
          edges.push({
            waiter: waiter.owner,
            blocker: ahead.owner,
            mode: waiter.mode,
            describe: waiter.describe,
          });
        }
      }
    }
    return edges;
  }
}
