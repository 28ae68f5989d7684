/**
 * EXTRACT / date_part and date_trunc: field extraction for date, time, timestamp, timestamptz
 * and interval with PostgreSQL 14+'s numeric results and scales (second has 6 decimals,
 * milliseconds 3, epoch 6; julian keeps numeric division's scale), its BC conventions for
 * year/decade/century/millennium, ISO week and ISO year, and its errors ("unit "hour" not
 * supported for type date", "unit "foo" not recognized for type ...").
 * Exports: extractField, TemporalKind, truncateTimestamp, truncateInterval.
 */
import { KeelError, SqlState } from '@keel/errors';
import {
  civilFromDays,
  dayOfWeek,
  daysFromCivil,
  postgresEpochJulian,
  splitDays,
  splitTime,
  timestampInfinity,
  timestampMinusInfinity,
  unixEpochOffsetDays,
  usecsPerDay,
} from '../types/datetime/calendar.js';
import { Dec, Numeric } from '../types/numeric.js';
import type { Interval } from '../types/value.js';

export type TemporalKind = 'date' | 'time' | 'timestamp' | 'timestamptz' | 'interval';

const kindNames: Record<TemporalKind, string> = {
  date: 'date',
  time: 'time without time zone',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  interval: 'interval',
};

const aliases: Record<string, string> = {
  microsecond: 'microseconds',
  microseconds: 'microseconds',
  us: 'microseconds',
  usec: 'microseconds',
  usecs: 'microseconds',
  millisecond: 'milliseconds',
  milliseconds: 'milliseconds',
  ms: 'milliseconds',
  msec: 'milliseconds',
  msecs: 'milliseconds',
  second: 'second',
  seconds: 'second',
  sec: 'second',
  secs: 'second',
  s: 'second',
  minute: 'minute',
  minutes: 'minute',
  min: 'minute',
  mins: 'minute',
  m: 'minute',
  hour: 'hour',
  hours: 'hour',
  hr: 'hour',
  hrs: 'hour',
  h: 'hour',
  day: 'day',
  days: 'day',
  d: 'day',
  week: 'week',
  weeks: 'week',
  w: 'week',
  month: 'month',
  months: 'month',
  mon: 'month',
  mons: 'month',
  quarter: 'quarter',
  qtr: 'quarter',
  year: 'year',
  years: 'year',
  y: 'year',
  yr: 'year',
  yrs: 'year',
  decade: 'decade',
  decades: 'decade',
  dec: 'decade',
  century: 'century',
  centuries: 'century',
  c: 'century',
  cent: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
  mil: 'millennium',
  mils: 'millennium',
  dow: 'dow',
  isodow: 'isodow',
  doy: 'doy',
  isoyear: 'isoyear',
  julian: 'julian',
  j: 'julian',
  epoch: 'epoch',
  timezone: 'timezone',
  timezone_hour: 'timezone_hour',
  timezone_minute: 'timezone_minute',
};

export function normalizeUnit(unit: string, kind: TemporalKind): string {
  const u = aliases[unit.trim().toLowerCase()];
  if (u === undefined) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `unit "${unit}" not recognized for type ${kindNames[kind]}`,
    );
  }
  return u;
}

function unsupported(unit: string, kind: TemporalKind): KeelError {
  return new KeelError(
    SqlState.FeatureNotSupported,
    `unit "${unit}" not supported for type ${kindNames[kind]}`,
  );
}

function scaled(value: bigint, scale: number): Numeric {
  return Numeric.of(new Dec(value.toString()).div(new Dec(10).pow(scale)), scale);
}

function int(n: number): Numeric {
  return Numeric.fromInt(n);
}

/** ISO 8601 week number and ISO year of a day. */
export function isoWeek(days: number): { week: number; year: number } {
  const isoDow = ((dayOfWeek(days) + 6) % 7) + 1;
  const thursday = days + (4 - isoDow);
  const year = civilFromDays(thursday).year;
  const jan1 = daysFromCivil(year, 1, 1);
  return { week: Math.floor((thursday - jan1) / 7) + 1, year };
}

function yearField(year: number): number {
  return year > 0 ? year : year - 1;
}

function decade(year: number): number {
  return year >= 0 ? Math.floor(year / 10) : -Math.floor((8 - (year - 1)) / 10);
}

function century(year: number): number {
  return year > 0 ? Math.floor((year + 99) / 100) : -Math.floor((99 - (year - 1)) / 100);
}

function millennium(year: number): number {
  return year > 0 ? Math.floor((year + 999) / 1000) : -Math.floor((999 - (year - 1)) / 1000);
}

