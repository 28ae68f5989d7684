/**
 * Date/time arithmetic with PostgreSQL's semantics: adding an interval adds months first
 * (clamping the day to the month's length), then days, then the time part; for timestamptz the
 * month and day steps happen in the session time zone's local time (so '1 day' across a DST
 * change keeps the wall-clock time). Timestamp differences are justified into days and time.
 * Interval multiplication and division cascade fractional months into days and fractional
 * days into time as interval_mul does. Out-of-range results are 22008.
 * Exports: addIntervalToTimestamp, addIntervalToTimestamptz, timestampDiff, justifyHours,
 * justifyDays, justifyInterval, intervalMul, intervalDiv, intervalAdd, intervalNegate,
 * registerDatetimeOperators.
 */
import { KeelError, SqlState } from '@keel/errors';
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  endDate,
  isValidTimestamp,
  minDate,
  splitDays,
  timestampInfinity,
  timestampMinusInfinity,
  usecsPerDay,
} from '../types/datetime/calendar.js';
import { localToTimestamptz, timestampToLocal } from '../types/datetime/datetime-io.js';
import type { TimeZone } from '../types/datetime/time-zone.js';
import { divisionByZero } from '../types/errors.js';
import type { Interval } from '../types/value.js';
import { defineOperator } from './function-registry.js';
import { big, interval, num } from './value-access.js';

export function timestampOutOfRange(): KeelError {
  return new KeelError(SqlState.DatetimeFieldOverflow, 'timestamp out of range');
}

function intervalOutOfRange(): KeelError {
  return new KeelError(SqlState.DatetimeFieldOverflow, 'interval out of range');
}

function isInfinite(ts: bigint): boolean {
  return ts === timestampInfinity || ts === timestampMinusInfinity;
}

/** Adds months and days to a local timestamp (wall clock). */
function addMonthsDays(ts: bigint, months: number, days: number): bigint {
  let { days: d, timeUs } = splitDays(ts);
  if (months !== 0) {
    const c = civilFromDays(d);
    const total = c.year * 12 + (c.month - 1) + months;
    const year = Math.floor(total / 12);
    const month = total - year * 12 + 1;
    d = daysFromCivil(year, month, Math.min(c.day, daysInMonth(year, month)));
  }
  d += days;
  return BigInt(d) * usecsPerDay + BigInt(timeUs);
}

