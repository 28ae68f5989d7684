/**
 * FaultDisk: a Disk wrapper for tests. It counts and reports every operation (so a test can
 * check that a data page is never written ahead of its WAL, or count fdatasync calls), fails
 * fdatasync on demand, tears one write after N bytes, and simulates a power loss: every 4 KiB
 * block written since its file's last completed fdatasync is, at random, kept or put back to
 * its last durable content; and of the file creations and renames in a directory since its
 * last completed fsync, a random prefix survives and the rest is undone (a created file
 * vanishes, a renamed one goes back to its old name and the file it replaced comes back), as
 * on a file system that journals metadata in order. Removals count as durable at once.
 * Exports: FaultDisk, DiskOp, SimulatedCrash.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Disk, DiskFile, OpenMode } from './disk.js';

const BLOCK = 4096;

/** Thrown where a test asked the process to "die"; the test then abandons the engine. */
export class SimulatedCrash extends Error {
  constructor(what: string) {
    super(`simulated crash: ${what}`);
    this.name = 'SimulatedCrash';
  }
}

export type DiskOp =
  | { kind: 'write'; path: string; position: number; length: number; data: Uint8Array }
  | { kind: 'read'; path: string; position: number; length: number }
  | { kind: 'datasync'; path: string }
  | { kind: 'truncate'; path: string; size: number }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'remove'; path: string }
  | { kind: 'fsyncDir'; path: string };

interface BlockState {
  /** Content at the last completed fdatasync (zeros when the block lay past the end). */
  durable: Buffer;
  /** Write counter value of the last write into the block. */
  lastWrite: number;
}

/** A directory change not yet made durable by an fsync of its directory. */
type DirChange =
  | { kind: 'create'; path: string }
  | { kind: 'rename'; from: string; to: string; replaced: Buffer | null };

interface Tear {
  matches: (path: string) => boolean;
  afterBytes: number;
}

export class FaultDisk implements Disk {
  /** Called for every operation, before it runs. */
  onOp: ((op: DiskOp) => void) | null = null;
  /** When it returns true for a path, fdatasync of that file fails with an I/O error. */
  failDatasync: ((path: string) => boolean) | null = null;
  readonly counts = { write: 0, read: 0, datasync: 0, fsyncDir: 0, bytesWritten: 0 };
  private tear: Tear | null = null;
  private readonly unsynced = new Map<string, Map<number, BlockState>>();
  private readonly dirChanges = new Map<string, DirChange[]>();
  private writeCounter = 0;

  constructor(private readonly inner: Disk) {}

  /** The next write to a matching path writes only `afterBytes` bytes, then throws SimulatedCrash. */
  tearNextWrite(matches: (path: string) => boolean, afterBytes: number): void {
    this.tear = { matches, afterBytes };
  }

  /**
   * Simulated power loss: each block written since its last durable sync is put back to its
   * durable content with probability `revertProbability` (1 = lose everything unsynced).
   * Open files must be abandoned afterwards.
   */
  powerLoss(
    random: () => number,
    revertProbability: number,
  ): { reverted: number; kept: number; entriesLost: number } {
    let reverted = 0;
    let kept = 0;
    for (const [path, blocks] of this.unsynced) {
      if (!this.inner.exists(path)) continue;
      const file = this.inner.open(path, 'existing');
      for (const [blockNo, state] of blocks) {
        if (random() < revertProbability) {
          file.write(state.durable, blockNo * BLOCK);
          reverted++;
        } else {
          kept++;
        }
      }
      file.close();
    }
    this.unsynced.clear();
    let entriesLost = 0;
    for (const changes of this.dirChanges.values()) {
      const survive = revertProbability >= 1 ? 0 : Math.floor(random() * (changes.length + 1));
      for (let i = changes.length - 1; i >= survive; i--) {
        const change = changes[i];
        if (change) this.undoDirChange(change);
        entriesLost++;
      }
    }
    this.dirChanges.clear();
    return { reverted, kept, entriesLost };
  }

