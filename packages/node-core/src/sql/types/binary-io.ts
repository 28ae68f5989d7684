/**
 * Binary I/O (typsend/typreceive): the wire protocol's binary format for parameters and
 * results. Layouts are PostgreSQL's: integers and floats big-endian; numeric as ndigits, weight,
 * sign, dscale and base-10000 digits; date int32 days and time/timestamp int64 microseconds
 * since 2000 (infinities as int min/max); interval int64 µs, int32 days, int32 months; uuid 16
 * bytes; jsonb a version byte (1) and the text; arrays ndim, has-null flag, element oid,
 * (length, lower bound) per dimension, then each element length-prefixed (-1 for NULL).
 * Malformed input is 22P03.
 * Exports: sendBinary, receiveBinary.
 */
import { Decimal } from 'decimal.js';
import { ByteReader, ByteWriter, utf8Decoder } from './byte-writer.js';
import { invalidBinary } from './errors.js';
import { formatJsonb, parseJsonb, validateJson } from './json-io.js';
import { Dec, Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import { elementTypeOf, formatType } from './type-registry.js';
import type { Interval, Jsonb, PgArray, Value } from './value.js';

const int32Max = 2147483647;
const int32Min = -2147483648;

/** One writer reused by every call: encoding is synchronous and `finish` copies the bytes out. */
const shared = new ByteWriter(256);

/** Binary output of a non-null value. */
export function sendBinary(oid: TypeOid, value: Value): Uint8Array {
  shared.reset();
  writeBinary(shared, oid, value);
  return shared.finish();
}

function writeBinary(w: ByteWriter, oid: TypeOid, value: Value): void {
  switch (oid) {
    case Oids.bool:
      w.u8(value ? 1 : 0);
      return;
    case Oids.int2:
      w.i16be(value as number);
      return;
    case Oids.int4:
      w.i32be(value as number);
      return;
    case Oids.oid:
    case Oids.regclass:
    case Oids.regtype:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
      w.u32be(value as number);
      return;
    case Oids.int8:
    case Oids.timestamp:
    case Oids.timestamptz:
      w.i64be(value as bigint);
      return;
    case Oids.float4:
      w.f32be(value as number);
      return;
    case Oids.float8:
      w.f64be(value as number);
      return;
    case Oids.numeric:
      writeNumeric(w, value as Numeric);
      return;
    default:
      writeOther(w, oid, value);
  }
}

function writeOther(w: ByteWriter, oid: TypeOid, value: Value): void {
  switch (oid) {
    case Oids.text:
    case Oids.varchar:
    case Oids.bpchar:
    case Oids.name:
    case Oids.json:
    case Oids.unknown:
      w.utf8(value as string);
      return;
    case Oids.char:
      w.u8((value as string).charCodeAt(0) || 0);
      return;
    case Oids.bytea:
      w.raw(value as Uint8Array);
      return;
    case Oids.uuid:
      w.raw(Buffer.from((value as string).replace(/-/g, ''), 'hex'));
      return;
    case Oids.date:
      w.i32be(dateToInt(value as number));
      return;
    case Oids.time:
      w.i64be(BigInt(value as number));
      return;
    case Oids.interval: {
      const iv = value as Interval;
      w.i64be(iv.micros);
      w.i32be(iv.days);
      w.i32be(iv.months);
      return;
    }
    case Oids.jsonb:
      w.u8(1);
      w.utf8(formatJsonb(value as Jsonb));
      return;
    default:
      writeArray(w, oid, value as PgArray);
  }
}

function dateToInt(days: number): number {
  if (days === Number.POSITIVE_INFINITY) return int32Max;
  if (days === Number.NEGATIVE_INFINITY) return int32Min;
  return days;
}

function writeArray(w: ByteWriter, oid: TypeOid, array: PgArray): void {
  const element = elementTypeOf(oid) || array.elementType;
  w.i32be(array.dims.length);
  w.i32be(array.values.some((v) => v === null) ? 1 : 0);
  w.u32be(element);
  for (const d of array.dims) {
    w.i32be(d.length);
    w.i32be(d.lowerBound);
  }
  for (const v of array.values) {
    if (v === null) {
      w.i32be(-1);
      continue;
    }
    const at = w.length;
    w.i32be(0);
    writeBinary(w, element, v);
    w.view.setInt32(at, w.length - at - 4);
  }
}

/** PostgreSQL's numeric send format. */
function writeNumeric(w: ByteWriter, n: Numeric): void {
  if (!n.isFinite()) {
    const header = n.isNaN() ? 0xc000 : n.sign() > 0 ? 0xd000 : 0xf000;
    w.i16be(0);
    w.i16be(0);
    w.u16be(header);
    // PostgreSQL sends the dscale bits of the special value's header: 0 for NaN, 32 for the infinities.
    w.i16be((header & 0x1f80) >> 7);
    return;
  }
  const { digits, weight } = base10000Digits(n);
  w.i16be(digits.length);
  w.i16be(weight);
  w.u16be(n.sign() < 0 ? 0x4000 : 0);
  w.i16be(n.dscale);
  for (const d of digits) w.i16be(d);
}

/** Base-10000 digits (no leading or trailing zero groups) and the weight of the first. */
export function base10000Digits(n: Numeric): { digits: number[]; weight: number } {
  if (n.isZero()) return { digits: [], weight: 0 };
  const text = n.dec.abs().toFixed();
  const point = text.indexOf('.');
  const intPart = point < 0 ? text : text.slice(0, point);
  const fracPart = point < 0 ? '' : text.slice(point + 1);
  const intPadded = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  const fracPadded = fracPart.padEnd(Math.ceil(fracPart.length / 4) * 4, '0');
  const groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  let weight = intPadded.length / 4 - 1;
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  return { digits: groups.slice(start, end), weight };
}

/** Binary input; `bytes` is exactly the value's bytes. */
export function receiveBinary(oid: TypeOid, bytes: Uint8Array, typmod = -1): Value {
  const r = new ByteReader(bytes);
  const value = readBinary(r, oid, bytes.length, typmod);
  if (r.pos !== bytes.length) throw invalidBinary('incorrect binary data format');
  return value;
}

function need(r: ByteReader, n: number): void {
  if (r.remaining() < n) throw invalidBinary('insufficient data left in message');
}

function readBinary(r: ByteReader, oid: TypeOid, length: number, typmod: number): Value {
  switch (oid) {
    case Oids.bool:
      need(r, 1);
      return r.u8() !== 0;
    case Oids.int2:
      need(r, 2);
      return r.i16be();
    case Oids.int4:
      need(r, 4);
      return r.i32be();
    case Oids.oid:
    case Oids.regclass:
    case Oids.regtype:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
      need(r, 4);
      return r.u32be();
    case Oids.int8:
    case Oids.timestamp:
    case Oids.timestamptz:
      need(r, 8);
      return r.i64be();
    case Oids.float4:
      need(r, 4);
      return r.f32be();
    case Oids.float8:
      need(r, 8);
      return r.f64be();
    case Oids.numeric:
      return readNumeric(r, typmod);
    default:
      return readOther(r, oid, length, typmod);
  }
}

function readOther(r: ByteReader, oid: TypeOid, length: number, typmod: number): Value {
  switch (oid) {
    case Oids.text:
    case Oids.varchar:
    case Oids.bpchar:
    case Oids.name:
    case Oids.unknown:
      return readUtf8(r, length);
    case Oids.json:
      return validateJson(readUtf8(r, length));
    case Oids.char:
      return length === 0 ? '' : String.fromCharCode(r.u8());
    case Oids.bytea:
      return r.take(length).slice();
    case Oids.uuid:
      if (length !== 16) throw invalidBinary(`invalid length in external "uuid" value`);
      return formatUuidBytes(r.take(16));
    case Oids.date: {
      need(r, 4);
      const d = r.i32be();
      return d === int32Max ? Number.POSITIVE_INFINITY : d === int32Min ? Number.NEGATIVE_INFINITY : d;
    }
    case Oids.time:
      need(r, 8);
      return Number(r.i64be());
    case Oids.interval: {
      need(r, 16);
      const micros = r.i64be();
      const days = r.i32be();
      return { months: r.i32be(), days, micros };
    }
    case Oids.jsonb: {
      need(r, 1);
      const version = r.u8();
      if (version !== 1) throw invalidBinary(`unsupported jsonb version number ${version}`);
      return parseJsonb(readUtf8(r, length - 1));
    }
    default:
      return readArray(r, oid, typmod);
  }
}

function readUtf8(r: ByteReader, length: number): string {
  const bytes = r.take(length);
  const text = utf8Decoder.decode(bytes);
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) {
    throw invalidBinary('invalid byte sequence for encoding "UTF8"');
  }
  return text;
}