export function addIntervalToTimestamp(ts: bigint, iv: Interval): bigint {
  if (isInfinite(ts)) return ts;
  const r = addMonthsDays(ts, iv.months, iv.days) + iv.micros;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

export function addIntervalToTimestamptz(ts: bigint, iv: Interval, zone: TimeZone): bigint {
  if (isInfinite(ts)) return ts;
  let r = ts;
  if (iv.months !== 0 || iv.days !== 0) {
    const local = timestampToLocal(ts, zone).local;
    r = localToTimestamptz(addMonthsDays(local, iv.months, iv.days), zone);
  }
  r += iv.micros;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

export function intervalNegate(iv: Interval): Interval {
  return { months: -iv.months + 0, days: -iv.days + 0, micros: -iv.micros };
}

export function intervalAdd(a: Interval, b: Interval): Interval {
  const months = a.months + b.months;
  const days = a.days + b.days;
  if (Math.abs(months) > 2147483647 || Math.abs(days) > 2147483647) throw intervalOutOfRange();
  return { months, days, micros: a.micros + b.micros };
}

export function justifyHours(iv: Interval): Interval {
  const whole = iv.micros / usecsPerDay;
  let micros = iv.micros - whole * usecsPerDay;
  let days = iv.days + Number(whole);
  if (days > 0 && micros < 0n) {
    micros += usecsPerDay;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= usecsPerDay;
    days++;
  }
  return { months: iv.months, days, micros };
}

export function justifyDays(iv: Interval): Interval {
  const whole = Math.trunc(iv.days / 30);
  let days = iv.days - whole * 30;
  let months = iv.months + whole;
  if (months > 0 && days < 0) {
    days += 30;
    months--;
  } else if (months < 0 && days > 0) {
    days -= 30;
    months++;
  }
  return { months, days: days + 0, micros: iv.micros };
}

export function justifyInterval(iv: Interval): Interval {
  const wholeDay = iv.micros / usecsPerDay;
  let micros = iv.micros - wholeDay * usecsPerDay;
  let days = iv.days + Number(wholeDay);
  const wholeMonth = Math.trunc(days / 30);
  days -= wholeMonth * 30;
  let months = iv.months + wholeMonth;
  if (months > 0 && (days < 0 || (days === 0 && micros < 0n))) {
    days += 30;
    months--;
  } else if (months < 0 && (days > 0 || (days === 0 && micros > 0n))) {
    days -= 30;
    months++;
  }
  if (days > 0 && micros < 0n) {
    micros += usecsPerDay;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= usecsPerDay;
    days++;
  }
  return { months, days: days + 0, micros };
}

export function timestampDiff(a: bigint, b: bigint): Interval {
  if (isInfinite(a) || isInfinite(b)) {
    throw new KeelError(SqlState.DatetimeFieldOverflow, 'cannot subtract infinite timestamps');
  }
  return justifyHours({ months: 0, days: 0, micros: a - b });
}

/** Rounds to microsecond precision (PostgreSQL's TSROUND). */
function tsRound(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** interval * factor, cascading fractions downward as interval_mul. */
export function intervalMul(iv: Interval, factor: number): Interval {
  if (Number.isNaN(factor)) throw intervalOutOfRange();
  const monthsExact = iv.months * factor;
  const daysExact = iv.days * factor;
  if (
    !Number.isFinite(monthsExact) ||
    Math.abs(monthsExact) > 2147483647 ||
    Math.abs(daysExact) > 2147483647
  ) {
    throw intervalOutOfRange();
  }
  const months = Math.trunc(monthsExact);
  let days = Math.trunc(daysExact);
  const monthRemainderDays = tsRound((monthsExact - months) * 30);
  let secRemainder = tsRound(
    (daysExact - days + monthRemainderDays - Math.trunc(monthRemainderDays)) * 86400,
  );
  if (Math.abs(secRemainder) >= 86400) {
    const extra = Math.trunc(secRemainder / 86400);
    days += extra;
    secRemainder -= extra * 86400;
  }
  days += Math.trunc(monthRemainderDays);
  const micros = Math.round(Number(iv.micros) * factor + secRemainder * 1e6);
  if (!Number.isFinite(micros) || Math.abs(micros) > 9.2e18) throw intervalOutOfRange();
  return { months: months + 0, days: days + 0, micros: BigInt(micros) };
}

export function intervalDiv(iv: Interval, divisor: number): Interval {
  if (divisor === 0) throw divisionByZero();
  return intervalMul(iv, 1 / divisor);
}

function dateAddDays(date: number, days: number): number {
  if (!Number.isFinite(date)) return date;
  const r = date + days;
  if (r < minDate || r >= endDate) throw new KeelError(SqlState.DatetimeFieldOverflow, 'date out of range');
  return r;
}

function dateToTs(date: number): bigint {
  if (date === Number.POSITIVE_INFINITY) return timestampInfinity;
  if (date === Number.NEGATIVE_INFINITY) return timestampMinusInfinity;
  return BigInt(date) * usecsPerDay;
}

function timeAdd(time: number, micros: bigint): number {
  const r = (BigInt(time) + micros) % usecsPerDay;
  return Number(r < 0n ? r + usecsPerDay : r);
}

export function registerDatetimeOperators(): void {
  defineOperator('+', ['date', 'int4'], 'date', ([d, n]) => dateAddDays(num(d), num(n)));
  defineOperator('+', ['int4', 'date'], 'date', ([n, d]) => dateAddDays(num(d), num(n)));
  defineOperator('-', ['date', 'int4'], 'date', ([d, n]) => dateAddDays(num(d), -num(n)));
  defineOperator('-', ['date', 'date'], 'int4', ([a, b]) => {
    if (!Number.isFinite(num(a)) || !Number.isFinite(num(b))) {
      throw new KeelError(SqlState.DatetimeFieldOverflow, 'cannot subtract infinite dates');
    }
    return num(a) - num(b);
  });
  defineOperator('+', ['date', 'interval'], 'timestamp', ([d, i]) =>
    addIntervalToTimestamp(dateToTs(num(d)), interval(i)),
  );
  defineOperator('+', ['interval', 'date'], 'timestamp', ([i, d]) =>
    addIntervalToTimestamp(dateToTs(num(d)), interval(i)),
  );
  defineOperator('-', ['date', 'interval'], 'timestamp', ([d, i]) =>
    addIntervalToTimestamp(dateToTs(num(d)), intervalNegate(interval(i))),
  );
  defineOperator('+', ['date', 'time'], 'timestamp', ([d, t]) => dateToTs(num(d)) + BigInt(num(t)));
  defineOperator('+', ['time', 'date'], 'timestamp', ([t, d]) => dateToTs(num(d)) + BigInt(num(t)));
  defineOperator('+', ['time', 'interval'], 'time', ([t, i]) => timeAdd(num(t), interval(i).micros));
  defineOperator('+', ['interval', 'time'], 'time', ([i, t]) => timeAdd(num(t), interval(i).micros));
  defineOperator('-', ['time', 'interval'], 'time', ([t, i]) => timeAdd(num(t), -interval(i).micros));
  defineOperator('-', ['time', 'time'], 'interval', ([a, b]) => ({
    months: 0,
    days: 0,
    micros: BigInt(num(a) - num(b)),
  }));
  defineOperator('+', ['timestamp', 'interval'], 'timestamp', ([t, i]) =>
    addIntervalToTimestamp(big(t), interval(i)),
  );
  defineOperator('+', ['interval', 'timestamp'], 'timestamp', ([i, t]) =>
    addIntervalToTimestamp(big(t), interval(i)),
  );
  defineOperator('-', ['timestamp', 'interval'], 'timestamp', ([t, i]) =>
    addIntervalToTimestamp(big(t), intervalNegate(interval(i))),
  );
  defineOperator('-', ['timestamp', 'timestamp'], 'interval', ([a, b]) => timestampDiff(big(a), big(b)));
  const stable = { volatility: 'stable' as const };
  defineOperator(
    '+',
    ['timestamptz', 'interval'],
    'timestamptz',
    ([t, i], ctx) => addIntervalToTimestamptz(big(t), interval(i), ctx.timeZone),
    stable,
  );
  defineOperator(
    '+',
    ['interval', 'timestamptz'],
    'timestamptz',
    ([i, t], ctx) => addIntervalToTimestamptz(big(t), interval(i), ctx.timeZone),
    stable,
  );
  defineOperator(
    '-',
    ['timestamptz', 'interval'],
    'timestamptz',
    ([t, i], ctx) => addIntervalToTimestamptz(big(t), intervalNegate(interval(i)), ctx.timeZone),
    stable,
  );
  defineOperator('-', ['timestamptz', 'timestamptz'], 'interval', ([a, b]) => timestampDiff(big(a), big(b)));
  defineOperator('+', ['interval', 'interval'], 'interval', ([a, b]) =>
    intervalAdd(interval(a), interval(b)),
  );
  defineOperator('-', ['interval', 'interval'], 'interval', ([a, b]) =>
    intervalAdd(interval(a), intervalNegate(interval(b))),
  );
  defineOperator('-', ['interval'], 'interval', ([a]) => intervalNegate(interval(a)));
  defineOperator('+', ['interval'], 'interval', ([a]) => a ?? null);
  defineOperator('*', ['interval', 'float8'], 'interval', ([i, f]) => intervalMul(interval(i), num(f)));
  defineOperator('*', ['float8', 'interval'], 'interval', ([f, i]) => intervalMul(interval(i), num(f)));
  defineOperator('/', ['interval', 'float8'], 'interval', ([i, f]) => intervalDiv(interval(i), num(f)));
}
