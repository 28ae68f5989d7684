/**
 * Type modifiers: varchar(n), char(n), numeric(p,s), time(p), timestamp(p), interval(p).
 * `applyTypmod` coerces a value to its column's modifier as PostgreSQL does on assignment
 * (22001 "value too long for type character varying(2)" unless the excess is spaces) and on an
 * explicit cast (silent truncation). `typmodFromArgs` turns `varchar(10)`'s arguments into the
 * stored typmod (PostgreSQL's encoding: n + 4 for strings, ((p << 16) | s) + 4 for numeric).
 * Exports: applyTypmod, typmodFromArgs, CoercionKind.
 */
import { KeelError, SqlState } from '@keel/errors';
import { makeNumericTypmod, type Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import { elementTypeOf, formatType } from './type-registry.js';
import { isPgArray, type Value } from './value.js';

/** Whether a length overflow raises (assignment, implicit) or truncates (explicit cast). */
export type CoercionKind = 'explicit' | 'assignment' | 'implicit';

export function applyTypmod(
  value: Value,
  oid: TypeOid,
  typmod: number,
  kind: CoercionKind = 'assignment',
): Value {
  if (value === null || typmod < 0) return value;
  switch (oid) {
    case Oids.varchar:
      return applyVarchar(value as string, typmod - 4, kind, oid);
    case Oids.bpchar:
      return applyBpchar(value as string, typmod - 4, kind);
    case Oids.numeric:
      return (value as Numeric).applyTypmod(typmod);
    case Oids.time:
      return Number(roundMicros(BigInt(value as number), typmod));
    case Oids.timestamp:
    case Oids.timestamptz:
      return roundTimestamp(value as bigint, typmod);
    default:
      return applyArrayTypmod(value, oid, typmod, kind);
  }
}

function applyArrayTypmod(value: Value, oid: TypeOid, typmod: number, kind: CoercionKind): Value {
  const element = elementTypeOf(oid);
  if (element === 0 || !isPgArray(value)) return value;
  return { ...value, values: value.values.map((v) => applyTypmod(v, element, typmod, kind)) };
}

function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

function sliceCodePoints(s: string, count: number): string {
  if (s.length <= count) return s;
  let i = 0;
  let taken = 0;
  while (i < s.length && taken < count) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    taken++;
  }
  return s.slice(0, i);
}

function tooLong(oid: TypeOid, length: number): KeelError {
  return new KeelError(
    SqlState.StringDataRightTruncation,
    `value too long for type ${formatType(oid, length + 4)}`,
  );
}

function applyVarchar(s: string, max: number, kind: CoercionKind, oid: TypeOid): string {
  if (s.length <= max || codePointLength(s) <= max) return s;
  const cut = sliceCodePoints(s, max);
  if (kind !== 'explicit' && /[^ ]/.test(s.slice(cut.length))) throw tooLong(oid, max);
  return cut;
}

function applyBpchar(s: string, length: number, kind: CoercionKind): string {
  const n = codePointLength(s);
  if (n === length) return s;
  if (n < length) return s + ' '.repeat(length - n);
  const cut = sliceCodePoints(s, length);
  if (kind !== 'explicit' && /[^ ]/.test(s.slice(cut.length))) throw tooLong(Oids.bpchar, length);
  return cut;
}

/** Rounds microseconds to `precision` fractional digits, half away from zero. */
function roundMicros(us: bigint, precision: number): bigint {
  if (precision >= 6) return us;
  const scale = 10n ** BigInt(6 - precision);
  const half = scale / 2n;
  return us >= 0n ? ((us + half) / scale) * scale : -(((-us + half) / scale) * scale);
}

function roundTimestamp(ts: bigint, precision: number): bigint {
  if (ts === -(2n ** 63n) || ts === 2n ** 63n - 1n) return ts;
  return roundMicros(ts, precision);
}

function invalidModifier(message: string): KeelError {
  return new KeelError(SqlState.InvalidParameterValue, message);
}

/** The typmod for a type name's arguments: varchar(10) -> 14, numeric(10,2) -> 655366, timestamp(3) -> 3. */
export function typmodFromArgs(oid: TypeOid, args: number[]): number {
  if (args.length === 0) return -1;
  const [a = 0, b] = args;
  switch (oid) {
    case Oids.varchar:
    case Oids.bpchar: {
      const name = oid === Oids.varchar ? 'varchar' : 'char';
      if (args.length > 1) throw invalidModifier(`invalid type modifier`);
      if (a < 1) throw invalidModifier(`length for type ${name} must be at least 1`);
      if (a > 10485760) throw invalidModifier(`length for type ${name} cannot exceed 10485760`);
      return a + 4;
    }
    case Oids.numeric:
      if (args.length > 2) throw invalidModifier('invalid NUMERIC type modifier');
      return makeNumericTypmod(a, b ?? 0);
    case Oids.time:
    case Oids.timestamp:
    case Oids.timestamptz:
      if (args.length > 1) throw invalidModifier('invalid type modifier');
      if (a < 0) throw invalidModifier(`TIMESTAMP(${a}) precision must not be negative`);
      return Math.min(a, 6);
    default:
      throw new KeelError(SqlState.SyntaxError, `type modifier is not allowed for type "${formatType(oid)}"`);
  }
}
