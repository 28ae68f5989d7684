/**
 * Heap tuple encoding: a row of values to bytes and back, on the hot path of every scan and
 * write. Layout: varint column count, a null bitmap (bit i set = column i is NULL), then each
 * non-null value in column order: fixed-width types little-endian at their natural width (bool 1,
 * int2 2, int4/oid/date 4, int8/timestamp 8, float4 4, float8/time 8, interval 16, uuid 16),
 * numeric as decimal.js's own digits (see writeNumeric), other variable-width types a varint byte
 * length and the bytes (text as UTF-8, jsonb as its text, arrays in the binary send format).
 *
 * A row stored before ALTER TABLE ADD COLUMN has fewer columns than the descriptor: decodeRow
 * returns the column's `missing` value (its fast default, or NULL) for those.
 * Exports: encodeRow, decodeRow, RowCodec.
 */
import { KeelError, SqlState } from '@keel/errors';
import { receiveBinary, sendBinary } from './binary-io.js';
import { ByteReader, ByteWriter } from './byte-writer.js';
import { formatJsonb, parseJsonb } from './json-io.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import type { Interval, Jsonb, PgArray, Value } from './value.js';

const int32Max = 2147483647;
const int32Min = -2147483648;

const shared = new ByteWriter(1024);

/** Encodes a row; `types[i]` is column i's type. */
export function encodeRow(values: readonly Value[], types: readonly TypeOid[]): Uint8Array {
  const w = shared;
  w.reset();
  const n = types.length;
  w.varint(n);
  const bitmapAt = w.length;
  const bitmapBytes = (n + 7) >> 3;
  w.ensure(bitmapBytes);
  w.bytes.fill(0, bitmapAt, bitmapAt + bitmapBytes);
  w.length += bitmapBytes;
  for (let i = 0; i < n; i++) {
    const v = values[i] ?? null;
    if (v === null) {
      w.bytes[bitmapAt + (i >> 3)] = (w.bytes[bitmapAt + (i >> 3)] ?? 0) | (1 << (i & 7));
      continue;
    }
    writeValue(w, types[i] ?? Oids.text, v);
  }
  return w.finish();
}

function writeValue(w: ByteWriter, oid: TypeOid, v: Value): void {
  switch (oid) {
    case Oids.bool:
      w.u8(v ? 1 : 0);
      return;
    case Oids.int2:
      w.i16le(v as number);
      return;
    case Oids.int4:
      w.i32le(v as number);
      return;
    case Oids.oid:
    case Oids.regclass:
    case Oids.regtype:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
      w.i32le((v as number) | 0);
      return;
    case Oids.date:
      w.i32le(
        v === Number.POSITIVE_INFINITY ? int32Max : v === Number.NEGATIVE_INFINITY ? int32Min : (v as number),
      );
      return;
    case Oids.int8:
    case Oids.timestamp:
    case Oids.timestamptz:
      w.i64le(v as bigint);
      return;
    case Oids.float4:
      w.f32le(v as number);
      return;
    case Oids.float8:
    case Oids.time:
      w.f64le(v as number);
      return;
    case Oids.text:
    case Oids.varchar:
    case Oids.bpchar:
    case Oids.name:
    case Oids.char:
    case Oids.json:
    case Oids.unknown:
      w.lengthPrefixedUtf8(v as string);
      return;
    default:
      writeOther(w, oid, v);
  }
}

function writeOther(w: ByteWriter, oid: TypeOid, v: Value): void {
  switch (oid) {
    case Oids.numeric:
      writeNumeric(w, v as Numeric);
      return;
    case Oids.bytea: {
      const b = v as Uint8Array;
      w.varint(b.length);
      w.raw(b);
      return;
    }
    case Oids.uuid:
      w.raw(Buffer.from((v as string).replace(/-/g, ''), 'hex'));
      return;
    case Oids.interval: {
      const iv = v as Interval;
      w.i32le(iv.months);
      w.i32le(iv.days);
      w.i64le(iv.micros);
      return;
    }
    case Oids.jsonb:
      w.lengthPrefixedUtf8(formatJsonb(v as Jsonb));
      return;
    default: {
      const b = sendBinary(oid, v as PgArray);
      w.varint(b.length);
      w.raw(b);
    }
  }
}

/**
 * Decodes a row. Columns past the stored count read as `missing[i]` (or NULL). With `columns`,
 * only those column indexes are decoded; the rest are NULL (their bytes are skipped).
 */
export function decodeRow(
  bytes: Uint8Array,
  types: readonly TypeOid[],
  missing?: readonly Value[],
  columns?: readonly number[],
): Value[] {
  const r = new ByteReader(bytes);
  const stored = r.varint();
  const bitmapAt = r.pos;
  r.pos += (stored + 7) >> 3;
  const n = types.length;
  const out: Value[] = new Array(n);
  const wanted = columns === undefined ? null : wantedSet(columns, n);
  for (let i = 0; i < n; i++) {
    if (i >= stored) {
      out[i] = missing?.[i] ?? null;
      continue;
    }
    if (((bytes[bitmapAt + (i >> 3)] ?? 0) >> (i & 7)) & 1) {
      out[i] = null;
      continue;
    }
    const oid = types[i] ?? Oids.text;
    if (wanted !== null && wanted[i] !== 1) {
      skipValue(r, oid);
      out[i] = null;
    } else {
      out[i] = readValue(r, oid);
    }
  }
  if (r.pos > bytes.length) throw new KeelError(SqlState.DataCorrupted, 'row data is truncated');
  return out;
}

