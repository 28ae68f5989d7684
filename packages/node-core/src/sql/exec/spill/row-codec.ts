/**
 * Rows to text and back for spill files: one JSON line per row, with tagged encodings for the
 * values JSON cannot carry (bigint, Numeric, NaN/Infinity/-0, bytea, interval, arrays, records,
 * jsonb objects and JSON null).
 * Exports: encodeRow, decodeRow, estimateRowBytes.
 */
import type { Row, Value } from '../../../access/table-access.js';
import { Numeric } from '../../types/numeric.js';
import { JsonbObject, JsonNull } from '../../types/value.js';

type Encoded = null | boolean | string | number | Encoded[] | { [k: string]: Encoded };

function encode(v: Value): Encoded {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { f: String(Object.is(v, -0) ? '-0' : v) };
    case 'bigint':
      return { b: v.toString() };
    case 'symbol':
      return { jn: 1 };
    default:
      return encodeObject(v);
  }
}

function encodeObject(v: object): Encoded {
  if (v instanceof Numeric) return { n: v.toString() };
  if (v instanceof Uint8Array) return { x: Buffer.from(v).toString('hex') };
  if (v instanceof JsonbObject) return { jo: v.keys, jv: v.values.map(encode) };
  if (Array.isArray(v)) return { l: v.map(encode) };
  if ('elementType' in v) {
    const a = v as { elementType: number; dims: { length: number; lowerBound: number }[]; values: Value[] };
    return { a: a.elementType, d: a.dims.map((d) => [d.length, d.lowerBound]), v: a.values.map(encode) };
  }
  if ('kind' in v) {
    const r = v as unknown as { types: number[]; values: Value[]; names?: string[] };
    return { r: r.types, v: r.values.map(encode), ...(r.names === undefined ? {} : { nm: r.names }) };
  }
  const i = v as { months: number; days: number; micros: bigint };
  return { i: [i.months, i.days, i.micros.toString()] };
}

function decode(e: Encoded): Value {
  if (e === null || typeof e !== 'object') return e;
  if (Array.isArray(e)) return e.map(decode);
  if ('f' in e) return Number(e.f);
  if ('b' in e) return BigInt(String(e.b));
  if ('jn' in e) return JsonNull;
  if ('n' in e) return Numeric.parse(String(e.n));
  if ('x' in e) return Uint8Array.from(Buffer.from(String(e.x), 'hex'));
  if ('jo' in e) return new JsonbObject(e.jo as string[], (e.jv as Encoded[]).map(decode) as never[]);
  if ('l' in e) return (e.l as Encoded[]).map(decode);
  if ('a' in e) {
    const dims = (e.d as number[][]).map(([length, lowerBound]) => ({
      length: length ?? 0,
      lowerBound: lowerBound ?? 1,
    }));
    return { elementType: e.a, dims, values: (e.v as Encoded[]).map(decode) };
  }
  if ('r' in e)
    return {
      kind: 'record',
      types: e.r,
      values: (e.v as Encoded[]).map(decode),
      ...(e.nm === undefined ? {} : { names: e.nm }),
    };
  const [months, days, micros] = e.i as [number, number, string];
  return { months, days, micros: BigInt(micros) };
}

export function encodeRow(row: Row): string {
  return JSON.stringify(row.map(encode));
}

export function decodeRow(line: string): Row {
  return (JSON.parse(line) as Encoded[]).map(decode);
}

/** A rough in-memory size of a row, for work_mem accounting. */
export function estimateRowBytes(row: Row): number {
  let bytes = 24 + row.length * 8;
  for (const v of row) {
    if (typeof v === 'string') bytes += 2 * v.length;
    else if (typeof v === 'object' && v !== null) bytes += 48;
  }
  return bytes;
}
