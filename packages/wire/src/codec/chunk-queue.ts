/**
 * ChunkQueue: the bytes received but not yet decoded, kept as the list of chunks the socket
 * delivered. A frame is copied out only once all of its bytes are here, so a length field
 * announcing 1 GiB allocates nothing until 1 GiB has actually arrived, and a frame that fits in
 * one chunk is returned as a view without copying. Nothing is retained after it is taken
 * (node-postgres PR #3531: a parser that kept its largest buffer forever).
 * Exports: ChunkQueue.
 */
import { assert } from '@keel/errors';

export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk; consumed chunks before it are dropped in batches. */
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  byteAt(offset: number): number {
    assert(offset < this.size, 'ChunkQueue.byteAt beyond the buffered bytes');
    let index = this.head;
    let skip = offset;
    for (;;) {
      const chunk = this.chunks[index];
      assert(chunk !== undefined, 'ChunkQueue size out of step with its chunks');
      if (skip < chunk.length) return chunk[skip] ?? 0;
      skip -= chunk.length;
      index += 1;
    }
  }

  /** The big-endian signed 32-bit integer at `offset`, read across chunk boundaries. */
  int32At(offset: number): number {
    const value =
      (this.byteAt(offset) << 24) |
      (this.byteAt(offset + 1) << 16) |
      (this.byteAt(offset + 2) << 8) |
      this.byteAt(offset + 3);
    return value | 0;
  }

  /** Removes and returns the first `length` bytes. */
  take(length: number): Buffer {
    assert(length <= this.size, 'ChunkQueue.take beyond the buffered bytes');
    const first = this.chunks[this.head];
    if (first !== undefined && first.length >= length) {
      this.consumeFromFirst(first, length);
      return first.subarray(0, length);
    }
    const parts: Buffer[] = [];
    let missing = length;
    while (missing > 0) {
      const chunk = this.chunks[this.head];
      assert(chunk !== undefined, 'ChunkQueue size out of step with its chunks');
      const used = Math.min(missing, chunk.length);
      parts.push(chunk.subarray(0, used));
      this.consumeFromFirst(chunk, used);
      missing -= used;
    }
    return Buffer.concat(parts, length);
  }

  private consumeFromFirst(chunk: Buffer, used: number): void {
    this.size -= used;
    if (used < chunk.length) {
      this.chunks[this.head] = chunk.subarray(used);
      return;
    }
    this.head += 1;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
