import { describe, expect, it } from 'vitest';
import { CommitLog } from './commit-log.js';
import { isVisible, type Snapshot, type TupleVersion } from './snapshot.js';
import { FrozenXid, InvalidXid, type Xid } from './xid.js';

const x = (n: number) => n as Xid;

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    xmin: x(10),
    xmax: x(20),
    running: new Set([x(12), x(15)]),
    own: new Set([x(17)]),
    curcid: 3,
    ...over,
  };
}

function version(xmin: number, xmax = 0, cid = 0): TupleVersion {
  return { xmin: x(xmin), xmax: x(xmax), cid, xmaxLockOnly: false };
}

describe('isVisible (MVCC)', () => {
  const clog = new CommitLog();
  clog.setCommitted([x(5), x(11), x(13), x(21)]);
  clog.setAborted([x(14)]);

  it('sees rows of transactions committed before the snapshot', () => {
    expect(isVisible(version(11), snapshot(), clog)).toBe(true);
    expect(isVisible(version(FrozenXid), snapshot(), clog)).toBe(true);
  });

  it('does not see rows of running, aborted or later transactions', () => {
    expect(isVisible(version(12), snapshot(), clog)).toBe(false); // running
    expect(isVisible(version(14), snapshot(), clog)).toBe(false); // aborted
    expect(isVisible(version(21), snapshot(), clog)).toBe(false); // committed after the snapshot
  });

  it('still sees a row whose deleter had not committed as of the snapshot', () => {
    expect(isVisible(version(11, 12), snapshot(), clog)).toBe(true); // deleter running
    expect(isVisible(version(11, 14), snapshot(), clog)).toBe(true); // deleter aborted
    expect(isVisible(version(11, 21), snapshot(), clog)).toBe(true); // deleter committed later
    expect(isVisible(version(11, 13), snapshot(), clog)).toBe(false); // deleter committed before
  });

  it('sees its own inserts from the next command on, and its own deletes likewise', () => {
    expect(isVisible(version(17, 0, 2), snapshot(), clog)).toBe(true);
    expect(isVisible(version(17, 0, 3), snapshot(), clog)).toBe(false); // same command: no Halloween problem
    expect(isVisible(version(11, 17, 2), snapshot(), clog)).toBe(false); // deleted by an earlier command
    expect(isVisible(version(11, 17, 3), snapshot(), clog)).toBe(true); // deleted by this command
  });

  it('ignores lock-only xmax', () => {
    expect(isVisible({ ...version(11, 13), xmaxLockOnly: true }, snapshot(), clog)).toBe(true);
    expect(isVisible(version(11, InvalidXid), snapshot(), clog)).toBe(true);
  });
});

describe('CommitLog', () => {
  it('persists only dirty segments and reloads them', () => {
    const clog = new CommitLog();
    clog.setCommitted([x(3), x(70_000)]);
    clog.setAborted([x(4)]);
    const dirty = clog.takeDirtySegments();
    expect(dirty.map((d) => d.segmentNo).sort()).toEqual([0, 1]);
    expect(clog.takeDirtySegments()).toEqual([]);
    const reloaded = new CommitLog();
    for (const { segmentNo, bytes } of dirty) reloaded.loadSegment(segmentNo, bytes);
    expect(reloaded.status(x(3))).toBe('committed');
    expect(reloaded.status(x(4))).toBe('aborted');
    expect(reloaded.status(x(70_000))).toBe('committed');
    expect(reloaded.status(x(5))).toBe('in-progress');
  });

  it('aborts transactions a crash left unfinished', () => {
    const clog = new CommitLog();
    clog.setCommitted([x(3)]);
    expect(clog.abortUnfinished(x(6), new Set())).toBe(2);
    expect(clog.status(x(4))).toBe('aborted');
    expect(clog.status(x(5))).toBe('aborted');
    expect(clog.status(x(3))).toBe('committed');
  });
});
