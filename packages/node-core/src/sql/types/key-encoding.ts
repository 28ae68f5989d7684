/**
 * Order-preserving key encoding for B-tree keys: bytewise comparison (memcmp, shorter prefix
 * first) of two encoded keys gives the same order as comparing the values column by column with
 * `comparatorFor`, under each column's ASC/DESC and NULLS FIRST/LAST. A composite key is the
 * concatenation of its columns' encodings, and every column encoding is self-delimiting, so a
 * prefix of the columns is a byte prefix of the key (prefix scans work).
 *
 * Per column: one marker byte (NULL before or after values, never inverted), then the value;
 * DESC inverts the value's bytes. Values:
 * - integers of every width (and oids): 8-byte big-endian with the sign bit flipped, so int2,
 *   int4 and int8 keys compare across widths;
 * - floats: IEEE bits made monotonic (positive: flip sign; negative: invert), -0 as 0, NaN last;
 * - numeric: a sign/class byte, the decimal exponent, then two decimal digits per byte and a
 *   terminator (-Infinity < negatives < 0 < positives < Infinity < NaN; 1.0 and 1.00 encode alike);
 * - strings and bytea: bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01;
 *   bpchar drops trailing spaces first;
 * - date int32, time/timestamp int64 (sign-flipped); interval its total length as 16 bytes;
 * - uuid 16 raw bytes; bool one byte; jsonb and arrays recursively in their sort order.
 * Lossy on purpose (equal values encode alike): numeric scale, bpchar padding, float -0.
 * Exports: KeyColumn, encodeKey, encodeKeyValue, keyComparatorBytes.
 */
import { ByteWriter } from './byte-writer.js';
import { trimTrailingSpaces } from './compare.js';
import { intervalSpanMicros } from './datetime/interval-io.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import { elementTypeOf } from './type-registry.js';
import { type Interval, type Jsonb, type JsonbObject, JsonNull, type PgArray, type Value } from './value.js';

export interface KeyColumn {
  type: TypeOid;
  descending?: boolean;
  /** Default as in PostgreSQL: NULLS LAST for ASC, NULLS FIRST for DESC. */
  nullsFirst?: boolean;
}

const nullFirstMarker = 0x00;
const valueMarker = 0x01;
const nullLastMarker = 0x02;

/** Appends one column's encoding of `value` to `w`. */
export function encodeKeyValue(w: ByteWriter, value: Value, column: KeyColumn): void {
  const descending = column.descending === true;
  const nullsFirst = column.nullsFirst ?? descending;
  if (value === null) {
    w.u8(nullsFirst ? nullFirstMarker : nullLastMarker);
    return;
  }
  w.u8(valueMarker);
  const start = w.length;
  encodeValue(w, column.type, value);
  if (descending) {
    const bytes = w.bytes;
    for (let i = start; i < w.length; i++) bytes[i] = ~(bytes[i] ?? 0) & 0xff;
  }
}

/** One writer reused by every call: encoding is synchronous and `finish` copies the bytes out. */
const shared = new ByteWriter(256);

/** Encodes a composite key. */
export function encodeKey(values: readonly Value[], columns: readonly KeyColumn[], w = shared): Uint8Array {
  w.reset();
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    if (column === undefined) break;
    encodeKeyValue(w, values[i] ?? null, column);
  }
  return w.finish();
}

/** memcmp order of two keys (what the B-tree uses). */
export function keyComparatorBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

const signBit = 0x8000000000000000n;
const mask64 = 0xffffffffffffffffn;

function encodeValue(w: ByteWriter, oid: TypeOid, value: Value): void {
  switch (oid) {
    case Oids.bool:
      w.u8(value ? 1 : 0);
      return;
    case Oids.int2:
    case Oids.int4:
    case Oids.oid:
    case Oids.regclass:
    case Oids.regtype:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
    case Oids.time:
      encodeSafeInteger(w, value as number);
      return;
    case Oids.int8:
    case Oids.timestamp:
    case Oids.timestamptz:
      w.u64be(BigInt.asUintN(64, value as bigint) ^ signBit);
      return;
    case Oids.date:
      encodeDate(w, value as number);
      return;
    case Oids.float4:
    case Oids.float8:
      encodeFloat(w, value as number);
      return;
    case Oids.numeric:
      encodeNumeric(w, value as Numeric);
      return;
    default:
      encodeOther(w, oid, value);
  }
}

function encodeOther(w: ByteWriter, oid: TypeOid, value: Value): void {
  switch (oid) {
    case Oids.text:
    case Oids.varchar:
    case Oids.name:
    case Oids.char:
    case Oids.unknown:
    case Oids.json:
      encodeString(w, value as string);
      return;
    case Oids.bpchar:
      encodeString(w, trimTrailingSpaces(value as string));
      return;
    case Oids.bytea:
      encodeBytes(w, value as Uint8Array);
      return;
    case Oids.uuid:
      w.raw(Buffer.from((value as string).replace(/-/g, ''), 'hex'));
      return;
    case Oids.interval: {
      const span = BigInt.asUintN(128, intervalSpanMicros(value as Interval)) ^ (1n << 127n);
      w.u64be(span >> 64n);
      w.u64be(span & mask64);
      return;
    }
    case Oids.jsonb:
      encodeJsonb(w, value as Jsonb, true);
      return;
    default:
      encodeArray(w, oid, value as PgArray);
  }
}

