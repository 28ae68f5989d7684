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
 * deadlock_timeout (the waiting session's setting), runs deadlock detection over the wait-for
 * graph; the youngest transaction of a cycle is aborted with 40P01 and a detail naming the
 * cycle as PostgreSQL prints it. The others proceed.
 *
 * Holds remember the savepoint level that took them (LockOwner.lockLevel), so that ROLLBACK TO
 * SAVEPOINT releases exactly the locks taken inside the rolled-back levels and RELEASE hands
 * them to the parent level, as PostgreSQL's resource owners do.
 * Timers are injected, so tests drive time explicitly.
 * Exports: LockManager, LockOwner, LockTag, Timers, LockWaitOptions, LockInfo, describeLockTag,
 * modeLabel.
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
  /** The savepoint depth new locks belong to (0 = top level); 0 when absent. */
  lockLevel?(): number;
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
  /** deadlock_timeout of the waiting session; the manager's default when absent. */
  deadlockTimeoutMs?: number;
}

/** One held or awaited lock, for pg_locks. */
export interface LockInfo {
  owner: LockOwner;
  tag: LockTag;
  mode: LockMode;
  granted: boolean;
  /** When a waiter started waiting (epoch ms, from the injected clock), else null. */
  waitStartMs: number | null;
}

interface Waiter {
  owner: LockOwner;
  tag: LockTag;
  mode: LockMode;
  describe: string;
  level: number;
  waitStartMs: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timers: unknown[];
}

/** Per owner and mode: the savepoint level of each hold (a lock taken twice has two entries). */
type Holds = Map<LockMode, number[]>;

