/**
 * ByteWriter and ByteReader: a growable big-endian/little-endian byte buffer and its cursor,
 * shared by binary I/O, key encoding and row encoding. A writer is reusable (`reset`) so hot
 * paths allocate only when a row outgrows the buffer; `finish` copies the written bytes out.
 * Exports: ByteWriter, ByteReader, utf8Encoder, utf8Decoder.
 */
import { assert } from '@keel/errors';

export const utf8Encoder = new TextEncoder();
export const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

export class ByteWriter {
  bytes: Uint8Array;
  view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.length + n;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.length++] = v;
  }

  u16be(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }

  i16be(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.length, v);
    this.length += 2;
  }

  i32be(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
  }

  u32be(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  i64be(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.length, v);
    this.length += 8;
  }

  u64be(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
  }

  f32be(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.length, v);
    this.length += 4;
  }

  f64be(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
  }

  i16le(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
  }

  i32le(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }

  i64le(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.length, v, true);
    this.length += 8;
  }

  f32le(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }

  f64le(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Unsigned LEB128. */
  varint(v: number): void {
    assert(v >= 0 && Number.isSafeInteger(v), 'varint must be a non-negative safe integer');
    this.ensure(10);
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /** UTF-8 of `s` without a length prefix; ASCII is copied byte by byte (no encoder call). */
  utf8(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const start = this.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      this.bytes[start + i] = c;
    }
    if (i === n) {
      this.length = start + n;
      return;
    }
    const { written } = utf8Encoder.encodeInto(s, this.bytes.subarray(start));
    this.length = start + written;
  }

  /** Varint byte length, then UTF-8. ASCII strings take a copy-free fast path. */
  lengthPrefixedUtf8(s: string): void {
    const n = s.length;
    if (n < 128) {
      this.ensure(1 + n * 3);
      let i = 0;
      const start = this.length + 1;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.bytes[start + i] = c;
      }
      if (i === n) {
        this.bytes[this.length] = n;
        this.length = start + n;
        return;
      }
    }
    const encoded = utf8Encoder.encode(s);
    this.varint(encoded.length);
    this.raw(encoded);
  }
}

/** Scratch views for float and int64 reads (no per-row DataView allocation). */
const scratch = new ArrayBuffer(8);
const scratchBytes = new Uint8Array(scratch);
const scratchF64 = new Float64Array(scratch);
const scratchF32 = new Float32Array(scratch);
const scratchI64 = new BigInt64Array(scratch);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ByteReader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    return this.bytes[this.pos++] ?? 0;
  }

  private byte(i: number): number {
    return this.bytes[this.pos + i] ?? 0;
  }

  /** Copies `n` bytes into the scratch buffer in host order (`bigEndian` says how they are stored). */
  private load(n: number, bigEndian: boolean): void {
    const reverse = bigEndian === littleEndianHost;
    for (let i = 0; i < n; i++) scratchBytes[reverse ? n - 1 - i : i] = this.byte(i);
    this.pos += n;
  }

  i16be(): number {
    const v = ((this.byte(0) << 24) | (this.byte(1) << 16)) >> 16;
    this.pos += 2;
    return v;
  }

  u16be(): number {
    const v = (this.byte(0) << 8) | this.byte(1);
    this.pos += 2;
    return v;
  }

  i32be(): number {
    const v = (this.byte(0) << 24) | (this.byte(1) << 16) | (this.byte(2) << 8) | this.byte(3);
    this.pos += 4;
    return v;
  }

  u32be(): number {
    return this.i32be() >>> 0;
  }

  i64be(): bigint {
    this.load(8, true);
    return scratchI64[0] ?? 0n;
  }

  f32be(): number {
    this.load(4, true);
    return scratchF32[0] ?? 0;
  }

  f64be(): number {
    this.load(8, true);
    return scratchF64[0] ?? 0;
  }

  i16le(): number {
    const v = ((this.byte(1) << 24) | (this.byte(0) << 16)) >> 16;
    this.pos += 2;
    return v;
  }

  i32le(): number {
    const v = this.byte(0) | (this.byte(1) << 8) | (this.byte(2) << 16) | (this.byte(3) << 24);
    this.pos += 4;
    return v;
  }

  i64le(): bigint {
    this.load(8, false);
    return scratchI64[0] ?? 0n;
  }

  f32le(): number {
    this.load(4, false);
    return scratchF32[0] ?? 0;
  }

  f64le(): number {
    this.load(8, false);
    return scratchF64[0] ?? 0;
  }

  varint(): number {
    let result = 0;
    let factor = 1;
    for (;;) {
      const b = this.bytes[this.pos++] ?? 0;
      result += (b & 0x7f) * factor;
      if (b < 0x80) return result;
      factor *= 0x80;
    }
  }

  take(n: number): Uint8Array {
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` bytes of UTF-8; short ASCII decodes without TextDecoder. */
  utf8(n: number): string {
    const start = this.pos;
    this.pos += n;
    if (n < 64) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.bytes[i] ?? 0;
        if (c >= 0x80) return utf8Decoder.decode(this.bytes.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(this.bytes.subarray(start, start + n));
  }
}
