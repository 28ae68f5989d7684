/**
 * interval text I/O. Input: PostgreSQL's unit syntax ('1 year 2 mons -3 days 04:05:06.5',
 * '@ 1 minute ago', '1.5 hours', abbreviations like 'h', 'min', 'mon', 'y'), a bare number (seconds),
 * SQL-standard 'Y-M' and 'D H:M:S', and ISO 8601 ('P1Y2M3DT4H5M6S', 'P0001-02-03T04:05:06').
 * Fractional units spill into smaller fields as PostgreSQL does (1.5 months = 1 mon 15 days,
 * 1 month = 30 days, 1 day = 24 hours). Output: IntervalStyle postgres (default), and
 * iso_8601, sql_standard, postgres_verbose.
 * Exports: parseInterval, formatInterval, intervalSpanMicros.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { IntervalStyle } from '../settings.js';
import type { Interval } from '../value.js';
import { fractionMicros } from './datetime-parse.js';

const dayUs = 86_400_000_000;
const monthDays = 30;

interface Accumulator {
  /** Units already given: each may appear once, as in PostgreSQL ('1 hour 1 hour' is an error). */
  seen: Set<string>;
  months: number;
  days: number;
  /** Microseconds; kept as a number during parsing (exact below 2^53, i.e. about 285 years). */
  micros: number;
  /** Extra microseconds held exactly when values are huge. */
  big: bigint;
}

