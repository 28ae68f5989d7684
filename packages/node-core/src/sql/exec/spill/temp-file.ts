/**
 * Temporary spill files under the execution context's tempDir: append rows, then read them back
 * in order. This is the one place in the query processor that touches the file system; files are
 * deleted on close (and the engine removes tempDir at statement end).
 * Exports: TempRowFile.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Row } from '../../../access/table-access.js';
import { decodeRow, encodeRow } from './row-codec.js';

let counter = 0;

export class TempRowFile {
  private pending: string[] = [];
  private written = 0;
  /** Bytes written to the file so far (EXPLAIN ANALYZE's Disk). */
  bytes = 0;
  private constructor(readonly path: string) {}

  static async create(dir: string, label: string): Promise<TempRowFile> {
    await mkdir(dir, { recursive: true });
    counter += 1;
    return new TempRowFile(join(dir, `keel-${label}-${process.pid}-${counter}.rows`));
  }

  get rowCount(): number {
    return this.written + this.pending.length;
  }

  async append(row: Row): Promise<void> {
    this.pending.push(encodeRow(row));
    if (this.pending.length >= 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const handle = await open(this.path, 'a');
    try {
      const text = `${this.pending.join('\n')}\n`;
      await handle.write(text);
      this.bytes += Buffer.byteLength(text);
    } finally {
      await handle.close();
    }
    this.written += this.pending.length;
    this.pending = [];
  }

  /** Reads the rows back in the order they were written. */
  async *rows(): AsyncGenerator<Row> {
    await this.flush();
    if (this.written === 0) return;
    const lines = createInterface({
      input: createReadStream(this.path, { encoding: 'utf8' }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) if (line !== '') yield decodeRow(line);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
