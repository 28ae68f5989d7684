/**
 * Relation files: one file per relation under `<dataDir>/base/<id>` (no 1 GiB segmenting as
 * PostgreSQL does; Node handles large files directly). Tracks each relation's length in pages
 * (`nblocks`), which may run ahead of the file: a page allocated by `extend` reaches the file
 * only when the buffer pool first writes it, and a page read past the end of the file is all
 * zeros (valid and empty). Remembers which files were written since the last checkpoint so
 * the checkpoint can fdatasync exactly those.
 * Exports: RelationFiles, RelFile.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Disk, DiskFile } from '../disk/disk.js';
import type { FaultPoints } from '../disk/fault-points.js';
import { asRelFileId, type PageNo, type RelFileId } from '../ids.js';
import { PAGE_SIZE } from '../page/page-layout.js';

export interface RelFile {
  readonly id: RelFileId;
  readonly file: DiskFile;
  /** Relative name for messages, e.g. `base/12`. */
  readonly name: string;
  nblocks: number;
}

export class RelationFiles {
  readonly dir: string;
  private readonly files = new Map<RelFileId, RelFile>();
  private readonly needSync = new Set<RelFile>();
  private dirDirty = false;
  private readonly halfPage = Buffer.alloc(PAGE_SIZE / 2);

  constructor(
    private readonly disk: Disk,
    dataDir: string,
    private readonly faults: FaultPoints,
  ) {
    this.dir = `${dataDir}/base`;
    disk.mkdir(this.dir);
    for (const name of disk.list(this.dir)) {
      if (/^[0-9]+$/.test(name)) this.openFile(asRelFileId(Number(name)), 'existing');
    }
  }

  ids(): RelFileId[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  has(id: RelFileId): boolean {
    return this.files.has(id);
  }

  get(id: RelFileId): RelFile {
    const rel = this.files.get(id);
    if (!rel) throw new KeelError(SqlState.UndefinedFile, `relation file base/${id} does not exist`);
    return rel;
  }

  /** Creates an empty relation file (also used by redo, where it may exist already). */
  ensure(id: RelFileId): RelFile {
    return this.files.get(id) ?? this.openFile(id, 'create');
  }

  pathOf(id: RelFileId): string {
    return `${this.dir}/${id}`;
  }

  nblocks(id: RelFileId): number {
    return this.get(id).nblocks;
  }

  /** Allocates the next page number; the page exists in the file once written. */
  extend(id: RelFileId): PageNo {
    const rel = this.get(id);
    return rel.nblocks++;
  }

  /** Redo saw `pageNo`: the relation is at least that long. */
  noteBlock(id: RelFileId, pageNo: PageNo): void {
    const rel = this.get(id);
    if (pageNo >= rel.nblocks) rel.nblocks = pageNo + 1;
  }

  /** Reads `count` pages from `pageNo` into buf; pages past the end of the file read as zeros. */
  readPages(id: RelFileId, pageNo: PageNo, count: number, buf: Buffer): void {
    const rel = this.get(id);
    const want = buf.subarray(0, count * PAGE_SIZE);
    const got = rel.file.read(want, pageNo * PAGE_SIZE);
    if (got < want.length) want.fill(0, got);
  }

  /** Writes one page (its checksum already set). Fault point: 'page-write-midway'. */
  writePage(id: RelFileId, pageNo: PageNo, page: Buffer): void {
    const rel = this.get(id);
    this.needSync.add(rel);
    if (this.faults.reached('page-write-midway')) {
      page.copy(this.halfPage, 0, 0, PAGE_SIZE / 2);
      rel.file.write(this.halfPage, pageNo * PAGE_SIZE);
      this.faults.crash('page-write-midway');
    }
    rel.file.write(page, pageNo * PAGE_SIZE);
  }

  truncate(id: RelFileId, nblocks: number): void {
    const rel = this.files.get(id);
    if (!rel) return;
    rel.file.truncate(nblocks * PAGE_SIZE);
    rel.nblocks = nblocks;
    this.needSync.add(rel);
  }

  remove(id: RelFileId): void {
    const rel = this.files.get(id);
    if (!rel) return;
    rel.file.close();
    this.files.delete(id);
    this.needSync.delete(rel);
    this.disk.remove(this.pathOf(id));
    this.disk.remove(`${this.pathOf(id)}.fsm`);
    this.dirDirty = true;
  }

  /** Removes free space map files (and their temporaries) whose relation file is gone. */
  removeStrayHints(): void {
    for (const name of this.disk.list(this.dir)) {
      const match = /^([0-9]+)\.fsm(\.tmp)?$/.exec(name);
      if (match && !this.files.has(asRelFileId(Number(match[1])))) this.disk.remove(`${this.dir}/${name}`);
    }
  }

  /** fdatasyncs every file written since the last call, and the directory if files came or went. */
  async syncAll(): Promise<void> {
    const files = [...this.needSync];
    this.needSync.clear();
    const dirDirty = this.dirDirty;
    this.dirDirty = false;
    await Promise.all(files.map((rel) => rel.file.datasync()));
    if (dirDirty) await this.disk.fsyncDir(this.dir);
  }

  closeAll(): void {
    for (const rel of this.files.values()) rel.file.close();
    this.files.clear();
  }

  private openFile(id: RelFileId, mode: 'create' | 'existing'): RelFile {
    const path = this.pathOf(id);
    if (mode === 'create' && !this.disk.exists(path)) this.dirDirty = true;
    const file = this.disk.open(path, mode);
    const rel: RelFile = { id, file, name: `base/${id}`, nblocks: Math.ceil(file.size() / PAGE_SIZE) };
    this.files.set(id, rel);
    return rel;
  }
}
