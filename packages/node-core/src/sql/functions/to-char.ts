import { Decimal } from 'decimal.js';
import {
  civilFromDays,
  dayOfWeek,
  daysFromCivil,
  postgresEpochJulian,
  splitDays,
  splitTime,
  timestampInfinity,
  timestampMinusInfinity,
  usecsPerDay,
} from '../types/datetime/calendar.js';
import { timestampToLocal } from '../types/datetime/datetime-io.js';
import { formatOffset } from '../types/datetime/time-zone.js';
import { Dec, Numeric } from '../types/numeric.js';
import type { Interval } from '../types/value.js';
import { isoWeek } from './datetime-fields.js';
import type { EvalContext } from './eval-context.js';
import { defineFunction } from './function-registry.js';
import { registerTemplateParsing } from './to-timestamp.js';
import { big, interval, num, numeric, str } from './value-access.js';

export const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const romanMonths = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];

/** Longest first, so HH24 wins over HH and MONTH over MON. */
const patterns = [
  'Y,YYY',
  'HH24',
  'HH12',
  'SSSSS',
  'SSSS',
  'MONTH',
  'Month',
  'month',
  'YYYY',
  'IYYY',
  'A.M.',
  'P.M.',
  'a.m.',
  'p.m.',
  'B.C.',
  'A.D.',
  'b.c.',
  'a.d.',
  'FF1',
  'FF2',
  'FF3',
  'FF4',
  'FF5',
  'FF6',
  'TZH',
  'TZM',
  'YYY',
  'IYY',
  'MON',
  'Mon',
  'mon',
  'DAY',
  'Day',
  'day',
  'DDD',
  'IDDD',
  'HH',
  'MI',
  'SS',
  'MS',
  'US',
  'AM',
  'PM',
  'am',
  'pm',
  'BC',
  'AD',
  'bc',
  'ad',
  'YY',
  'IY',
  'MM',
  'DY',
  'Dy',
  'dy',
  'DD',
  'ID',
  'IW',
  'WW',
  'CC',
  'RM',
  'rm',
  'TZ',
  'tz',
  'OF',
  'Y',
  'I',
  'D',
  'W',
  'J',
  'Q',
];

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  days: number;
  offset: number | null;
  abbreviation: string;
}

function ordinal(n: number, upper: boolean): string {
  const m100 = n % 100;
  const m10 = n % 10;
  const suffix =
    m100 >= 11 && m100 <= 13 ? 'th' : m10 === 1 ? 'st' : m10 === 2 ? 'nd' : m10 === 3 ? 'rd' : 'th';
  return upper ? suffix.toUpperCase() : suffix;
}

function padNum(n: number, width: number, fm: boolean): string {
  const s = String(Math.abs(n));
  const body = fm ? s : s.padStart(width, '0');
  return n < 0 ? `-${body}` : body;
}

function caseLike(word: string, pattern: string): string {
  if (pattern === pattern.toUpperCase()) return word.toUpperCase();
  if (pattern === pattern.toLowerCase()) return word.toLowerCase();
  return word;
}

function formatPattern(p: string, f: Fields, fm: boolean): string | number {
  const year = f.year > 0 ? f.year : 1 - f.year;
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  switch (p) {
    case 'HH':
    case 'HH12':
      return padNum(h12, 2, fm);
    case 'HH24':
      return padNum(f.hour, 2, fm);
    case 'MI':
      return padNum(f.minute, 2, fm);
    case 'SS':
      return padNum(f.second, 2, fm);
    case 'MS':
      return padNum(Math.floor(f.micro / 1000), 3, fm);
    case 'US':
      return padNum(f.micro, 6, fm);
    case 'SSSS':
    case 'SSSSS':
      return String((f.hour * 60 + f.minute) * 60 + f.second);
    case 'Y,YYY':
      return `${Math.floor(year / 1000)},${String(year % 1000).padStart(3, '0')}`;
    case 'YYYY':
      return padNum(year, 4, fm);
    case 'YYY':
      return padNum(year % 1000, 3, fm);
    case 'YY':
      return padNum(year % 100, 2, fm);
    case 'Y':
      return String(year % 10);
    case 'IYYY':
      return padNum(isoWeek(f.days).year, 4, fm);
    case 'IYY':
      return padNum(isoWeek(f.days).year % 1000, 3, fm);
    case 'IY':
      return padNum(isoWeek(f.days).year % 100, 2, fm);
    case 'I':
      return String(isoWeek(f.days).year % 10);
    case 'MM':
      return padNum(f.month, 2, fm);
    case 'DD':
      return padNum(f.day, 2, fm);
    case 'DDD':
      return padNum(f.days - daysFromCivil(f.year, 1, 1) + 1, 3, fm);
    case 'IDDD':
      return padNum(f.days - isoYearStart(isoWeek(f.days).year) + 1, 3, fm);
    case 'D':
      return String(dayOfWeek(f.days) + 1);
    case 'ID':
      return String(((dayOfWeek(f.days) + 6) % 7) + 1);
    case 'W':
      return String(Math.floor((f.day - 1) / 7) + 1);
    case 'WW':
      return padNum(Math.floor((f.days - daysFromCivil(f.year, 1, 1)) / 7) + 1, 2, fm);
    case 'IW':
      return padNum(isoWeek(f.days).week, 2, fm);
    case 'CC': {
      const cc = f.year > 0 ? Math.floor((f.year + 99) / 100) : -Math.floor((99 - (f.year - 1)) / 100);
      return padNum(cc, 2, fm);
    }
    case 'J':
      return String(f.days + postgresEpochJulian);
    case 'Q':
      return String(Math.floor((f.month - 1) / 3) + 1);
    default:
      return formatWordPattern(p, f, fm);
  }
}

