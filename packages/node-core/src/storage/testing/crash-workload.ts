/**
 * A crash-test workload for the storage engine: random single-mtr operations on one heap and
 * one B-tree, each logged with the WAL end LSN it produced, plus a model that can replay any
 * prefix. After a crash the engine must equal the model after some prefix that includes every
 * operation whose WAL was durable. Test-only.
 * Exports: CrashWorkload, ModelState.
 */

import { checkBTree } from '../btree/btree-check.js';
import { asTid, asXid, type RelFileId, type Tid } from '../ids.js';
import type { StorageEngine } from '../storage-engine.js';

type Op =
  | { kind: 'heap-insert'; tid: Tid; data: string; end: number }
  | { kind: 'set-xmax'; tid: Tid; xmax: number; end: number }
  | { kind: 'index-insert'; key: string; tid: Tid; end: number }
  | { kind: 'index-delete'; key: string; tid: Tid; end: number };

export interface ModelState {
  heap: Map<number, { data: string; xmax: number }>;
  index: Set<string>;
}

export class CrashWorkload {
  private ops: Op[] = [];
  private base: ModelState = { heap: new Map(), index: new Set() };

  constructor(
    readonly heapRel: RelFileId,
    readonly indexRel: RelFileId,
    private readonly random: () => number,
  ) {}

  /** Runs `count` random operations (synchronously; the caller interleaves flushes). */
  step(engine: StorageEngine, count: number): void {
    const heap = engine.heap(this.heapRel);
    const tree = engine.btree(this.indexRel);
    const state = this.stateAfter(this.ops.length);
    const tids = [...state.heap.keys()].map(asTid);
    const entries = [...state.index];
    for (let i = 0; i < count; i++) {
      const r = this.random();
      if (r < 0.4 || tids.length === 0) {
        const data = `row-${Math.floor(this.random() * 1e9)}-${'p'.repeat(Math.floor(this.random() * 400))}`;
        const tid = heap.insert(Buffer.from(data), { xmin: asXid(7), cid: 0 });
        this.push({ kind: 'heap-insert', tid, data, end: engine.wal.insertLsn });
        tids.push(tid);
      } else if (r < 0.75) {
        const tid = tids[Math.floor(this.random() * tids.length)] ?? asTid(0);
        const key = `k${Math.floor(this.random() * 5000)}`;
        if (tree.insert(Buffer.from(key), tid)) {
          this.push({ kind: 'index-insert', key, tid, end: engine.wal.insertLsn });
          entries.push(`${key}|${tid}`);
        }
      } else if (r < 0.85) {
        const tid = tids[Math.floor(this.random() * tids.length)] ?? asTid(0);
        const xmax = 1 + Math.floor(this.random() * 1e6);
        heap.setHeader(tid, { xmax: asXid(xmax) });
        this.push({ kind: 'set-xmax', tid, xmax, end: engine.wal.insertLsn });
      } else if (entries.length > 0) {
        const at = Math.floor(this.random() * entries.length);
        const [key = '', tid = '0'] = (entries[at] ?? '').split('|');
        entries.splice(at, 1);
        if (tree.delete(Buffer.from(key), asTid(Number(tid)))) {
          this.push({ kind: 'index-delete', key, tid: asTid(Number(tid)), end: engine.wal.insertLsn });
        }
      }
    }
  }

  /** Operations whose WAL ends at or before `lsn`. */
  countUpTo(lsn: number): number {
    let n = 0;
    while (n < this.ops.length && (this.ops[n]?.end ?? Number.POSITIVE_INFINITY) <= lsn) n++;
    return n;
  }

  get opCount(): number {
    return this.ops.length;
  }

  stateAfter(count: number): ModelState {
    const heap = new Map(this.base.heap);
    const index = new Set(this.base.index);
    for (const op of this.ops.slice(0, count)) {
      if (op.kind === 'heap-insert') heap.set(op.tid, { data: op.data, xmax: 0 });
      else if (op.kind === 'set-xmax') {
        const row = heap.get(op.tid);
        if (row) heap.set(op.tid, { ...row, xmax: op.xmax });
      } else if (op.kind === 'index-insert') index.add(`${op.key}|${op.tid}`);
      else index.delete(`${op.key}|${op.tid}`);
    }
    return { heap, index };
  }

  /** After recovery: keep only the first `count` operations as the new base. */
  truncate(count: number): void {
    this.base = this.stateAfter(count);
    this.ops = [];
  }

  /** The engine's state, read through scans. */
  static observe(engine: StorageEngine, heapRel: RelFileId, indexRel: RelFileId): ModelState {
    const heapFile = engine.heap(heapRel);
    const heap = new Map<number, { data: string; xmax: number }>();
    for (let p = 0; p < heapFile.pageCount(); p++) {
      for (const t of heapFile.scanPage(p)) heap.set(t.tid, { data: t.data.toString(), xmax: t.header.xmax });
    }
    const index = new Set(
      checkBTree(indexRel, engine.accessEnv()).entries.map((e) => `${e.key.toString()}|${e.tid}`),
    );
    return { heap, index };
  }

  private push(op: Op): void {
    this.ops.push(op);
  }
}
