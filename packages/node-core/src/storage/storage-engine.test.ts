import { afterEach, describe, expect, it } from 'vitest';
import { checkBTree } from './btree/btree-check.js';
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
});