function dateField(unit: string, days: number, kind: TemporalKind): Numeric | null {
  const c = civilFromDays(days);
  switch (unit) {
    case 'day':
      return int(c.day);
    case 'month':
      return int(c.month);
    case 'quarter':
      return int(Math.floor((c.month - 1) / 3) + 1);
    case 'year':
      return int(yearField(c.year));
    case 'decade':
      return int(decade(c.year));
    case 'century':
      return int(century(c.year));
    case 'millennium':
      return int(millennium(c.year));
    case 'dow':
      return int(dayOfWeek(days));
    case 'isodow':
      return int(((dayOfWeek(days) + 6) % 7) + 1);
    case 'doy':
      return int(days - daysFromCivil(c.year, 1, 1) + 1);
    case 'week':
      return int(isoWeek(days).week);
    case 'isoyear': {
      const y = isoWeek(days).year;
      return int(y > 0 ? y : y - 1);
    }
    default:
      return kind === 'date' && unit === 'julian' ? int(days + postgresEpochJulian) : null;
  }
}

function timeField(unit: string, timeUs: number): Numeric | null {
  const t = splitTime(timeUs);
  const secUs = BigInt(t.second * 1_000_000 + t.micro);
  switch (unit) {
    case 'microseconds':
      return scaled(secUs, 0);
    case 'milliseconds':
      return scaled(secUs, 3);
    case 'second':
      return scaled(secUs, 6);
    case 'minute':
      return int(t.minute);
    case 'hour':
      return int(t.hour);
    default:
      return null;
  }
}

function infiniteResult(unit: string, positive: boolean): Numeric | null {
  const monotonic = ['year', 'decade', 'century', 'millennium', 'julian', 'isoyear', 'epoch'];
  if (!monotonic.includes(unit)) return null;
  return positive ? Numeric.Infinity : Numeric.NegativeInfinity;
}

/** EXTRACT(unit FROM value); `local` is the wall-clock timestamp for timestamptz, `offset` its zone offset. */
export function extractField(
  unitText: string,
  kind: TemporalKind,
  value: number | bigint | Interval,
  tz?: { local: bigint; offset: number },
): Numeric | null {
  const unit = normalizeUnit(unitText, kind);
  switch (kind) {
    case 'date':
      return extractDate(unit, unitText, value as number);
    case 'time':
      return extractTime(unit, unitText, value as number);
    case 'interval':
      return extractInterval(unit, unitText, value as Interval);
    default:
      return extractTimestamp(unit, unitText, kind, value as bigint, tz);
  }
}

function extractDate(unit: string, unitText: string, days: number): Numeric | null {
  if (!Number.isFinite(days)) return infiniteResult(unit, days > 0);
  if (unit === 'epoch') return Numeric.fromInt(BigInt(days + unixEpochOffsetDays) * 86400n);
  const r = dateField(unit, days, 'date');
  if (r === null) throw unsupported(unitText, 'date');
  return r;
}

function extractTime(unit: string, unitText: string, timeUs: number): Numeric | null {
  if (unit === 'epoch') return scaled(BigInt(timeUs), 6);
  const r = timeField(unit, timeUs);
  if (r === null) throw unsupported(unitText, 'time');
  return r;
}

function extractTimestamp(
  unit: string,
  unitText: string,
  kind: TemporalKind,
  ts: bigint,
  tz: { local: bigint; offset: number } | undefined,
): Numeric | null {
  if (ts === timestampInfinity || ts === timestampMinusInfinity) return infiniteResult(unit, ts > 0n);
  if (unit === 'epoch') return scaled(ts + BigInt(unixEpochOffsetDays) * usecsPerDay, 6);
  if (kind === 'timestamptz' && unit.startsWith('timezone')) return timezoneField(unit, tz?.offset ?? 0);
  const local = tz?.local ?? ts;
  const { days, timeUs } = splitDays(local);
  if (unit === 'julian') {
    return Numeric.fromInt(days + postgresEpochJulian).add(
      Numeric.fromInt(timeUs).div(Numeric.fromInt(usecsPerDay)),
    );
  }
  const r = timeField(unit, timeUs) ?? dateField(unit, days, kind);
  if (r === null) throw unsupported(unitText, kind);
  return r;
}

function timezoneField(unit: string, offset: number): Numeric {
  if (unit === 'timezone') return int(offset);
  if (unit === 'timezone_hour') return int(Math.trunc(offset / 3600));
  return int(Math.trunc((offset % 3600) / 60));
}

