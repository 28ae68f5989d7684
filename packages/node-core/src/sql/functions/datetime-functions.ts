/**
 * Date/time functions: now() and the other clock functions (transaction, statement and wall
 * clock from the EvalContext), date_part/extract, date_trunc, age, make_date/make_time/
 * make_timestamp/make_timestamptz/make_interval, justify_*, isfinite, date_bin, timezone()
 * (AT TIME ZONE; numeric zone strings there use POSIX sign, as PostgreSQL) and
 * to_timestamp(epoch).
 * Exports: registerDatetimeFunctions, zoneForAtTimeZone.
 */
import { KeelError, SqlState } from '@keel/errors';
import {
  daysFromCivil,
  daysInMonth,
  isValidTimestamp,
  splitDays,
  splitTimestamp,
  timestampInfinity,
  timestampMinusInfinity,
  unixEpochOffsetDays,
  usecsPerDay,
} from '../types/datetime/calendar.js';
import { localToTimestamptz, timestampToLocal } from '../types/datetime/datetime-io.js';
import {
  abbreviationOffset,
  fixedTimeZone,
  resolveTimeZone,
  type TimeZone,
} from '../types/datetime/time-zone.js';
import type { Interval } from '../types/value.js';
import { justifyDays, justifyHours, justifyInterval, timestampOutOfRange } from './datetime-arithmetic.js';
import { extractField, type TemporalKind, truncateInterval, truncateTimestamp } from './datetime-fields.js';
import type { EvalContext } from './eval-context.js';
import { defineFunction } from './function-registry.js';
import { big, interval, num, str } from './value-access.js';

/** AT TIME ZONE's zone argument: abbreviation, zone name, or a POSIX-style numeric offset (west positive). */
export function zoneForAtTimeZone(text: string): TimeZone {
  const abbrev = abbreviationOffset(text);
  if (abbrev !== null) return fixedTimeZone(abbrev);
  const numeric = /^([+-]?)(\d{1,2})(?::?(\d{2}))?$/.exec(text.trim());
  if (numeric !== null) {
    const seconds = Number(numeric[2]) * 3600 + Number(numeric[3] ?? 0) * 60;
    return fixedTimeZone(numeric[1] === '-' ? seconds : -seconds);
  }
  const zone = resolveTimeZone(text);
  if (zone === null)
    throw new KeelError(SqlState.InvalidParameterValue, `time zone "${text}" not recognized`);
  return zone;
}

function isInfinite(ts: bigint): boolean {
  return ts === timestampInfinity || ts === timestampMinusInfinity;
}

function localOf(ts: bigint, zone: TimeZone): { local: bigint; offset: number } {
  if (isInfinite(ts)) return { local: ts, offset: 0 };
  return timestampToLocal(ts, zone);
}

function registerClock(): void {
  const stable = { volatility: 'stable' as const };
  const now = (_a: unknown, ctx: EvalContext) => ctx.transactionTimestamp;
  defineFunction('now', [], 'timestamptz', now, stable);
  defineFunction('transaction_timestamp', [], 'timestamptz', now, stable);
  defineFunction('current_timestamp', [], 'timestamptz', now, stable);
  defineFunction('statement_timestamp', [], 'timestamptz', (_a, ctx) => ctx.statementTimestamp, stable);
  defineFunction('clock_timestamp', [], 'timestamptz', (_a, ctx) => ctx.clockTimestamp(), {
    volatility: 'volatile',
  });
  defineFunction(
    'localtimestamp',
    [],
    'timestamp',
    (_a, ctx) => localOf(ctx.transactionTimestamp, ctx.timeZone).local,
    stable,
  );
  defineFunction(
    'current_date',
    [],
    'date',
    (_a, ctx) => splitDays(localOf(ctx.transactionTimestamp, ctx.timeZone).local).days,
    stable,
  );
  defineFunction(
    'localtime',
    [],
    'time',
    (_a, ctx) => splitDays(localOf(ctx.transactionTimestamp, ctx.timeZone).local).timeUs,
    stable,
  );
}

