/**
 * Date/time input: PostgreSQL's free-form syntax for date, time, timestamp and timestamptz.
 * The text is split into fields (numbers, dates with - / . separators, times with colons,
 * words, signed zone offsets), then the fields are interpreted: ISO 8601 forms, the DateStyle
 * field order (MDY, DMY, YMD) for ambiguous numeric dates, month and weekday names, two-digit
 * years (70-99 -> 19xx, 00-69 -> 20xx), BC/AD, AM/PM, Julian days (J2451545), concatenated
 * digits (YYYYMMDD, HHMMSS), zone offsets, abbreviations and IANA names, and the special words
 * epoch, infinity, -infinity, now, today, tomorrow, yesterday, allballs.
 * Bad syntax is 22007; a field out of range is 22008, as in PostgreSQL.
 * Exports: parseDateTimeFields, DateTimeFields, DateOrder, monthNames, dayNames.
 */
import { datetimeFieldOverflow, invalidDatetimeFormat } from '../errors.js';
import { civilFromDays, daysInMonth, postgresEpochJulian } from './calendar.js';
import { abbreviationOffset, resolveTimeZone, type TimeZone } from './time-zone.js';

export type DateOrder = 'MDY' | 'DMY' | 'YMD';

export type SpecialWord = 'epoch' | 'infinity' | '-infinity' | 'now' | 'today' | 'tomorrow' | 'yesterday';

export interface DateTimeFields {
  special: SpecialWord | null;
  hasDate: boolean;
  hasTime: boolean;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  /** Explicit offset in seconds east of UTC, when the input named one. */
  offset: number | null;
  /** Explicit zone name whose offset depends on the date (IANA), when given. */
  zone: TimeZone | null;
}

export const monthNames = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
export const dayNames = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

type Token =
  | { kind: 'number'; text: string }
  | { kind: 'date'; parts: string[]; sep: string }
  | { kind: 'time'; text: string }
  | { kind: 'word'; text: string }
  | { kind: 'offset'; text: string };

class ParseFailure extends Error {
  constructor(readonly overflow: 'none' | 'field' | 'md') {
    super('datetime parse failure');
  }
}

function fail(): never {
  throw new ParseFailure('none');
}

function overflow(md = false): never {
  throw new ParseFailure(md ? 'md' : 'field');
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function tokenize(input: string): Token[] {
  const s = input.toLowerCase();
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',') {
      i++;
    } else if (isDigit(c)) {
      i = readNumeric(s, i, tokens);
    } else if (c === '+' || c === '-') {
      i = readSigned(s, i, tokens);
    } else if (isIsoSeparator(s, i)) {
      i++;
    } else if (isAlpha(c)) {
      i = readWord(s, i, tokens);
    } else if (c === '.' && isDigit(s[i + 1])) {
      let j = i + 1;
      while (isDigit(s[j])) j++;
      tokens.push({ kind: 'number', text: s.slice(i, j) });
      i = j;
    } else {
      fail();
    }
  }
  return tokens;
}

function readNumeric(s: string, start: number, tokens: Token[]): number {
  let j = start;
  while (isDigit(s[j])) j++;
  const next = s[j];
  if (next === ':') {
    while (isDigit(s[j]) || s[j] === ':' || s[j] === '.') j++;
    tokens.push({ kind: 'time', text: s.slice(start, j) });
    return j;
  }
  if (next === '-' || next === '/' || next === '.') {
    const sep = next;
    let k = j;
    while (k < s.length && (isDigit(s[k]) || isAlpha(s[k]) || s[k] === sep)) {
      if (s[k] === 't' && isDigit(s[k + 1]) && isDigit(s[k - 1])) break;
      k++;
    }
    const text = s.slice(start, k);
    const parts = text.split(sep);
    if (sep === '.' && parts.length === 2 && parts.every((p) => /^\d+$/.test(p))) {
      tokens.push({ kind: 'number', text });
    } else {
      tokens.push({ kind: 'date', parts, sep });
    }
    return k;
  }
  if (next === 't' && isDigit(s[j + 1])) {
    tokens.push({ kind: 'number', text: s.slice(start, j) });
    return j + 1;
  }
  tokens.push({ kind: 'number', text: s.slice(start, j) });
  return j;
}

