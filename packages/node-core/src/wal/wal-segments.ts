/**
 * WAL segment files: the WAL stream cut into files of `segmentBytes` (16 MiB by default) under
 * `<dataDir>/wal/`, named by segment number in 16 hex digits. A segment is full-size before
 * the first record goes into it (zero-filled, or an old segment renamed: "recycled"), so an
 * fdatasync of WAL never has to persist a file-size change. Stale bytes of a recycled segment
 * cannot pass for records: every record holds its own LSN.
 * Exports: WalSegments.
 */
import type { Disk, DiskFile } from '../storage/disk/disk.js';
import type { Lsn } from '../storage/ids.js';

const FILL_CHUNK = 1024 * 1024;
/** Suffix of a segment being zero-filled ahead of need (never read as WAL). */
const PREPARING = '.preparing';

export class WalSegments {
  readonly dir: string;
  /** Set when a segment was created or renamed; cleared when an fsync of the directory starts. */
  dirDirty = false;
  /** The fsync of the directory in progress, if any. */
  private dirSync: Promise<void> | null = null;
  private readonly zeros: Buffer;

  constructor(
    private readonly disk: Disk,
    dataDir: string,
    readonly segmentBytes: number,
  ) {
    this.dir = `${dataDir}/wal`;
    disk.mkdir(this.dir);
    this.zeros = Buffer.alloc(Math.min(FILL_CHUNK, segmentBytes));
  }

  segmentOf(lsn: number): number {
    return Math.floor(lsn / this.segmentBytes);
  }

  pathOf(segNo: number): string {
    return `${this.dir}/${segNo.toString(16).toUpperCase().padStart(16, '0')}`;
  }

  /** Segment numbers present, ascending. */
  list(): number[] {
    return this.disk
      .list(this.dir)
      .filter((name) => /^[0-9A-F]{16}$/.test(name))
      .map((name) => Number.parseInt(name, 16))
      .sort((a, b) => a - b);
  }

  openForRead(segNo: number): DiskFile | null {
    const path = this.pathOf(segNo);
    return this.disk.exists(path) ? this.disk.open(path, 'existing') : null;
  }

  /** Opens a segment for writing, making it full-size first (recycling an old one when offered). */
  openForWrite(segNo: number): DiskFile {
    const path = this.pathOf(segNo);
    if (this.disk.exists(path)) {
      const file = this.disk.open(path, 'existing');
      if (file.size() >= this.segmentBytes) return file;
      this.zeroFill(file, file.size());
      return file;
    }
    const file = this.disk.open(path, 'create');
    this.dirDirty = true;
    this.zeroFill(file, 0);
    return file;
  }

  isReady(segNo: number): boolean {
    return this.disk.exists(this.pathOf(segNo));
  }

  /**
   * Makes segment `segNo` ahead of need, off the event loop: zero-filled with asynchronous
   * writes under a temporary name, synced, then renamed into place and the directory synced.
   * The WAL never writes into a file still being filled: if it needs the segment sooner, it
   * makes it itself (openForWrite) and this one is thrown away. Returns whether it was used.
   */
  async prepare(segNo: number): Promise<boolean> {
    const path = this.pathOf(segNo);
    if (this.disk.exists(path)) return false;
    const temporary = `${path}${PREPARING}`;
    const file = this.disk.open(temporary, 'create');
    try {
      for (let pos = 0; pos < this.segmentBytes; pos += this.zeros.length) {
        await file.writeAsync(
          this.zeros.subarray(0, Math.min(this.zeros.length, this.segmentBytes - pos)),
          pos,
        );
      }
      await file.datasync();
    } finally {
      file.close();
    }
    if (this.disk.exists(path)) {
      this.disk.remove(temporary);
      return false;
    }
    this.disk.rename(temporary, path);
    this.dirDirty = true;
    await this.syncDir();
    return true;
  }

  /**
   * Makes every segment creation and rename so far durable. Without changes since the last
   * fsync started, it still waits for that fsync when it runs: the change it covers (say, the
   * segment the background writer just prepared) may hold the records the caller is about to
   * report durable.
   */
  syncDir(): Promise<void> {
    if (!this.dirDirty) return this.dirSync ?? Promise.resolve();
    this.dirDirty = false;
    const sync: Promise<void> = this.disk.fsyncDir(this.dir).finally(() => {
      if (this.dirSync === sync) this.dirSync = null;
    });
    this.dirSync = sync;
    return sync;
  }

  /** syncDir on the calling thread (the WAL's emergency flush). */
  syncDirBlocking(): void {
    if (!this.dirDirty && this.dirSync === null) return;
    this.dirDirty = false;
    this.disk.fsyncDirBlocking(this.dir);
  }

  /**
   * Removes or recycles segments wholly before `lsn`. Up to `keepRecycled` of them are renamed
   * to the segment numbers after `currentSegNo` that do not exist yet; the rest are removed.
   */
  retire(lsn: Lsn, currentSegNo: number, keepRecycled: number): number {
    const limit = Math.min(this.segmentOf(lsn), currentSegNo);
    const present = this.list();
    let next = Math.max(currentSegNo, present.at(-1) ?? currentSegNo) + 1;
    let ahead = present.filter((n) => n > currentSegNo).length;
    let retired = 0;
    for (const segNo of present) {
      if (segNo >= limit) break;
      if (ahead < keepRecycled) {
        this.disk.rename(this.pathOf(segNo), this.pathOf(next++));
        ahead++;
      } else {
        this.disk.remove(this.pathOf(segNo));
      }
      this.dirDirty = true;
      retired++;
    }
    return retired;
  }

  /**
   * End of recovery: zero the current segment from `endLsn` on and remove all later segments,
   * so no stale record can ever follow the new ones.
   */
  async cutTail(endLsn: Lsn): Promise<void> {
    const segNo = this.segmentOf(endLsn);
    for (const name of this.disk.list(this.dir)) {
      if (name.endsWith(PREPARING)) this.disk.remove(`${this.dir}/${name}`); // cut off by the crash
    }
    for (const n of this.list()) {
      if (n > segNo) {
        this.disk.remove(this.pathOf(n));
        this.dirDirty = true;
      }
    }
    const file = this.openForWrite(segNo);
    this.zeroFill(file, endLsn - segNo * this.segmentBytes);
    await file.datasync();
    file.close();
    await this.syncDir();
  }

  private zeroFill(file: DiskFile, from: number): void {
    for (let pos = from; pos < this.segmentBytes; pos += this.zeros.length) {
      file.write(this.zeros.subarray(0, Math.min(this.zeros.length, this.segmentBytes - pos)), pos);
    }
  }
}
