/**
 * ByteWriter: builds protocol messages in one growable buffer. beginMessage() writes the type
 * byte and a placeholder length that endMessage() fills in, so a message is never sent with a
 * wrong length. Strings are written as UTF-8 with a NUL terminator; a NUL inside a string would
 * end it early and desynchronise the client, so it is replaced by U+FFFD (PostgreSQL text can
 * never contain NUL, so this only guards against a bug upstream).
 * Exports: ByteWriter.
 */
import { assert } from '@keel/errors';

export class ByteWriter {
  private buffer: Buffer;
  private offset = 0;
  private messageStart = -1;

  constructor(initialBytes = 256) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.offset;
  }

  /** `type` null starts a startup-phase packet, which has no type byte. */
  beginMessage(type: number | null): this {
    assert(this.messageStart < 0, 'ByteWriter.beginMessage inside a message');
    if (type !== null) this.uint8(type);
    this.messageStart = this.offset;
    return this.int32(0);
  }

  endMessage(): this {
    assert(this.messageStart >= 0, 'ByteWriter.endMessage without beginMessage');
    this.buffer.writeInt32BE(this.offset - this.messageStart, this.messageStart);
    this.messageStart = -1;
    return this;
  }

  uint8(value: number): this {
    this.ensure(1);
    this.buffer.writeUInt8(value, this.offset);
    this.offset += 1;
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.buffer.writeInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.buffer.writeUInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  cstring(value: string): this {
    const text = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
    const length = Buffer.byteLength(text, 'utf8');
    this.ensure(length + 1);
    this.buffer.write(text, this.offset, 'utf8');
    this.offset += length;
    this.buffer[this.offset] = 0;
    this.offset += 1;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  /** The bytes written so far (a view; the writer must not be reused afterwards). */
  finish(): Buffer {
    assert(this.messageStart < 0, 'ByteWriter.finish inside a message');
    return this.buffer.subarray(0, this.offset);
  }

  private ensure(extra: number): void {
    const needed = this.offset + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}
