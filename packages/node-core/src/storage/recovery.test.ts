import { KeelError } from '@keel/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { RmgrId } from '../wal/wal-record.js';
import { FaultDisk, SimulatedCrash } from './disk/fault-disk.js';
import { ScriptedFaultPoints } from './disk/fault-points.js';
import { NodeDisk } from './disk/node-disk.js';
import { asXid, type Tid } from './ids.js';
import type { Logger } from './logger.js';
import type { StorageEngine } from './storage-engine.js';
import { CrashWorkload } from './testing/crash-workload.js';
import {
  openTestEngine,
  removeDir,
  seededRandom,
  seedFromEnv,
  tempDataDir,
} from './testing/storage-test-env.js';

const dirs: string[] = [];
const engines: StorageEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.abandon();
  for (const d of dirs.splice(0)) removeDir(d);
});

function recordingLogger(lines: { obj: object; msg?: string }[]): Logger {
  const log = (obj: object, msg?: string) => lines.push({ obj, msg });
  const logger: Logger = { info: log, warn: log, error: log, debug: () => {}, child: () => logger };
  return logger;
}

async function open(dir: string, extra: Parameters<typeof openTestEngine>[1] = {}): Promise<StorageEngine> {
  const engine = await openTestEngine(dir, {
    bufferPoolBytes: 24 * 8192,
    walSegmentBytes: 256 * 1024,
    ...extra,
  });
  engines.push(engine);
  return engine;
}

function drop(engine: StorageEngine): void {
  engine.abandon();
  engines.splice(engines.indexOf(engine), 1);
}