function readSigned(s: string, start: number, tokens: Token[]): number {
  let j = start + 1;
  if (isAlpha(s[j])) {
    while (isAlpha(s[j])) j++;
    tokens.push({ kind: 'word', text: s.slice(start, j) });
    return j;
  }
  while (isDigit(s[j]) || s[j] === ':' || s[j] === '.') j++;
  if (j === start + 1) fail();
  tokens.push({ kind: 'offset', text: s.slice(start, j) });
  return j;
}

function readWord(s: string, start: number, tokens: Token[]): number {
  let j = start;
  while (
    isAlpha(s[j]) ||
    s[j] === '/' ||
    s[j] === '_' ||
    (j > start && s[j - 1] !== undefined && isZoneChar(s, j))
  )
    j++;
  const posix = /^\d+[a-z]+/.exec(s.slice(j));
  if (posix !== null && j - start >= 3) j += posix[0].length;
  const text = s.slice(start, j);
  if (text === 't' && isDigit(s[j])) return j;
  if (text === 'j' && isDigit(s[j])) {
    let k = j;
    while (isDigit(s[k])) k++;
    tokens.push({ kind: 'word', text: s.slice(start, k) });
    return k;
  }
  if (s[j] === '-' && isDigit(s[j + 1]) && monthIndex(text) > 0) {
    let k = j;
    while (k < s.length && (isDigit(s[k]) || isAlpha(s[k]) || s[k] === '-')) k++;
    tokens.push({ kind: 'date', parts: s.slice(start, k).split('-'), sep: '-' });
    return k;
  }
  tokens.push({ kind: 'word', text });
  return j;
}

/** The ISO 'T' between a date and a time ('2024-01-02T03:04'): skipped. */
function isIsoSeparator(s: string, i: number): boolean {
  return s[i] === 't' && isDigit(s[i - 1]) && isDigit(s[i + 1]);
}

/** Inside an IANA name after a '/', digits and +/- belong to the name (Etc/GMT+3). */
function isZoneChar(s: string, j: number): boolean {
  const c = s[j];
  const slash = s.lastIndexOf('/', j);
  if (slash < 0) return false;
  return isDigit(c) || c === '+' || c === '-';
}

function monthIndex(word: string): number {
  if (word.length < 3) return 0;
  for (let m = 0; m < 12; m++) {
    const name = monthNames[m] ?? '';
    if (name.startsWith(word) || (word === 'sept' && m === 8)) return m + 1;
  }
  return 0;
}

function isDayName(word: string): boolean {
  if (word.length < 3) return false;
  return dayNames.some(
    (d) => d.startsWith(word) || word === 'tues' || word === 'wednes' || word === 'thur' || word === 'thurs',
  );
}

interface State {
  timeOnly: boolean;
  f: DateTimeFields;
  order: DateOrder;
  pm: boolean | null;
  bc: boolean;
  yearDigits: number;
  pendingNumbers: { text: string }[];
  monthFromName: boolean;
}

/** Parses free-form date/time text into fields; `typeName` names the type in error messages. */
export function parseDateTimeFields(
  input: string,
  typeName: string,
  order: DateOrder,
  timeOnly = false,
): DateTimeFields {
  try {
    return decode(tokenize(input), order, timeOnly);
  } catch (error) {
    if (error instanceof ParseFailure) {
      if (error.overflow === 'none') throw invalidDatetimeFormat(typeName, input);
      throw datetimeFieldOverflow(
        input,
        error.overflow === 'md' ? 'Perhaps you need a different "datestyle" setting.' : undefined,
      );
    }
    throw error;
  }
}

