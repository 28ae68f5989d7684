/**
 * Commit log (PostgreSQL's pg_xact): the status of every transaction id, one byte each, in
 * segments of 64 Ki xids. Rebuilt at start from the last persisted segments plus WAL redo of
 * commit and abort records; statuses of xids in progress at a crash are resolved to aborted
 * when recovery ends. Persisted by the checkpoint (only segments changed since the last one).
 * Exports: CommitLog, XidStatus.
 */
import { assert } from '@keel/errors';
import { FirstNormalXid, FrozenXid, type Xid } from './xid.js';

export type XidStatus = 'in-progress' | 'committed' | 'aborted';

const SEGMENT_XIDS = 65_536;
const IN_PROGRESS = 0;
const COMMITTED = 1;
const ABORTED = 2;

export class CommitLog {
  private readonly segments = new Map<number, Uint8Array>();
  private readonly dirty = new Set<number>();

  status(xid: Xid): XidStatus {
    if (xid < FirstNormalXid) return xid === FrozenXid ? 'committed' : 'aborted';
    const segment = this.segments.get(Math.floor(xid / SEGMENT_XIDS));
    const code = segment === undefined ? IN_PROGRESS : segment[xid % SEGMENT_XIDS];
    return code === COMMITTED ? 'committed' : code === ABORTED ? 'aborted' : 'in-progress';
  }

  setCommitted(xids: Iterable<Xid>): void {
    for (const xid of xids) this.set(xid, COMMITTED);
  }

  setAborted(xids: Iterable<Xid>): void {
    for (const xid of xids) this.set(xid, ABORTED);
  }

  /** After recovery: every xid below `nextXid` still "in progress" belonged to a crashed transaction. */
  abortUnfinished(nextXid: Xid, running: ReadonlySet<Xid>): number {
    let count = 0;
    for (let xid = FirstNormalXid as number; xid < nextXid; xid++) {
      if (this.status(xid as Xid) === 'in-progress' && !running.has(xid as Xid)) {
        this.set(xid as Xid, ABORTED);
        count++;
      }
    }
    return count;
  }

  /** Segments changed since the last call, as (segment number, bytes) for the checkpoint to write. */
  takeDirtySegments(): { segmentNo: number; bytes: Uint8Array }[] {
    const out = [...this.dirty].map((segmentNo) => {
      const bytes = this.segments.get(segmentNo);
      assert(bytes !== undefined, 'dirty commit log segment vanished');
      return { segmentNo, bytes: bytes.slice() };
    });
    this.dirty.clear();
    return out;
  }

  /** Loads a persisted segment at start, before WAL redo. */
  loadSegment(segmentNo: number, bytes: Uint8Array): void {
    const copy = new Uint8Array(SEGMENT_XIDS);
    copy.set(bytes.subarray(0, SEGMENT_XIDS));
    this.segments.set(segmentNo, copy);
  }

  static get segmentXids(): number {
    return SEGMENT_XIDS;
  }

  private set(xid: Xid, code: number): void {
    assert(xid >= FirstNormalXid, `status of special xid ${xid} cannot change`);
    const segmentNo = Math.floor(xid / SEGMENT_XIDS);
    let segment = this.segments.get(segmentNo);
    if (segment === undefined) {
      segment = new Uint8Array(SEGMENT_XIDS);
      this.segments.set(segmentNo, segment);
    }
    segment[xid % SEGMENT_XIDS] = code;
    this.dirty.add(segmentNo);
  }
}
