/**
 * ByteReader: a bounds-checked cursor over one complete message body. Reading past the end, a
 * string without its terminator or invalid UTF-8 is the client's fault, so each is a protocol
 * violation (a KeelError), never a RangeError from Buffer. Byte fields are returned as views
 * into the body, not copies.
 * Exports: ByteReader, decodeUtf8.
 */
import { isUtf8 } from 'node:buffer';
import { invalidEncoding, protocolViolation } from './protocol-violation.js';

export class ByteReader {
  private offset = 0;

  constructor(private readonly body: Buffer) {}

  get remaining(): number {
    return this.body.length - this.offset;
  }

  int8(): number {
    this.need(1);
    const value = this.body.readInt8(this.offset);
    this.offset += 1;
    return value;
  }

  int16(): number {
    this.need(2);
    const value = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  /** Counts are unsigned: PostgreSQL accepts up to 65535 parameters. */
  uint16(): number {
    this.need(2);
    const value = this.body.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.body.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0) throw protocolViolation('invalid string in message');
    const bytes = this.body.subarray(this.offset, end);
    this.offset = end + 1;
    return decodeUtf8(bytes);
  }

  bytes(length: number): Buffer {
    if (length < 0) throw protocolViolation('invalid message format', `negative length ${length}`);
    this.need(length);
    const view = this.body.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  /** Everything not read yet. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** A count prefix (unsigned Int16) followed by that many Int16 values, e.g. format codes. */
  int16Array(): number[] {
    const count = this.uint16();
    const values: number[] = [];
    for (let i = 0; i < count; i += 1) values.push(this.int16());
    return values;
  }

  /** The message must be consumed exactly: trailing bytes mean client and server disagree. */
  end(): void {
    if (this.remaining !== 0) throw protocolViolation('invalid message format', 'trailing bytes in message');
  }

  private need(length: number): void {
    if (this.remaining < length) throw protocolViolation('invalid message format', 'message too short');
  }
}

export function decodeUtf8(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw invalidEncoding();
  return bytes.toString('utf8');
}