function syntaxError(input: string): KeelError {
  return new KeelError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type interval: "${input}"`);
}

function fieldOverflow(input: string): KeelError {
  return new KeelError(SqlState.IntervalFieldOverflow, `interval field value out of range: "${input}"`);
}

type UnitKind = 'us' | 'ms' | 's' | 'min' | 'h' | 'd' | 'w' | 'mon' | 'y' | 'dec' | 'c' | 'mil';

const units: Record<string, UnitKind> = {};
function unit(kind: UnitKind, ...names: string[]): void {
  for (const n of names) units[n] = kind;
}
unit('us', 'microsecond', 'microseconds', 'microsecon', 'us', 'usec', 'usecs', 'useconds');
unit('ms', 'millisecond', 'milliseconds', 'millisecon', 'ms', 'msec', 'msecs', 'mseconds');
unit('s', 'second', 'seconds', 's', 'sec', 'secs');
unit('min', 'minute', 'minutes', 'm', 'min', 'mins');
unit('h', 'hour', 'hours', 'h', 'hr', 'hrs');
unit('d', 'day', 'days', 'd');
unit('w', 'week', 'weeks', 'w');
unit('mon', 'month', 'months', 'mon', 'mons');
unit('y', 'year', 'years', 'y', 'yr', 'yrs');
unit('dec', 'decade', 'decades', 'dec', 'decs');
unit('c', 'century', 'centuries', 'c', 'cent');
unit('mil', 'millennium', 'millennia', 'mil', 'mils');

/** Adds `value` of a unit, spilling fractions into smaller fields. */
function addUnit(acc: Accumulator, value: number, kind: UnitKind): void {
  switch (kind) {
    case 'us':
      acc.micros += value;
      return;
    case 'ms':
      acc.micros += value * 1000;
      return;
    case 's':
      acc.micros += value * 1_000_000;
      return;
    case 'min':
      acc.micros += value * 60_000_000;
      return;
    case 'h':
      acc.micros += value * 3_600_000_000;
      return;
    case 'd':
      addDays(acc, value);
      return;
    case 'w':
      addDays(acc, value * 7);
      return;
    case 'mon':
      addMonths(acc, value);
      return;
    case 'y':
      addMonths(acc, value * 12);
      return;
    case 'dec':
      addMonths(acc, value * 120);
      return;
    case 'c':
      addMonths(acc, value * 1200);
      return;
    case 'mil':
      addMonths(acc, value * 12000);
      return;
  }
}

function addDays(acc: Accumulator, value: number): void {
  const whole = Math.trunc(value);
  acc.days += whole;
  acc.micros += Math.round((value - whole) * dayUs);
}

function addMonths(acc: Accumulator, value: number): void {
  const whole = Math.trunc(value);
  acc.months += whole;
  const fracDays = (value - whole) * monthDays;
  const rounded = Math.round(fracDays * 1e6) / 1e6;
  addDays(acc, rounded);
}

/** Parses interval text. */
export function parseInterval(input: string): Interval {
  const text = input.trim().toLowerCase();
  if (text === '') throw syntaxError(input);
  if (text.startsWith('p')) return parseIso(input, text.slice(1));
  const acc: Accumulator = { seen: new Set<string>(), months: 0, days: 0, micros: 0, big: 0n };
  const tokens = text
    .replace(/^@\s*/, '')
    .split(/\s+/)
    .flatMap((t) =>
      /^([+-]?\d+(\.\d+)?[a-z]+)+$/.test(t) ? (t.match(/[+-]?\d+(?:\.\d+)?[a-z]+/g) ?? [t]) : [t],
    );
  let ago = false;
  let i = 0;
  while (i < tokens.length) {
    const tok = tokens[i] ?? '';
    if (tok === 'ago') {
      if (i !== tokens.length - 1) throw syntaxError(input);
      ago = true;
      i++;
      continue;
    }
    i = parseToken(acc, tokens, i, input);
  }
  return finish(acc, ago, input);
}

function markSeen(acc: Accumulator, kinds: string[], input: string): void {
  for (const k of kinds) {
    if (acc.seen.has(k)) throw syntaxError(input);
    acc.seen.add(k);
  }
}

function parseToken(acc: Accumulator, tokens: string[], i: number, input: string): number {
  const tok = tokens[i] ?? '';
  if (tok.includes(':')) {
    markSeen(acc, ['h', 'min', 's'], input);
    addClock(acc, tok, input);
    return i + 1;
  }
  const ym = /^([+-]?)(\d+)-(\d+)$/.exec(tok);
  if (ym !== null) {
    const sign = ym[1] === '-' ? -1 : 1;
    acc.months += sign * (Number(ym[2]) * 12 + Number(ym[3]));
    return i + 1;
  }
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([a-z]*)$/.exec(tok);
  if (m === null) throw syntaxError(input);
  const value = Number(m[1]);
  let unitName = m[2] ?? '';
  let next = i + 1;
  if (unitName === '') {
    const following = tokens[i + 1];
    if (following !== undefined && units[following] !== undefined) {
      unitName = following;
      next = i + 2;
    } else if (following?.includes(':') && Number.isInteger(value)) {
      markSeen(acc, ['d'], input);
      addDays(acc, value);
      return next;
    } else {
      markSeen(acc, ['s'], input);
      acc.micros += value * 1_000_000;
      return next;
    }
  }
  const kind = units[unitName];
  if (kind === undefined) throw syntaxError(input);
  markSeen(acc, [kind], input);
  addUnit(acc, value, kind);
  return next;
}

/** 'hh:mm', 'hh:mm:ss.fff', with optional sign; 'mm:ss.fff' when the second part has a fraction. */
function addClock(acc: Accumulator, tok: string, input: string): void {
  const m = /^([+-]?)(\d+):(\d+)(?::(\d+)(?:\.(\d*))?|\.(\d*))?$/.exec(tok);
  if (m === null) throw syntaxError(input);
  const sign = m[1] === '-' ? -1 : 1;
  let us: number;
  if (m[6] !== undefined) {
    us = (Number(m[2]) * 60 + Number(m[3])) * 1_000_000 + fractionMicros(m[6]);
  } else {
    if (Number(m[3]) > 59 || Number(m[4] ?? 0) > 59) throw fieldOverflow(input);
    us =
      ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1_000_000 + fractionMicros(m[5] ?? '');
  }
  acc.micros += sign * us;
}

function parseIso(input: string, body: string): Interval {
  const acc: Accumulator = { seen: new Set<string>(), months: 0, days: 0, micros: 0, big: 0n };
  const alt = /^(\d{4})-?(\d{2})-?(\d{2})(?:t(\d{2}):?(\d{2}):?(\d{2})(?:\.(\d+))?)?$/.exec(body);
  if (alt !== null) {
    acc.months = Number(alt[1]) * 12 + Number(alt[2]);
    acc.days = Number(alt[3]);
    acc.micros = ((Number(alt[4] ?? 0) * 60 + Number(alt[5] ?? 0)) * 60 + Number(alt[6] ?? 0)) * 1e6;
    acc.micros += fractionMicros(alt[7] ?? '');
    return finish(acc, false, input);
  }
  let inTime = false;
  const re = /(t)|([+-]?\d+(?:\.\d+)?)([ymwdhs])/y;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (m === null) throw syntaxError(input);
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      inTime = true;
      continue;
    }
    const value = Number(m[2]);
    const u = m[3];
    const kind: UnitKind | undefined = inTime
      ? ({ h: 'h', m: 'min', s: 's' } as const)[u as 'h' | 'm' | 's']
      : ({ y: 'y', m: 'mon', w: 'w', d: 'd' } as const)[u as 'y' | 'm' | 'w' | 'd'];
    if (kind === undefined) throw syntaxError(input);
    addUnit(acc, value, kind);
  }
  return finish(acc, false, input);
}

function finish(acc: Accumulator, ago: boolean, input: string): Interval {
  const micros = BigInt(Math.round(acc.micros)) + acc.big;
  if (
    !Number.isSafeInteger(acc.months) ||
    Math.abs(acc.months) > 2147483647 ||
    Math.abs(acc.days) > 2147483647
  ) {
    throw fieldOverflow(input);
  }
  const sign = ago ? -1 : 1;
  return { months: sign * acc.months + 0, days: sign * acc.days + 0, micros: ago ? -micros : micros };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function clock(micros: bigint, forceSign: boolean): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const totalSeconds = abs / 1_000_000n;
  const frac = Number(abs % 1_000_000n);
  const hours = totalSeconds / 3600n;
  const minutes = Number((totalSeconds / 60n) % 60n);
  const seconds = Number(totalSeconds % 60n);
  const sign = negative ? '-' : forceSign ? '+' : '';
  const fracText = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  return `${sign}${hours < 10n ? `0${hours}` : hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}${fracText}`;
}

/** Prints an interval in the given IntervalStyle. */
export function formatInterval(iv: Interval, style: IntervalStyle = 'postgres'): string {
  switch (style) {
    case 'iso_8601':
      return formatIso(iv);
    case 'postgres_verbose':
      return formatVerbose(iv);
    case 'sql_standard':
      return formatSqlStandard(iv);
    default:
      return formatPostgres(iv);
  }
}

function formatPostgres(iv: Interval): string {
  const years = Math.trunc(iv.months / 12);
  const months = iv.months - years * 12;
  const parts: string[] = [];
  let previousNegative = false;
  const add = (n: number, word: string, pluralWord: string) => {
    if (n === 0) return;
    const sign = previousNegative && n > 0 ? '+' : '';
    parts.push(`${sign}${n} ${n === 1 ? word : pluralWord}`);
    previousNegative = n < 0;
  };
  add(years, 'year', 'years');
  add(months, 'mon', 'mons');
  add(iv.days, 'day', 'days');
  if (iv.micros !== 0n || parts.length === 0)
    parts.push(clock(iv.micros, previousNegative && iv.micros > 0n));
  return parts.join(' ');
}

function formatVerbose(iv: Interval): string {
  const years = Math.trunc(iv.months / 12);
  const months = iv.months - years * 12;
  const allNegative =
    iv.months <= 0 && iv.days <= 0 && iv.micros <= 0n && (iv.months < 0 || iv.days < 0 || iv.micros < 0n);
  const f = allNegative ? -1 : 1;
  const parts: string[] = ['@'];
  if (years !== 0) parts.push(plural(years * f, 'year'));
  if (months !== 0) parts.push(plural(months * f, 'mon'));
  if (iv.days !== 0) parts.push(plural(iv.days * f, 'day'));
  const us = iv.micros * BigInt(f);
  const totalSeconds = us / 1_000_000n;
  const hours = Number(totalSeconds / 3600n);
  const minutes = Number((totalSeconds / 60n) % 60n);
  const micro = Number(us - totalSeconds * 1_000_000n);
  const seconds = Number(totalSeconds % 60n);
  if (hours !== 0) parts.push(plural(hours, 'hour'));
  if (minutes !== 0) parts.push(plural(minutes, 'min'));
  if (seconds !== 0 || micro !== 0) {
    const text =
      micro === 0
        ? String(seconds)
        : `${seconds}${`.${String(Math.abs(micro)).padStart(6, '0')}`.replace(/0+$/, '')}`;
    parts.push(`${text} ${seconds === 1 && micro === 0 ? 'sec' : 'secs'}`);
  }
  if (parts.length === 1) parts.push('0');
  if (allNegative) parts.push('ago');
  return parts.join(' ');
}

function formatIso(iv: Interval): string {
  if (iv.months === 0 && iv.days === 0 && iv.micros === 0n) return 'PT0S';
  const years = Math.trunc(iv.months / 12);
  const months = iv.months - years * 12;
  let out = 'P';
  if (years !== 0) out += `${years}Y`;
  if (months !== 0) out += `${months}M`;
  if (iv.days !== 0) out += `${iv.days}D`;
  if (iv.micros !== 0n) {
    const negative = iv.micros < 0n;
    const abs = negative ? -iv.micros : iv.micros;
    const s = negative ? '-' : '';
    const totalSeconds = abs / 1_000_000n;
    const h = totalSeconds / 3600n;
    const m = (totalSeconds / 60n) % 60n;
    const sec = totalSeconds % 60n;
    const frac = Number(abs % 1_000_000n);
    out += 'T';
    if (h !== 0n) out += `${s}${h}H`;
    if (m !== 0n) out += `${s}${m}M`;
    if (sec !== 0n || frac !== 0)
      out += `${s}${sec}${frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`}S`;
  }
  return out;
}

