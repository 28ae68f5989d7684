import { KeelError } from '@keel/errors';
import { describe, expect, it } from 'vitest';
import type { Xid } from '../xid.js';
import { compareKeys } from './predicate-locks.js';
import type { SerializableXact } from './serializable-xact.js';
import { SsiManager } from './ssi-manager.js';

/** A serializable transaction driven by hand: its xid, its reads and writes. */
function harness() {
  const ssi = new SsiManager({ tuplesPerRelationMax: 4, rangesPerIndexMax: 3 });
  let nextId = 1;
  let nextXid = 100;
  const begin = (readOnly = false) => ssi.begin({ id: nextId, pid: 1000 + nextId++ }, { readOnly });
  const write = (
    sxact: SerializableXact,
    target: { relationOid: number; tid: number | null; keys?: number[] },
  ) => {
    if (sxact.xids.size === 0) ssi.registerXid(sxact, nextXid++ as Xid);
    ssi.checkConflictIn(sxact, {
      relationOid: target.relationOid,
      tid: target.tid,
      indexKeys: (target.keys ?? []).map((k) => ({ indexOid: 900, key: key(k) })),
    });
  };
  const xidOf = (sxact: SerializableXact): Xid => {
    const [xid] = sxact.xids;
    if (xid === undefined) throw new Error('transaction never wrote');
    return xid;
  };
  const commit = (sxact: SerializableXact) => {
    ssi.preCommit(sxact);
    ssi.commit(sxact);
  };
  return { ssi, begin, write, xidOf, commit };
}

/** One-byte keys keep the byte order obvious. */
function key(n: number): Uint8Array {
  return Uint8Array.of(n);
}

function failure(run: () => void): KeelError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeelError) return error;
    throw error;
  }
  throw new Error('expected a serialization failure');
}

