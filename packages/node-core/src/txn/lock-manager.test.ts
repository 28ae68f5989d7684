import { KeelError } from '@keel/errors';
import { describe, expect, it } from 'vitest';
import { LockManager, type LockOwner, type Timers } from './lock-manager.js';

/** Manual timers: tests fire them explicitly, so nothing depends on wall-clock time. */
class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires every pending timer of exactly `ms` milliseconds. */
  fire(ms: number): void {
    for (const [id, timer] of [...this.pending]) {
      if (timer.ms === ms) {
        this.pending.delete(id);
        timer.callback();
      }
    }
  }
}

function owner(id: number): LockOwner {
  return { id, pid: 1000 + id, startOrder: id };
}

function setup() {
  const timers = new ManualTimers();
  const locks = new LockManager(timers, () => 1000);
  return { timers, locks };
}

const block = { policy: 'block' as const, lockTimeoutMs: 0, describe: 'relation "t"' };

async function settled(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  promise.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

describe('LockManager', () => {
  it('grants compatible table modes together and queues conflicting ones', async () => {
    const { locks } = setup();
    const [a, b, c] = [owner(1), owner(2), owner(3)];
    expect(locks.tryAcquire(a, 'relation:1', 'AccessShareLock')).toBe(true);
    expect(locks.tryAcquire(b, 'relation:1', 'RowExclusiveLock')).toBe(true);
    const exclusive = locks.acquire(c, 'relation:1', 'AccessExclusiveLock', block);
    expect(await settled(exclusive)).toBe('pending');
    locks.releaseAll(a);
    expect(await settled(exclusive)).toBe('pending');
    locks.releaseAll(b);
    expect(await settled(exclusive)).toBe('resolved');
    expect(locks.holds(c, 'relation:1', 'AccessExclusiveLock')).toBe(true);
  });

  it('does not let later share lockers overtake a queued exclusive waiter', async () => {
    const { locks } = setup();
    const [a, b, c] = [owner(1), owner(2), owner(3)];
    locks.tryAcquire(a, 'relation:1', 'AccessShareLock');
    const exclusive = locks.acquire(b, 'relation:1', 'AccessExclusiveLock', block);
    expect(locks.tryAcquire(c, 'relation:1', 'AccessShareLock')).toBe(false);
    locks.releaseAll(a);
    expect(await settled(exclusive)).toBe('resolved');
  });

  it('row lock strengths follow PostgreSQL: KEY SHARE does not block NO KEY UPDATE, SHARE does', () => {
    const { locks } = setup();
    const [a, b, c] = [owner(1), owner(2), owner(3)];
    expect(locks.tryAcquire(a, 'tuple:1:5', 'row key share')).toBe(true);
    expect(locks.tryAcquire(b, 'tuple:1:5', 'row no key update')).toBe(true);
    expect(locks.tryAcquire(c, 'tuple:1:5', 'row update')).toBe(false);
    locks.releaseAll(b);
    expect(locks.tryAcquire(c, 'tuple:1:5', 'row share')).toBe(true);
  });

  it('NOWAIT fails at once with 55P03', async () => {
    const { locks } = setup();
    locks.tryAcquire(owner(1), 'tuple:1:1', 'row update');
    await expect(
      locks.acquire(owner(2), 'tuple:1:1', 'row update', {
        ...block,
        policy: 'nowait',
        describe: 'row in "t"',
      }),
    ).rejects.toMatchObject({ sqlstate: '55P03', message: 'could not obtain lock on row in "t"' });
  });

  it('lock_timeout gives up with 55P03 and leaves no waiter behind', async () => {
    const { locks, timers } = setup();
    const [a, b] = [owner(1), owner(2)];
    locks.tryAcquire(a, 'relation:1', 'AccessExclusiveLock');
    const wait = locks.acquire(b, 'relation:1', 'AccessShareLock', { ...block, lockTimeoutMs: 50 });
    timers.fire(50);
    await expect(wait).rejects.toMatchObject({ sqlstate: '55P03' });
    expect(locks.isWaiting(b)).toBe(false);
    locks.releaseAll(a);
    expect(locks.size).toBe(0);
  });

  it('detects a three-way deadlock after deadlock_timeout and aborts only the youngest', async () => {
    const { locks, timers } = setup();
    const [t1, t2, t3] = [owner(1), owner(2), owner(3)];
    for (const [o, x] of [
      [t1, 1],
      [t2, 2],
      [t3, 3],
    ] as const) {
      locks.tryAcquire(o, `transaction:${x}`, 'ExclusiveLock');
    }
    const w1 = locks.acquire(t1, 'transaction:2', 'ShareLock', { ...block, describe: 'transaction 2' });
    const w2 = locks.acquire(t2, 'transaction:3', 'ShareLock', { ...block, describe: 'transaction 3' });
    const w3 = locks.acquire(t3, 'transaction:1', 'ShareLock', { ...block, describe: 'transaction 1' });
    timers.fire(1000);
    const error = await w3.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ sqlstate: '40P01', message: 'deadlock detected' });
    expect((error as KeelError).detail).toContain(
      'Process 1003 waits for ShareLock on transaction 1; blocked by process 1001.',
    );
    expect(await settled(w1)).toBe('pending');
    // The victim's transaction ends, releasing its xid lock: the cycle is broken.
    locks.releaseAll(t3);
    expect(await settled(w2)).toBe('resolved');
    locks.releaseAll(t2);
    expect(await settled(w1)).toBe('resolved');
  });

  it('reports no deadlock for a plain wait chain', async () => {
    const { locks, timers } = setup();
    const [a, b, c] = [owner(1), owner(2), owner(3)];
    locks.tryAcquire(a, 'x', 'AccessExclusiveLock');
    const wb = locks.acquire(b, 'x', 'AccessExclusiveLock', block);
    locks.tryAcquire(b, 'y', 'AccessExclusiveLock');
    const wc = locks.acquire(c, 'y', 'AccessExclusiveLock', block);
    timers.fire(1000);
    expect(await settled(wb)).toBe('pending');
    expect(await settled(wc)).toBe('pending');
    locks.releaseAll(a);
    expect(await settled(wb)).toBe('resolved');
  });

  it('cancelWait fails a waiting statement with the given error and unblocks the queue', async () => {
    const { locks } = setup();
    const [a, b, c] = [owner(1), owner(2), owner(3)];
    locks.tryAcquire(a, 'r', 'AccessShareLock');
    const exclusive = locks.acquire(b, 'r', 'AccessExclusiveLock', block);
    const share = locks.acquire(c, 'r', 'AccessShareLock', block);
    expect(await settled(share)).toBe('pending');
    locks.cancelWait(b, new KeelError('57014', 'canceling statement due to user request'));
    await expect(exclusive).rejects.toMatchObject({ sqlstate: '57014' });
    expect(await settled(share)).toBe('resolved');
  });

  it("waits use the waiting session's deadlock_timeout", async () => {
    const { locks, timers } = setup();
    const [a, b] = [owner(1), owner(2)];
    locks.tryAcquire(a, 'relation:5:1', 'AccessExclusiveLock');
    locks.tryAcquire(b, 'relation:5:2', 'AccessExclusiveLock');
    const wa = locks.acquire(a, 'relation:5:2', 'AccessShareLock', { ...block, deadlockTimeoutMs: 50 });
    const wb = locks.acquire(b, 'relation:5:1', 'RowExclusiveLock', { ...block, deadlockTimeoutMs: 70 });
    expect([...timers.pending.values()].map((t) => t.ms).sort()).toEqual([50, 70]);
    timers.fire(50);
    // a's check finds the cycle and aborts the youngest (b), naming relations as PostgreSQL does.
    const error = await wb.then(
      () => null,
      (e: unknown) => e as KeelError,
    );
    expect(error?.detail).toBe(
      [
        'Process 1001 waits for AccessShareLock on relation 2 of database 5; blocked by process 1002.',
        'Process 1002 waits for RowExclusiveLock on relation 1 of database 5; blocked by process 1001.',
      ].join('\n'),
    );
    locks.releaseAll(b);
    expect(await settled(wa)).toBe('resolved');
  });

  it('reports waits, blockers and every lock (pg_stat_activity, pg_locks)', async () => {
    const { locks } = setup();
    const [a, b] = [owner(1), owner(2)];
    locks.tryAcquire(a, 'tuple:7:65537', 'row update');
    const wait = locks.acquire(b, 'tuple:7:65537', 'row share', block);
    expect(locks.waitingFor(b)).toMatchObject({ tag: 'tuple:7:65537', mode: 'row share' });
    expect(locks.waitingFor(a)).toBeNull();
    expect(locks.blockersOf(b)).toEqual([a]);
    expect(locks.allLocks().map((l) => [l.owner.id, l.mode, l.granted])).toEqual([
      [1, 'row update', true],
      [2, 'row share', false],
    ]);
    locks.releaseAll(a);
    await wait;
    locks.releaseAll(b);
    expect(locks.size).toBe(0);
  });

  it('releases exactly the locks of rolled-back savepoint levels and merges released ones', () => {
    const { locks } = setup();
    let level = 0;
    const a: LockOwner = { id: 1, pid: 1001, startOrder: 1, lockLevel: () => level };
    const b = owner(2);
    locks.tryAcquire(a, 'r', 'RowExclusiveLock');
    level = 1;
    locks.tryAcquire(a, 'r', 'AccessExclusiveLock');
    locks.tryAcquire(a, 's', 'AccessExclusiveLock');
    level = 2;
    locks.tryAcquire(a, 't', 'AccessExclusiveLock');
    // RELEASE of level 2: its lock now belongs to level 1.
    locks.mergeLevel(a, 2);
    level = 1;
    // ROLLBACK TO level 1: everything taken at level 1 or deeper goes, level 0 stays.
    locks.releaseLevel(a, 1);
    expect(locks.holds(a, 'r', 'RowExclusiveLock')).toBe(true);
    expect(locks.holds(a, 'r', 'AccessExclusiveLock')).toBe(false);
    expect(locks.tryAcquire(b, 's', 'AccessExclusiveLock')).toBe(true);
    expect(locks.tryAcquire(b, 't', 'AccessExclusiveLock')).toBe(true);
    expect(locks.tryAcquire(b, 'r', 'AccessShareLock')).toBe(true);
  });
});
