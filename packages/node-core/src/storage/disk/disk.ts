/**
 * Disk: the only way the storage engine and the WAL reach files, injected so tests can count
 * syncs, fail them, tear writes and lose unsynced data (FaultDisk). Reads and writes are
 * synchronous (the node is single-threaded; a page miss blocking the loop is accepted, and a
 * write only copies into the OS page cache). Durability calls are asynchronous so that they
 * run on libuv's thread pool while commits keep queuing behind them (group commit); one
 * blocking variant exists for the rare eviction of a page whose WAL is not yet durable.
 * Exports: Disk, DiskFile, OpenMode.
 */

/** 'create' creates the file when missing; 'existing' fails when it is missing. */
export type OpenMode = 'create' | 'existing';

export interface DiskFile {
  readonly path: string;
  /** Reads up to buf.length bytes at position into buf; returns the count (short at end of file). */
  read(buf: Uint8Array, position: number): number;
  /** Writes all of buf at position (extending the file when needed). */
  write(buf: Uint8Array, position: number): void;
  /** write on the libuv pool (zero-filling a WAL segment ahead of need, off the event loop). */
  writeAsync(buf: Uint8Array, position: number): Promise<void>;
  /** fdatasync on the libuv pool. */
  datasync(): Promise<void>;
  /** fdatasync on the calling thread; only for emergencies (see BufferPool eviction). */
  datasyncBlocking(): void;
  size(): number;
  truncate(size: number): void;
  close(): void;
}

export interface Disk {
  open(path: string, mode: OpenMode): DiskFile;
  exists(path: string): boolean;
  rename(from: string, to: string): void;
  remove(path: string): void;
  /** Names (not paths) of the entries of a directory; [] when it does not exist. */
  list(dir: string): string[];
  /** Creates the directory and its parents when missing. */
  mkdir(dir: string): void;
  /** Makes the directory's entries (created, renamed, removed files) durable. */
  fsyncDir(dir: string): Promise<void>;
  /** fsyncDir on the calling thread; only with datasyncBlocking (emergency WAL flush). */
  fsyncDirBlocking(dir: string): void;
}