function isoYearStart(isoYear: number): number {
  const jan4 = daysFromCivil(isoYear, 1, 4);
  return jan4 - ((dayOfWeek(jan4) + 6) % 7);
}

function formatWordPattern(p: string, f: Fields, fm: boolean): string {
  const upper = p.toUpperCase();
  switch (upper) {
    case 'MONTH': {
      const w = caseLike(months[f.month - 1] ?? '', p);
      return fm ? w : w.padEnd(9, ' ');
    }
    case 'MON':
      return caseLike((months[f.month - 1] ?? '').slice(0, 3), p);
    case 'DAY': {
      const w = caseLike(days[dayOfWeek(f.days)] ?? '', p);
      return fm ? w : w.padEnd(9, ' ');
    }
    case 'DY':
      return caseLike((days[dayOfWeek(f.days)] ?? '').slice(0, 3), p);
    case 'RM': {
      const r = romanMonths[f.month - 1] ?? '';
      const w = p === 'rm' ? r.toLowerCase() : r;
      return fm ? w : w.padEnd(4, ' ');
    }
    case 'AM':
    case 'PM':
      return caseLike(f.hour < 12 ? 'AM' : 'PM', p);
    case 'A.M.':
    case 'P.M.':
      return caseLike(f.hour < 12 ? 'A.M.' : 'P.M.', p);
    case 'BC':
    case 'AD':
      return caseLike(f.year > 0 ? 'AD' : 'BC', p);
    case 'B.C.':
    case 'A.D.':
      return caseLike(f.year > 0 ? 'A.D.' : 'B.C.', p);
    case 'TZ':
      return caseLike(f.abbreviation, p);
    case 'OF':
      return f.offset === null ? '' : formatOffset(f.offset);
    case 'TZH': {
      const o = f.offset ?? 0;
      return `${o < 0 ? '-' : '+'}${String(Math.floor(Math.abs(o) / 3600)).padStart(2, '0')}`;
    }
    case 'TZM':
      return String(Math.floor(Math.abs(f.offset ?? 0) / 60) % 60).padStart(2, '0');
    default:
      return formatFraction(p, f);
  }
}

function formatFraction(p: string, f: Fields): string {
  const digits = Number(p.slice(2));
  return String(f.micro).padStart(6, '0').slice(0, digits);
}

/** Numeric patterns are also accepted in lower case (hh24, mi, yyyy ...), as in PostgreSQL. */
const caseless = new Set([
  'Y,YYY',
  'HH24',
  'HH12',
  'SSSSS',
  'SSSS',
  'YYYY',
  'IYYY',
  'FF1',
  'FF2',
  'FF3',
  'FF4',
  'FF5',
  'FF6',
  'TZH',
  'TZM',
  'YYY',
  'IYY',
  'DDD',
  'IDDD',
  'HH',
  'MI',
  'SS',
  'MS',
  'US',
  'YY',
  'IY',
  'MM',
  'DD',
  'ID',
  'IW',
  'WW',
  'CC',
  'OF',
  'Y',
  'I',
  'D',
  'W',
  'J',
  'Q',
]);

export function matchPattern(fmt: string, i: number): string | null {
  for (const p of patterns) {
    if (fmt.startsWith(p, i)) return p;
    if (caseless.has(p) && fmt.slice(i, i + p.length).toUpperCase() === p) return p;
  }
  return null;
}

