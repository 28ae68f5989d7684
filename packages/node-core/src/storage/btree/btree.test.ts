import { KeelError } from '@keel/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { asTid, type Tid } from '../ids.js';
import type { StorageEngine } from '../storage-engine.js';
import {
  openTestEngine,
  removeDir,
  seededRandom,
  seedFromEnv,
  tempDataDir,
} from '../testing/storage-test-env.js';
import { checkBTree } from './btree-check.js';
import type { BTreeEntry } from './btree-cursor.js';
import { MAX_KEY_BYTES } from './btree-page.js';

const dirs: string[] = [];
const engines: StorageEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.abandon();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function setup(poolBytes = 4 * 1024 * 1024): Promise<StorageEngine> {
  const dir = tempDataDir();
  dirs.push(dir);
  const engine = await openTestEngine(dir, { bufferPoolBytes: poolBytes });
  engines.push(engine);
  return engine;
}

interface Entry {
  key: Buffer;
  tid: number;
}

function cmp(a: Entry, b: Entry): number {
  return a.key.compare(b.key) || a.tid - b.tid;
}

/** Model: a sorted array of (key, tid). */
class Model {
  entries: Entry[] = [];
  private index(e: Entry): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(this.entries[mid] as Entry, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insert(e: Entry): boolean {
    const i = this.index(e);
    const at = this.entries[i];
    if (at && cmp(at, e) === 0) return false;
    this.entries.splice(i, 0, e);
    return true;
  }
  delete(e: Entry): boolean {
    const i = this.index(e);
    const at = this.entries[i];
    if (!at || cmp(at, e) !== 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
  range(lower: Buffer | null, lowerIncl: boolean, upper: Buffer | null, upperIncl: boolean): Entry[] {
    return this.entries.filter((e) => {
      if (lower) {
        const c = e.key.subarray(0, lower.length).compare(lower);
        if (lowerIncl ? c < 0 : c <= 0) return false;
      }
      if (upper) {
        const c = e.key.subarray(0, upper.length).compare(upper);
        if (upperIncl ? c > 0 : c >= 0) return false;
      }
      return true;
    });
  }
}

function randomKey(random: () => number): Buffer {
  // Variable length, few distinct prefixes, so duplicates and prefix relations are common.
  const length = 1 + Math.floor(random() * (random() < 0.05 ? 600 : 12));
  const key = Buffer.alloc(length);
  for (let i = 0; i < length; i++) key[i] = Math.floor(random() * (i < 2 ? 4 : 256));
  return key;
}

function simplify(entries: BTreeEntry[] | Entry[]): string[] {
  return entries.map((e) => `${e.key.toString('hex')}/${e.tid}`);
}

describe('BTree', () => {
  const seed = seedFromEnv(20261125);

  it(`matches a sorted-array model under random inserts, deletes and scans (seed ${seed})`, async () => {
    const engine = await setup();
    const random = seededRandom(seed);
    const rel = engine.createRelation('btree');
    const tree = engine.btree(rel);
    const model = new Model();
    const keys: Buffer[] = [];
    for (let step = 0; step < 12000; step++) {
      const r = random();
      const phaseDeletes = step > 6000 && step < 10000;
      if (r < (phaseDeletes ? 0.25 : 0.6)) {
        const key =
          keys.length > 0 && random() < 0.3
            ? (keys[Math.floor(random() * keys.length)] as Buffer)
            : randomKey(random);
        keys.push(key);
        const tid = 1 + Math.floor(random() * 1000);
        expect(tree.insert(key, asTid(tid)), `insert at step ${step}, seed ${seed}`).toBe(
          model.insert({ key, tid }),
        );
      } else if (r < 0.95) {
        const victim =
          model.entries.length > 0 && random() < 0.9
            ? (model.entries[Math.floor(random() * model.entries.length)] as Entry)
            : { key: randomKey(random), tid: 7 };
        expect(tree.delete(victim.key, asTid(victim.tid)), `delete at step ${step}, seed ${seed}`).toBe(
          model.delete(victim),
        );
      } else if (r < 0.97) {
        const key =
          keys.length > 0 && random() < 0.8
            ? (keys[Math.floor(random() * keys.length)] as Buffer)
            : randomKey(random);
        const want = model.entries.filter((e) => e.key.equals(key)).map((e) => e.tid);
        expect(tree.lookup(key), `lookup at step ${step}, seed ${seed}`).toEqual(want);
      } else {
        const lower = random() < 0.7 ? randomKey(random).subarray(0, 1 + Math.floor(random() * 3)) : null;
        const upper = random() < 0.7 ? randomKey(random).subarray(0, 1 + Math.floor(random() * 3)) : null;
        const lowerIncl = random() < 0.5;
        const upperIncl = random() < 0.5;
        const direction = random() < 0.5 ? 'forward' : 'backward';
        const got = [
          ...tree.scan({
            lower: lower ? { key: lower, inclusive: lowerIncl } : undefined,
            upper: upper ? { key: upper, inclusive: upperIncl } : undefined,
            direction,
          }),
        ];
        const want = model.range(lower, lowerIncl, upper, upperIncl);
        if (direction === 'backward') want.reverse();
        expect(simplify(got), `scan at step ${step}, seed ${seed}`).toEqual(simplify(want));
      }
      if (step % 2000 === 1999) {
        const shape = checkBTree(rel, engine.accessEnv());
        expect(simplify(shape.entries)).toEqual(simplify(model.entries));
      }
    }
    const shape = checkBTree(rel, engine.accessEnv());
    expect(simplify(shape.entries)).toEqual(simplify(model.entries));
  });

  it('splits into several levels and shrinks back to one leaf when emptied', async () => {
    const engine = await setup();
    const rel = engine.createRelation('btree');
    const tree = engine.btree(rel);
    const key = (i: number) => Buffer.from(`${String(i).padStart(8, '0')}-${'x'.repeat(200)}`);
    for (let i = 0; i < 20000; i++) tree.insert(key(i), asTid(i + 1));
    expect(tree.height()).toBeGreaterThanOrEqual(3);
    const full = checkBTree(rel, engine.accessEnv());
    expect(full.entries).toHaveLength(20000);
    for (let i = 0; i < 20000; i++) if (i % 10 !== 0) tree.delete(key(i), asTid(i + 1));
    const sparse = checkBTree(rel, engine.accessEnv());
    expect(sparse.entries).toHaveLength(2000);
    expect(sparse.nodes).toBeLessThan(full.nodes / 3);
    for (let i = 0; i < 20000; i += 10) tree.delete(key(i), asTid(i + 1));
    expect(tree.height()).toBe(1);
    expect(checkBTree(rel, engine.accessEnv()).entries).toHaveLength(0);
    // Freed pages are reused: refilling does not grow the file.
    const pages = engine.files.nblocks(rel);
    for (let i = 0; i < 20000; i++) tree.insert(key(i), asTid(i + 1));
    expect(engine.files.nblocks(rel)).toBe(pages);
  });

  it('returns every entry exactly once while the caller inserts and deletes between batches', async () => {
    const engine = await setup();
    const random = seededRandom(seed + 1);
    const rel = engine.createRelation('btree');
    const tree = engine.btree(rel);
    const key = (i: number) => {
      const b = Buffer.alloc(40);
      b.writeUInt32BE(i);
      return b;
    };
    for (let i = 0; i < 4000; i += 2) tree.insert(key(i), asTid(i + 1));
    for (const direction of ['forward', 'backward'] as const) {
      const seen: number[] = [];
      const stable = new Set<number>();
      for (let i = 0; i < 4000; i += 2) stable.add(i);
      const cursor = tree.scan({ direction });
      for (let batch = cursor.nextBatch(); batch; batch = cursor.nextBatch()) {
        for (const e of batch) seen.push(e.key.readUInt32BE(0));
        // Modify around the cursor: deletes of not-yet-seen entries and inserts of odd keys.
        for (let j = 0; j < 30; j++) {
          const i = Math.floor(random() * 4000);
          if (i % 2 === 1) tree.insert(key(i), asTid(i + 1));
          else if (i % 4 === 2 && tree.delete(key(i), asTid(i + 1))) stable.delete(i);
        }
      }
      const sorted = [...seen].sort((a, b) => (direction === 'forward' ? a - b : b - a));
      expect(seen).toEqual(sorted);
      expect(new Set(seen).size).toBe(seen.length);
      for (const i of stable) expect(seen).toContain(i);
      // restore evens for the next direction
      for (let i = 0; i < 4000; i += 2) tree.insert(key(i), asTid(i + 1));
    }
    checkBTree(rel, engine.accessEnv());
  });

  it('bulk-deletes dead tids, merging and deleting pages', async () => {
    const engine = await setup();
    const rel = engine.createRelation('btree');
    const tree = engine.btree(rel);
    const key = (i: number) => Buffer.from(String(i).padStart(10, '0'));
    for (let i = 0; i < 30000; i++) tree.insert(key(i % 3000), asTid(i + 1));
    const before = checkBTree(rel, engine.accessEnv());
    const result = tree.bulkDelete((tid: Tid) => tid % 7 !== 0);
    const after = checkBTree(rel, engine.accessEnv());
    expect(result.removed).toBe(30000 - Math.floor(30000 / 7));
    expect(after.entries.every((e) => e.tid % 7 === 0)).toBe(true);
    expect(after.entries).toHaveLength(Math.floor(30000 / 7));
    expect(after.nodes).toBeLessThan(before.nodes / 2);
    const want: number[] = [];
    for (let i = 7; i < 30000; i += 3000) if ((i + 1) % 7 === 0) want.push(i + 1);
    expect(tree.lookup(key(7))).toEqual(want);
  });

  it('looks up a key whose entries span many leaves, beside keys it is a prefix of', async () => {
    const engine = await setup();
    const tree = engine.btree(engine.createRelation('btree'));
    const dup = Buffer.from('k'.repeat(300));
    const longer = Buffer.from(`${'k'.repeat(300)}z`);
    for (let i = 1; i <= 400; i++) {
      tree.insert(dup, asTid(i * 3));
      tree.insert(longer, asTid(i * 3 + 1));
      tree.insert(Buffer.from('k'.repeat(299)), asTid(i * 3 + 2));
    }
    expect(tree.height()).toBeGreaterThan(1);
    expect(tree.lookup(dup)).toEqual(Array.from({ length: 400 }, (_, i) => (i + 1) * 3));
    expect(tree.lookup(longer)).toHaveLength(400);
    expect(tree.lookup(Buffer.from('k'.repeat(301)))).toEqual([]);
    expect(tree.lookup(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects keys over the maximum with 54000', async () => {
    const engine = await setup();
    const tree = engine.btree(engine.createRelation('btree'));
    expect(tree.insert(Buffer.alloc(MAX_KEY_BYTES, 1), asTid(1))).toBe(true);
    expect(() => tree.insert(Buffer.alloc(MAX_KEY_BYTES + 1, 1), asTid(2))).toThrow(KeelError);
    try {
      tree.insert(Buffer.alloc(MAX_KEY_BYTES + 1, 1), asTid(2));
    } catch (err) {
      expect((err as KeelError).sqlstate).toBe('54000');
    }
    // Many maximum-size keys still split correctly.
    for (let i = 0; i < 300; i++) tree.insert(Buffer.alloc(MAX_KEY_BYTES, i % 256), asTid(i + 10));
    expect(tree.lookup(Buffer.alloc(MAX_KEY_BYTES, 3))).toHaveLength(2);
  });
});