interface LockState {
  holders: Map<LockOwner, Holds>;
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
    private readonly nowMs: () => number = () => 0,
  ) {
    this.shards = Array.from({ length: shardCount }, () => new Map());
  }

  /** Takes the lock if it can be granted now, without waiting. */
  tryAcquire(owner: LockOwner, tag: LockTag, mode: LockMode, level = levelOf(owner)): boolean {
    const state = this.stateOf(tag, true);
    if (!this.grantable(state, owner, mode, state.queue.length)) {
      this.dropIfUnused(tag, state);
      return false;
    }
    this.grant(state, owner, tag, mode, level);
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
      const waiter: Waiter = {
        owner,
        tag,
        mode,
        describe: options.describe,
        level: levelOf(owner),
        waitStartMs: this.nowMs(),
        resolve,
        reject,
        timers: [],
      };
      this.stateOf(tag, true).queue.push(waiter);
      this.waiting.set(owner, waiter);
      const deadlockMs = options.deadlockTimeoutMs ?? this.deadlockTimeoutMs();
      waiter.timers.push(this.timers.setTimeout(() => this.checkDeadlock(waiter), deadlockMs));
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

  /** What the owner waits for right now (pg_stat_activity's wait_event), or null. */
  waitingFor(owner: LockOwner): { tag: LockTag; mode: LockMode; waitStartMs: number } | null {
    const waiter = this.waiting.get(owner);
    return waiter === undefined
      ? null
      : { tag: waiter.tag, mode: waiter.mode, waitStartMs: waiter.waitStartMs };
  }

  /** Owners the given owner waits for (PostgreSQL's pg_blocking_pids): holders and queued ahead. */
  blockersOf(owner: LockOwner): LockOwner[] {
    const out = new Set<LockOwner>();
    for (const edge of this.waitForEdges()) if (edge.waiter === owner) out.add(edge.blocker);
    return [...out];
  }

  /** Every held and awaited lock, for pg_locks. */
  allLocks(): LockInfo[] {
    const out: LockInfo[] = [];
    for (const shard of this.shards) {
      for (const [tag, state] of shard) {
        for (const [owner, holds] of state.holders) {
          for (const mode of holds.keys()) out.push({ owner, tag, mode, granted: true, waitStartMs: null });
        }
        for (const waiter of state.queue) {
          out.push({
            owner: waiter.owner,
            tag,
            mode: waiter.mode,
            granted: false,
            waitStartMs: waiter.waitStartMs,
          });
        }
      }
    }
    return out;
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

  /** Releases one hold of `mode` (locks taken twice must be released twice), the newest first. */
  release(owner: LockOwner, tag: LockTag, mode: LockMode): void {
    const state = this.stateOf(tag, false);
    const holds = state?.holders.get(owner);
    const levels = holds?.get(mode);
    if (state === undefined || holds === undefined || levels === undefined) return;
    levels.pop();
    if (levels.length === 0) holds.delete(mode);
    if (holds.size === 0) {
      state.holders.delete(owner);
      this.heldBy.get(owner)?.delete(tag);
    }
    this.wake(tag, state);
  }

  /** ROLLBACK TO SAVEPOINT: every hold taken at savepoint depth `level` or deeper goes. */
  releaseLevel(owner: LockOwner, level: number): void {
    for (const tag of [...(this.heldBy.get(owner) ?? [])]) {
      const state = this.stateOf(tag, false);
      const holds = state?.holders.get(owner);
      if (state === undefined || holds === undefined) continue;
      for (const [mode, levels] of holds) {
        const kept = levels.filter((l) => l < level);
        if (kept.length === 0) holds.delete(mode);
        else holds.set(mode, kept);
      }
      if (holds.size === 0) {
        state.holders.delete(owner);
        this.heldBy.get(owner)?.delete(tag);
      }
      this.wake(tag, state);
    }
  }

  /** RELEASE SAVEPOINT: holds of depth `level` and deeper now belong to depth `level - 1`. */
  mergeLevel(owner: LockOwner, level: number): void {
    for (const tag of this.heldBy.get(owner) ?? []) {
      const holds = this.stateOf(tag, false)?.holders.get(owner);
      for (const levels of holds?.values() ?? []) {
        for (let i = 0; i < levels.length; i++) if ((levels[i] ?? 0) >= level) levels[i] = level - 1;
      }
    }
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

  private dropIfUnused(tag: LockTag, state: LockState): void {
    if (state.holders.size === 0 && state.queue.length === 0) this.shardOf(tag).delete(tag);
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

  private grant(state: LockState, owner: LockOwner, tag: LockTag, mode: LockMode, level: number): void {
    let holds = state.holders.get(owner);
    if (holds === undefined) {
      holds = new Map();
      state.holders.set(owner, holds);
    }
    const levels = holds.get(mode);
    if (levels === undefined) holds.set(mode, [level]);
    else levels.push(level);
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
        this.grant(state, waiter.owner, tag, waiter.mode, waiter.level);
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
    // PostgreSQL lists the cycle starting with the process that detected it.
    const detail = cycle
      .map(
        (edge) =>
          `Process ${edge.waiter.pid} waits for ${modeLabel(edge.mode)} on ${edge.describe}; blocked by process ${edge.blocker.pid}.`,
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
          edges.push({
            waiter: waiter.owner,
            blocker: holder,
            mode: waiter.mode,
            describe: describeLockTag(waiter.tag, waiter.describe),
          });
        }
      }
      for (const ahead of state.queue) {
        if (ahead === waiter) break;
        if (ahead.owner !== waiter.owner && conflicts(ahead.mode, waiter.mode)) {
          edges.push({
            waiter: waiter.owner,
            blocker: ahead.owner,
            mode: waiter.mode,
            describe: describeLockTag(waiter.tag, waiter.describe),
          });
        }
      }
    }
    return edges;
  }
}

function levelOf(owner: LockOwner): number {
  return owner.lockLevel?.() ?? 0;
}

/**
 * A lock tag as PostgreSQL's deadlock report names the object: "transaction 1234",
 * "relation 16384 of database 5", "tuple (0,3) of relation 16384". Unknown tags keep `fallback`.
 */
export function describeLockTag(tag: LockTag, fallback: string): string {
  const parts = tag.split(':');
  if (parts[0] === 'transaction' && parts.length === 2) return `transaction ${parts[1]}`;
  if (parts[0] === 'relation' && parts.length === 3) return `relation ${parts[2]} of database ${parts[1]}`;
  if (parts[0] === 'tuple' && parts.length === 3) {
    const tid = Number(parts[2]);
    return `tuple (${Math.floor(tid / 65_536)},${tid % 65_536}) of relation ${parts[1]}`;
  }
  return fallback;
}

/** Row lock strengths as the heavyweight tuple-lock modes PostgreSQL reports for them. */
export function modeLabel(mode: string): string {
  switch (mode) {
    case 'row key share':
      return 'AccessShareLock';
    case 'row share':
      return 'RowShareLock';
    case 'row no key update':
      return 'ExclusiveLock';
    case 'row update':
      return 'AccessExclusiveLock';
    default:
      return mode;
  }
}
