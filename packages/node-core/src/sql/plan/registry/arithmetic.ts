/**
 * Interim arithmetic of the built-in numeric and date/time types with PostgreSQL's overflow and
 * division-by-zero errors (22003, 22012). Stands in for src/sql/functions until it lands.
 * Exports: arithmeticFor, negateFor.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import type { Numeric } from '../../types/numeric.js';
import { TypeOid } from './type-ids.js';
import type { Interval } from './values.js';

export type BinaryFn = (a: Value, b: Value) => Value;
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';

function divisionByZero(): KeelError {
  return new KeelError(SqlState.DivisionByZero, 'division by zero');
}

function intOutOfRange(typeOid: Oid): KeelError {
  const name = typeOid === TypeOid.int2 ? 'smallint' : typeOid === TypeOid.int8 ? 'bigint' : 'integer';
  return new KeelError(SqlState.NumericValueOutOfRange, `${name} out of range`);
}

function checkedInt(typeOid: Oid, x: number): number {
  const [lo, hi] = typeOid === TypeOid.int2 ? [-32768, 32767] : [-2147483648, 2147483647];
  if (x < lo || x > hi || Number.isNaN(x)) throw intOutOfRange(typeOid);
  return x;
}

function checkedBig(x: bigint): bigint {
  if (x < -9223372036854775808n || x > 9223372036854775807n) throw intOutOfRange(TypeOid.int8);
  return x;
}

function intOp(typeOid: Oid, op: ArithmeticOp): BinaryFn {
  switch (op) {
    case '+':
      return (a, b) => checkedInt(typeOid, (a as number) + (b as number));
    case '-':
      return (a, b) => checkedInt(typeOid, (a as number) - (b as number));
    case '*':
      return (a, b) => {
        const r = (a as number) * (b as number);
        if (!Number.isSafeInteger(r)) throw intOutOfRange(typeOid);
        return checkedInt(typeOid, r);
      };
    case '/':
      return (a, b) => {
        if (b === 0) throw divisionByZero();
        return checkedInt(typeOid, Math.trunc((a as number) / (b as number)));
      };
    case '%':
      return (a, b) => {
        if (b === 0) throw divisionByZero();
        const r = (a as number) % (b as number);
        return r === 0 ? 0 : r;
      };
  }
}

function bigOp(op: ArithmeticOp): BinaryFn {
  switch (op) {
    case '+':
      return (a, b) => checkedBig((a as bigint) + (b as bigint));
    case '-':
      return (a, b) => checkedBig((a as bigint) - (b as bigint));
    case '*':
      return (a, b) => checkedBig((a as bigint) * (b as bigint));
    case '/':
      return (a, b) => {
        if (b === 0n) throw divisionByZero();
        return checkedBig((a as bigint) / (b as bigint));
      };
    case '%':
      return (a, b) => {
        if (b === 0n) throw divisionByZero();
        return (a as bigint) % (b as bigint);
      };
  }
}

function floatOp(typeOid: Oid, op: ArithmeticOp): BinaryFn {
  const round = typeOid === TypeOid.float4 ? Math.fround : (x: number) => x;
  const check = (r: number, a: number, b: number) => {
    if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) {
      throw new KeelError(SqlState.NumericValueOutOfRange, 'value out of range: overflow');
    }
    return round(r);
  };
  switch (op) {
    case '+':
      return (a, b) => check((a as number) + (b as number), a as number, b as number);
    case '-':
      return (a, b) => check((a as number) - (b as number), a as number, b as number);
    case '*':
      return (a, b) => check((a as number) * (b as number), a as number, b as number);
    case '/':
      return (a, b) => {
        if (b === 0) throw divisionByZero();
        return check((a as number) / (b as number), a as number, b as number);
      };
    case '%':
      return () => {
        throw new KeelError(
          SqlState.UndefinedFunction,
          'operator does not exist: double precision % double precision',
        );
      };
  }
}

function numericOp(op: ArithmeticOp): BinaryFn {
  switch (op) {
    case '+':
      return (a, b) => (a as Numeric).add(b as Numeric);
    case '-':
      return (a, b) => (a as Numeric).sub(b as Numeric);
    case '*':
      return (a, b) => (a as Numeric).mul(b as Numeric);
    case '/':
      return (a, b) => (a as Numeric).div(b as Numeric);
    case '%':
      return (a, b) => (a as Numeric).mod(b as Numeric);
  }
}

/** The arithmetic of one numeric type (both operands already of that type). */
export function arithmeticFor(typeOid: Oid, op: ArithmeticOp): BinaryFn {
  if (typeOid === TypeOid.int8) return bigOp(op);
  if (typeOid === TypeOid.int2 || typeOid === TypeOid.int4) return intOp(typeOid, op);
  if (typeOid === TypeOid.numeric) return numericOp(op);
  return floatOp(typeOid, op);
}

