/**
 * Interim casts between the built-in types with PostgreSQL's pg_cast contexts (implicit,
 * assignment, explicit) and the typmod coercions of varchar(n), char(n) and numeric(p,s).
 * Stands in for src/sql/types until it lands.
 * Exports: CastContext, CastFunction, findCast, canCoerceImplicitly, applyTypmod.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import { Numeric } from '../../types/numeric.js';
import type { PgArray } from '../../types/value.js';
import { makeArray } from './arrays.js';
import { textIn, textOut } from './text-io.js';
import { elementTypeOf, TypeOid } from './type-ids.js';

export type CastContext = 'implicit' | 'assignment' | 'explicit';
export type CastFunction = (value: Value) => Value;

const rank: Record<number, number> = {
  [TypeOid.int2]: 1,
  [TypeOid.int4]: 2,
  [TypeOid.int8]: 3,
  [TypeOid.numeric]: 4,
  [TypeOid.float4]: 5,
  [TypeOid.float8]: 6,
};
const stringTypes = new Set<Oid>([TypeOid.text, TypeOid.varchar, TypeOid.bpchar, TypeOid.name]);

function outOfRange(typeOid: Oid): KeelError {
  const name = typeOid === TypeOid.int2 ? 'smallint' : typeOid === TypeOid.int8 ? 'bigint' : 'integer';
  return new KeelError(SqlState.NumericValueOutOfRange, `${name} out of range`);
}

const limits: Record<number, [number, number]> = {
  [TypeOid.int2]: [-32768, 32767],
  [TypeOid.int4]: [-2147483648, 2147483647],
};

/** Rounds half to even, as rint() does for float -> int casts. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function toInt(target: Oid): CastFunction {
  return (v) => {
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else if (v instanceof Numeric) {
      if (target === TypeOid.int8) return v.toBigInt();
      return v.toInt(target === TypeOid.int2 ? 'smallint' : 'integer');
    } else {
      const x = v as number;
      if (!Number.isFinite(x)) throw outOfRange(target);
      const r = rint(x);
      if (Math.abs(r) > 9.3e18) throw outOfRange(target);
      n = BigInt(r);
    }
    if (target === TypeOid.int8) {
      if (n < -9223372036854775808n || n > 9223372036854775807n) throw outOfRange(target);
      return n;
    }
    const [lo, hi] = limits[target] ?? [0, 0];
    const num = Number(n);
    if (num < lo || num > hi) throw outOfRange(target);
    return num;
  };
}

function toNumeric(from: Oid): CastFunction {
  if (from === TypeOid.float4) return (v) => Numeric.fromFloat(v as number, 6);
  if (from === TypeOid.float8) return (v) => Numeric.fromFloat(v as number, 15);
  return (v) => Numeric.fromInt(v as number | bigint);
}

function toFloat(target: Oid): CastFunction {
  return (v) => {
    const x = v instanceof Numeric ? v.toFloat(target === TypeOid.float4) : Number(v);
    return target === TypeOid.float4 ? Math.fround(x) : x;
  };
}

function numericCast(from: Oid, to: Oid): CastFunction {
  if (to === TypeOid.int2 || to === TypeOid.int4 || to === TypeOid.int8) {
    if (from === TypeOid.int2 || from === TypeOid.int4)
      return to === TypeOid.int8 ? (v) => BigInt(v as number) : toInt(to);
    return toInt(to);
  }
  if (to === TypeOid.numeric) return toNumeric(from);
  return toFloat(to);
}

function numericContext(from: Oid, to: Oid): CastContext {
  return (rank[from] ?? 0) < (rank[to] ?? 0) ? 'implicit' : 'assignment';
}

const allowed: Record<CastContext, CastContext[]> = {
  implicit: ['implicit'],
  assignment: ['implicit', 'assignment'],
  explicit: ['implicit', 'assignment', 'explicit'],
};

interface CastEntry {
  context: CastContext;
  fn: CastFunction;
}

const identity: CastFunction = (v) => v;

function dateTimeCast(from: Oid, to: Oid): CastEntry | null {
  const micros = 86_400_000_000n;
  if (from === TypeOid.date && (to === TypeOid.timestamp || to === TypeOid.timestamptz)) {
    return { context: 'implicit', fn: (v) => BigInt(v as number) * micros };
  }
  if ((from === TypeOid.timestamp || from === TypeOid.timestamptz) && to === TypeOid.date) {
    return {
      context: 'assignment',
      fn: (v) => {
        const t = v as bigint;
        const d = t / micros - (t % micros < 0n ? 1n : 0n);
        return Number(d);
      },
    };
  }
  if (from === TypeOid.timestamp && to === TypeOid.timestamptz) return { context: 'implicit', fn: identity };
  if (from === TypeOid.timestamptz && to === TypeOid.timestamp)
    return { context: 'assignment', fn: identity };
  return null;
}

function viaText(from: Oid, to: Oid): CastEntry {
  const toText = stringTypes.has(to);
  const fn: CastFunction = toText
    ? (v) => textOut(from, v)
    : (v) => textIn(to, stringTypes.has(from) ? String(v) : textOut(from, v));
  return { context: toText ? 'assignment' : 'explicit', fn };
}

function lookupCast(from: Oid, to: Oid): CastEntry | null {
  if (from === to) return { context: 'implicit', fn: identity };
  if (from === TypeOid.unknown) return { context: 'implicit', fn: (v) => textIn(to, String(v)) };
  if (rank[from] !== undefined && rank[to] !== undefined)
    return { context: numericContext(from, to), fn: numericCast(from, to) };
  if (stringTypes.has(from) && stringTypes.has(to)) {
    return {
      context: 'implicit',
      fn: from === TypeOid.bpchar ? (v) => (v as string).replace(/ +$/, '') : identity,
    };
  }
  if (from === TypeOid.int4 && to === TypeOid.bool) return { context: 'explicit', fn: (v) => v !== 0 };
  if (from === TypeOid.bool && to === TypeOid.int4) return { context: 'explicit', fn: (v) => (v ? 1 : 0) };
  if (
    (from === TypeOid.oid || from === TypeOid.regclass) &&
    (to === TypeOid.oid || to === TypeOid.regclass || to === TypeOid.int8)
  ) {
    return { context: 'implicit', fn: to === TypeOid.int8 ? (v) => BigInt(v as number) : identity };
  }
  if (from === TypeOid.int4 && (to === TypeOid.oid || to === TypeOid.regclass))
    return { context: 'implicit', fn: identity };
  const dt = dateTimeCast(from, to);
  if (dt !== null) return dt;
  if (from === TypeOid.json && to === TypeOid.jsonb) return { context: 'assignment', fn: identity };
  if (from === TypeOid.jsonb && to === TypeOid.json) return { context: 'explicit', fn: identity };
  const fe = elementTypeOf(from);
  const te = elementTypeOf(to);
  if (fe !== null && te !== null) {
    const inner = lookupCast(fe, te);
    if (inner === null) return null;
    return {
      context: inner.context,
      fn: (v) => {
        const a = v as PgArray;
        return {
          ...makeArray(
            te,
            a.values.map((x) => (x === null ? null : inner.fn(x))),
          ),
          dims: a.dims,
        };
      },
    };
  }
  if (from === TypeOid.record || to === TypeOid.record) return null;
  if (stringTypes.has(from) || stringTypes.has(to)) return viaText(from, to);
  return null;
}

/** The function converting `from` to `to` in the given context, or null when there is no such cast. */
export function findCast(from: Oid, to: Oid, context: CastContext): CastFunction | null {
  const entry = lookupCast(from, to);
  if (entry === null || !allowed[context].includes(entry.context)) return null;
  return entry.fn;
}

