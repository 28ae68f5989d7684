import { describe, expect, it } from 'vitest';
import { CommitLog } from './commit-log.js';
import { LockManager } from './lock-manager.js';
import { isVisible, type Snapshot } from './snapshot.js';
import {
  decodeXactRecord,
  encodeXactRecord,
  TransactionManager,
  type XactWal,
} from './transaction-manager.js';
import type { Xid } from './xid.js';

class MemoryWal implements XactWal {
  readonly records: { xid: Xid; payload: Uint8Array; lsn: number }[] = [];
  flushed = 0;
  appendXact(xid: Xid, payload: Uint8Array): number {
    const lsn = (this.records.at(-1)?.lsn ?? 0) + 100;
    this.records.push({ xid, payload, lsn });
    return lsn;
  }
  async flush(lsn: number): Promise<void> {
    this.flushed = Math.max(this.flushed, lsn);
  }
}

const rc = { isolation: 'read committed' as const, readOnly: false, deferrable: false };

function setup() {
  const wal = new MemoryWal();
  const timers = { setTimeout: () => 0, clearTimeout: () => {} };
  const manager = new TransactionManager({
    wal,
    locks: new LockManager(timers, () => 1000),
    commitLog: new CommitLog(),
    nextXid: 3 as Xid,
  });
  return { wal, manager };
}

function seen(xmin: Xid, snap: Snapshot, manager: TransactionManager): boolean {
  return isVisible({ xmin, xmax: 0 as Xid, cid: 0, xmaxLockOnly: false }, snap, manager.commitLog);
}