  open(path: string, mode: OpenMode): DiskFile {
    if (mode === 'create' && !this.inner.exists(path)) this.noteDirChange({ kind: 'create', path });
    return new FaultDiskFile(this, this.inner.open(path, mode));
  }

  exists(path: string): boolean {
    return this.inner.exists(path);
  }

  rename(from: string, to: string): void {
    this.onOp?.({ kind: 'rename', from, to });
    this.noteDirChange({
      kind: 'rename',
      from,
      to,
      replaced: this.inner.exists(to) ? readAll(this.inner, to) : null,
    });
    this.inner.rename(from, to);
    const blocks = this.unsynced.get(from);
    this.unsynced.delete(from);
    if (blocks) this.unsynced.set(to, blocks);
  }

  remove(path: string): void {
    this.onOp?.({ kind: 'remove', path });
    this.inner.remove(path);
    this.unsynced.delete(path);
  }

  list(dir: string): string[] {
    return this.inner.list(dir);
  }

  mkdir(dir: string): void {
    this.inner.mkdir(dir);
  }

  async fsyncDir(dir: string): Promise<void> {
    this.counts.fsyncDir++;
    this.onOp?.({ kind: 'fsyncDir', path: dir });
    const covered = this.dirChanges.get(dir)?.length ?? 0;
    await this.inner.fsyncDir(dir);
    this.dirChanges.get(dir)?.splice(0, covered);
  }

  fsyncDirBlocking(dir: string): void {
    this.counts.fsyncDir++;
    this.onOp?.({ kind: 'fsyncDir', path: dir });
    this.inner.fsyncDirBlocking(dir);
    this.dirChanges.delete(dir);
  }

  /** Undoes every file creation and rename not yet covered by an fsync of its directory. */
  loseUnsyncedDirectoryEntries(): number {
    let lost = 0;
    for (const changes of this.dirChanges.values()) {
      for (let i = changes.length - 1; i >= 0; i--) {
        const change = changes[i];
        if (change) this.undoDirChange(change);
        lost++;
      }
    }
    this.dirChanges.clear();
    return lost;
  }

  /** Directory changes of `dir` a power loss could still undo (tests). */
  pendingDirChanges(dir: string): number {
    return this.dirChanges.get(dir)?.length ?? 0;
  }

  private noteDirChange(change: DirChange): void {
    const path = change.kind === 'create' ? change.path : change.to;
    const dir = path.slice(0, path.lastIndexOf('/'));
    let changes = this.dirChanges.get(dir);
    if (!changes) {
      changes = [];
      this.dirChanges.set(dir, changes);
    }
    changes.push(change);
  }

  private undoDirChange(change: DirChange): void {
    if (change.kind === 'create') {
      if (this.inner.exists(change.path)) this.inner.remove(change.path);
      return;
    }
    if (!this.inner.exists(change.to)) return;
    this.inner.rename(change.to, change.from);
    if (change.replaced) {
      const file = this.inner.open(change.to, 'create');
      file.truncate(0);
      file.write(change.replaced, 0);
      file.close();
    }
  }

  /** @internal bookkeeping for FaultDiskFile.write */
  beforeWrite(file: DiskFile, buf: Uint8Array, position: number): number {
    this.counts.write++;
    this.counts.bytesWritten += buf.length;
    this.onOp?.({ kind: 'write', path: file.path, position, length: buf.length, data: buf });
    this.saveDurable(file, position, buf.length);
    const tear = this.tear;
    if (tear?.matches(file.path)) {
      this.tear = null;
      return Math.min(tear.afterBytes, buf.length);
    }
    return -1;
  }

  /** @internal */
  beforeRead(file: DiskFile, length: number, position: number): void {
    this.counts.read++;
    this.onOp?.({ kind: 'read', path: file.path, position, length });
  }

