import { KeelError } from '@keel/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultDisk } from '../storage/disk/fault-disk.js';
import { noFaults } from '../storage/disk/fault-points.js';
import { NodeDisk } from '../storage/disk/node-disk.js';
import { asXid, type Lsn } from '../storage/ids.js';
import { silentLogger } from '../storage/logger.js';
import { pageLsn } from '../storage/page/page-layout.js';
import {
  openTestEngine,
  removeDir,
  seededRandom,
  tempDataDir,
  waitFor,
} from '../storage/testing/storage-test-env.js';
import { Wal } from './wal.js';
import { WalReader } from './wal-reader.js';
import { RmgrId } from './wal-record.js';
import { WalSegments } from './wal-segments.js';

const dirs: string[] = [];
const wals: Wal[] = [];
afterEach(async () => {
  for (const w of wals.splice(0)) w.abandon();
  for (const d of dirs.splice(0)) removeDir(d);
});

function makeWal(segmentBytes: number, disk = new FaultDisk(new NodeDisk())) {
  const dir = tempDataDir('keel-wal-');
  dirs.push(dir);
  const segments = new WalSegments(disk, dir, segmentBytes);
  const wal = new Wal({
    segments,
    startLsn: 0 as Lsn,
    term: 1,
    logger: silentLogger,
    faults: noFaults,
    writerDelayMs: 0,
  });
  wals.push(wal);
  return { wal, segments, disk, dir };
}

function payloadFor(i: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let j = 0; j < length; j++) b[j] = (i * 31 + j) & 0xff;
  return b;
}

