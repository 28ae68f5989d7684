import { KeelError } from '@keel/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultDisk } from '../disk/fault-disk.js';
import { NodeDisk } from '../disk/node-disk.js';
import { asXid, makeTid, type RelFileId } from '../ids.js';
import { readU53 } from '../int53.js';
import type { StorageEngine } from '../storage-engine.js';
import {
  openTestEngine,
  removeDir,
  seededRandom,
  seedFromEnv,
  tempDataDir,
  waitFor,
} from '../testing/storage-test-env.js';
import type { BufferPool } from './buffer-pool.js';
import { type EvictionPolicyName, evictionPolicyNames } from './replacement-policy.js';

const dirs: string[] = [];
const engines: StorageEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.abandon();
  for (const d of dirs.splice(0)) removeDir(d);
});

const PAGE_FILL = 7000;

/** A heap whose page p holds one tuple starting with p; written out and clean in the pool. */
async function setup(pages: number, frames: number, policy: EvictionPolicyName, disk = new NodeDisk()) {
  const dir = tempDataDir();
  dirs.push(dir);
  const engine = await openTestEngine(dir, { bufferPoolBytes: frames * 8192, evictionPolicy: policy, disk });
  engines.push(engine);
  const rel = engine.createRelation('heap');
  const heap = engine.heap(rel);
  for (let p = 0; p < pages; p++) {
    const data = Buffer.alloc(PAGE_FILL);
    data.writeUInt32LE(p, 0);
    heap.insert(data, { xmin: asXid(1), cid: 0 });
  }
  await engine.checkpoint();
  return { engine, rel, pool: engine.bufferPool };
}

function markerOf(pool: BufferPool, rel: RelFileId, pageNo: number): number {
  const frame = pool.pin(rel, pageNo);
  try {
    return frame.page.readUInt32LE(8192 - PAGE_FILL - 32 + 32);
  } finally {
    pool.unpin(frame);
  }
}

describe.each(evictionPolicyNames)('BufferPool with %s', (policy) => {
  const seed = seedFromEnv(7);

  it(`agrees with a naive model under random pins and unpins (seed ${seed})`, async () => {
    const frames = 16;
    const { engine, rel, pool } = await setup(60, frames, policy);
    const random = seededRandom(seed);
    const pins = new Map<number, number>();
    const held: { pageNo: number; frame: ReturnType<BufferPool['pin']> }[] = [];
    const before = pool.stats();
    let pinCalls = 0;
    for (let step = 0; step < 5000; step++) {
      if (random() < 0.55 || held.length === 0) {
        const pageNo = Math.floor(random() * (random() < 0.5 ? 8 : 60));
        if (!pins.has(pageNo) && pins.size === frames) {
          expect(() => pool.pin(rel, pageNo)).toThrow(KeelError);
          continue;
        }
        if (held.length > 12) continue;
        const frame = pool.pin(rel, pageNo);
        pinCalls++;
        expect(frame.pageNo).toBe(pageNo);
        expect(frame.page.readUInt32LE(8192 - PAGE_FILL), `page content, step ${step}`).toBe(pageNo);
        held.push({ pageNo, frame });
        pins.set(pageNo, (pins.get(pageNo) ?? 0) + 1);
      } else {
        const [entry] = held.splice(Math.floor(random() * held.length), 1);
        if (!entry) continue;
        pool.unpin(entry.frame);
        const n = (pins.get(entry.pageNo) ?? 0) - 1;
        if (n === 0) pins.delete(entry.pageNo);
        else pins.set(entry.pageNo, n);
      }
      for (const [pageNo, count] of pins) {
        expect(pool.isCached(rel, pageNo), `pinned page ${pageNo} evicted at step ${step}`).toBe(true);
        const frame = held.find((h) => h.pageNo === pageNo)?.frame;
        expect(frame?.pinCount).toBe(count);
      }
      expect(pool.stats().used).toBeLessThanOrEqual(frames);
    }
    const after = pool.stats();
    expect(after.hits + after.misses - before.hits - before.misses).toBe(pinCalls);
    expect(after.misses - before.misses).toBeGreaterThan(0);
    for (const h of held) pool.unpin(h.frame);
    expect(pool.stats().pinned).toBe(0);
    void engine;
  });

  it('never evicts a pinned page and reports 53200 when every frame is pinned', async () => {
    const { rel, pool } = await setup(20, 8, policy);
    const held = [];
    for (let p = 0; p < 8; p++) held.push(pool.pin(rel, p));
    let caught: unknown;
    try {
      pool.pin(rel, 10);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KeelError);
    expect((caught as KeelError).sqlstate).toBe('53200');
    for (let p = 0; p < 8; p++) expect(pool.isCached(rel, p)).toBe(true);
    pool.unpin(held[3] ?? pool.pin(rel, 0));
    const frame = pool.pin(rel, 10);
    expect(frame.page.readUInt32LE(8192 - PAGE_FILL)).toBe(10);
    expect(pool.isCached(rel, 3)).toBe(false);
  });
});