  /** @internal: returns a function to call when the sync has completed. */
  beforeDatasync(file: DiskFile): () => void {
    this.counts.datasync++;
    this.onOp?.({ kind: 'datasync', path: file.path });
    if (this.failDatasync?.(file.path)) {
      throw new KeelError(SqlState.IoError, `could not fdatasync file "${file.path}": injected failure`);
    }
    const blocks = this.unsynced.get(file.path);
    if (!blocks) return () => {};
    const startedAt = this.writeCounter;
    const snapshot = new Map<number, Buffer>();
    for (const blockNo of blocks.keys()) snapshot.set(blockNo, readBlock(file, blockNo));
    return () => {
      for (const [blockNo, content] of snapshot) {
        const state = blocks.get(blockNo);
        if (!state) continue;
        if (state.lastWrite <= startedAt) blocks.delete(blockNo);
        else state.durable = content;
      }
    };
  }

  /** @internal */
  beforeTruncate(file: DiskFile, size: number): void {
    this.onOp?.({ kind: 'truncate', path: file.path, size });
    const blocks = this.unsynced.get(file.path);
    if (!blocks) return;
    for (const blockNo of blocks.keys()) if (blockNo * BLOCK >= size) blocks.delete(blockNo);
  }

  private saveDurable(file: DiskFile, position: number, length: number): void {
    let blocks = this.unsynced.get(file.path);
    if (!blocks) {
      blocks = new Map();
      this.unsynced.set(file.path, blocks);
    }
    const counter = ++this.writeCounter;
    const last = Math.floor((position + length - 1) / BLOCK);
    for (let blockNo = Math.floor(position / BLOCK); blockNo <= last; blockNo++) {
      const state = blocks.get(blockNo);
      if (state) state.lastWrite = counter;
      else blocks.set(blockNo, { durable: readBlock(file, blockNo), lastWrite: counter });
    }
  }
}

function readAll(disk: Disk, path: string): Buffer {
  const file = disk.open(path, 'existing');
  try {
    const buf = Buffer.alloc(file.size());
    file.read(buf, 0);
    return buf;
  } finally {
    file.close();
  }
}

function readBlock(file: DiskFile, blockNo: number): Buffer {
  const buf = Buffer.alloc(BLOCK);
  file.read(buf, blockNo * BLOCK);
  return buf;
}

class FaultDiskFile implements DiskFile {
  constructor(
    private readonly disk: FaultDisk,
    private readonly inner: DiskFile,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  read(buf: Uint8Array, position: number): number {
    this.disk.beforeRead(this.inner, buf.length, position);
    return this.inner.read(buf, position);
  }

  write(buf: Uint8Array, position: number): void {
    const tornAfter = this.disk.beforeWrite(this.inner, buf, position);
    if (tornAfter >= 0) {
      this.inner.write(buf.subarray(0, tornAfter), position);
      throw new SimulatedCrash(`torn write of ${this.inner.path} after ${tornAfter} bytes`);
    }
    this.inner.write(buf, position);
  }

  async writeAsync(buf: Uint8Array, position: number): Promise<void> {
    const tornAfter = this.disk.beforeWrite(this.inner, buf, position);
    if (tornAfter >= 0) {
      await this.inner.writeAsync(buf.subarray(0, tornAfter), position);
      throw new SimulatedCrash(`torn write of ${this.inner.path} after ${tornAfter} bytes`);
    }
    await this.inner.writeAsync(buf, position);
  }

  async datasync(): Promise<void> {
    const done = this.disk.beforeDatasync(this.inner);
    await this.inner.datasync();
    done();
  }

  datasyncBlocking(): void {
    const done = this.disk.beforeDatasync(this.inner);
    this.inner.datasyncBlocking();
    done();
  }

  size(): number {
    return this.inner.size();
  }

  truncate(size: number): void {
    this.disk.beforeTruncate(this.inner, size);
    this.inner.truncate(size);
  }

  close(): void {
    this.inner.close();
  }
}