function extractInterval(unit: string, unitText: string, iv: Interval): Numeric | null {
  const years = Math.trunc(iv.months / 12);
  const secUs = iv.micros % 60_000_000n;
  switch (unit) {
    case 'microseconds':
      return scaled(secUs, 0);
    case 'milliseconds':
      return scaled(secUs, 3);
    case 'second':
      return scaled(secUs, 6);
    case 'minute':
      return int(Number((iv.micros / 60_000_000n) % 60n));
    case 'hour':
      return Numeric.fromInt(iv.micros / 3_600_000_000n);
    case 'day':
      return int(iv.days);
    case 'month':
      return int(iv.months % 12);
    case 'quarter':
      return int(Math.trunc((iv.months % 12) / 3) + 1);
    case 'year':
      return int(years);
    case 'decade':
      return int(Math.trunc(years / 10));
    case 'century':
      return int(Math.trunc(years / 100));
    case 'millennium':
      return int(Math.trunc(years / 1000));
    case 'epoch':
      return intervalEpoch(iv);
    default:
      throw unsupported(unitText, 'interval');
  }
}

function intervalEpoch(iv: Interval): Numeric {
  const years = Math.trunc(iv.months / 12);
  const months = iv.months % 12;
  const dayMicros = (BigInt(years) * 36525n * 86400n * 1_000_000n) / 100n;
  const rest = BigInt(months * 30 + iv.days) * 86_400_000_000n;
  return scaled(dayMicros + rest + iv.micros, 6);
}

const truncUnits = [
  'microseconds',
  'milliseconds',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
  'decade',
  'century',
  'millennium',
];

/** date_trunc on a wall-clock timestamp. */
export function truncateTimestamp(unitText: string, local: bigint, kind: TemporalKind): bigint {
  const unit = normalizeUnit(unitText, kind);
  if (!truncUnits.includes(unit)) throw unsupported(unitText, kind);
  if (local === timestampInfinity || local === timestampMinusInfinity) return local;
  const { days, timeUs } = splitDays(local);
  const t = splitTime(timeUs);
  const c = civilFromDays(days);
  const at = (d: number, us: number) => BigInt(d) * usecsPerDay + BigInt(us);
  switch (unit) {
    case 'microseconds':
      return local;
    case 'milliseconds':
      return at(days, timeUs - (timeUs % 1000));
    case 'second':
      return at(days, timeUs - t.micro);
    case 'minute':
      return at(days, (t.hour * 60 + t.minute) * 60_000_000);
    case 'hour':
      return at(days, t.hour * 3_600_000_000);
    case 'day':
      return at(days, 0);
    case 'week':
      return at(days - ((dayOfWeek(days) + 6) % 7), 0);
    case 'month':
      return at(daysFromCivil(c.year, c.month, 1), 0);
    case 'quarter':
      return at(daysFromCivil(c.year, Math.floor((c.month - 1) / 3) * 3 + 1, 1), 0);
    default:
      return at(daysFromCivil(truncYear(unit, c.year), 1, 1), 0);
  }
}

function truncYear(unit: string, year: number): number {
  switch (unit) {
    case 'year':
      return year;
    case 'decade':
      return year > 0 ? Math.trunc(year / 10) * 10 : -Math.trunc((8 - (year - 1)) / 10) * 10;
    case 'century':
      return year > 0
        ? Math.trunc((year + 99) / 100) * 100 - 99
        : -Math.trunc((99 - (year - 1)) / 100) * 100 + 1;
    default:
      return year > 0
        ? Math.trunc((year + 999) / 1000) * 1000 - 999
        : -Math.trunc((999 - (year - 1)) / 1000) * 1000 + 1;
  }
}

/** date_trunc on an interval. */
export function truncateInterval(unitText: string, iv: Interval): Interval {
  const unit = normalizeUnit(unitText, 'interval');
  const micros = iv.micros;
  const keep = (us: bigint) => (micros / us) * us;
  switch (unit) {
    case 'microseconds':
      return iv;
    case 'milliseconds':
      return { ...iv, micros: keep(1000n) };
    case 'second':
      return { ...iv, micros: keep(1_000_000n) };
    case 'minute':
      return { ...iv, micros: keep(60_000_000n) };
    case 'hour':
      return { ...iv, micros: keep(3_600_000_000n) };
    case 'day':
      return { ...iv, micros: 0n };
    case 'month':
      return { months: iv.months, days: 0, micros: 0n };
    case 'quarter':
      return { months: iv.months - (iv.months % 3), days: 0, micros: 0n };
    case 'year':
      return { months: iv.months - (iv.months % 12), days: 0, micros: 0n };
    case 'decade':
      return { months: iv.months - (iv.months % 120), days: 0, micros: 0n };
    case 'century':
      return { months: iv.months - (iv.months % 1200), days: 0, micros: 0n };
    case 'millennium':
      return { months: iv.months - (iv.months % 12000), days: 0, micros: 0n };
    default:
      throw unsupported(unitText, 'interval');
  }
}
