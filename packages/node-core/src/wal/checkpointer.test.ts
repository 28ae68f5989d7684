import { afterEach, describe, expect, it } from 'vitest';
import { NodeDisk } from '../storage/disk/node-disk.js';
import { asLsn, asXid } from '../storage/ids.js';
import type { StorageEngine } from '../storage/storage-engine.js';
import { openTestEngine, removeDir, tempDataDir, waitFor } from '../storage/testing/storage-test-env.js';
import { readControlFile } from './control-file.js';
import { RmgrId, type WalRecord } from './wal-record.js';

const dirs: string[] = [];
const engines: StorageEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.abandon();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function setup(extra: Parameters<typeof openTestEngine>[1] = {}) {
  const dir = tempDataDir();
  dirs.push(dir);
  const engine = await openTestEngine(dir, { walSegmentBytes: 64 * 1024, ...extra });
  engines.push(engine);
  return { engine, dir };
}

function fill(engine: StorageEngine, rows: number): void {
  const heap = engine.heap(engine.relationIds()[0] ?? engine.createRelation('heap'));
  for (let i = 0; i < rows; i++) heap.insert(Buffer.alloc(500, i), { xmin: asXid(1), cid: 0 });
}

describe('Checkpointer', () => {
  it('writes the control file atomically and removes or recycles old WAL segments', async () => {
    const { engine, dir } = await setup();
    engine.createRelation('heap');
    fill(engine, 3000);
    await engine.wal.flush();
    const segDir = `${dir}/wal`;
    const before = new NodeDisk().list(segDir).length;
    const result = await engine.checkpoint();
    const control = readControlFile(new NodeDisk(), dir);
    expect(control).toMatchObject({
      state: 'in-production',
      redoLsn: result.redoLsn,
      checkpointLsn: result.checkpointLsn,
    });
    expect(result.segmentsRetired).toBeGreaterThan(0);
    expect(new NodeDisk().list(segDir).length).toBeLessThan(before);
    expect(new NodeDisk().list(dir)).not.toContain('control.tmp');
    expect(engine.stats().bufferPool.dirty).toBe(0);
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
    expect(readControlFile(new NodeDisk(), dir)?.state).toBe('shut-down');
  });

  it('keeps WAL from a retention floor and replays upper-layer records to their handlers', async () => {
    const { engine, dir } = await setup();
    engine.createRelation('heap');
    const floor = engine.wal.insertLsn;
    engine.wal.setRetentionFloor('replica-1', floor);
    const commitLsn = engine.wal.append({
      rmgr: RmgrId.FirstUpperRmgr,
      info: 7,
      xid: asXid(99),
      payload: Buffer.from('commit'),
    });
    fill(engine, 3000);
    await engine.wal.flush();
    await engine.checkpoint();
    const reader = engine.walReader(floor);
    const first = reader.next();
    expect(first?.lsn).toBe(floor);
    reader.close();
    engine.wal.setRetentionFloor('replica-1', null);
    const late = engine.wal.append({
      rmgr: RmgrId.FirstUpperRmgr,
      info: 8,
      xid: asXid(100),
      payload: Buffer.from('late'),
    });
    await engine.wal.flush(late);
    engine.abandon();
    engines.splice(engines.indexOf(engine), 1);
    const seen: WalRecord[] = [];
    const again = await openTestEngine(dir, {
      walSegmentBytes: 64 * 1024,
      redoHandlers: new Map([
        [RmgrId.FirstUpperRmgr, (rec: WalRecord) => seen.push({ ...rec, payload: Buffer.from(rec.payload) })],
      ]),
    });
    engines.push(again);
    expect(seen.map((r) => [r.info, r.xid, r.payload.toString()])).toEqual([[8, 100, 'late']]);
    expect(commitLsn).toBeLessThan(late);
    expect(asLsn(late)).toBeLessThanOrEqual(again.recovery.endLsn);
  });

  it('runs upper-layer hooks before the checkpoint record', async () => {
    const { engine } = await setup();
    const calls: number[] = [];
    engine.onCheckpoint(({ redoLsn }) => {
      calls.push(redoLsn);
    });
    const result = await engine.checkpoint();
    expect(calls).toEqual([result.redoLsn]);
    expect(result.checkpointLsn).toBeGreaterThanOrEqual(result.redoLsn);
  });

  it('checkpoints by WAL volume with the WAL writer tick and the interval timer off', async () => {
    const { engine } = await setup({ checkpointWalBytes: 256 * 1024 });
    engine.createRelation('heap');
    fill(engine, 300); // ~170 KiB of WAL: under the mark
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(engine.stats().checkpoints.completed).toBe(0);
    fill(engine, 3000); // well past it
    await waitFor(() => engine.stats().checkpoints.completed >= 1, { what: 'a WAL-volume checkpoint' });
    const afterFirst = engine.stats().checkpoints.lastRedoLsn;
    expect(afterFirst).toBeGreaterThan(256 * 1024);
    // Re-armed from the new redo point: more volume, another checkpoint.
    fill(engine, 3000);
    await waitFor(() => engine.stats().checkpoints.lastRedoLsn > afterFirst, { what: 'a second one' });
  });

  it('coalesces concurrent checkpoint requests', async () => {
    const { engine } = await setup();
    engine.createRelation('heap');
    fill(engine, 500);
    const before = engine.stats().checkpoints.completed;
    await Promise.all([engine.checkpoint(), engine.checkpoint(), engine.checkpoint(), engine.checkpoint()]);
    expect(engine.stats().checkpoints.completed - before).toBeLessThanOrEqual(2);
  });
});

describe('relations', () => {
  it('drops and truncates relations durably', async () => {
    const { engine, dir } = await setup();
    const a = engine.createRelation('heap');
    const b = engine.createRelation('btree');
    fill(engine, 200);
    engine.btree(b).insert(Buffer.from('k'), 65537 as never);
    await engine.truncateRelation(a, 1);
    expect(engine.heap(a).pageCount()).toBe(1);
    await engine.dropRelation(b);
    expect(engine.relationIds()).toEqual([a]);
    expect(() => engine.btree(b)).toThrow(/does not exist/);
    engine.abandon();
    engines.splice(engines.indexOf(engine), 1);
    const again = await openTestEngine(dir, { walSegmentBytes: 64 * 1024 });
    engines.push(again);
    expect(again.relationIds()).toEqual([a]);
    expect(again.heap(a).pageCount()).toBe(1);
    expect(again.createRelation('heap')).toBeGreaterThan(b);
  });
});
