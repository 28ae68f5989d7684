/**
 * Template parsing: to_date, to_timestamp(text, text) and to_number with the template patterns
 * of to_char (numbers read up to the pattern's width, month and day names, AM/PM, BC, Julian
 * days, day of year, TZH/TZM); separators in the template skip one input character, spaces
 * skip runs of spaces. Out-of-range fields are 22008, unreadable ones 22007.
 * Exports: parseDateTimeTemplate, registerTemplateParsing.
 */
import { KeelError, SqlState } from '@keel/errors';
import {
  daysFromCivil,
  daysInMonth,
  isValidTimestamp,
  postgresEpochJulian,
  splitDays,
  usecsPerDay,
} from '../types/datetime/calendar.js';
import { localToTimestamptz } from '../types/datetime/datetime-io.js';
import { Numeric } from '../types/numeric.js';
import { defineFunction } from './function-registry.js';
import { copyLiteral, days, matchPattern, months } from './to-char.js';
import { str } from './value-access.js';

interface Parsed {
  year: number | null;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  pm: boolean | null;
  bc: boolean;
  julian: number | null;
  doy: number | null;
  offset: number | null;
}

function parseError(message: string): KeelError {
  return new KeelError(SqlState.InvalidDatetimeFormat, message);
}

function readNumber(input: string, pos: number, maxDigits: number, what: string): [number, number] {
  let j = pos;
  while (j < input.length && input.charAt(j) === ' ') j++;
  const start = j;
  if (input.charAt(j) === '-' || input.charAt(j) === '+') j++;
  while (j < input.length && j - start < maxDigits && /\d/.test(input.charAt(j))) j++;
  const text = input.slice(start, j);
  if (!/\d/.test(text)) {
    throw parseError(`invalid value "${input.slice(start, start + maxDigits)}" for "${what}"`);
  }
  return [Number(text), j];
}

function readWord(
  input: string,
  pos: number,
  words: string[],
  what: string,
  length: number | null,
): [number, number] {
  const rest = input.slice(pos).toLowerCase();
  for (let i = 0; i < words.length; i++) {
    const w = (length === null ? words[i] : words[i]?.slice(0, length))?.toLowerCase() ?? '';
    if (rest.startsWith(w)) return [i, pos + w.length];
  }
  throw parseError(`invalid value "${input.slice(pos, pos + 3)}" for "${what}"`);
}

function parseField(p: string, input: string, pos: number, r: Parsed): number {
  const upper = p.toUpperCase();
  const n = (digits: number): number => {
    const [v, next] = readNumber(input, pos, digits, p);
    value = v;
    return next;
  };
  let value = 0;
  let next: number;
  switch (upper) {
    case 'YYYY':
    case 'IYYY':
      next = n(4);
      r.year = value;
      return next;
    case 'YYY':
      next = n(3);
      r.year = value < 100 ? value + 2000 : value + 1000;
      return next;
    case 'YY':
      next = n(2);
      r.year = value < 70 ? 2000 + value : 1900 + value;
      return next;
    case 'Y':
      next = n(1);
      r.year = 2000 + value;
      return next;
    case 'MM':
      next = n(2);
      r.month = value;
      return next;
    case 'DD':
      next = n(2);
      r.day = value;
      return next;
    case 'DDD':
      next = n(3);
      r.doy = value;
      return next;
    case 'HH':
    case 'HH12':
      next = n(2);
      r.hour = value;
      if (r.pm === null) r.pm = false;
      return next;
    case 'HH24':
      next = n(2);
      r.hour = value;
      return next;
    case 'MI':
      next = n(2);
      r.minute = value;
      return next;
    case 'SS':
      next = n(2);
      r.second = value;
      return next;
    case 'MS':
      next = n(3);
      r.micro = value * 1000;
      return next;
    case 'US':
      next = n(6);
      r.micro = value;
      return next;
    case 'J':
      next = n(9);
      r.julian = value;
      return next;
    case 'TZH':
      next = n(3);
      r.offset = value * 3600 + (r.offset ?? 0);
      return next;
    case 'TZM':
      next = n(2);
      r.offset = (r.offset ?? 0) + Math.sign(r.offset ?? 1) * value * 60;
      return next;
    default:
      return parseWordField(p, input, pos, r);
  }
}

