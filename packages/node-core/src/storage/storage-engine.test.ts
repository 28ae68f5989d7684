import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { checkBTree } from './btree/btree-check.js';
import { SimulatedCrash } from './disk/fault-disk.js';
import { ScriptedFaultPoints } from './disk/fault-points.js';
import { asXid, makeTid, type Tid } from './ids.js';
import type { StorageEngine } from './storage-engine.js';
import { openTestEngine, removeDir, tempDataDir } from './testing/storage-test-env.js';

const dirs: string[] = [];
const engines: StorageEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.abandon();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function open(dir: string, extra = {}): Promise<StorageEngine> {
  const engine = await openTestEngine(dir, extra);
  engines.push(engine);
  return engine;
}

function key(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('StorageEngine', () => {
  it('keeps heap tuples and index entries across a clean restart', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    let engine = await open(dir);
    const heapId = engine.createRelation('heap');
    const indexId = engine.createRelation('btree');
    const tids: Tid[] = [];
    for (let i = 0; i < 2000; i++) {
      const tid = engine.heap(heapId).insert(Buffer.from(`row ${i}`), { xmin: asXid(1), cid: 0 });
      engine.btree(indexId).insert(key(i), tid);
      tids.push(tid);
    }
    await engine.close();
    engines.pop();
    engine = await open(dir);
    expect(
      engine
        .heap(heapId)
        .fetch(tids[1234] ?? makeTid(0, 1))
        ?.data.toString(),
    ).toBe('row 1234');
    const entries = [
      ...engine
        .btree(indexId)
        .scan({ lower: { key: key(10), inclusive: true }, upper: { key: key(19), inclusive: true } }),
    ];
    expect(entries.map((e) => e.key.readUInt32BE(0))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(checkBTree(indexId, engine.accessEnv()).entries).toHaveLength(2000);
  });

  it('recovers committed work after a crash (state dropped without close)', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    let engine = await open(dir);
    const heapId = engine.createRelation('heap');
    const indexId = engine.createRelation('btree');
    for (let i = 0; i < 3000; i++) {
      const tid = engine.heap(heapId).insert(Buffer.alloc(100, i % 251), { xmin: asXid(i + 1), cid: 0 });
      engine.btree(indexId).insert(key(i), tid);
    }
    await engine.wal.flush();
    engine.abandon();
    engine = await open(dir);
    const shape = checkBTree(indexId, engine.accessEnv());
    expect(shape.entries).toHaveLength(3000);
    for (const entry of shape.entries.slice(0, 50)) {
      const tuple = engine.heap(heapId).fetch(entry.tid);
      expect(tuple?.header.xmin).toBe(entry.key.readUInt32BE(0) + 1);
    }
  });

  it('drops orphaned relation files at startup, durably, and never a relation created since open', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    let engine = await open(dir);
    const kept = engine.createRelation('heap');
    const keptIndex = engine.createRelation('btree');
    const orphanHeap = engine.createRelation('heap');
    const orphanIndex = engine.createRelation('btree');
    const tid = engine.heap(kept).insert(Buffer.from('kept row'), { xmin: asXid(1), cid: 0 });
    engine.btree(keptIndex).insert(key(1), tid);
    engine.heap(orphanHeap).insert(Buffer.from('orphan row'), { xmin: asXid(2), cid: 0 });
    await engine.checkpoint();
    engine.heap(orphanHeap).insert(Buffer.from('after the checkpoint'), { xmin: asXid(2), cid: 0 });
    await engine.wal.flush();
    engine.abandon(); // crash: the DROP committed in the catalog, its drop record never written
    engines.pop();
    writeFileSync(`${dir}/base/${orphanHeap + 100}.fsm.tmp`, 'stray');

    engine = await open(dir);
    const createdSinceOpen = engine.createRelation('heap');
    const removed = await engine.dropOrphans(new Set([kept, keptIndex]));
    expect(removed).toEqual([orphanHeap, orphanIndex]);
    expect(engine.relationIds()).toEqual([kept, keptIndex, createdSinceOpen]);
    expect(existsSync(`${dir}/base/${orphanHeap}`)).toBe(false);
    expect(existsSync(`${dir}/base/${orphanIndex}`)).toBe(false);
    expect(existsSync(`${dir}/base/${orphanHeap + 100}.fsm.tmp`)).toBe(false);
    expect(await engine.dropOrphans(new Set([kept, keptIndex]))).toEqual([]);

    // Replaying the orphan's page records after another crash must not bring it back.
    engine.abandon();
    engines.pop();
    engine = await open(dir);
    expect(engine.relationIds()).toEqual([kept, keptIndex, createdSinceOpen]);
    expect(engine.heap(kept).fetch(tid)?.data.toString()).toBe('kept row');
    expect(engine.btree(keptIndex).lookup(key(1))).toEqual([tid]);
    expect(engine.createRelation('heap')).toBeGreaterThan(createdSinceOpen);
  });

  it('finishes a drop after a crash between its durable drop record and the unlink', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const faults = new ScriptedFaultPoints().fireAt('relation-drop-before-unlink', 1);
    let engine = await open(dir, { faults });
    const doomed = engine.createRelation('heap');
    const kept = engine.createRelation('heap');
    engine.heap(doomed).insert(Buffer.from('x'), { xmin: asXid(1), cid: 0 });
    await expect(engine.dropRelation(doomed)).rejects.toThrow(SimulatedCrash);
    engine.abandon();
    engines.pop();
    expect(existsSync(`${dir}/base/${doomed}`)).toBe(true);
    engine = await open(dir);
    expect(engine.relationIds()).toEqual([kept]);
    expect(existsSync(`${dir}/base/${doomed}`)).toBe(false);
  });
});
