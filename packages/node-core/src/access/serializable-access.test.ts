import { describe, expect, it } from 'vitest';
import { CommitLog } from '../txn/commit-log.js';
import type { Snapshot } from '../txn/snapshot.js';
import { Transaction } from '../txn/transaction.js';
import { InvalidXid, type Xid } from '../txn/xid.js';
import { conflictOutWriter, scanKeyRange } from './serializable-access.js';
import { TableActivity } from './table-activity.js';

/** xids 10 (committed before the snapshot), 20 (running), 30 (committed after), 40 (aborted); own 50. */
function world() {
  const commitLog = new CommitLog();
  commitLog.setCommitted([10 as Xid, 30 as Xid]);
  commitLog.setAborted([40 as Xid]);
  const running = new Set<Xid>([20 as Xid]);
  const snapshot: Snapshot = {
    xmin: 20 as Xid,
    xmax: 25 as Xid,
    running: new Set([20 as Xid]),
    own: new Set([50 as Xid]),
    curcid: 5,
  };
  const txns = { isRunning: (xid: Xid) => running.has(xid), commitLog };
  const version = (xmin: number, xmax: number = InvalidXid) => ({
    xmin: xmin as Xid,
    xmax: xmax as Xid,
    cid: 0,
    xmaxLockOnly: false,
  });
  return { snapshot, txns, version };
}

describe('conflictOutWriter', () => {
  it('names the deleter of a visible version the snapshot does not see deleted', () => {
    const { snapshot, txns, version } = world();
    expect(conflictOutWriter(version(10, 20), true, snapshot, txns)).toBe(20);
    expect(conflictOutWriter(version(10, 30), true, snapshot, txns)).toBe(30);
    expect(conflictOutWriter(version(10, 40), true, snapshot, txns)).toBeNull();
    expect(conflictOutWriter(version(10), true, snapshot, txns)).toBeNull();
    expect(conflictOutWriter(version(10, 50), true, snapshot, txns)).toBeNull();
    expect(conflictOutWriter({ ...version(10, 20), xmaxLockOnly: true }, true, snapshot, txns)).toBeNull();
  });

  it('names the inserter of an invisible version it could not see, never a dead or own one', () => {
    const { snapshot, txns, version } = world();
    expect(conflictOutWriter(version(20), false, snapshot, txns)).toBe(20);
    expect(conflictOutWriter(version(30), false, snapshot, txns)).toBe(30);
    expect(conflictOutWriter(version(40), false, snapshot, txns)).toBeNull();
    expect(conflictOutWriter(version(50), false, snapshot, txns)).toBeNull();
    // Inserted before the snapshot, deleted before it too: simply dead.
    expect(conflictOutWriter(version(10, 10), false, snapshot, txns)).toBeNull();
  });
});

describe('scanKeyRange', () => {
  it('turns B-tree bounds into the half-open byte range the cursor reads', () => {
    const k = (...bytes: number[]) => Uint8Array.of(...bytes);
    expect(scanKeyRange({ key: k(1, 2), inclusive: true }, { key: k(1, 9), inclusive: false })).toEqual({
      from: k(1, 2),
      to: k(1, 9),
    });
    const inclusive = scanKeyRange({ key: k(1, 2), inclusive: false }, { key: k(1, 9), inclusive: true });
    expect([...(inclusive.from ?? [])]).toEqual([1, 3]);
    expect([...(inclusive.to ?? [])]).toEqual([1, 10]);
    expect(scanKeyRange(undefined, undefined)).toEqual({ from: null, to: null });
  });
});

describe('TableActivity', () => {
  it('counts committed and aborted work per table and follows savepoints', () => {
    const activity = new TableActivity();
    const txn = new Transaction(
      1,
      { isolation: 'read committed', readOnly: false, deferrable: false },
      0n,
      true,
    );
    const levels = txn.levels;
    activity.recordInsert(txn, 1);
    activity.recordInsert(txn, 1);
    levels.push({ name: 'a', xid: null });
    activity.recordUpdate(txn, 1);
    activity.recordInsert(txn, 1);
    activity.savepointRolledBack(txn, 1);
    levels.pop();
    activity.recordDelete(txn, 1);
    activity.transactionEnded(txn, true);
    expect(activity.counters(1)).toMatchObject({
      inserted: 2,
      deleted: 1,
      liveTuples: 1,
      // one update and one insert rolled back, one delete committed
      deadTuples: 3,
      modsSinceAnalyze: 3,
    });
    activity.vacuumed(1, { liveTuples: 1, deadTuples: 0, auto: true, atMs: 5 });
    expect(activity.counters(1)).toMatchObject({ deadTuples: 0, autovacuumCount: 1, lastAutovacuumMs: 5 });
  });
});