function emptyFields(): DateTimeFields {
  return {
    special: null,
    hasDate: false,
    hasTime: false,
    year: 2000,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    micro: 0,
    offset: null,
    zone: null,
  };
}

function decode(tokens: Token[], order: DateOrder, timeOnly: boolean): DateTimeFields {
  if (tokens.length === 0) fail();
  const st: State = {
    timeOnly,
    f: emptyFields(),
    order,
    pm: null,
    bc: false,
    yearDigits: 4,
    pendingNumbers: [],
    monthFromName: false,
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) break;
    decodeToken(st, t, tokens[i + 1]);
  }
  finishNumbers(st);
  return finish(st);
}

function decodeToken(st: State, t: Token, next: Token | undefined): void {
  switch (t.kind) {
    case 'date':
      decodeDateToken(st, t.parts);
      return;
    case 'time':
      decodeTime(st, t.text);
      return;
    case 'offset':
      decodeOffsetToken(st, t.text, next);
      return;
    case 'word':
      decodeWord(st, t.text);
      return;
    case 'number':
      decodeNumberToken(st, t.text);
      return;
  }
}

function decodeOffsetToken(st: State, text: string, next: Token | undefined): void {
  if (!st.f.hasTime && !st.f.hasDate && next === undefined && /^-\d+$/.test(text)) fail();
  st.f.offset = parseOffset(text);
}

/** '+05', '-0330', '+05:30', '-04:56:02', '+5'. */
export function parseOffset(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.slice(1);
  let h: number;
  let m = 0;
  let sec = 0;
  if (body.includes(':')) {
    const parts = body.split(':');
    if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) fail();
    h = Number(parts[0]);
    m = Number(parts[1] ?? 0);
    sec = Number(parts[2] ?? 0);
  } else if (/^\d+$/.test(body)) {
    if (body.length <= 2) h = Number(body);
    else if (body.length <= 4) {
      h = Number(body.slice(0, body.length - 2));
      m = Number(body.slice(-2));
    } else {
      h = Number(body.slice(0, body.length - 4));
      m = Number(body.slice(-4, -2));
      sec = Number(body.slice(-2));
    }
  } else {
    fail();
  }
  if (h > 15 || m > 59 || sec > 59) overflow();
  return sign * (h * 3600 + m * 60 + sec);
}

function decodeWord(st: State, word: string): void {
  const special = specialWord(word);
  if (special !== null) {
    st.f.special = special;
    if (word === 'allballs') setTimeZero(st);
    return;
  }
  if (word === 'allballs') {
    setTimeZero(st);
    st.f.offset = 0;
    return;
  }
  if (word === 'am' || word === 'a.m.') st.pm = false;
  else if (word === 'pm' || word === 'p.m.') st.pm = true;
  else if (word === 'bc') st.bc = true;
  else if (word === 'ad') st.bc = false;
  else if (word === 'at' || word === 'on') return;
  else if (word.startsWith('j') && /^j\d+$/.test(word)) setJulian(st, Number(word.slice(1)));
  else decodeNameWord(st, word);
}

function setTimeZero(st: State): void {
  st.f.hasTime = true;
}

function decodeNameWord(st: State, word: string): void {
  const month = monthIndex(word);
  if (month > 0 && !st.monthFromName) {
    st.f.month = month;
    st.monthFromName = true;
    return;
  }
  if (isDayName(word)) return;
  const abbrev = abbreviationOffset(word);
  if (abbrev !== null) {
    st.f.offset = abbrev;
    return;
  }
  const zone = word.includes('/') || /\d/.test(word) ? resolveTimeZone(properZoneCase(word)) : null;
  if (zone === null) fail();
  st.f.zone = zone;
}

