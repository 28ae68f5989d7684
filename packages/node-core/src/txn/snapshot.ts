/**
 * MVCC snapshots and tuple visibility, as the seed's UPDATE path and PostgreSQL's
 * HeapTupleSatisfiesMVCC define them. A snapshot records which transactions had finished when
 * it was taken: every xid below `xmax` that is not in `running`. A row version is visible when
 * its inserter had committed as of the snapshot (or is the reading transaction itself, at an
 * earlier command) and its deleter had not.
 *
 * A version's header has a single command id: the inserting command's, replaced by the deleting
 * command's when the same transaction deletes it (PostgreSQL keeps both as a "combo" cid; Keel
 * assumes the insert came first, which holds for every statement order except a cursor opened
 * between the two inside one transaction).
 * Exports: Snapshot, TupleVersion, isVisible, XidOracle, committedForSnapshot.
 */
import type { XidStatus } from './commit-log.js';
import { FrozenXid, InvalidXid, type Xid } from './xid.js';

export interface Snapshot {
  /** Oldest xid still running when the snapshot was taken; nothing older is in `running`. */
  readonly xmin: Xid;
  /** First xid not yet assigned when the snapshot was taken. */
  readonly xmax: Xid;
  /** Xids (top-level and sub-transactions) in progress when the snapshot was taken, own excluded. */
  readonly running: ReadonlySet<Xid>;
  /** The reading transaction's live xids (top and not-rolled-back sub-transactions). */
  readonly own: ReadonlySet<Xid>;
  /** Versions written by the reading transaction at this command id or later are not visible. */
  readonly curcid: number;
}

/** The MVCC header of a row version. */
export interface TupleVersion {
  xmin: Xid;
  xmax: Xid;
  cid: number;
  /** The xmax only locks the row (no delete or update happened). */
  xmaxLockOnly: boolean;
}

export interface XidOracle {
  status(xid: Xid): XidStatus;
}

/** Whether `xid` had committed as of the snapshot (its effects are visible to it). */
export function committedForSnapshot(xid: Xid, snapshot: Snapshot, oracle: XidOracle): boolean {
  if (xid === FrozenXid) return true;
  if (xid >= snapshot.xmax || snapshot.running.has(xid)) return false;
  return oracle.status(xid) === 'committed';
}

export function isVisible(version: TupleVersion, snapshot: Snapshot, oracle: XidOracle): boolean {
  const { xmin, xmax } = version;
  const deletedByOwn = xmax !== InvalidXid && !version.xmaxLockOnly && snapshot.own.has(xmax);
  if (snapshot.own.has(xmin)) {
    // Our own insert: visible from the next command on, unless we deleted it by then.
    if (deletedByOwn) return version.cid >= snapshot.curcid;
    return version.cid < snapshot.curcid;
  }
  if (!committedForSnapshot(xmin, snapshot, oracle)) return false;
  if (xmax === InvalidXid || version.xmaxLockOnly) return true;
  if (deletedByOwn) return version.cid >= snapshot.curcid;
  return !committedForSnapshot(xmax, snapshot, oracle);
}