describe('TransactionManager', () => {
  it('persists at a checkpoint a next xid past every xid it may hand out without more WAL', async () => {
    const { wal, manager } = setup();
    const handedOut: Xid[] = [];
    const first = manager.begin(1, rc, 0n, false);
    handedOut.push(manager.xidForWrite(first));
    await manager.commit(first, { synchronous: true, timestamp: 1n });
    const checkpointed = manager.checkpointNextXid;
    const reservesBefore = wal.records.filter((r) => decodeXactRecord(r.payload).kind === 'reserve').length;
    // Keep allocating until the manager needs a new reserve record: every xid used before that
    // record was covered only by the checkpoint's value.
    for (let i = 0; i < 5000; i++) {
      const txn = manager.begin(2, rc, 0n, false);
      const xid = manager.xidForWrite(txn);
      manager.abort(txn);
      const reserves = wal.records.filter((r) => decodeXactRecord(r.payload).kind === 'reserve').length;
      if (reserves > reservesBefore) break;
      handedOut.push(xid);
    }
    expect(handedOut.length).toBeGreaterThan(100);
    for (const xid of handedOut) expect(xid).toBeLessThan(checkpointed);
  });

  it('makes a commit visible only to snapshots taken after it, and only once durable', async () => {
    const { wal, manager } = setup();
    const writer = manager.begin(1, rc, 0n, true);
    const xid = manager.xidForWrite(writer);
    const reader = manager.begin(2, rc, 0n, false);
    const before = manager.takeSnapshot(reader);
    expect(seen(xid, before, manager)).toBe(false);
    await manager.commit(writer, { synchronous: true, timestamp: 1n });
    expect(wal.flushed).toBeGreaterThanOrEqual(wal.records.at(-1)?.lsn ?? Number.POSITIVE_INFINITY);
    expect(seen(xid, before, manager)).toBe(false);
    expect(seen(xid, manager.takeSnapshot(reader), manager)).toBe(true);
  });

  it('waits for the WAL flush at COMMIT unless synchronous_commit is off', async () => {
    /** A WAL whose flushes complete only when the test says so. */
    class GatedWal extends MemoryWal {
      readonly pending: (() => void)[] = [];
      override flush(lsn: number): Promise<void> {
        return new Promise((resolve) =>
          this.pending.push(() => {
            this.flushed = Math.max(this.flushed, lsn);
            resolve();
          }),
        );
      }
    }
    const wal = new GatedWal();
    const manager = new TransactionManager({
      wal,
      locks: new LockManager({ setTimeout: () => 0, clearTimeout: () => {} }, () => 1000),
      commitLog: new CommitLog(),
      nextXid: 3 as Xid,
    });
    const reader = manager.begin(9, rc, 0n, false);
    const tick = () => new Promise((resolve) => setImmediate(resolve));

    const durable = manager.begin(1, rc, 0n, true);
    const durableXid = manager.xidForWrite(durable);
    let acknowledged = false;
    const committing = manager.commit(durable, { synchronous: true, timestamp: 1n }).then(() => {
      acknowledged = true;
    });
    await tick();
    // Not acknowledged, not visible, not committed in the commit log before the flush.
    expect(acknowledged).toBe(false);
    expect(wal.pending.length).toBe(1);
    expect(seen(durableXid, manager.takeSnapshot(reader), manager)).toBe(false);
    expect(manager.commitLog.status(durableXid)).not.toBe('committed');
    wal.pending.shift()?.();
    await committing;
    expect(acknowledged).toBe(true);
    expect(seen(durableXid, manager.takeSnapshot(reader), manager)).toBe(true);

    // synchronous_commit = off: acknowledged and visible at once; the WAL writer flushes later.
    const lazy = manager.begin(2, rc, 0n, true);
    const lazyXid = manager.xidForWrite(lazy);
    await manager.commit(lazy, { synchronous: false, timestamp: 2n });
    expect(wal.pending.length).toBe(0);
    expect(wal.flushed).toBeLessThan(wal.records.at(-1)?.lsn ?? 0);
    expect(seen(lazyXid, manager.takeSnapshot(reader), manager)).toBe(true);
  });

  it('keeps a commit invisible while the host still waits (replication quorum)', async () => {
    const wal = new MemoryWal();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const manager = new TransactionManager({
      wal,
      locks: new LockManager({ setTimeout: () => 0, clearTimeout: () => {} }, () => 1000),
      commitLog: new CommitLog(),
      nextXid: 3 as Xid,
      beforeCommitVisible: () => gate,
    });
    const writer = manager.begin(1, rc, 0n, true);
    const xid = manager.xidForWrite(writer);
    const committing = manager.commit(writer, { synchronous: true, timestamp: 1n });
    await new Promise((resolve) => setImmediate(resolve));
    const reader = manager.begin(2, rc, 0n, false);
    expect(seen(xid, manager.takeSnapshot(reader), manager)).toBe(false);
    release();
    await committing;
    expect(seen(xid, manager.takeSnapshot(reader), manager)).toBe(true);
  });

  it('gives savepoint levels their own xids and forgets rolled-back ones', () => {
    const { manager } = setup();
    const txn = manager.begin(1, rc, 0n, true);
    const top = manager.xidForWrite(txn);
    manager.savepoint(txn, 's1');
    const sub = manager.xidForWrite(txn);
    expect(sub).toBeGreaterThan(top);
    manager.rollbackToSavepoint(txn, 's1');
    expect(manager.statusOf(sub)).toBe('aborted');
    expect(txn.ownXids.has(sub)).toBe(false);
    expect(txn.committableXids).toEqual([top]);
    const again = manager.xidForWrite(txn);
    expect(again).toBeGreaterThan(sub);
  });

  it('rejects writes in a read-only transaction with 25006', () => {
    const { manager } = setup();
    const txn = manager.begin(1, { ...rc, readOnly: true }, 0n, true);
    expect(() => manager.xidForWrite(txn)).toThrow(expect.objectContaining({ sqlstate: '25006' }));
  });

  it('rebuilds commit status and the next xid from its WAL records (redo)', async () => {
    const { wal, manager } = setup();
    const committed = manager.begin(1, rc, 0n, true);
    const a = manager.xidForWrite(committed);
    await manager.commit(committed, { synchronous: true, timestamp: 5n });
    const aborted = manager.begin(1, rc, 0n, true);
    const b = manager.xidForWrite(aborted);
    manager.abort(aborted);

    const replica = new TransactionManager({
      wal: new MemoryWal(),
      locks: new LockManager({ setTimeout: () => 0, clearTimeout: () => {} }, () => 1000),
      commitLog: new CommitLog(),
      nextXid: 3 as Xid,
    });
    for (const record of wal.records) replica.redo(decodeXactRecord(record.payload));
    expect(replica.statusOf(a)).toBe('committed');
    expect(replica.statusOf(b)).toBe('aborted');
    expect(replica.nextXidValue).toBeGreaterThan(b);
  });

  it('encodes and decodes transaction records', () => {
    const record = { kind: 'commit' as const, xids: [3 as Xid, 9 as Xid], timestamp: 123456789n };
    expect(decodeXactRecord(encodeXactRecord(record))).toEqual(record);
    expect(decodeXactRecord(encodeXactRecord({ kind: 'reserve', upTo: 2048 as Xid }))).toEqual({
      kind: 'reserve',
      upTo: 2048,
    });
  });

  it('releases the locks of rolled-back savepoint levels and tells observers', () => {
    const wal = new MemoryWal();
    const locks = new LockManager({ setTimeout: () => 0, clearTimeout: () => {} }, () => 1000);
    const manager = new TransactionManager({ wal, locks, commitLog: new CommitLog(), nextXid: 3 as Xid });
    const events: string[] = [];
    manager.addObserver({
      savepointRolledBack: (_txn, depth) => events.push(`rollback to ${depth}`),
      savepointReleased: (_txn, depth) => events.push(`release ${depth}`),
      transactionEnded: (_txn, committed) => events.push(committed ? 'commit' : 'abort'),
    });
    const txn = manager.begin(1, rc, 0n, true);
    const other = manager.begin(2, rc, 0n, true);
    locks.tryAcquire(txn, 'relation:5:1', 'RowExclusiveLock');
    manager.savepoint(txn, 'a');
    const sub = manager.xidForWrite(txn);
    locks.tryAcquire(txn, 'tuple:1:1', 'row update');
    expect(locks.tryAcquire(other, 'tuple:1:1', 'row share')).toBe(false);
    expect(manager.rollbackToSavepoint(txn, 'a')).toBe(1);
    // The row lock and the savepoint's xid lock went with the level; the table lock stayed.
    expect(locks.tryAcquire(other, 'tuple:1:1', 'row share')).toBe(true);
    expect(locks.holds(txn, `transaction:${sub}`)).toBe(false);
    expect(locks.holds(txn, 'relation:5:1', 'RowExclusiveLock')).toBe(true);
    manager.savepoint(txn, 'b');
    expect(manager.releaseSavepoint(txn, 'b')).toBe(2);
    manager.abort(txn);
    expect(events).toEqual(['rollback to 1', 'release 2', 'abort']);
  });

  it('aborts a doomed SERIALIZABLE transaction at COMMIT, releasing its locks', async () => {
    const { manager } = setup();
    const ser = { isolation: 'serializable' as const, readOnly: false, deferrable: false };
    const t1 = manager.begin(1, ser, 0n, true);
    const t2 = manager.begin(2, ser, 0n, true);
    manager.takeSnapshot(t1);
    manager.takeSnapshot(t2);
    const [s1, s2] = [t1.ssi, t2.ssi];
    if (s1 === null || s2 === null) throw new Error('serializable transactions take part in SSI');
    manager.ssi.predicateLockRelation(s1, 10);
    manager.ssi.predicateLockRelation(s2, 10);
    manager.xidForWrite(t1);
    const x2 = manager.xidForWrite(t2);
    manager.ssi.checkConflictIn(s1, { relationOid: 10, tid: 1, indexKeys: [] });
    manager.ssi.checkConflictIn(s2, { relationOid: 10, tid: 2, indexKeys: [] });
    await manager.commit(t1, { synchronous: true, timestamp: 1n });
    await expect(manager.commit(t2, { synchronous: true, timestamp: 2n })).rejects.toMatchObject({
      sqlstate: '40001',
    });
    expect(manager.statusOf(x2)).toBe('aborted');
    expect(manager.activeTransactions().size).toBe(0);
    expect(manager.ssi.status()).toMatchObject({ active: 0, finished: 0, holders: 0 });
  });

  it('READ ONLY DEFERRABLE waits for a safe snapshot until the concurrent writer commits', async () => {
    const { manager } = setup();
    const writer = manager.begin(
      1,
      { isolation: 'serializable', readOnly: false, deferrable: false },
      0n,
      true,
    );
    manager.takeSnapshot(writer);
    const reader = manager.begin(
      2,
      { isolation: 'serializable', readOnly: true, deferrable: true },
      0n,
      true,
    );
    let done = false;
    const waiting = manager
      .awaitSafeSnapshot(reader, () => null)
      .then(() => {
        done = true;
      });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    manager.xidForWrite(writer);
    await manager.commit(writer, { synchronous: true, timestamp: 1n });
    await waiting;
    expect(reader.transactionSnapshot).not.toBeNull();
    expect(reader.ssi?.roSafe).toBe(true);
  });
});