/** Intl accepts zone names case-insensitively, but the cache keys on the text. */
function properZoneCase(word: string): string {
  return word.replace(/(^|[/_-])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

function specialWord(word: string): SpecialWord | null {
  switch (word) {
    case 'epoch':
    case 'infinity':
    case '-infinity':
    case 'now':
    case 'today':
    case 'tomorrow':
    case 'yesterday':
      return word;
    case '+infinity':
      return 'infinity';
    default:
      return null;
  }
}

function setJulian(st: State, julian: number): void {
  const civil = civilFromDays(julian - postgresEpochJulian);
  setDate(st, civil.year, civil.month, civil.day, 4);
}

function setDate(st: State, year: number, month: number, day: number, yearDigits: number): void {
  if (st.f.hasDate) fail();
  st.f.hasDate = true;
  st.f.year = year;
  st.f.month = month;
  st.f.day = day;
  st.yearDigits = yearDigits;
}

function decodeDateToken(st: State, parts: string[]): void {
  if (parts.length === 2 && parts.every((p) => /^\d+$/.test(p)) && (parts[0] ?? '').length === 4) {
    setDayOfYear(st, Number(parts[0]), Number(parts[1]));
    return;
  }
  if (parts.length !== 3 || parts.some((p) => p === '')) fail();
  const monthPos = parts.findIndex((p) => !/^\d+$/.test(p));
  if (monthPos >= 0) {
    decodeNamedMonthDate(st, parts, monthPos);
    return;
  }
  const [a = '', b = '', c = ''] = parts;
  if (a.length >= 3) setDate(st, Number(a), checkMonth(b), Number(c), a.length);
  else if (st.order === 'YMD') setDate(st, Number(a), checkMonth(b), Number(c), a.length);
  else if (st.order === 'DMY') setDate(st, Number(c), checkMonth(b), Number(a), c.length);
  else setDate(st, Number(c), checkMonth(a), Number(b), c.length);
}

function checkMonth(text: string): number {
  const m = Number(text);
  if (m < 1 || m > 12) overflow(true);
  return m;
}

function decodeNamedMonthDate(st: State, parts: string[], monthPos: number): void {
  const month = monthIndex(parts[monthPos] ?? '');
  if (month === 0) fail();
  const others = parts.filter((_, i) => i !== monthPos);
  const [x = '', y = ''] = others;
  if (x.length >= 3 || monthPos === 2) setDate(st, Number(x), month, Number(y), x.length);
  else setDate(st, Number(y), month, Number(x), y.length);
  if (monthPos === 2) setYearFirst(st, x, y, month);
}

function setYearFirst(st: State, x: string, y: string, month: number): void {
  st.f.year = Number(x);
  st.f.day = Number(y);
  st.f.month = month;
  st.yearDigits = x.length;
}

function setDayOfYear(st: State, year: number, doy: number): void {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (doy < 1 || doy > (leap ? 366 : 365)) overflow();
  let month = 1;
  let day = doy;
  while (day > daysInMonth(year, month)) {
    day -= daysInMonth(year, month);
    month++;
  }
  setDate(st, year, month, day, 4);
}

function decodeTime(st: State, text: string): void {
  if (st.f.hasTime) fail();
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) fail();
  const [h = '0', m = '0', s] = parts;
  if (!/^\d+$/.test(h)) fail();
  st.f.hasTime = true;
  st.f.hour = Number(h);
  if (parts.length === 2 && m.includes('.')) {
    // 'MM:SS.fff' is minutes and seconds.
    st.f.hour = 0;
    st.f.minute = Number(h);
    setSeconds(st, m);
    return;
  }
  if (!/^\d+$/.test(m)) fail();
  st.f.minute = Number(m);
  if (s !== undefined) setSeconds(st, s);
}

function setSeconds(st: State, text: string): void {
  if (!/^\d+(\.\d*)?$/.test(text)) fail();
  const [whole = '0', frac = ''] = text.split('.');
  st.f.second = Number(whole);
  st.f.micro = fractionMicros(frac);
}

/** Fraction digits to microseconds, rounding half away from zero at the 7th digit as rint does. */
export function fractionMicros(frac: string): number {
  if (frac === '') return 0;
  const x = Number(`0.${frac}`) * 1e6;
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function decodeNumberToken(st: State, text: string): void {
  if (text.includes('.')) {
    decodeFractionalNumber(st, text);
    return;
  }
  if (st.timeOnly && !st.f.hasTime && (text.length === 6 || text.length === 4) && !st.f.hasDate) {
    st.f.hasTime = true;
    st.f.hour = Number(text.slice(0, 2));
    st.f.minute = Number(text.slice(2, 4));
    st.f.second = text.length === 6 ? Number(text.slice(4)) : 0;
  } else if (text.length === 8 && !st.f.hasDate) {
    setDate(st, Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6)), 4);
  } else if (text.length === 6 && !st.f.hasDate && st.pendingNumbers.length === 0 && !st.monthFromName) {
    setDate(st, Number(text.slice(0, 2)), Number(text.slice(2, 4)), Number(text.slice(4)), 2);
  } else if ((text.length === 6 || text.length === 4) && st.f.hasDate && !st.f.hasTime) {
    st.f.hasTime = true;
    st.f.hour = Number(text.slice(0, 2));
    st.f.minute = Number(text.slice(2, 4));
    st.f.second = text.length === 6 ? Number(text.slice(4)) : 0;
  } else {
    st.pendingNumbers.push({ text });
  }
}