/** A safe integer as a sign-flipped 64-bit big-endian value, without BigInt. */
function encodeSafeInteger(w: ByteWriter, v: number): void {
  const hi = Math.floor(v / 4294967296);
  w.u32be((hi ^ 0x80000000) >>> 0);
  w.u32be(v - hi * 4294967296);
}

function encodeDate(w: ByteWriter, days: number): void {
  const v =
    days === Number.POSITIVE_INFINITY ? 2147483647 : days === Number.NEGATIVE_INFINITY ? -2147483648 : days;
  w.u32be((v ^ 0x80000000) >>> 0);
}

const floatView = new DataView(new ArrayBuffer(8));

function encodeFloat(w: ByteWriter, x: number): void {
  if (Number.isNaN(x)) {
    w.u64be(mask64);
    return;
  }
  floatView.setFloat64(0, x === 0 ? 0 : x);
  const bits = floatView.getBigUint64(0);
  w.u64be(bits & signBit ? ~bits & mask64 : bits ^ signBit);
}

/** A string's UTF-8 written in place, then escaped like encodeBytes when it holds a NUL (rare). */
function encodeString(w: ByteWriter, s: string): void {
  const start = w.length;
  w.utf8(s);
  const end = w.length;
  for (let i = start; i < end; i++) {
    if (w.bytes[i] === 0) {
      const copy = w.bytes.slice(start, end);
      w.length = start;
      encodeBytes(w, copy);
      return;
    }
  }
  w.u8(0);
  w.u8(1);
}

function encodeBytes(w: ByteWriter, bytes: Uint8Array): void {
  w.ensure(bytes.length + 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0) {
      w.u8(0);
      w.u8(0xff);
    } else {
      w.bytes[w.length++] = b;
    }
  }
  w.u8(0);
  w.u8(1);
}

/**
 * Numeric classes: 0x01 -Infinity, 0x02 negative, 0x03 zero, 0x04 positive, 0x05 Infinity, 0x06 NaN.
 * Finite nonzero: exponent as a sign-flipped int32, digits two per byte (value 1 + 10*d1 + d2,
 * so 1..100), terminator 0; for negatives the exponent and digit bytes are inverted.
 */
function encodeNumeric(w: ByteWriter, n: Numeric): void {
  if (!n.isFinite() || n.isZero()) {
    w.u8(n.isNaN() ? 0x06 : n.isZero() ? 0x03 : n.sign() > 0 ? 0x05 : 0x01);
    return;
  }
  const negative = n.sign() < 0;
  w.u8(negative ? 0x02 : 0x04);
  const start = w.length;
  const d = n.dec;
  w.u32be(((d.e + 1) ^ 0x80000000) >>> 0);
  const digits = d.abs().toFixed().replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  for (let i = 0; i < digits.length; i += 2) {
    const hi = digits.charCodeAt(i) - 48;
    const lo = i + 1 < digits.length ? digits.charCodeAt(i + 1) - 48 : 0;
    w.u8(1 + hi * 10 + lo);
  }
  w.u8(0);
  if (negative) {
    for (let i = start; i < w.length; i++) w.bytes[i] = ~(w.bytes[i] ?? 0) & 0xff;
  }
}

/** jsonb order: top-level [] < null < string < number < boolean < array < object. */
function encodeJsonb(w: ByteWriter, v: Jsonb, topLevel: boolean): void {
  if (Array.isArray(v)) {
    if (topLevel && v.length === 0) {
      w.u8(0x00);
      return;
    }
    w.u8(0x50);
    w.u32be(v.length);
    for (const item of v) encodeJsonb(w, item, false);
  } else if (v === JsonNull) {
    w.u8(0x10);
  } else if (typeof v === 'string') {
    w.u8(0x20);
    encodeString(w, v);
  } else if (v instanceof Numeric) {
    w.u8(0x30);
    encodeNumeric(w, v);
  } else if (typeof v === 'boolean') {
    w.u8(v ? 0x41 : 0x40);
  } else {
    encodeJsonbObject(w, v);
  }
}

function encodeJsonbObject(w: ByteWriter, v: JsonbObject): void {
  w.u8(0x60);
  w.u32be(v.keys.length);
  for (let i = 0; i < v.keys.length; i++) {
    encodeString(w, v.keys[i] ?? '');
    encodeJsonb(w, v.values[i] ?? JsonNull, false);
  }
}

/** Elements in order (present 0x01 + value, NULL 0x02), end 0x00, then the dimensions. */
function encodeArray(w: ByteWriter, oid: TypeOid, array: PgArray): void {
  const element = elementTypeOf(oid) || array.elementType;
  for (const v of array.values) {
    if (v === null) {
      w.u8(0x02);
      continue;
    }
    w.u8(0x01);
    encodeValue(w, element, v);
  }
  w.u8(0x00);
  w.u8(array.dims.length);
  for (const d of array.dims) {
    w.u32be(d.length);
    w.u32be((d.lowerBound ^ 0x80000000) >>> 0);
  }
}