function formatUuidBytes(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function readNumeric(r: ByteReader, typmod: number): Numeric {
  need(r, 8);
  const ndigits = r.i16be();
  const weight = r.i16be();
  const sign = r.u16be();
  const dscale = r.i16be();
  if (sign === 0xc000) return Numeric.NaN;
  if (sign === 0xd000) return Numeric.Infinity;
  if (sign === 0xf000) return Numeric.NegativeInfinity;
  if (sign !== 0 && sign !== 0x4000) throw invalidBinary('invalid sign in external "numeric" value');
  if (dscale < 0 || dscale > 16383) throw invalidBinary('invalid scale in external "numeric" value');
  if (ndigits < 0) throw invalidBinary('invalid length in external "numeric" value');
  need(r, ndigits * 2);
  let d = new Dec(0);
  for (let i = 0; i < ndigits; i++) {
    const digit = r.i16be();
    if (digit < 0 || digit >= 10000) throw invalidBinary('invalid digit in external "numeric" value');
    d = d.plus(new Dec(digit).times(new Dec(10000).pow(weight - i)));
  }
  if (sign === 0x4000) d = d.neg();
  const value = Numeric.of(d.toDecimalPlaces(dscale, Decimal.ROUND_HALF_UP), dscale);
  return typmod >= 0 ? value.applyTypmod(typmod) : value;
}

function readArray(r: ByteReader, oid: TypeOid, typmod: number): PgArray {
  const element = elementTypeOf(oid);
  if (element === 0) throw invalidBinary(`binary input of type ${formatType(oid)} is not supported`);
  need(r, 12);
  const ndim = r.i32be();
  const flags = r.i32be();
  const elementOid = r.u32be();
  if (ndim < 0 || ndim > 6) throw invalidBinary(`invalid number of dimensions: ${ndim}`);
  if (flags !== 0 && flags !== 1) throw invalidBinary('invalid array flags');
  if (elementOid !== element) throw invalidBinary('wrong element type');
  const dims = [];
  let count = ndim === 0 ? 0 : 1;
  for (let i = 0; i < ndim; i++) {
    need(r, 8);
    const length = r.i32be();
    const lowerBound = r.i32be();
    if (length < 0) throw invalidBinary('invalid array dimensions');
    dims.push({ length, lowerBound });
    count *= length;
  }
  const values: Value[] = [];
  for (let i = 0; i < count; i++) {
    need(r, 4);
    const len = r.i32be();
    if (len === -1) {
      values.push(null);
      continue;
    }
    need(r, len);
    const sub = new ByteReader(r.bytes, r.pos, r.pos + len);
    values.push(readBinary(sub, element, len, typmod));
    if (sub.pos !== r.pos + len) throw invalidBinary('improper binary format in array element');
    r.pos += len;
  }
  return { elementType: element, dims: count === 0 ? [] : dims, values };
}
