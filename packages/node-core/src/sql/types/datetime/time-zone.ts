/**
 * Time zones: the session's TimeZone setting and zone names inside timestamptz input. IANA
 * names come from the platform's tz database through Intl (the same data PostgreSQL ships);
 * numeric settings ('+02', '-5.5') are fixed offsets with ISO sign (east positive), while
 * POSIX-style names ('UTC+3', '<+03>-3') use POSIX sign (west positive), as in PostgreSQL.
 * Offsets are seconds east of UTC. A local wall time that falls in a DST gap or overlap resolves
 * as PostgreSQL does: to the later UTC instant (the smaller offset).
 * Exports: TimeZone, resolveTimeZone, fixedTimeZone, abbreviationOffset, formatOffset.
 */

export interface TimeZone {
  /** The name as given (or PostgreSQL's display form for fixed offsets). */
  readonly name: string;
  /** Offset in seconds east of UTC at a UTC instant (seconds since 1970). */
  offsetAt(utcSeconds: number): number;
  /** The abbreviation PostgreSQL prints in SQL/Postgres/German DateStyles. */
  abbreviationAt(utcSeconds: number): string;
}

/** Offset that turns a local wall time (seconds since 1970, as if UTC) into UTC: utc = local - offset. */
export function offsetForLocal(zone: TimeZone, localSeconds: number): number {
  const a = zone.offsetAt(localSeconds - 86_400);
  const b = zone.offsetAt(localSeconds + 86_400);
  const c = zone.offsetAt(localSeconds);
  let best: number | null = null;
  for (const o of [a, b, c]) {
    if (zone.offsetAt(localSeconds - o) === o && (best === null || o < best)) best = o;
  }
  return best ?? Math.min(a, b, c);
}

/** '+02', '-05:30', '+05:45:10': PostgreSQL's numeric zone text (ISO sign). */
export function formatOffset(offsetSeconds: number, withColon = true): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const h = Math.floor(abs / 3600);
  const m = Math.floor(abs / 60) % 60;
  const s = abs % 60;
  let text = `${sign}${String(h).padStart(2, '0')}`;
  if (m !== 0 || s !== 0) text += `${withColon ? ':' : ''}${String(m).padStart(2, '0')}`;
  if (s !== 0) text += `${withColon ? ':' : ''}${String(s).padStart(2, '0')}`;
  return text;
}

class FixedZone implements TimeZone {
  constructor(
    readonly name: string,
    private readonly offset: number,
    private readonly abbreviation: string,
  ) {}
  offsetAt(): number {
    return this.offset;
  }
  abbreviationAt(): string {
    return this.abbreviation;
  }
}

export function fixedTimeZone(offsetSeconds: number, name?: string): TimeZone {
  const abbreviation = formatOffset(offsetSeconds);
  return new FixedZone(
    name ?? `<${abbreviation}>${formatOffset(-offsetSeconds)}`,
    offsetSeconds,
    abbreviation,
  );
}

const utcZone = new FixedZone('UTC', 0, 'UTC');

/** Intl's long zone names for which tzdata's abbreviation differs from Intl's short name. */
const longNameAbbreviations: Record<string, string> = {
  'Central European Standard Time': 'CET',
  'Central European Summer Time': 'CEST',
  'Eastern European Standard Time': 'EET',
  'Eastern European Summer Time': 'EEST',
  'Western European Standard Time': 'WET',
  'Western European Summer Time': 'WEST',
  'British Summer Time': 'BST',
  'Irish Standard Time': 'IST',
  'Greenwich Mean Time': 'GMT',
  'Moscow Standard Time': 'MSK',
  'Japan Standard Time': 'JST',
  'Korean Standard Time': 'KST',
  'India Standard Time': 'IST',
  'China Standard Time': 'CST',
  'Israel Standard Time': 'IST',
  'Israel Daylight Time': 'IDT',
  'Australian Eastern Standard Time': 'AEST',
  'Australian Eastern Daylight Time': 'AEDT',
  'Australian Central Standard Time': 'ACST',
  'Australian Central Daylight Time': 'ACDT',
  'Australian Western Standard Time': 'AWST',
  'New Zealand Standard Time': 'NZST',
  'New Zealand Daylight Time': 'NZDT',
  'Hong Kong Standard Time': 'HKT',
  'South Africa Standard Time': 'SAST',
};

const cacheBucketSeconds = 900;
const cacheEntriesMax = 4096;
const intlMinSeconds = -8.64e12 + 86_400 * 2;
const intlMaxSeconds = 8.64e12 - 86_400 * 2;

class IanaZone implements TimeZone {
  private readonly format: Intl.DateTimeFormat;
  private abbreviations: Intl.DateTimeFormat | null = null;
  private longNames: Intl.DateTimeFormat | null = null;
  private readonly cache = new Map<number, number>();

  constructor(
    readonly name: string,
    ianaName: string,
  ) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: ianaName,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(utcSeconds: number): number {
    const t = Math.min(Math.max(Math.floor(utcSeconds), intlMinSeconds), intlMaxSeconds);
    const bucket = Math.floor(t / cacheBucketSeconds);
    const cached = this.cache.get(bucket);
    if (cached !== undefined) return cached;
    const start = bucket * cacheBucketSeconds;
    const atStart = this.compute(start);
    const atEnd = this.compute(start + cacheBucketSeconds - 1);
    if (atStart === atEnd) {
      if (this.cache.size >= cacheEntriesMax) this.cache.clear();
      this.cache.set(bucket, atStart);
      return atStart;
    }
    return this.compute(t);
  }

