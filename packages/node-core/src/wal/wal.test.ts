import { KeelError } from '@keel/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultDisk } from '../storage/disk/fault-disk.js';
import { noFaults } from '../storage/disk/fault-points.js';
import { NodeDisk } from '../storage/disk/node-disk.js';
import { asXid, type Lsn } from '../storage/ids.js';
import { silentLogger } from '../storage/logger.js';
import { removeDir, seededRandom, tempDataDir } from '../storage/testing/storage-test-env.js';
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
});