function wantedSet(columns: readonly number[], n: number): Uint8Array {
  const set = new Uint8Array(n);
  for (const c of columns) if (c >= 0 && c < n) set[c] = 1;
  return set;
}

function readValue(r: ByteReader, oid: TypeOid): Value {
  switch (oid) {
    case Oids.bool:
      return r.u8() !== 0;
    case Oids.int2:
      return r.i16le();
    case Oids.int4:
      return r.i32le();
    case Oids.oid:
    case Oids.regclass:
    case Oids.regtype:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
      return r.i32le() >>> 0;
    case Oids.date: {
      const d = r.i32le();
      return d === int32Max ? Number.POSITIVE_INFINITY : d === int32Min ? Number.NEGATIVE_INFINITY : d;
    }
    case Oids.int8:
    case Oids.timestamp:
    case Oids.timestamptz:
      return r.i64le();
    case Oids.float4:
      return r.f32le();
    case Oids.float8:
    case Oids.time:
      return r.f64le();
    case Oids.text:
    case Oids.varchar:
    case Oids.bpchar:
    case Oids.name:
    case Oids.char:
    case Oids.json:
    case Oids.unknown:
      return r.utf8(r.varint());
    default:
      return readOther(r, oid);
  }
}

function readOther(r: ByteReader, oid: TypeOid): Value {
  switch (oid) {
    case Oids.numeric:
      return readNumeric(r);
    case Oids.bytea:
      return r.take(r.varint()).slice();
    case Oids.uuid: {
      const h = Buffer.from(r.take(16)).toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case Oids.interval: {
      const months = r.i32le();
      const days = r.i32le();
      return { months, days, micros: r.i64le() };
    }
    case Oids.jsonb:
      return parseJsonb(r.utf8(r.varint()));
    default:
      return receiveBinary(oid, r.take(r.varint()));
  }
}

const fixedWidths = new Map<TypeOid, number>([
  [Oids.bool, 1],
  [Oids.int2, 2],
  [Oids.int4, 4],
  [Oids.oid, 4],
  [Oids.regclass, 4],
  [Oids.regtype, 4],
  [Oids.regproc, 4],
  [Oids.regnamespace, 4],
  [Oids.regprocedure, 4],
  [Oids.regrole, 4],
  [Oids.date, 4],
  [Oids.float4, 4],
  [Oids.int8, 8],
  [Oids.timestamp, 8],
  [Oids.timestamptz, 8],
  [Oids.float8, 8],
  [Oids.time, 8],
  [Oids.uuid, 16],
  [Oids.interval, 16],
]);

/**
 * numeric: a class byte (0 positive, 1 negative, 2 NaN, 3 +Infinity, 4 -Infinity); finite values
 * then carry varint dscale, zigzag varint exponent, varint word count and the base-1e7 words.
 */
function writeNumeric(w: ByteWriter, n: Numeric): void {
  if (!n.isFinite()) {
    w.u8(n.isNaN() ? 2 : n.sign() > 0 ? 3 : 4);
    return;
  }
  const { sign, exponent, words } = n.storageParts();
  w.u8(sign < 0 ? 1 : 0);
  w.varint(n.dscale);
  w.varint(exponent >= 0 ? exponent * 2 : -exponent * 2 - 1);
  w.varint(words.length);
  for (const word of words) w.varint(word);
}

function readNumeric(r: ByteReader): Numeric {
  const kind = r.u8();
  if (kind === 2) return Numeric.NaN;
  if (kind === 3) return Numeric.Infinity;
  if (kind === 4) return Numeric.NegativeInfinity;
  const dscale = r.varint();
  const zigzag = r.varint();
  const exponent = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  const count = r.varint();
  const words: number[] = new Array(count);
  for (let i = 0; i < count; i++) words[i] = r.varint();
  return Numeric.fromStorage(kind === 1 ? -1 : 1, exponent, words, dscale);
}

function skipNumeric(r: ByteReader): void {
  const kind = r.u8();
  if (kind >= 2) return;
  r.varint();
  r.varint();
  const count = r.varint();
  for (let i = 0; i < count; i++) r.varint();
}

function skipValue(r: ByteReader, oid: TypeOid): void {
  if (oid === Oids.numeric) {
    skipNumeric(r);
    return;
  }
  const width = fixedWidths.get(oid);
  if (width !== undefined) {
    r.pos += width;
    return;
  }
  // Read the length first: `r.pos += r.varint()` would read pos before the varint advances it.
  const length = r.varint();
  r.pos += length;
}

/** A reusable codec for one descriptor (types and fast defaults fixed once). */
export class RowCodec {
  constructor(
    readonly types: readonly TypeOid[],
    readonly missing: readonly Value[] = [],
  ) {}

  encode(values: readonly Value[]): Uint8Array {
    return encodeRow(values, this.types);
  }

  decode(bytes: Uint8Array, columns?: readonly number[]): Value[] {
    return decodeRow(bytes, this.types, this.missing, columns);
  }
}