function decodeFractionalNumber(st: State, text: string): void {
  const [whole = '', frac = ''] = text.split('.');
  if (st.f.hasDate && !st.f.hasTime && (whole.length === 6 || whole.length === 4)) {
    decodeNumberToken(st, whole);
    st.f.micro = fractionMicros(frac);
    return;
  }
  if (whole.length === 4 && !st.f.hasDate) {
    setDayOfYear(st, Number(whole), Number(frac));
    return;
  }
  if (whole === '' && st.f.hasTime) {
    st.f.micro = fractionMicros(frac);
    return;
  }
  fail();
}

/** Assigns loose numbers (with a month name, or 'day month year' words) to day and year. */
function finishNumbers(st: State): void {
  const nums = st.pendingNumbers;
  if (nums.length === 0) return;
  if (st.f.hasDate || !st.monthFromName || nums.length > 2) fail();
  let day: string | null = null;
  let year: string | null = null;
  for (const n of nums) {
    if (day === null && n.text.length <= 2 && Number(n.text) <= 31) {
      day = n.text;
    } else if (year === null) year = n.text;
    else fail();
  }
  if (nums.length === 2 && (nums[0]?.text.length ?? 0) >= 3) {
    year = nums[0]?.text ?? null;
    day = nums[1]?.text ?? null;
  }
  st.f.hasDate = true;
  st.f.day = day === null ? 1 : Number(day);
  if (year !== null) {
    st.f.year = Number(year);
    st.yearDigits = year.length;
  } else fail();
}

function finish(st: State): DateTimeFields {
  const f = st.f;
  if (f.special !== null) return f;
  if (st.bc) {
    if (f.year <= 0) overflow();
    f.year = 1 - f.year;
  } else if (st.yearDigits <= 2 && f.hasDate) {
    f.year += f.year < 70 ? 2000 : 1900;
  } else if (f.hasDate && f.year === 0) {
    overflow();
  }
  if (st.monthFromName && !f.hasDate) fail();
  applyMeridiem(st);
  validate(f);
  return f;
}

function applyMeridiem(st: State): void {
  if (st.pm === null) return;
  const f = st.f;
  if (f.hour < 0 || f.hour > 12) overflow();
  if (st.pm && f.hour < 12) f.hour += 12;
  else if (!st.pm && f.hour === 12) f.hour = 0;
}

function validate(f: DateTimeFields): void {
  if (f.hasDate) {
    if (f.month < 1 || f.month > 12) overflow(true);
    if (f.day < 1 || f.day > daysInMonth(f.year, f.month)) overflow();
  }
  if (f.minute > 59 || f.second > 60 || f.hour > 24) overflow();
  if (f.hour === 24 && (f.minute > 0 || f.second > 0 || f.micro > 0)) overflow();
}