describe('Wal', () => {
  it('shares one fdatasync among concurrent flushes (group commit)', async () => {
    const { wal, disk } = makeWal(1024 * 1024);
    const clients = 32;
    const rounds = 20;
    const syncsBefore = disk.counts.datasync;
    const client = async (c: number) => {
      for (let r = 0; r < rounds; r++) {
        const lsn = wal.append({
          rmgr: RmgrId.FirstUpperRmgr,
          info: 1,
          xid: asXid(c * 1000 + r + 1),
          payload: payloadFor(c, 40),
        });
        await wal.flush(lsn);
        expect(wal.flushedLsn).toBeGreaterThanOrEqual(lsn);
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    const syncs = disk.counts.datasync - syncsBefore;
    expect(wal.stats().flushWaits).toBe(clients * rounds);
    expect(syncs).toBeLessThan((clients * rounds) / 4);
    expect(wal.stats().syncRounds).toBeLessThan((clients * rounds) / 4);
  });

  it('reads records back across segment boundaries, from any record', async () => {
    const segBytes = 64 * 1024;
    const { wal, segments } = makeWal(segBytes);
    const random = seededRandom(5);
    const written: { lsn: number; end: number; length: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const length = random() < 0.05 ? 100_000 : Math.floor(random() * 3000);
      const start = wal.insertLsn;
      const end = wal.append({
        rmgr: RmgrId.FirstUpperRmgr,
        info: i % 256,
        xid: asXid(i + 1),
        payload: payloadFor(i, length),
      });
      written.push({ lsn: start, end, length });
    }
    await wal.flush();
    expect(segments.list().length).toBeGreaterThan(10);
    for (const startIndex of [0, 137, 399]) {
      const reader = new WalReader(segments, (written[startIndex]?.lsn ?? 0) as Lsn);
      for (let i = startIndex; i < written.length; i++) {
        const rec = reader.next();
        expect(rec?.lsn).toBe(written[i]?.lsn);
        expect(rec?.endLsn).toBe(written[i]?.end);
        expect(rec?.xid).toBe(i + 1);
        expect(rec?.term).toBe(1);
        expect(rec?.payload.equals(payloadFor(i, written[i]?.length ?? 0))).toBe(true);
      }
      expect(reader.next()).toBeNull();
      expect(reader.stop?.reason).toBe('end-of-wal');
      reader.close();
    }
  });

  it('stops at a corrupt or torn record and reports where', async () => {
    const { wal, segments, disk } = makeWal(256 * 1024);
    const starts: number[] = [];
    for (let i = 0; i < 100; i++) {
      starts.push(wal.insertLsn);
      wal.append({ rmgr: RmgrId.FirstUpperRmgr, info: 0, xid: asXid(1), payload: payloadFor(i, 500) });
    }
    await wal.flush();
    const victim = starts[60] ?? 0;
    const file = disk.open(segments.pathOf(0), 'existing');
    file.write(Buffer.from([0xaa]), victim + 100);
    file.close();
    const reader = new WalReader(segments, 0 as Lsn);
    let count = 0;
    while (reader.next()) count++;
    expect(count).toBe(60);
    expect(reader.stop).toEqual({ lsn: victim, reason: 'crc-mismatch' });
    reader.close();
  });

  it('turns failed after an fdatasync error and refuses further use', async () => {
    const { wal, disk } = makeWal(1024 * 1024);
    disk.failDatasync = () => true;
    const lsn = wal.append({
      rmgr: RmgrId.FirstUpperRmgr,
      info: 0,
      xid: asXid(1),
      payload: Buffer.alloc(10),
    });
    await expect(wal.flush(lsn)).rejects.toThrow(KeelError);
    expect(() =>
      wal.append({ rmgr: RmgrId.FirstUpperRmgr, info: 0, xid: asXid(1), payload: Buffer.alloc(10) }),
    ).toThrow(/could not flush the write-ahead log/);
  });

  it('appends records received from another WAL byte for byte', async () => {
    const primary = makeWal(64 * 1024);
    const replica = makeWal(64 * 1024);
    for (let i = 0; i < 200; i++) {
      primary.wal.append({
        rmgr: RmgrId.FirstUpperRmgr,
        info: 2,
        xid: asXid(i + 1),
        payload: payloadFor(i, 700),
      });
    }
    await primary.wal.flush();
    const reader = new WalReader(primary.segments, 0 as Lsn, primary.wal.flushedLsn);
    for (let rec = reader.next(); rec; rec = reader.next())
      replica.wal.appendReceived(Buffer.from(rec.raw), rec.lsn);
    expect(reader.stop?.reason).toBe('limit');
    reader.close();
    await replica.wal.flush();
    expect(replica.wal.insertLsn).toBe(primary.wal.insertLsn);
    const copy = new WalReader(replica.segments, 0 as Lsn);
    let n = 0;
    for (let rec = copy.next(); rec; rec = copy.next()) {
      expect(rec.payload.equals(payloadFor(n, 700))).toBe(true);
      n++;
    }
    copy.close();
    expect(n).toBe(200);
    expect(() => replica.wal.appendReceived(Buffer.alloc(40), 5 as Lsn)).toThrow();
  });

  it('keeps a record acknowledged in a new segment when unsynced directory entries are lost', async () => {
    const { wal, segments, disk, dir } = makeWal(64 * 1024);
    let last = 0 as Lsn;
    for (let i = 0; segments.segmentOf(wal.insertLsn) < 3; i++) {
      last = wal.append({
        rmgr: RmgrId.FirstUpperRmgr,
        info: 1,
        xid: asXid(i + 1),
        payload: payloadFor(i, 900),
      });
    }
    await wal.flush(last);
    wal.abandon();
    expect(disk.powerLoss(seededRandom(5), 1).entriesLost).toBe(0);
    const reader = new WalReader(new WalSegments(new NodeDisk(), dir, 64 * 1024), 0 as Lsn);
    let end = 0;
    for (let rec = reader.next(); rec; rec = reader.next()) end = rec.endLsn;
    reader.close();
    expect(end).toBe(last);
  });
});

describe('WalSegments.prepare', () => {
  it('makes a segment ahead of need under a temporary name, and never one the WAL made itself', async () => {
    const { segments, disk, dir } = makeWal(256 * 1024);
    expect(await segments.prepare(2)).toBe(true);
    expect(new NodeDisk().open(segments.pathOf(2), 'existing').size()).toBe(256 * 1024);
    expect(disk.pendingDirChanges(`${dir}/wal`)).toBe(0);
    segments.openForWrite(3).close();
    expect(await segments.prepare(3)).toBe(false);
    expect(new NodeDisk().list(`${dir}/wal`).filter((n) => n.includes('.'))).toEqual([]);
    // A crash while preparing leaves the temporary file; the next start removes it.
    new NodeDisk().open(`${segments.pathOf(4)}.preparing`, 'create').close();
    await segments.cutTail(0 as Lsn);
    expect(new NodeDisk().list(`${dir}/wal`).sort()).toEqual([segments.pathOf(0).slice(-16)]);
  });

  it('is used by the background tick once the current segment is half full', async () => {
    const dir = tempDataDir('keel-wal-');
    dirs.push(dir);
    const segments = new WalSegments(new NodeDisk(), dir, 64 * 1024);
    const wal = new Wal({
      segments,
      startLsn: 0 as Lsn,
      term: 1,
      logger: silentLogger,
      faults: noFaults,
      writerDelayMs: 5,
    });
    wals.push(wal);
    for (let i = 0; wal.insertLsn < 40 * 1024; i++) {
      wal.append({ rmgr: RmgrId.FirstUpperRmgr, info: 1, xid: asXid(i + 1), payload: payloadFor(i, 500) });
    }
    await waitFor(() => segments.isReady(1), { what: 'segment 1 to be prepared' });
    await wal.flush();
    expect(new NodeDisk().list(`${dir}/wal`).filter((n) => n.includes('.'))).toEqual([]);
  });
});

describe('Wal emergency flush', () => {
  it('makes a new segment durable before an evicted page that needs it reaches the disk', async () => {
    const dir = tempDataDir('keel-wal-');
    dirs.push(dir);
    const disk = new FaultDisk(new NodeDisk());
    const engine = await openTestEngine(dir, {
      disk,
      bufferPoolBytes: 16 * 8192,
      walSegmentBytes: 64 * 1024,
    });
    const heap = engine.heap(engine.createRelation('heap'));
    await engine.checkpoint();
    for (let i = 0; i < 3000; i++) heap.insert(Buffer.alloc(300, i & 0xff), { xmin: asXid(1), cid: 0 });
    expect(engine.stats().bufferPool.blockingWalFlushes).toBeGreaterThan(0);
    const rel = engine.relationIds()[0];
    engine.abandon();
    // The OS kept every written block, but directory entries never fsynced are gone.
    disk.powerLoss(seededRandom(9), 0);
    disk.loseUnsyncedDirectoryEntries();
    const again = await openTestEngine(dir, { walSegmentBytes: 64 * 1024 });
    try {
      const file = new NodeDisk().open(`${dir}/base/${rel}`, 'existing');
      const page = Buffer.alloc(8192);
      let maxLsn = 0;
      for (let pageNo = 0; file.read(page, pageNo * 8192) === 8192; pageNo++)
        maxLsn = Math.max(maxLsn, pageLsn(page));
      file.close();
      expect(maxLsn, 'a page on disk is ahead of the WAL that survived').toBeLessThanOrEqual(
        again.recovery.endLsn,
      );
    } finally {
      again.abandon();
    }
  });
});