function registerExtract(): void {
  const kinds: [string, TemporalKind][] = [
    ['timestamp', 'timestamp'],
    ['timestamptz', 'timestamptz'],
    ['date', 'date'],
    ['time', 'time'],
    ['interval', 'interval'],
  ];
  for (const [type, kind] of kinds) {
    const options = kind === 'timestamptz' ? { volatility: 'stable' as const } : {};
    const field = (unit: string, v: unknown, ctx: EvalContext) =>
      extractField(
        unit,
        kind,
        v as number | bigint | Interval,
        kind === 'timestamptz' ? localOf(v as bigint, ctx.timeZone) : undefined,
      );
    defineFunction('extract', ['text', type], 'numeric', ([u, v], ctx) => field(str(u), v, ctx), options);
    defineFunction(
      'date_part',
      ['text', type],
      'float8',
      ([u, v], ctx) => field(str(u), v, ctx)?.toFloat() ?? null,
      options,
    );
  }
}

function registerTrunc(): void {
  defineFunction('date_trunc', ['text', 'timestamp'], 'timestamp', ([u, t]) =>
    truncateTimestamp(str(u), big(t), 'timestamp'),
  );
  defineFunction(
    'date_trunc',
    ['text', 'timestamptz'],
    'timestamptz',
    ([u, t], ctx) => truncTz(str(u), big(t), ctx.timeZone),
    {
      volatility: 'stable',
    },
  );
  defineFunction('date_trunc', ['text', 'timestamptz', 'text'], 'timestamptz', ([u, t, z]) =>
    truncTz(str(u), big(t), zoneForAtTimeZone(str(z))),
  );
  defineFunction('date_trunc', ['text', 'interval'], 'interval', ([u, i]) =>
    truncateInterval(str(u), interval(i)),
  );
}

function truncTz(unit: string, ts: bigint, zone: TimeZone): bigint {
  if (isInfinite(ts)) return ts;
  const local = timestampToLocal(ts, zone).local;
  return localToTimestamptz(truncateTimestamp(unit, local, 'timestamptz'), zone);
}

/** age(a, b): symbolic difference in years, months, days and time, borrowing as PostgreSQL. */
export function age(a: bigint, b: bigint): Interval {
  if (isInfinite(a) || isInfinite(b))
    throw new KeelError(SqlState.DatetimeFieldOverflow, 'cannot subtract infinite timestamps');
  const t1 = splitTimestamp(a);
  const t2 = splitTimestamp(b);
  const sign = a < b ? -1 : 1;
  let micro = sign * (t1.micro - t2.micro);
  let sec = sign * (t1.second - t2.second);
  let min = sign * (t1.minute - t2.minute);
  let hour = sign * (t1.hour - t2.hour);
  let day = sign * (t1.day - t2.day);
  let mon = sign * (t1.month - t2.month);
  let year = sign * (t1.year - t2.year);
  while (micro < 0) [micro, sec] = [micro + 1_000_000, sec - 1];
  while (sec < 0) [sec, min] = [sec + 60, min - 1];
  while (min < 0) [min, hour] = [min + 60, hour - 1];
  while (hour < 0) [hour, day] = [hour + 24, day - 1];
  const borrowFrom = a < b ? t1 : t2;
  while (day < 0) [day, mon] = [day + daysInMonth(borrowFrom.year, borrowFrom.month), mon - 1];
  while (mon < 0) [mon, year] = [mon + 12, year - 1];
  const micros = BigInt(((hour * 60 + min) * 60 + sec) * 1_000_000 + micro);
  return { months: sign * (year * 12 + mon) + 0, days: sign * day + 0, micros: BigInt(sign) * micros };
}