describe('BufferPool', () => {
  it('writes a dirty page only after the WAL is durable up to its LSN', async () => {
    const disk = new FaultDisk(new NodeDisk());
    const segBytes = 1024 * 1024;
    const walWritten = new Map<string, number>();
    let durableWal = 0;
    const violations: string[] = [];
    let pageWrites = 0;
    disk.onOp = (op) => {
      if (op.kind === 'write' && op.path.includes('/wal/')) {
        walWritten.set(op.path, Math.max(walWritten.get(op.path) ?? 0, op.position + op.length));
      } else if (op.kind === 'datasync' && op.path.includes('/wal/')) {
        const segNo = Number.parseInt(op.path.slice(-16), 16);
        durableWal = Math.max(durableWal, segNo * segBytes + (walWritten.get(op.path) ?? 0));
      } else if (op.kind === 'write' && op.path.includes('/base/') && op.length === 8192) {
        pageWrites++;
        const lsn = readU53(Buffer.from(op.data.buffer, op.data.byteOffset, 8), 0);
        if (lsn > durableWal)
          violations.push(`${op.path}@${op.position}: page LSN ${lsn} > durable WAL ${durableWal}`);
      }
    };
    const dir = tempDataDir();
    dirs.push(dir);
    const engine = await openTestEngine(dir, { disk, bufferPoolBytes: 16 * 8192 });
    engines.push(engine);
    const heap = engine.heap(engine.createRelation('heap'));
    const tree = engine.btree(engine.createRelation('btree'));
    for (let i = 0; i < 3000; i++) {
      const tid = heap.insert(Buffer.alloc(300, i), { xmin: asXid(i + 1), cid: 0 });
      tree.insert(Buffer.from(String((i * 7919) % 3001).padStart(12, '0')), tid);
      if (i % 500 === 0) await engine.wal.flush();
    }
    await engine.checkpoint();
    expect(pageWrites).toBeGreaterThan(100);
    expect(engine.stats().bufferPool.blockingWalFlushes).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it.each(['single-page reads', 'read-ahead'] as const)(
    '2Q and ARC keep a hot set through large scans (%s) better than LRU and CLOCK',
    async (scan) => {
      const ratios = new Map<EvictionPolicyName, number>();
      for (const policy of evictionPolicyNames) {
        const { engine, rel, pool } = await setup(700, 100, policy);
        const random = seededRandom(99);
        let hotHits = 0;
        let hotReads = 0;
        for (let round = 0; round < 30; round++) {
          for (let i = 0; i < 200; i++) {
            const pageNo = Math.floor(random() * 40);
            const before = pool.stats().hits;
            markerOf(pool, rel, pageNo);
            hotReads++;
            hotHits += pool.stats().hits - before;
          }
          const start = 40 + ((round * 211) % 400);
          for (let p = start; p < start + 250; p++) {
            if (scan === 'read-ahead') engine.heap(rel).scanPage(p, { readAhead: 16 });
            else markerOf(pool, rel, p);
          }
        }
        ratios.set(policy, hotHits / hotReads);
      }
      const r = (p: EvictionPolicyName) => ratios.get(p) ?? 0;
      expect(r('2q'), JSON.stringify([...ratios])).toBeGreaterThan(r('lru'));
      expect(r('2q')).toBeGreaterThan(r('clock'));
      expect(r('arc')).toBeGreaterThan(r('lru'));
      expect(r('arc')).toBeGreaterThan(r('clock'));
      expect(r('2q')).toBeGreaterThan(0.9);
    },
  );

  it('never replaces a dirty cached page with its stale disk copy during read-ahead', async () => {
    const { engine, rel, pool } = await setup(40, 12, 'lru');
    // Dirty pages 12..16 in the pool, then read ahead over them with a pool so small that
    // installing the read-ahead pages evicts (writes) them midway.
    const heap = engine.heap(rel);
    engine.bufferPool.dropRelation(rel);
    for (let p = 12; p < 17; p++) heap.setHeader(makeTid(p, 1), { xmax: asXid(1000 + p) });
    const frame = pool.pin(rel, 0, 20);
    pool.unpin(frame);
    for (let p = 12; p < 17; p++) expect(heap.fetchHeader(makeTid(p, 1))?.xmax).toBe(1000 + p);
  });

  it('reads ahead on request and counts it', async () => {
    const { engine, rel, pool } = await setup(64, 64, 'lru');
    engine.bufferPool.dropRelation(rel);
    const frame = pool.pin(rel, 0, 16);
    pool.unpin(frame);
    expect(pool.stats().readAheadPages).toBe(15);
    for (let p = 1; p < 16; p++) expect(pool.isCached(rel, p)).toBe(true);
    expect(pool.isCached(rel, 16)).toBe(false);
  });
});

describe('background writer', () => {
  /** Dirties `pages` pages of a new heap (all in the pool), then reads `pages` other pages. */
  async function run(bgwriterDelayMs: number) {
    const dir = tempDataDir();
    dirs.push(dir);
    const frames = 64;
    const engine = await openTestEngine(dir, { bufferPoolBytes: frames * 8192, bgwriterDelayMs });
    engines.push(engine);
    const cold = engine.heap(engine.createRelation('heap'));
    for (let p = 0; p < 48; p++) cold.insert(Buffer.alloc(PAGE_FILL, 1), { xmin: asXid(1), cid: 0 });
    await engine.checkpoint();
    const heap = engine.heap(engine.createRelation('heap'));
    for (let p = 0; p < 48; p++) heap.insert(Buffer.alloc(PAGE_FILL, 2), { xmin: asXid(1), cid: 0 });
    const dirtied = engine.stats().bufferPool.dirty;
    expect(dirtied).toBeGreaterThanOrEqual(40);
    if (bgwriterDelayMs > 0) {
      await waitFor(() => engine.stats().bufferPool.dirty === 0, {
        what: 'the background writer to clean the pool',
      });
    }
    const before = engine.stats().bufferPool;
    for (let p = 0; p < 48; p++) cold.fetch(makeTid(p, 1));
    const after = engine.stats().bufferPool;
    return {
      evictionWrites: after.evictionWrites - before.evictionWrites,
      blockingWalFlushes: after.blockingWalFlushes - before.blockingWalFlushes,
      written: engine.stats().backgroundWriterPages,
    };
  }

  it('writes dirty pages ahead of eviction, so a miss finds a clean victim', async () => {
    const without = await run(0);
    expect(without.written).toBe(0);
    // Without it, the misses evict dirty pages and must write them (and flush WAL) themselves.
    expect(without.evictionWrites).toBeGreaterThan(0);
    expect(without.blockingWalFlushes).toBeGreaterThan(0);
    const withWriter = await run(5);
    expect(withWriter.written).toBeGreaterThanOrEqual(40);
    expect(withWriter.evictionWrites).toBe(0);
    expect(withWriter.blockingWalFlushes).toBe(0);
  });
});
