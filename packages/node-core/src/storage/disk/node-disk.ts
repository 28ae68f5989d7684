/**
 * NodeDisk: the production Disk over node:fs. Reads and writes use the synchronous calls;
 * fdatasync and directory fsync use the callback API, which runs them on libuv's pool.
 * Exports: NodeDisk.
 */
import * as fs from 'node:fs';
import { KeelError, SqlState } from '@keel/errors';
import type { Disk, DiskFile, OpenMode } from './disk.js';

function ioError(op: string, path: string, cause: unknown): KeelError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KeelError(SqlState.IoError, `could not ${op} file "${path}": ${message}`, { cause });
}

class NodeDiskFile implements DiskFile {
  constructor(
    readonly path: string,
    private fd: number,
  ) {}

  read(buf: Uint8Array, position: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(buf: Uint8Array, position: number): void {
    let done = 0;
    while (done < buf.length) {
      done += fs.writeSync(this.fd, buf, done, buf.length - done, position + done);
    }
  }

  async writeAsync(buf: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      done += await new Promise<number>((resolve, reject) => {
        fs.write(this.fd, buf, done, buf.length - done, position + done, (err, written) =>
          err ? reject(ioError('write', this.path, err)) : resolve(written),
        );
      });
    }
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => (err ? reject(ioError('fdatasync', this.path, err)) : resolve()));
    });
  }

  datasyncBlocking(): void {
    fs.fdatasyncSync(this.fd);
  }

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export class NodeDisk implements Disk {
  open(path: string, mode: OpenMode): DiskFile {
    try {
      const flags = mode === 'create' ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR;
      return new NodeDiskFile(path, fs.openSync(path, flags, 0o600));
    } catch (err) {
      throw ioError('open', path, err);
    }
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  remove(path: string): void {
    fs.rmSync(path, { force: true });
  }

  list(dir: string): string[] {
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  }

  mkdir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  }

  fsyncDirBlocking(dir: string): void {
    let fd = -1;
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY);
      fs.fsyncSync(fd);
    } catch (err) {
      throw ioError('fsync directory', dir, err);
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  fsyncDir(dir: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.open(dir, fs.constants.O_RDONLY, (openErr, fd) => {
        if (openErr) return reject(ioError('open directory', dir, openErr));
        fs.fsync(fd, (syncErr) => {
          fs.close(fd, (closeErr) => {
            const err = syncErr ?? closeErr;
            if (err) reject(ioError('fsync directory', dir, err));
            else resolve();
          });
        });
      });
    });
  }
}