  private compute(utcSeconds: number): number {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.format.formatToParts(new Date(utcSeconds * 1000))) {
      const n = Number(part.value);
      if (part.type === 'year') year = n;
      else if (part.type === 'month') month = n;
      else if (part.type === 'day') day = n;
      else if (part.type === 'hour') hour = n;
      else if (part.type === 'minute') minute = n;
      else if (part.type === 'second') second = n;
      else if (part.type === 'era') bc = part.value.startsWith('B');
    }
    if (bc) year = 1 - year;
    const local = new Date(0);
    local.setUTCFullYear(year, month - 1, day);
    local.setUTCHours(hour, minute, second, 0);
    return local.getTime() / 1000 - utcSeconds;
  }

  abbreviationAt(utcSeconds: number): string {
    const date = new Date(Math.min(Math.max(utcSeconds, intlMinSeconds), intlMaxSeconds) * 1000);
    this.abbreviations ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.format.resolvedOptions().timeZone,
      timeZoneName: 'short',
    });
    const short = this.abbreviations.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (!short.startsWith('GMT') || short === 'GMT')
      return short === 'GMT' && this.isUtcName() ? 'UTC' : short;
    this.longNames ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.format.resolvedOptions().timeZone,
      timeZoneName: 'long',
    });
    const long = this.longNames.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
    return longNameAbbreviations[long] ?? formatOffset(this.offsetAt(utcSeconds), false);
  }

  private isUtcName(): boolean {
    const zone = this.format.resolvedOptions().timeZone;
    return zone === 'UTC' || zone === 'Etc/UTC';
  }
}

const zoneCache = new Map<string, TimeZone | null>();

/**
 * Resolves a TimeZone setting or a zone name in input: numeric hours (ISO sign), 'UTC', IANA
 * names (case-insensitive), POSIX 'STDoffset' (POSIX sign). Returns null for unknown names.
 */
export function resolveTimeZone(name: string): TimeZone | null {
  const cached = zoneCache.get(name);
  if (cached !== undefined) return cached;
  const zone = resolveUncached(name);
  if (zoneCache.size > 1000) zoneCache.clear();
  zoneCache.set(name, zone);
  return zone;
}

function resolveUncached(name: string): TimeZone | null {
  const trimmed = name.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(trimmed)) return fixedTimeZone(Math.round(Number(trimmed) * 3600));
  const posixOffset = /^([+-]?)(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(trimmed);
  if (posixOffset !== null) {
    // Not a plain number, so PostgreSQL reads it as a POSIX zone: the sign counts west of UTC.
    const seconds = Number(posixOffset[2]) * 3600 + Number(posixOffset[3]) * 60 + Number(posixOffset[4] ?? 0);
    return fixedTimeZone(posixOffset[1] === '-' ? seconds : -seconds);
  }
  const lower = trimmed.toLowerCase();
  if (lower === 'utc' || lower === 'etc/utc' || lower === 'zulu' || lower === 'z' || lower === 'universal') {
    return new FixedZone(trimmed, 0, 'UTC');
  }
  if (lower === 'gmt') return new FixedZone(trimmed, 0, 'GMT');
  const posix = parsePosixZone(trimmed);
  if (posix !== null) return posix;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: trimmed });
  } catch {
    return null;
  }
  return new IanaZone(trimmed, trimmed);
}

/** 'UTC+3', 'EST5', '<+03>-3': a fixed POSIX zone (offset west of UTC). DST rules are not supported. */
function parsePosixZone(text: string): TimeZone | null {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(text);
  if (m === null) return null;
  const seconds = Number(m[3]) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0);
  const west = m[2] === '-' ? -seconds : seconds;
  const abbreviation = (m[1] ?? '').replace(/^<|>$/g, '');
  return new FixedZone(text, -west, abbreviation);
}

export function utcTimeZone(): TimeZone {
  return utcZone;
}

/** Offsets (seconds east) of the abbreviations in PostgreSQL's Default timezone_abbreviations set that apps use. */
const abbreviationOffsets: Record<string, number> = {
  utc: 0,
  ut: 0,
  gmt: 0,
  z: 0,
  zulu: 0,
  est: -5 * 3600,
  edt: -4 * 3600,
  cst: -6 * 3600,
  cdt: -5 * 3600,
  mst: -7 * 3600,
  mdt: -6 * 3600,
  pst: -8 * 3600,
  pdt: -7 * 3600,
  akst: -9 * 3600,
  akdt: -8 * 3600,
  hst: -10 * 3600,
  ast: -4 * 3600,
  adt: -3 * 3600,
  nst: -3.5 * 3600,
  ndt: -2.5 * 3600,
  cet: 3600,
  cest: 2 * 3600,
  met: 3600,
  mest: 2 * 3600,
  eet: 2 * 3600,
  eest: 3 * 3600,
  wet: 0,
  west: 3600,
  bst: 3600,
  msk: 3 * 3600,
  ist: 2 * 3600,
  idt: 3 * 3600,
  jst: 9 * 3600,
  kst: 9 * 3600,
  hkt: 8 * 3600,
  sgt: 8 * 3600,
  awst: 8 * 3600,
  acst: 9.5 * 3600,
  acdt: 10.5 * 3600,
  aest: 10 * 3600,
  aedt: 11 * 3600,
  nzst: 12 * 3600,
  nzdt: 13 * 3600,
  sast: 2 * 3600,
};

/** Offset of a zone abbreviation usable in datetime input ('EST', 'CEST'), or null. */
export function abbreviationOffset(abbreviation: string): number | null {
  return abbreviationOffsets[abbreviation.toLowerCase()] ?? null;
}