/** Applies a template to broken-down fields. */
export function formatDateTimeTemplate(fmt: string, f: Fields): string {
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    let fm = false;
    if (fmt.startsWith('FM', i) || fmt.startsWith('fm', i)) {
      fm = true;
      i += 2;
    }
    if (fmt.startsWith('FX', i)) {
      i += 2;
      continue;
    }
    const p = matchPattern(fmt, i);
    if (p !== null) {
      i += p.length;
      const text = String(formatPattern(p, f, fm));
      out += text;
      if (fmt.startsWith('TH', i) || fmt.startsWith('th', i)) {
        out += ordinal(Number(text.replace(/\D/g, '') || 0), fmt.startsWith('TH', i));
        i += 2;
      }
      continue;
    }
    i = copyLiteral(fmt, i, (s) => {
      out += s;
    });
  }
  return out;
}

export function copyLiteral(fmt: string, i: number, emit: (s: string) => void): number {
  const c = fmt.charAt(i);
  if (c === '"') {
    let j = i + 1;
    while (j < fmt.length && fmt.charAt(j) !== '"') {
      if (fmt.charAt(j) === '\\' && j + 1 < fmt.length) j++;
      emit(fmt.charAt(j));
      j++;
    }
    return j + 1;
  }
  if (c === '\\' && fmt.charAt(i + 1) === '"') {
    emit('"');
    return i + 2;
  }
  emit(c);
  return i + 1;
}

function fieldsOfLocal(local: bigint, offset: number | null, abbreviation: string): Fields {
  const { days: d, timeUs } = splitDays(local);
  const c = civilFromDays(d);
  const t = splitTime(timeUs);
  return { ...c, ...t, days: d, offset, abbreviation };
}

function timestampToChar(ts: bigint, fmt: string, ctx: EvalContext, withZone: boolean): string | null {
  if (ts === timestampInfinity || ts === timestampMinusInfinity) return null;
  if (!withZone) return formatDateTimeTemplate(fmt, fieldsOfLocal(ts, null, ''));
  const { local, offset } = timestampToLocal(ts, ctx.timeZone);
  const abbreviation = ctx.timeZone.abbreviationAt(Number(ts / 1_000_000n) + 946_684_800);
  return formatDateTimeTemplate(fmt, fieldsOfLocal(local, offset, abbreviation));
}

function intervalToChar(iv: Interval, fmt: string): string {
  const us = Number(iv.micros % usecsPerDay);
  const t = {
    minute: Math.trunc(us / 60_000_000) % 60,
    second: Math.trunc(us / 1_000_000) % 60,
    micro: us % 1_000_000,
  };
  const hours = Number(iv.micros / 3_600_000_000n);
  const f: Fields = {
    year: Math.trunc(iv.months / 12),
    month: iv.months % 12,
    day: iv.days,
    hour: hours,
    minute: t.minute,
    second: t.second,
    micro: t.micro,
    days: iv.days,
    offset: null,
    abbreviation: '',
  };
  return formatDateTimeTemplate(fmt, f);
}

/** to_char for numbers: digit positions 9/0, decimal point, group separators and sign placement. */
function numberToChar(value: Numeric, fmt: string): string {
  const fm = /fm/i.test(fmt);
  const body = fmt.replace(/fm/gi, '');
  const point = body.search(/[.D]/);
  const intPart = point < 0 ? body : body.slice(0, point);
  const fracPart = point < 0 ? '' : body.slice(point + 1);
  const fracDigits = (fracPart.match(/[90]/g) ?? []).length;
  const intDigits = (intPart.match(/[90]/g) ?? []).length;
  if (!value.isFinite()) return '#'.repeat(intDigits + fracDigits + 1);
  const rounded = value.round(fracDigits);
  const [wholeText = '0', fracText = ''] = rounded.abs().toString().split('.');
  if (wholeText.replace(/^0+/, '').length > intDigits) {
    return `${' '.repeat(/[S]|MI|PL|SG|PR/.test(body) ? 0 : 1)}${intPart.replace(/[90]/g, '#').replace(/[,G]/g, ',')}${point < 0 ? '' : `.${fracPart.replace(/[90]/g, '#')}`}`.replace(
      /^ ?/,
      ' ',
    );
  }
  const negative = rounded.sign() < 0;
  // A zero integer part prints as 0 in the last digit column only when no fraction is shown.
  const intOut = fillInteger(intPart, wholeText === '0' ? (point < 0 ? '0' : '') : wholeText);
  let frac = fracText.padEnd(fracDigits, '0');
  if (fm) {
    const keep = fracPart.replace(/[^90]/g, '').lastIndexOf('0') + 1;
    frac = frac.slice(0, keep) + frac.slice(keep).replace(/0+$/, '');
  }
  let text = intOut + (point < 0 ? '' : `.${frac}`);
  if (fm) text = text.trim();
  return applySign(text, body, negative, fm);
}

