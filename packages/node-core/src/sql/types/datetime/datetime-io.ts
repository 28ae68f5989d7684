/**
 * Text I/O for date, time, timestamp and timestamptz: turns parsed fields into Keel's values
 * (days since 2000, microseconds since midnight, bigint microseconds since 2000 UTC) with the
 * session's TimeZone, and prints values in the session's DateStyle (ISO, SQL, Postgres, German;
 * MDY/DMY order). Range errors use PostgreSQL's messages ("date out of range", "timestamp out of
 * range").
 * Exports: parseDate, parseTime, parseTimestamp, parseTimestamptz, formatDate, formatTime,
 * formatTimestamp, formatTimestamptz, timestampToLocal, localToTimestamptz, fractionText.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TypeSettings } from '../settings.js';
import {
  civilFromDays,
  dayOfWeek,
  daysFromCivil,
  displayYear,
  isValidDate,
  isValidTimestamp,
  joinTimestamp,
  splitDays,
  splitTime,
  timeOfFields,
  timestampInfinity,
  timestampMinusInfinity,
  usecsPerDay,
} from './calendar.js';
import { type DateTimeFields, parseDateTimeFields } from './datetime-parse.js';
import { formatOffset, offsetForLocal, type TimeZone } from './time-zone.js';

/** Seconds from 1970-01-01 to 2000-01-01. */
const epochShiftSeconds = 946_684_800;

function timestampOutOfRange(input?: string): KeelError {
  return new KeelError(
    SqlState.DatetimeFieldOverflow,
    input === undefined ? 'timestamp out of range' : `timestamp out of range: "${input}"`,
  );
}

function dateOutOfRange(input?: string): KeelError {
  return new KeelError(
    SqlState.DatetimeFieldOverflow,
    input === undefined ? 'date out of range' : `date out of range: "${input}"`,
  );
}

/** Local wall-clock microseconds (since 2000, as if UTC) of a UTC timestamp in `zone`. */
export function timestampToLocal(ts: bigint, zone: TimeZone): { local: bigint; offset: number } {
  const utcSeconds = Number(ts / 1_000_000n) + epochShiftSeconds;
  const offset = zone.offsetAt(utcSeconds);
  return { local: ts + BigInt(offset) * 1_000_000n, offset };
}

/** UTC microseconds of a local wall time in `zone` (gaps and overlaps resolve to the later instant). */
export function localToTimestamptz(local: bigint, zone: TimeZone): bigint {
  const localSeconds = Number(local / 1_000_000n) + epochShiftSeconds;
  return local - BigInt(offsetForLocal(zone, localSeconds)) * 1_000_000n;
}

function fieldsToLocal(f: DateTimeFields): bigint {
  const days = daysFromCivil(f.year, f.month, f.day);
  return joinTimestamp(days, timeOfFields(f.hour, f.minute, f.second, f.micro));
}

function nowLocal(settings: TypeSettings): bigint {
  return timestampToLocal(settings.transactionTimestamp, settings.timeZone).local;
}

function midnight(local: bigint, addDays: number): bigint {
  const { days } = splitDays(local);
  return joinTimestamp(days + addDays, 0);
}

function specialLocal(f: DateTimeFields, settings: TypeSettings): bigint {
  switch (f.special) {
    case 'epoch':
      return -BigInt(epochShiftSeconds) * 1_000_000n;
    case 'infinity':
      return timestampInfinity;
    case '-infinity':
      return timestampMinusInfinity;
    case 'now':
      return nowLocal(settings);
    case 'today':
      return midnight(nowLocal(settings), 0);
    case 'tomorrow':
      return midnight(nowLocal(settings), 1);
    default:
      return midnight(nowLocal(settings), -1);
  }
}

export function parseTimestamp(text: string, settings: TypeSettings): bigint {
  const f = parseDateTimeFields(text, 'timestamp', settings.dateStyle.order);
  if (f.special !== null) return specialLocal(f, settings);
  if (!f.hasDate)
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type timestamp: "${text}"`);
  const ts = fieldsToLocal(f);
  if (!isValidTimestamp(ts)) throw timestampOutOfRange(text);
  return ts;
}

export function parseTimestamptz(text: string, settings: TypeSettings): bigint {
  const typeName = 'timestamp with time zone';
  const f = parseDateTimeFields(text, typeName, settings.dateStyle.order);
  if (f.special !== null) {
    if (f.special === 'now') return settings.transactionTimestamp;
    if (f.special === 'epoch') return -BigInt(epochShiftSeconds) * 1_000_000n;
    const local = specialLocal(f, settings);
    if (local === timestampInfinity || local === timestampMinusInfinity) return local;
    return localToTimestamptz(local, settings.timeZone);
  }
  if (!f.hasDate)
    throw new KeelError(
      SqlState.InvalidDatetimeFormat,
      `invalid input syntax for type ${typeName}: "${text}"`,
    );
  const local = fieldsToLocal(f);
  const ts =
    f.offset !== null
      ? local - BigInt(f.offset) * 1_000_000n
      : localToTimestamptz(local, f.zone ?? settings.timeZone);
  if (!isValidTimestamp(ts)) throw timestampOutOfRange(text);
  return ts;
}

export function parseDate(text: string, settings: TypeSettings): number {
  const f = parseDateTimeFields(text, 'date', settings.dateStyle.order);
  if (f.special !== null) {
    if (f.special === 'infinity') return Number.POSITIVE_INFINITY;
    if (f.special === '-infinity') return Number.NEGATIVE_INFINITY;
    return splitDays(specialLocal(f, settings)).days;
  }
  if (!f.hasDate)
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type date: "${text}"`);
  const days = daysFromCivil(f.year, f.month, f.day);
  if (!isValidDate(days)) throw dateOutOfRange(text);
  return days;
}