function registerAge(): void {
  defineFunction('age', ['timestamp', 'timestamp'], 'interval', ([a, b]) => age(big(a), big(b)));
  defineFunction(
    'age',
    ['timestamptz', 'timestamptz'],
    'interval',
    ([a, b], ctx) => age(localOf(big(a), ctx.timeZone).local, localOf(big(b), ctx.timeZone).local),
    { volatility: 'stable' },
  );
  defineFunction(
    'age',
    ['timestamp'],
    'interval',
    ([a], ctx) => {
      const today = splitDays(localOf(ctx.transactionTimestamp, ctx.timeZone).local).days;
      return age(BigInt(today) * usecsPerDay, big(a));
    },
    { volatility: 'stable' },
  );
  defineFunction(
    'age',
    ['timestamptz'],
    'interval',
    ([a], ctx) => {
      const today = splitDays(localOf(ctx.transactionTimestamp, ctx.timeZone).local).days;
      return age(BigInt(today) * usecsPerDay, localOf(big(a), ctx.timeZone).local);
    },
    { volatility: 'stable' },
  );
}

function makeDate(y: number, m: number, d: number): number {
  const year = y < 0 ? y + 1 : y;
  if (y === 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(year, m)) {
    throw new KeelError(
      SqlState.DatetimeFieldOverflow,
      `date field value out of range: ${y}-${pad(m)}-${pad(d)}`,
    );
  }
  return daysFromCivil(year, m, d);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function makeTime(h: number, m: number, s: number): number {
  const us = Math.round(s * 1e6);
  if (h < 0 || m < 0 || m > 59 || s < 0 || s > 60 || h > 24 || (h === 24 && (m > 0 || s > 0))) {
    throw new KeelError(
      SqlState.DatetimeFieldOverflow,
      `time field value out of range: ${h}:${pad(m)}:${pad(Math.trunc(s))}${Number.isInteger(s) ? '' : String(s).replace(/^\d+/, '')}`,
    );
  }
  return (h * 60 + m) * 60_000_000 + us;
}

function makeTimestamp(args: number[]): bigint {
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = args;
  const ts = BigInt(makeDate(y, mo, d)) * usecsPerDay + BigInt(makeTime(h, mi, s));
  if (!isValidTimestamp(ts)) throw timestampOutOfRange();
  return ts;
}

function registerMake(): void {
  defineFunction('make_date', ['int4', 'int4', 'int4'], 'date', ([y, m, d]) =>
    makeDate(num(y), num(m), num(d)),
  );
  defineFunction('make_time', ['int4', 'int4', 'float8'], 'time', ([h, m, s]) =>
    makeTime(num(h), num(m), num(s)),
  );
  defineFunction('make_timestamp', ['int4', 'int4', 'int4', 'int4', 'int4', 'float8'], 'timestamp', (args) =>
    makeTimestamp(args.map((a) => num(a))),
  );
  defineFunction(
    'make_timestamptz',
    ['int4', 'int4', 'int4', 'int4', 'int4', 'float8'],
    'timestamptz',
    (args, ctx) => localToTimestamptz(makeTimestamp(args.map((a) => num(a))), ctx.timeZone),
    { volatility: 'stable' },
  );
  defineFunction(
    'make_timestamptz',
    ['int4', 'int4', 'int4', 'int4', 'int4', 'float8', 'text'],
    'timestamptz',
    (args) =>
      localToTimestamptz(makeTimestamp(args.slice(0, 6).map((a) => num(a))), zoneForAtTimeZone(str(args[6]))),
  );
  defineFunction(
    'make_interval',
    ['int4', 'int4', 'int4', 'int4', 'int4', 'int4', 'float8'],
    'interval',
    (args) => {
      const [years = 0, months = 0, weeks = 0, days = 0, hours = 0, mins = 0, secs = 0] = args.map((a) =>
        num(a),
      );
      const micros = Math.round((hours * 3600 + mins * 60) * 1e6 + secs * 1e6);
      // PostgreSQL 15 converts the double without a range check; x86 yields INT64_MIN when it does not fit.
      const fits = Number.isFinite(micros) && Math.abs(micros) < 2 ** 63;
      return {
        months: years * 12 + months,
        days: weeks * 7 + days,
        micros: fits ? BigInt(micros) : -(2n ** 63n),
      };
    },
    { defaults: 7 },
  );
}

function dateBin(stride: Interval, source: bigint, origin: bigint): bigint {
  if (stride.months !== 0) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      'timestamps cannot be binned into intervals containing months or years',
    );
  }
  const strideUs = BigInt(stride.days) * usecsPerDay + stride.micros;
  if (strideUs <= 0n) throw new KeelError(SqlState.InvalidParameterValue, 'stride must be greater than zero');
  if (isInfinite(source)) return source;
  const diff = source - origin;
  let delta = diff - (diff % strideUs);
  if (diff < 0n && diff % strideUs !== 0n) delta -= strideUs;
  return origin + delta;
}