/** A float as printf's %.Nf sees it: its exact binary value rounded half to even at the template's scale. */
function exactFloat(x: number, fmt: string): Numeric {
  if (!Number.isFinite(x))
    return Number.isNaN(x) ? Numeric.NaN : x > 0 ? Numeric.Infinity : Numeric.NegativeInfinity;
  const point = fmt.search(/[.D]/);
  const scale = point < 0 ? 0 : (fmt.slice(point + 1).match(/[90]/g) ?? []).length;
  const exact = new Dec(x.toFixed(100).replace(/0+$/, '').replace(/\.$/, ''));
  return Numeric.of(exact.toDecimalPlaces(scale, Decimal.ROUND_HALF_EVEN), scale);
}

function fillInteger(pattern: string, digits: string): string {
  const slots = pattern.split('');
  let di = digits.length - 1;
  let out = '';
  let started = false;
  for (let i = slots.length - 1; i >= 0; i--) {
    const p = slots[i] ?? '';
    if (p === '9' || p === '0') {
      if (di >= 0) {
        out = (digits[di] ?? '') + out;
        di--;
      } else out = (p === '0' || hasZeroLeft(slots, i) ? '0' : ' ') + out;
      started = true;
    } else if (p === ',' || p === 'G') {
      out = (di >= 0 || hasZeroLeft(slots, i) ? ',' : ' ') + out;
    } else if (!/[SMIPLRG]/.test(p)) {
      out = p + out;
    }
  }
  return started ? out : out;
}

function hasZeroLeft(slots: string[], i: number): boolean {
  return slots.slice(0, i).includes('0');
}

function applySign(text: string, body: string, negative: boolean, fm: boolean): string {
  if (/SG/.test(body)) {
    const sign = negative ? '-' : '+';
    return body.startsWith('SG') ? `${sign}${text.trimStart()}` : `${text.trimStart()}${sign}`;
  }
  if (/PL/.test(body)) {
    const plus = negative ? ' ' : '+';
    const signed = fm ? `${negative ? '-' : ''}${text}` : placeSign(text, negative ? '-' : ' ');
    return body.startsWith('PL') ? `${plus}${signed}` : `${signed}${plus}`;
  }
  if (/^S|S$/.test(body)) {
    const sign = negative ? '-' : '+';
    return body.startsWith('S') ? placeSign(text, sign) : `${text}${sign}`;
  }
  if (/MI/.test(body))
    return body.endsWith('MI')
      ? `${text}${negative ? '-' : fm ? '' : ' '}`
      : `${negative ? '-' : ' '}${text}`;
  if (/PR/.test(body)) return negative ? `${placeSign(text, '<')}>` : fm ? text : `${placeSign(text, ' ')} `;
  if (fm) return negative ? `-${text}` : text;
  return placeSign(text, negative ? '-' : ' ');
}

/** The sign takes its own column right before the first digit (unused digit columns stay blank before it). */
function placeSign(text: string, sign: string): string {
  const first = text.search(/[0-9.]/);
  if (first < 0) return sign + text;
  return `${text.slice(0, first)}${sign}${text.slice(first)}`;
}

function registerFormatting(): void {
  const stable = { volatility: 'stable' as const };
  defineFunction(
    'to_char',
    ['timestamp', 'text'],
    'text',
    ([t, f], ctx) => timestampToChar(big(t), str(f), ctx, false),
    stable,
  );
  defineFunction(
    'to_char',
    ['timestamptz', 'text'],
    'text',
    ([t, f], ctx) => timestampToChar(big(t), str(f), ctx, true),
    stable,
  );
  defineFunction(
    'to_char',
    ['interval', 'text'],
    'text',
    ([i, f]) => intervalToChar(interval(i), str(f)),
    stable,
  );
  defineFunction(
    'to_char',
    ['numeric', 'text'],
    'text',
    ([n, f]) => numberToChar(numeric(n), str(f)),
    stable,
  );
  defineFunction(
    'to_char',
    ['int4', 'text'],
    'text',
    ([n, f]) => numberToChar(Numeric.fromInt(num(n)), str(f)),
    stable,
  );
  defineFunction(
    'to_char',
    ['int8', 'text'],
    'text',
    ([n, f]) => numberToChar(Numeric.fromInt(big(n)), str(f)),
    stable,
  );
  defineFunction(
    'to_char',
    ['float8', 'text'],
    'text',
    ([n, f]) => numberToChar(exactFloat(num(n), str(f)), str(f)),
    stable,
  );
  defineFunction(
    'to_char',
    ['float4', 'text'],
    'text',
    ([n, f]) => numberToChar(exactFloat(num(n), str(f)), str(f)),
    stable,
  );
}

export function registerToCharFunctions(): void {
  registerFormatting();
  registerTemplateParsing();
}