export function canCoerceImplicitly(from: Oid, to: Oid): boolean {
  if (to === TypeOid.anyelement) return true;
  if (to === TypeOid.anyarray) return from === TypeOid.unknown || elementTypeOf(from) !== null;
  return findCast(from, to, 'implicit') !== null;
}

function charTypmod(typeOid: Oid, v: string, typmod: number, explicit: boolean): string {
  const max = typmod - 4;
  const chars = [...v];
  if (chars.length > max) {
    if (!explicit && chars.slice(max).some((c) => c !== ' ')) {
      const name = typeOid === TypeOid.varchar ? 'character varying' : 'character';
      throw new KeelError(SqlState.StringDataRightTruncation, `value too long for type ${name}(${max})`);
    }
    return chars.slice(0, max).join('');
  }
  return typeOid === TypeOid.bpchar ? v.padEnd(max, ' ') : v;
}

/** Applies a column's type modifier to a value of its type (length checks, numeric rounding). */
export function applyTypmod(typeOid: Oid, typmod: number, value: Value, explicit: boolean): Value {
  if (value === null || typmod < 0) return value;
  if (typeOid === TypeOid.numeric) return (value as Numeric).applyTypmod(typmod);
  if (typeOid === TypeOid.varchar || typeOid === TypeOid.bpchar) {
    return charTypmod(typeOid, value as string, typmod, explicit);
  }
  return value;
}