describe('SsiManager', () => {
  it('write skew: the second of two crossing read-write transactions fails at commit', () => {
    const { ssi, begin, write, commit } = harness();
    const t1 = begin();
    const t2 = begin();
    ssi.predicateLockRelation(t1, 10);
    ssi.predicateLockRelation(t2, 10);
    write(t1, { relationOid: 10, tid: 1 });
    write(t2, { relationOid: 10, tid: 2 });
    commit(t1);
    const error = failure(() => ssi.preCommit(t2));
    expect(error).toMatchObject({
      sqlstate: '40001',
      message: 'could not serialize access due to read/write dependencies among transactions',
      detail: 'Reason code: Canceled on identification as a pivot, during commit attempt.',
      hint: 'The transaction might succeed if retried.',
    });
    ssi.abort(t2);
    expect(ssi.status()).toMatchObject({ active: 0, finished: 0, holders: 0, xids: 0 });
  });

  it('records no conflict with a reader that committed before the writer began', () => {
    const { ssi, begin, write, commit } = harness();
    const reader = begin();
    ssi.predicateLockRelation(reader, 10);
    const other = begin();
    commit(reader);
    const writer = begin();
    write(writer, { relationOid: 10, tid: 1 });
    expect(writer.inConflicts.size).toBe(0);
    commit(writer);
    commit(other);
  });

  it("Fekete et al.'s read-only anomaly: the writer fails when it would become the pivot", () => {
    const { ssi, begin, write, xidOf, commit } = harness();
    const t1 = begin();
    ssi.predicateLockRelation(t1, 10);
    const t2 = begin();
    write(t2, { relationOid: 10, tid: 2 });
    commit(t2);
    const t3 = begin();
    ssi.predicateLockRelation(t3, 10);
    // T3 sees T2's row; T1 reads nothing new. T3 commits having only read.
    commit(t3);
    expect(t1.outConflicts.has(t2)).toBe(true);
    const error = failure(() => write(t1, { relationOid: 10, tid: 1 }));
    expect(error.detail).toBe('Reason code: Canceled on identification as a pivot, during write.');
    ssi.abort(t1);
    expect(xidOf(t2)).toBeGreaterThan(0);
  });

  it('conflict out: a reader that already has an in-conflict fails when it reads a prepared writer', () => {
    const { ssi, begin, write, xidOf } = harness();
    const t0 = begin();
    const reader = begin();
    const writer = begin();
    ssi.predicateLockRelation(t0, 10);
    write(reader, { relationOid: 10, tid: 1 }); // t0 -rw-> reader
    write(writer, { relationOid: 20, tid: 1 });
    ssi.preCommit(writer); // the writer will commit first
    // reader -rw-> writer would make the reader a pivot between T0 and a committing writer.
    const error = failure(() => ssi.checkConflictOut(reader, xidOf(writer)));
    expect(error.detail).toBe(
      `Reason code: Canceled on conflict out to pivot ${xidOf(writer)}, during read.`,
    );
  });

  it('conflict out to a non-serializable or own xid records nothing', () => {
    const { ssi, begin, write, xidOf } = harness();
    const reader = begin();
    write(reader, { relationOid: 10, tid: 1 });
    ssi.checkConflictOut(reader, xidOf(reader));
    ssi.checkConflictOut(reader, 99_999 as Xid);
    expect(reader.outConflicts.size).toBe(0);
  });

  it('dooms the pivot when its out-conflict commits first, and the pivot fails at its next step', () => {
    const { ssi, begin, write } = harness();
    const t1 = begin();
    const t2 = begin();
    const t3 = begin();
    ssi.predicateLockRelation(t1, 10);
    ssi.predicateLockRelation(t2, 20);
    write(t2, { relationOid: 10, tid: 1 }); // t1 -rw-> t2
    write(t3, { relationOid: 20, tid: 1 }); // t2 -rw-> t3
    ssi.preCommit(t3);
    ssi.commit(t3);
    // T3 committed first: T2 is a pivot with T1 still running. T1 committing now must doom T2.
    ssi.preCommit(t1);
    ssi.commit(t1);
    expect(t2.doomed).toBe(true);
    expect(failure(() => ssi.predicateLockRelation(t2, 30)).detail).toBe(
      'Reason code: Canceled on identification as a pivot, during conflict out checking.',
    );
    ssi.abort(t2);
    expect(ssi.status()).toMatchObject({ active: 0, finished: 0 });
  });

  it('index ranges: an insert inside a scanned range (even an empty one) conflicts, outside does not', () => {
    const { ssi, begin, write } = harness();
    const reader = begin();
    ssi.predicateLockRange(reader, 900, { from: key(10), to: key(20) });
    const inside = begin();
    write(inside, { relationOid: 10, tid: null, keys: [15] });
    expect(reader.outConflicts.has(inside)).toBe(true);
    const boundary = begin();
    write(boundary, { relationOid: 10, tid: null, keys: [20] });
    expect(reader.outConflicts.has(boundary)).toBe(false);
    const below = begin();
    write(below, { relationOid: 10, tid: null, keys: [9] });
    expect(reader.outConflicts.has(below)).toBe(false);
  });

  it('promotes many tuple locks to one relation lock and many ranges to the whole index', () => {
    const { ssi, begin, write } = harness();
    const reader = begin();
    for (let tid = 1; tid <= 5; tid++) ssi.predicateLockTuple(reader, 10, tid);
    expect(ssi.locks.heldSummary(reader)).toEqual({ relations: [10], tuples: 0, ranges: 0 });
    for (let k = 0; k < 4; k++)
      ssi.predicateLockRange(reader, 900, { from: key(k * 10), to: key(k * 10 + 1) });
    expect(ssi.locks.heldSummary(reader).ranges).toBe(1);
    const writer = begin();
    write(writer, { relationOid: 11, tid: null, keys: [200] });
    expect(reader.outConflicts.has(writer)).toBe(true);
  });

  it('keeps a committed transaction while a concurrent one runs, then forgets it', () => {
    const { ssi, begin, write, commit } = harness();
    const long = begin();
    const short = begin();
    ssi.predicateLockRelation(short, 10);
    write(short, { relationOid: 11, tid: 1 });
    commit(short);
    expect(ssi.status()).toMatchObject({ finished: 1 });
    // A write by the long transaction still finds the committed reader's SIREAD lock.
    write(long, { relationOid: 10, tid: 3 });
    expect(long.inConflicts.has(short)).toBe(true);
    commit(long);
    expect(ssi.status()).toMatchObject({ active: 0, finished: 0, holders: 0, xids: 0 });
  });

  it('READ ONLY: safe at once without concurrent writers; otherwise decided when they finish', async () => {
    const { ssi, begin, write, commit } = harness();
    const alone = begin(true);
    expect(ssi.safety(alone)).toBe('safe');
    commit(alone);

    const writer = begin();
    const ro = begin(true);
    expect(ssi.safety(ro)).toBe('pending');
    const decided = ssi.whenSafetyDecided(ro);
    write(writer, { relationOid: 10, tid: 1 });
    commit(writer);
    await decided;
    expect(ssi.safety(ro)).toBe('safe');
    commit(ro);
  });

  it('READ ONLY: unsafe when a concurrent writer commits with a conflict out to an earlier commit', async () => {
    const { ssi, begin, write, commit } = harness();
    const early = begin();
    const writer = begin();
    ssi.predicateLockRelation(writer, 10);
    write(early, { relationOid: 10, tid: 1 }); // writer -rw-> early
    commit(early);
    const ro = begin(true);
    const decided = ssi.whenSafetyDecided(ro);
    write(writer, { relationOid: 11, tid: 1 });
    commit(writer);
    await decided;
    expect(ssi.safety(ro)).toBe('unsafe');
    ssi.abort(ro);
  });

  it('orders keys as memcmp with shorter prefixes first', () => {
    expect(compareKeys(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBeLessThan(0);
    expect(compareKeys(Uint8Array.of(2), Uint8Array.of(1, 255))).toBeGreaterThan(0);
    expect(compareKeys(Uint8Array.of(7, 7), Uint8Array.of(7, 7))).toBe(0);
  });
});