describe('crash recovery', () => {
  const seed = seedFromEnv(4242);

  for (const mode of ['process-kill', 'power-loss'] as const) {
    it(`restores a prefix holding every durable operation after a ${mode} (seed ${seed})`, async () => {
      const dir = tempDataDir();
      dirs.push(dir);
      const disk = new FaultDisk(new NodeDisk());
      const random = seededRandom(seed + (mode === 'power-loss' ? 1 : 0));
      let engine = await open(dir, { disk });
      const work = new CrashWorkload(engine.createRelation('heap'), engine.createRelation('btree'), random);
      await engine.checkpoint();
      for (let round = 0; round < 10; round++) {
        const batches = 3 + Math.floor(random() * 8);
        for (let b = 0; b < batches; b++) {
          work.step(engine, 50 + Math.floor(random() * 150));
          if (random() < 0.6) await engine.wal.flush();
          if (random() < 0.15) await engine.checkpoint();
        }
        work.step(engine, 20);
        const durable = work.countUpTo(engine.wal.flushedLsn);
        drop(engine);
        if (mode === 'power-loss') disk.powerLoss(random, 0.5);
        engine = await open(dir, { disk });
        const recoveredEnd = engine.recovery.endLsn;
        const k = work.countUpTo(recoveredEnd);
        expect(k, `round ${round}: durable operations lost (seed ${seed})`).toBeGreaterThanOrEqual(durable);
        const want = work.stateAfter(k);
        const got = CrashWorkload.observe(engine, work.heapRel, work.indexRel);
        expect(got.heap, `round ${round} heap (seed ${seed})`).toEqual(want.heap);
        expect([...got.index].sort(), `round ${round} index (seed ${seed})`).toEqual([...want.index].sort());
        work.truncate(k);
      }
    });
  }

  it('repairs a torn page write from its full-page image', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const faults = new ScriptedFaultPoints();
    let engine = await open(dir, { faults });
    const work = new CrashWorkload(
      engine.createRelation('heap'),
      engine.createRelation('btree'),
      seededRandom(11),
    );
    work.step(engine, 300);
    await engine.checkpoint();
    work.step(engine, 300);
    await engine.wal.flush();
    const durable = work.opCount;
    faults.fireAt('page-write-midway', (faults.arrivals.get('page-write-midway') ?? 0) + 3);
    await expect(engine.checkpoint()).rejects.toThrow(SimulatedCrash);
    drop(engine);
    engine = await open(dir);
    const got = CrashWorkload.observe(engine, work.heapRel, work.indexRel);
    const want = work.stateAfter(durable);
    expect(got.heap).toEqual(want.heap);
    expect([...got.index].sort()).toEqual([...want.index].sort());
  });

  for (const point of [
    'checkpoint-midway',
    'checkpoint-before-control-file',
    'wal-after-write-before-fsync',
  ] as const) {
    it(`recovers after a crash at ${point}`, async () => {
      const dir = tempDataDir();
      dirs.push(dir);
      const faults = new ScriptedFaultPoints();
      let engine = await open(dir, { faults });
      const work = new CrashWorkload(
        engine.createRelation('heap'),
        engine.createRelation('btree'),
        seededRandom(3),
      );
      work.step(engine, 400);
      await engine.wal.flush();
      work.step(engine, 400);
      faults.fireAt(point, (faults.arrivals.get(point) ?? 0) + 1);
      await expect(engine.checkpoint()).rejects.toThrow();
      const durable =
        point === 'wal-after-write-before-fsync' ? work.countUpTo(engine.wal.flushedLsn) : work.opCount;
      drop(engine);
      engine = await open(dir);
      const k = work.countUpTo(engine.recovery.endLsn);
      expect(k).toBeGreaterThanOrEqual(durable);
      const got = CrashWorkload.observe(engine, work.heapRel, work.indexRel);
      expect(got.heap).toEqual(work.stateAfter(k).heap);
    });
  }

  it('reports the highest xid it replayed, whichever record carried it', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    let engine = await open(dir);
    const heap = engine.heap(engine.createRelation('heap'));
    heap.insert(Buffer.from('before the checkpoint'), { xmin: asXid(900), cid: 0 });
    await engine.checkpoint();
    heap.insert(Buffer.from('a'), { xmin: asXid(41), cid: 0 });
    engine.wal.append({ rmgr: RmgrId.FirstUpperRmgr, info: 1, xid: asXid(57), payload: Buffer.from('x') });
    heap.insert(Buffer.from('b'), { xmin: asXid(50), cid: 0 });
    await engine.wal.flush();
    drop(engine);
    engine = await open(dir, { redoHandlers: new Map([[RmgrId.FirstUpperRmgr, () => {}]]) });
    expect(engine.recovery.maxXid).toBe(57);
    await engine.checkpoint();
    drop(engine);
    engine = await open(dir);
    expect(engine.recovery.maxXid).toBe(0);
  });

  it('ends recovery at a corrupt WAL tail, says so, and continues cleanly after it', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    let engine = await open(dir);
    const heapRel = engine.createRelation('heap');
    const tids: Tid[] = [];
    const ends: number[] = [];
    for (let i = 0; i < 200; i++) {
      tids.push(engine.heap(heapRel).insert(Buffer.from(`row ${i}`), { xmin: asXid(i + 1), cid: 0 }));
      ends.push(engine.wal.insertLsn);
    }
    await engine.wal.flush();
    drop(engine);
    // Corrupt one byte inside the record of row 150: rows 150.. are lost, 0..149 kept.
    const segBytes = 256 * 1024;
    const at = (ends[149] ?? 0) + 20;
    const fs = await import('node:fs');
    const segPath = `${dir}/wal/${Math.floor(at / segBytes)
      .toString(16)
      .toUpperCase()
      .padStart(16, '0')}`;
    const fd = fs.openSync(segPath, 'r+');
    fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, at % segBytes);
    fs.closeSync(fd);
    const lines: { obj: object; msg?: string }[] = [];
    engine = await open(dir, { logger: recordingLogger(lines) });
    const redoLine = lines.find((l) => l.msg?.startsWith('redo done'));
    expect(redoLine?.msg).toBe('redo done: WAL ends at an invalid record');
    expect(redoLine?.obj).toMatchObject({ endLsn: ends[149], reason: 'crc-mismatch' });
    const heap = engine.heap(heapRel);
    expect(heap.fetch(tids[149] as Tid)?.data.toString()).toBe('row 149');
    expect(heap.fetch(tids[150] as Tid)).toBeNull();
    const more = heap.insert(Buffer.from('after the cut'), { xmin: asXid(9), cid: 0 });
    await engine.wal.flush();
    drop(engine);
    engine = await open(dir);
    expect(engine.heap(heapRel).fetch(more)?.data.toString()).toBe('after the cut');
    expect(
      engine
        .heap(heapRel)
        .fetch(tids[10] as Tid)
        ?.data.toString(),
    ).toBe('row 10');
  });

  it('raises XX001 for a corrupt data page instead of returning wrong data', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    let engine = await open(dir);
    const heapRel = engine.createRelation('heap');
    const tids: Tid[] = [];
    for (let i = 0; i < 300; i++)
      tids.push(engine.heap(heapRel).insert(Buffer.alloc(200, i), { xmin: asXid(1), cid: 0 }));
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
    const fs = await import('node:fs');
    const fd = fs.openSync(`${dir}/base/${heapRel}`, 'r+');
    fs.writeSync(fd, Buffer.from([0x01]), 0, 1, 8192 * 2 + 5000);
    fs.closeSync(fd);
    engine = await open(dir);
    const onPage2 = tids.find((t) => Math.floor(t / 65536) === 2) as Tid;
    let caught: unknown;
    try {
      engine.heap(heapRel).fetch(onPage2);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KeelError);
    expect((caught as KeelError).sqlstate).toBe('XX001');
    expect((caught as KeelError).message).toBe(`invalid page in block 2 of relation file base/${heapRel}`);
    expect(engine.heap(heapRel).fetch(tids[0] as Tid)?.data[0]).toBe(0);
  });
});