export function parseTime(text: string, settings: TypeSettings): number {
  const f = parseDateTimeFields(text, 'time', settings.dateStyle.order, true);
  if (f.special === 'now') return splitDays(nowLocal(settings)).timeUs;
  if (f.special !== null && f.special !== 'epoch') {
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type time: "${text}"`);
  }
  if (!f.hasTime && f.special === null) {
    throw new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type time: "${text}"`);
  }
  return timeOfFields(f.hour, f.minute, f.second, f.micro);
}

/** '.5', '.123456' or '' for whole seconds. */
export function fractionText(micro: number): string {
  if (micro === 0) return '';
  return `.${String(micro).padStart(6, '0').replace(/0+$/, '')}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad4(n: number): string {
  return n < 1000 ? String(n).padStart(4, '0') : String(n);
}

export function formatTime(timeUs: number): string {
  const t = splitTime(timeUs);
  return `${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}${fractionText(t.micro)}`;
}

const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const shortDays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function formatDate(days: number, settings: TypeSettings): string {
  if (days === Number.POSITIVE_INFINITY) return 'infinity';
  if (days === Number.NEGATIVE_INFINITY) return '-infinity';
  const c = civilFromDays(days);
  const { year, bc } = displayYear(c.year);
  const suffix = bc ? ' BC' : '';
  const { format, order } = settings.dateStyle;
  const y = pad4(year);
  const m = pad2(c.month);
  const d = pad2(c.day);
  switch (format) {
    case 'ISO':
      return `${y}-${m}-${d}${suffix}`;
    case 'SQL':
      return `${order === 'DMY' ? `${d}/${m}` : `${m}/${d}`}/${y}${suffix}`;
    case 'German':
      return `${d}.${m}.${y}${suffix}`;
    default:
      return `${order === 'DMY' ? `${d}-${m}` : `${m}-${d}`}-${y}${suffix}`;
  }
}

interface ZoneText {
  offset: number;
  abbreviation: string;
}

function formatLocal(local: bigint, settings: TypeSettings, zone: ZoneText | null): string {
  const { days, timeUs } = splitDays(local);
  const c = civilFromDays(days);
  const t = splitTime(timeUs);
  const { year, bc } = displayYear(c.year);
  const suffix = bc ? ' BC' : '';
  const time = `${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}${fractionText(t.micro)}`;
  const { format, order } = settings.dateStyle;
  const y = pad4(year);
  const m = pad2(c.month);
  const d = pad2(c.day);
  const abbrev = zone === null ? '' : ` ${zone.abbreviation}`;
  switch (format) {
    case 'ISO':
      return `${y}-${m}-${d} ${time}${zone === null ? '' : formatOffset(zone.offset)}${suffix}`;
    case 'SQL':
      return `${order === 'DMY' ? `${d}/${m}` : `${m}/${d}`}/${y} ${time}${abbrev}${suffix}`;
    case 'German':
      return `${d}.${m}.${y} ${time}${abbrev}${suffix}`;
    default: {
      const dow = shortDays[dayOfWeek(days)] ?? '';
      const mon = shortMonths[c.month - 1] ?? '';
      const md = order === 'DMY' ? `${d} ${mon}` : `${mon} ${d}`;
      return `${dow} ${md} ${time} ${y}${abbrev}${suffix}`;
    }
  }
}

export function formatTimestamp(ts: bigint, settings: TypeSettings): string {
  if (ts === timestampInfinity) return 'infinity';
  if (ts === timestampMinusInfinity) return '-infinity';
  return formatLocal(ts, settings, null);
}

export function formatTimestamptz(
  ts: bigint,
  settings: TypeSettings,
  zone: TimeZone = settings.timeZone,
): string {
  if (ts === timestampInfinity) return 'infinity';
  if (ts === timestampMinusInfinity) return '-infinity';
  const { local, offset } = timestampToLocal(ts, zone);
  const utcSeconds = Number(ts / 1_000_000n) + epochShiftSeconds;
  const abbreviation = settings.dateStyle.format === 'ISO' ? '' : zone.abbreviationAt(utcSeconds);
  return formatLocal(local, settings, { offset, abbreviation });
}

/** Microseconds of one day, for callers working in days. */
export const dayMicros = usecsPerDay;
