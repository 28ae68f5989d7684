/**
 * SIREAD (predicate) locks: what each serializable transaction has read, recorded so that a
 * later write by a concurrent serializable transaction can find the readers it conflicts with.
 * They never block anyone; they only record (PostgreSQL's predicate lock table).
 *
 * Targets, coarsest first:
 * - relation: a sequential scan read every row, so any insert, update or delete in the table
 *   conflicts;
 * - index key range [from, to) of one index: an index scan read every key in the range, so an
 *   insert of a key inside it conflicts, including keys that were absent (the "phantom" gap:
 *   a point lookup that found nothing still locks its key). Ranges are byte ranges of
 *   order-preserving encoded keys, half-open, null meaning unbounded;
 * - tuple (relation, tid): a row read through an index or by tid, so its update or delete
 *   conflicts.
 * A transaction holding more than `tuplesPerRelationMax` tuple locks on one relation, or more
 * than `rangesPerIndexMax` ranges on one index, is promoted to one relation lock or one
 * whole-index range, as PostgreSQL promotes tuple locks to page and relation locks, so memory
 * stays bounded by the number of relations touched.
 * Exports: PredicateLockTable, KeyRange, WriteTarget, compareKeys.
 */
import type { SerializableXact } from './serializable-xact.js';

/** Half-open byte range of encoded index keys; null ends are unbounded. */
export interface KeyRange {
  from: Uint8Array | null;
  to: Uint8Array | null;
}

/** What a write touches: the relation, the old row version (update/delete), new index keys. */
export interface WriteTarget {
  relationOid: number;
  /** tid of the version being updated or deleted; null for an insert. */
  tid: number | null;
  /** Keys the write adds to indexes (the inserted or new version's keys). */
  indexKeys: { indexOid: number; key: Uint8Array }[];
}

interface RangeLock extends KeyRange {
  holder: SerializableXact;
}

interface HeldLocks {
  relations: Set<number>;
  tuples: Map<number, Set<number>>;
  ranges: Map<number, RangeLock[]>;
}

