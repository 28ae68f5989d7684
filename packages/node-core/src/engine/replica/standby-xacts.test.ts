/**
 * Hot standby visibility (standby-xacts.ts) with the real TransactionManager and snapshots:
 * replayed commits show only once published, in WAL order, all of a publication at once, and a
 * snapshot taken before a publication never changes; crashed transactions are dropped at the
 * primary's xid horizon; promotion hands queued commits over and aborts the rest.
 */
import { describe, expect, it } from 'vitest';
import { CommitLog } from '../../txn/commit-log.js';
import { LockManager } from '../../txn/lock-manager.js';
import { isVisible, type Snapshot } from '../../txn/snapshot.js';
import { encodeXactRecord, TransactionManager, type XactRecord } from '../../txn/transaction-manager.js';
import type { Xid } from '../../txn/xid.js';
import type { WalRecord } from '../../wal/wal-record.js';
import { StandbyXacts } from './standby-xacts.js';

const readOnly = { isolation: 'repeatable read' as const, readOnly: true, deferrable: false };

function setup() {
  const commitLog = new CommitLog();
  const txns = new TransactionManager({
    wal: { appendXact: () => 0, flush: async () => {} },
    locks: new LockManager({ setTimeout: () => 0, clearTimeout: () => {} }, () => 1000),
    commitLog,
    nextXid: 3 as Xid,
  });
  const xacts = new StandbyXacts(commitLog, 3);
  xacts.attach(txns);
  let lsn = 0;
  const record = (xid: number, xact: XactRecord): WalRecord => {
    const payload = Buffer.from(encodeXactRecord(xact));
    lsn += 100;
    return {
      lsn: (lsn - 100) as never,
      endLsn: lsn as never,
      xid: xid as never,
      term: 1,
      rmgr: 16,
      info: 0,
      payload,
      raw: payload,
    };
  };
  const snapshot = () => txns.takeSnapshot(txns.begin(9, readOnly, 0n, true));
  const sees = (xid: number, snap: Snapshot) =>
    isVisible({ xmin: xid as Xid, xmax: 0 as Xid, cid: 0, xmaxLockOnly: false }, snap, commitLog);
  return { txns, xacts, record, snapshot, sees, commitLog };
}

describe('StandbyXacts', () => {
  it('shows replayed commits only when published, and never under a snapshot taken before', () => {
    const { xacts, record, snapshot, sees } = setup();
    xacts.observe(5); // a page record of xid 5 (3 and 4 were handed out too)
    const c5 = record(5, { kind: 'commit', xids: [5 as Xid], timestamp: 0n });
    xacts.redo(c5);
    const before = snapshot();
    expect(sees(5, before)).toBe(false);
    expect(xacts.publish(c5.endLsn - 1).commits).toBe(0);
    expect(xacts.publish(c5.endLsn).commits).toBe(1);
    expect(sees(5, before)).toBe(false);
    expect(sees(5, snapshot())).toBe(true);
    // Xids 3 and 4 are still running: invisible, and never visible to old snapshots later.
    expect(sees(3, snapshot())).toBe(false);
  });

  it('publishes commits in WAL order: a later commit never shows without an earlier one', () => {
    const { xacts, record, snapshot, sees } = setup();
    xacts.observe(4);
    const c4 = record(4, { kind: 'commit', xids: [4 as Xid], timestamp: 0n });
    const c3 = record(3, { kind: 'commit', xids: [3 as Xid], timestamp: 0n });
    xacts.redo(c4);
    xacts.redo(c3);
    xacts.publish(c4.endLsn);
    const mid = snapshot();
    expect([sees(4, mid), sees(3, mid)]).toEqual([true, false]);
    xacts.publish(c3.endLsn);
    const after = snapshot();
    expect([sees(4, after), sees(3, after)]).toEqual([true, true]);
  });

  it("drops a crashed transaction's xid at the primary's horizon but keeps queued commits", () => {
    const { xacts, record, txns, commitLog } = setup();
    xacts.observe(6);
    xacts.redo(record(5, { kind: 'commit', xids: [5 as Xid], timestamp: 0n }));
    expect(xacts.applyHorizon(6)).toBe(2); // 3 and 4 never finished: aborted
    expect(commitLog.status(3 as Xid)).toBe('aborted');
    expect(txns.isRunning(5 as Xid)).toBe(true);
    expect(txns.isRunning(6 as Xid)).toBe(true);
  });

  it('hands queued commits to promotion and aborts the old primary unfinished ones', () => {
    const { xacts, record, txns, commitLog } = setup();
    xacts.observe(7);
    xacts.redo(record(5, { kind: 'commit', xids: [5 as Xid], timestamp: 0n }));
    xacts.redo(record(0, { kind: 'reserve', upTo: 2000 as Xid }));
    const { pending, aborted } = xacts.promote();
    expect(pending.map((c) => c.xids)).toEqual([[5]]);
    expect(aborted).toBe(4); // 3, 4, 6, 7
    expect(commitLog.status(6 as Xid)).toBe('aborted');
    expect(txns.isRunning(5 as Xid)).toBe(true); // shows when the new quorum holds it
    expect(txns.nextXidValue).toBe(2001);
  });
});