export function negateFor(typeOid: Oid): (a: Value) => Value {
  if (typeOid === TypeOid.int8) return (a) => checkedBig(-(a as bigint));
  if (typeOid === TypeOid.int2 || typeOid === TypeOid.int4)
    return (a) => checkedInt(typeOid, -(a as number) || 0);
  if (typeOid === TypeOid.numeric) return (a) => (a as Numeric).negate();
  if (typeOid === TypeOid.interval) {
    return (a) => {
      const i = a as Interval;
      return { months: -i.months, days: -i.days, micros: -i.micros };
    };
  }
  return (a) => -(a as number);
}

const microsPerDay = 86_400_000_000n;

/** date/timestamp/interval arithmetic operators: [left, op, right, result, fn]. */
export const dateTimeOperators: [Oid, string, Oid, Oid, BinaryFn][] = [
  [TypeOid.date, '-', TypeOid.date, TypeOid.int4, (a, b) => (a as number) - (b as number)],
  [TypeOid.date, '+', TypeOid.int4, TypeOid.date, (a, b) => (a as number) + (b as number)],
  [TypeOid.int4, '+', TypeOid.date, TypeOid.date, (a, b) => (a as number) + (b as number)],
  [TypeOid.date, '-', TypeOid.int4, TypeOid.date, (a, b) => (a as number) - (b as number)],
  [
    TypeOid.timestamptz,
    '-',
    TypeOid.timestamptz,
    TypeOid.interval,
    (a, b) => splitMicros((a as bigint) - (b as bigint)),
  ],
  [
    TypeOid.timestamp,
    '-',
    TypeOid.timestamp,
    TypeOid.interval,
    (a, b) => splitMicros((a as bigint) - (b as bigint)),
  ],
  [
    TypeOid.timestamptz,
    '+',
    TypeOid.interval,
    TypeOid.timestamptz,
    (a, b) => addInterval(a as bigint, b as Interval, 1),
  ],
  [
    TypeOid.timestamptz,
    '-',
    TypeOid.interval,
    TypeOid.timestamptz,
    (a, b) => addInterval(a as bigint, b as Interval, -1),
  ],
  [
    TypeOid.timestamp,
    '+',
    TypeOid.interval,
    TypeOid.timestamp,
    (a, b) => addInterval(a as bigint, b as Interval, 1),
  ],
  [
    TypeOid.timestamp,
    '-',
    TypeOid.interval,
    TypeOid.timestamp,
    (a, b) => addInterval(a as bigint, b as Interval, -1),
  ],
  [
    TypeOid.date,
    '+',
    TypeOid.interval,
    TypeOid.timestamp,
    (a, b) => addInterval(BigInt(a as number) * microsPerDay, b as Interval, 1),
  ],
  [
    TypeOid.date,
    '-',
    TypeOid.interval,
    TypeOid.timestamp,
    (a, b) => addInterval(BigInt(a as number) * microsPerDay, b as Interval, -1),
  ],
  [
    TypeOid.interval,
    '+',
    TypeOid.interval,
    TypeOid.interval,
    (a, b) => combine(a as Interval, b as Interval, 1),
  ],
  [
    TypeOid.interval,
    '-',
    TypeOid.interval,
    TypeOid.interval,
    (a, b) => combine(a as Interval, b as Interval, -1),
  ],
];

function splitMicros(micros: bigint): Interval {
  const days = micros / microsPerDay;
  return { months: 0, days: Number(days), micros: micros - days * microsPerDay };
}

function combine(a: Interval, b: Interval, sign: number): Interval {
  return {
    months: a.months + sign * b.months,
    days: a.days + sign * b.days,
    micros: a.micros + BigInt(sign) * b.micros,
  };
}

function addInterval(ts: bigint, iv: Interval, sign: number): bigint {
  let t = ts;
  if (iv.months !== 0) {
    const days = t / microsPerDay - (t % microsPerDay < 0n ? 1n : 0n);
    const rest = t - days * microsPerDay;
    const d = new Date(Date.UTC(2000, 0, 1) + Number(days) * 86_400_000);
    const day = d.getUTCDate();
    const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + sign * iv.months, 1));
    const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    target.setUTCDate(Math.min(day, last));
    const newDays = Math.round((target.getTime() - Date.UTC(2000, 0, 1)) / 86_400_000);
    t = BigInt(newDays) * microsPerDay + rest;
  }
  return t + BigInt(sign) * (BigInt(iv.days) * microsPerDay + iv.micros);
}