function parseWordField(p: string, input: string, pos: number, r: Parsed): number {
  const upper = p.toUpperCase();
  if (upper === 'MONTH') {
    const [i, next] = readWord(input, pos, months, p, null);
    r.month = i + 1;
    return next;
  }
  if (upper === 'MON') {
    const [i, next] = readWord(input, pos, months, p, 3);
    r.month = i + 1;
    return next;
  }
  if (upper === 'DAY') return readWord(input, pos, days, p, null)[1];
  if (upper === 'DY') return readWord(input, pos, days, p, 3)[1];
  if (upper === 'AM' || upper === 'PM' || upper === 'A.M.' || upper === 'P.M.') {
    const text = input.slice(pos, pos + upper.length).toUpperCase();
    r.pm = text.startsWith('P');
    return pos + upper.length;
  }
  if (upper === 'BC' || upper === 'AD' || upper === 'B.C.' || upper === 'A.D.') {
    r.bc = input.slice(pos, pos + 1).toUpperCase() === 'B';
    return pos + upper.length;
  }
  if (upper.startsWith('FF')) {
    const [v, next] = readNumber(input, pos, Number(upper.slice(2)), p);
    r.micro = v * 10 ** (6 - (next - pos));
    return next;
  }
  return pos + p.length;
}

/** Parses `input` with a template (to_date / to_timestamp); returns local microseconds. */
export function parseDateTimeTemplate(input: string, fmt: string): { local: bigint; offset: number | null } {
  const r: Parsed = {
    year: null,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    micro: 0,
    pm: null,
    bc: false,
    julian: null,
    doy: null,
    offset: null,
  };
  let pos = 0;
  let i = 0;
  while (i < fmt.length) {
    if (fmt.startsWith('FM', i) || fmt.startsWith('FX', i) || fmt.startsWith('fm', i)) {
      i += 2;
      continue;
    }
    const p = matchPattern(fmt, i);
    if (p !== null) {
      pos = parseField(p, input, pos, r);
      i += p.length;
      continue;
    }
    if (fmt.charAt(i) === ' ') {
      while (input.charAt(pos) === ' ') pos++;
    } else if (pos < input.length && !/[0-9A-Za-z]/.test(input.charAt(pos))) pos++;
    i = copyLiteral(fmt, i, () => undefined);
  }
  return { local: buildLocal(r, input), offset: r.offset };
}

function buildLocal(r: Parsed, input: string): bigint {
  // PostgreSQL leaves an unspecified year at 0, i.e. 1 BC.
  let year = r.year ?? 0;
  if (r.bc) year = 1 - year;
  let d: number;
  if (r.julian !== null) d = r.julian - postgresEpochJulian;
  else if (r.doy !== null) d = daysFromCivil(year, 1, 1) + r.doy - 1;
  else {
    if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > daysInMonth(year, r.month)) {
      throw new KeelError(SqlState.DatetimeFieldOverflow, `date/time field value out of range: "${input}"`);
    }
    d = daysFromCivil(year, r.month, r.day);
  }
  let hour = r.hour;
  if (r.pm !== null) {
    if (hour < 1 || hour > 12) {
      throw new KeelError(SqlState.InvalidDatetimeFormat, `hour "${hour}" is invalid for the 12-hour clock`, {
        hint: 'Use the 24-hour clock, or give an hour between 1 and 12.',
      });
    }
    if (r.pm && hour < 12) hour += 12;
    if (!r.pm && hour === 12) hour = 0;
  }
  if (hour > 24 || r.minute > 59 || r.second > 60) {
    throw new KeelError(SqlState.DatetimeFieldOverflow, `date/time field value out of range: "${input}"`);
  }
  return BigInt(d) * usecsPerDay + BigInt(((hour * 60 + r.minute) * 60 + r.second) * 1_000_000 + r.micro);
}

export function registerTemplateParsing(): void {
  const stable = { volatility: 'stable' as const };
  defineFunction(
    'to_date',
    ['text', 'text'],
    'date',
    ([s, f]) => splitDays(parseDateTimeTemplate(str(s), str(f)).local).days,
    stable,
  );
  defineFunction(
    'to_timestamp',
    ['text', 'text'],
    'timestamptz',
    ([s, f], ctx) => {
      const { local, offset } = parseDateTimeTemplate(str(s), str(f));
      const ts =
        offset === null ? localToTimestamptz(local, ctx.timeZone) : local - BigInt(offset) * 1_000_000n;
      if (!isValidTimestamp(ts))
        throw new KeelError(SqlState.DatetimeFieldOverflow, 'timestamp out of range');
      return ts;
    },
    stable,
  );
  defineFunction('to_number', ['text', 'text'], 'numeric', ([s, f]) => toNumber(str(s), str(f)), stable);
}

function toNumber(s: string, fmt: string): Numeric {
  const fracDigits =
    fmt.includes('.') || /D/i.test(fmt) ? (fmt.split(/[.D]/i)[1]?.match(/[90]/g) ?? []).length : 0;
  const negative = /-|\(|<|MI/.test(s) && /-/.test(s);
  const digits = s.replace(/[^0-9.]/g, '');
  if (!/\d/.test(digits))
    throw new KeelError(SqlState.InvalidTextRepresentation, `invalid input syntax for type numeric: " "`);
  const value = Numeric.parse(digits === '.' ? '0' : digits).round(fracDigits);
  return negative ? value.negate() : value;
}