function formatSqlStandard(iv: Interval): string {
  const years = Math.trunc(iv.months / 12);
  const months = iv.months - years * 12;
  const hasYm = iv.months !== 0;
  const hasDay = iv.days !== 0;
  const hasTime = iv.micros !== 0n;
  if (!hasYm && !hasDay && !hasTime) return '0';
  const mixedSigns =
    (iv.months < 0 || iv.days < 0 || iv.micros < 0n) && (iv.months > 0 || iv.days > 0 || iv.micros > 0n);
  if (!mixedSigns && hasYm && !hasDay && !hasTime)
    return `${iv.months < 0 ? '-' : ''}${Math.abs(years)}-${Math.abs(months)}`;
  if (!mixedSigns && !hasYm) {
    const negative = iv.days < 0 || iv.micros < 0n;
    const abs = clock(iv.micros < 0n ? -iv.micros : iv.micros, false).replace(/^0(\d):/, '$1:');
    return hasDay ? `${negative ? '-' : ''}${Math.abs(iv.days)} ${abs}` : `${negative ? '-' : ''}${abs}`;
  }
  const ym = `${iv.months < 0 ? '-' : '+'}${Math.abs(years)}-${Math.abs(months)}`;
  const day = `${iv.days < 0 ? '-' : '+'}${Math.abs(iv.days)}`;
  const time = clock(iv.micros, true).replace(/^([+-])0(\d):/, '$1$2:');
  return `${ym} ${day} ${time}`;
}

/** The interval's total length for comparison: months as 30 days, days as 24 hours. */
export function intervalSpanMicros(iv: Interval): bigint {
  return (BigInt(iv.months) * 30n + BigInt(iv.days)) * 86_400_000_000n + iv.micros;
}