function registerMisc(): void {
  defineFunction('justify_days', ['interval'], 'interval', ([i]) => justifyDays(interval(i)));
  defineFunction('justify_hours', ['interval'], 'interval', ([i]) => justifyHours(interval(i)));
  defineFunction('justify_interval', ['interval'], 'interval', ([i]) => justifyInterval(interval(i)));
  defineFunction('isfinite', ['date'], 'bool', ([d]) => Number.isFinite(num(d)));
  defineFunction('isfinite', ['timestamp'], 'bool', ([t]) => !isInfinite(big(t)));
  defineFunction('isfinite', ['timestamptz'], 'bool', ([t]) => !isInfinite(big(t)));
  defineFunction('isfinite', ['interval'], 'bool', () => true);
  defineFunction('date_bin', ['interval', 'timestamp', 'timestamp'], 'timestamp', ([s, t, o]) =>
    dateBin(interval(s), big(t), big(o)),
  );
  defineFunction('date_bin', ['interval', 'timestamptz', 'timestamptz'], 'timestamptz', ([s, t, o]) =>
    dateBin(interval(s), big(t), big(o)),
  );
  defineFunction(
    'timezone',
    ['text', 'timestamptz'],
    'timestamp',
    ([z, t]) => localOf(big(t), zoneForAtTimeZone(str(z))).local,
  );
  defineFunction('timezone', ['text', 'timestamp'], 'timestamptz', ([z, t]) =>
    isInfinite(big(t)) ? big(t) : localToTimestamptz(big(t), zoneForAtTimeZone(str(z))),
  );
  defineFunction(
    'timezone',
    ['interval', 'timestamptz'],
    'timestamp',
    ([i, t]) => localOf(big(t), fixedTimeZone(Number(interval(i).micros / 1_000_000n))).local,
  );
  defineFunction('timezone', ['interval', 'timestamp'], 'timestamptz', ([i, t]) =>
    localToTimestamptz(big(t), fixedTimeZone(Number(interval(i).micros / 1_000_000n))),
  );
  defineFunction('to_timestamp', ['float8'], 'timestamptz', ([x]) => epochToTimestamptz(num(x)));
}

function epochToTimestamptz(seconds: number): bigint {
  if (Number.isNaN(seconds)) throw new KeelError(SqlState.InvalidParameterValue, 'timestamp cannot be NaN');
  if (seconds === Number.POSITIVE_INFINITY) return timestampInfinity;
  if (seconds === Number.NEGATIVE_INFINITY) return timestampMinusInfinity;
  const us = Math.round((seconds - unixEpochOffsetDays * 86400) * 1e6);
  if (!Number.isSafeInteger(us) && Math.abs(us) > 9.2e18)
    throw new KeelError(SqlState.DatetimeFieldOverflow, `timestamp out of range: "${seconds}"`);
  const ts = BigInt(us);
  if (!isValidTimestamp(ts))
    throw new KeelError(SqlState.DatetimeFieldOverflow, `timestamp out of range: "${seconds}"`);
  return ts;
}

export function registerDatetimeFunctions(): void {
  registerClock();
  registerExtract();
  registerTrunc();
  registerAge();
  registerMake();
  registerMisc();
}