/** memcmp order, shorter prefix first (the order of Keel's encoded B-tree keys). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function rangeContains(range: KeyRange, key: Uint8Array): boolean {
  return (
    (range.from === null || compareKeys(key, range.from) >= 0) &&
    (range.to === null || compareKeys(key, range.to) < 0)
  );
}

function rangeCovers(outer: KeyRange, inner: KeyRange): boolean {
  const fromOk = outer.from === null || (inner.from !== null && compareKeys(inner.from, outer.from) >= 0);
  const toOk = outer.to === null || (inner.to !== null && compareKeys(inner.to, outer.to) <= 0);
  return fromOk && toOk;
}

export class PredicateLockTable {
  private readonly relationHolders = new Map<number, Set<SerializableXact>>();
  private readonly tupleHolders = new Map<string, Set<SerializableXact>>();
  private readonly rangesByIndex = new Map<number, RangeLock[]>();
  private readonly held = new Map<SerializableXact, HeldLocks>();

  constructor(
    private readonly tuplesPerRelationMax = 256,
    private readonly rangesPerIndexMax = 256,
  ) {}

  lockRelation(holder: SerializableXact, relationOid: number): void {
    const held = this.heldBy(holder);
    if (held.relations.has(relationOid)) return;
    held.relations.add(relationOid);
    addTo(this.relationHolders, relationOid, holder);
    // The relation lock covers every tuple lock on it.
    for (const tid of held.tuples.get(relationOid) ?? []) this.dropTupleHolder(relationOid, tid, holder);
    held.tuples.delete(relationOid);
  }

  lockTuple(holder: SerializableXact, relationOid: number, tid: number): void {
    const held = this.heldBy(holder);
    if (held.relations.has(relationOid)) return;
    let tids = held.tuples.get(relationOid);
    if (tids === undefined) {
      tids = new Set();
      held.tuples.set(relationOid, tids);
    }
    if (tids.has(tid)) return;
    if (tids.size >= this.tuplesPerRelationMax) {
      this.lockRelation(holder, relationOid);
      return;
    }
    tids.add(tid);
    addTo(this.tupleHolders, tupleKey(relationOid, tid), holder);
  }

  lockRange(holder: SerializableXact, indexOid: number, range: KeyRange): void {
    const held = this.heldBy(holder);
    let mine = held.ranges.get(indexOid);
    if (mine === undefined) {
      mine = [];
      held.ranges.set(indexOid, mine);
    }
    if (mine.some((r) => rangeCovers(r, range))) return;
    const all = this.rangesByIndex.get(indexOid) ?? [];
    this.rangesByIndex.set(indexOid, all);
    if (mine.length >= this.rangesPerIndexMax) {
      // Promote: one range covering the whole index replaces the transaction's ranges.
      const keep = all.filter((r) => r.holder !== holder);
      const whole: RangeLock = { from: null, to: null, holder };
      keep.push(whole);
      this.rangesByIndex.set(indexOid, keep);
      held.ranges.set(indexOid, [whole]);
      return;
    }
    const lock: RangeLock = { from: range.from, to: range.to, holder };
    mine.push(lock);
    all.push(lock);
  }

  /** Holders of locks a write to `target` meets (the writer itself included, if it holds any). */
  holdersFor(target: WriteTarget): Set<SerializableXact> {
    const out = new Set<SerializableXact>();
    for (const holder of this.relationHolders.get(target.relationOid) ?? []) out.add(holder);
    if (target.tid !== null) {
      for (const holder of this.tupleHolders.get(tupleKey(target.relationOid, target.tid)) ?? [])
        out.add(holder);
    }
    for (const { indexOid, key } of target.indexKeys) {
      for (const range of this.rangesByIndex.get(indexOid) ?? []) {
        if (!out.has(range.holder) && rangeContains(range, key)) out.add(range.holder);
      }
    }
    return out;
  }

  /** Drops every lock of `holder`. */
  releaseAll(holder: SerializableXact): void {
    const held = this.held.get(holder);
    if (held === undefined) return;
    this.held.delete(holder);
    for (const relationOid of held.relations) removeFrom(this.relationHolders, relationOid, holder);
    for (const [relationOid, tids] of held.tuples) {
      for (const tid of tids) this.dropTupleHolder(relationOid, tid, holder);
    }
    for (const indexOid of held.ranges.keys()) {
      const remaining = (this.rangesByIndex.get(indexOid) ?? []).filter((r) => r.holder !== holder);
      if (remaining.length === 0) this.rangesByIndex.delete(indexOid);
      else this.rangesByIndex.set(indexOid, remaining);
    }
  }

  /** Lock counts for tests and status views. */
  counts(): { relations: number; tuples: number; ranges: number; holders: number } {
    let relations = 0;
    for (const set of this.relationHolders.values()) relations += set.size;
    let tuples = 0;
    for (const set of this.tupleHolders.values()) tuples += set.size;
    let ranges = 0;
    for (const list of this.rangesByIndex.values()) ranges += list.length;
    return { relations, tuples, ranges, holders: this.held.size };
  }

  /** The locks one transaction holds, for tests. */
  heldSummary(holder: SerializableXact): { relations: number[]; tuples: number; ranges: number } {
    const held = this.held.get(holder);
    if (held === undefined) return { relations: [], tuples: 0, ranges: 0 };
    let tuples = 0;
    for (const tids of held.tuples.values()) tuples += tids.size;
    let ranges = 0;
    for (const list of held.ranges.values()) ranges += list.length;
    return { relations: [...held.relations], tuples, ranges };
  }

  private heldBy(holder: SerializableXact): HeldLocks {
    let held = this.held.get(holder);
    if (held === undefined) {
      held = { relations: new Set(), tuples: new Map(), ranges: new Map() };
      this.held.set(holder, held);
    }
    return held;
  }

  private dropTupleHolder(relationOid: number, tid: number, holder: SerializableXact): void {
    removeFrom(this.tupleHolders, tupleKey(relationOid, tid), holder);
  }
}

function tupleKey(relationOid: number, tid: number): string {
  return `${relationOid}:${tid}`;
}

function addTo<K>(map: Map<K, Set<SerializableXact>>, key: K, holder: SerializableXact): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(holder);
}

function removeFrom<K>(map: Map<K, Set<SerializableXact>>, key: K, holder: SerializableXact): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(holder);
  if (set.size === 0) map.delete(key);
}
