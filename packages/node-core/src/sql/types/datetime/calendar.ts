/**
 * Calendar arithmetic for date/time types: the proleptic Gregorian calendar PostgreSQL uses,
 * with astronomical year numbering inside (year 0 is 1 BC). Dates are days since 2000-01-01;
 * timestamps are bigint microseconds since 2000-01-01 00:00; times are microseconds since
 * midnight. The infinities are sentinels: ±Infinity for dates, int64 min/max for timestamps.
 * Exports: constants, daysFromCivil, civilFromDays, isLeapYear, daysInMonth, splitTimestamp,
 * joinTimestamp, TimestampFields, dayOfWeek, range checks.
 */

export const usecsPerSec = 1_000_000n;
export const usecsPerMinute = 60_000_000n;
export const usecsPerHour = 3_600_000_000n;
export const usecsPerDay = 86_400_000_000n;
export const usecsPerDayNumber = 86_400_000_000;
export const usecsPerHourNumber = 3_600_000_000;
/** Days from 1970-01-01 to 2000-01-01. */
export const unixEpochOffsetDays = 10_957;
/** Julian day number of 2000-01-01. */
export const postgresEpochJulian = 2_451_545;

/** timestamp '-infinity' and 'infinity' (PostgreSQL's DT_NOBEGIN / DT_NOEND). */
export const timestampMinusInfinity = -(2n ** 63n);
export const timestampInfinity = 2n ** 63n - 1n;
/** First valid timestamp, 4714-11-24 00:00:00 BC (Julian day 0). */
export const minTimestamp = -BigInt(postgresEpochJulian) * 86_400_000_000n;
/** First timestamp past the range, 294277-01-01 00:00:00 (Julian day 109203528). */
export const endTimestamp = BigInt(109_203_528 - postgresEpochJulian) * 86_400_000_000n;
/** First valid date (4714-11-24 BC) and first date past the range (5874898-01-01), in days since 2000. */
export const minDate = -postgresEpochJulian;
export const endDate = 2_147_483_494 - postgresEpochJulian;

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (monthDays[month - 1] ?? 31);
}

/** Days since 2000-01-01 of a proleptic Gregorian date (astronomical year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468 - unixEpochOffsetDays;
}

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(days: number): CivilDate {
  const z = days + unixEpochOffsetDays + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** 0 = Sunday ... 6 = Saturday. 2000-01-01 was a Saturday. */
export function dayOfWeek(days: number): number {
  return (((days + 6) % 7) + 7) % 7;
}

/** Broken-down timestamp fields (astronomical year). */
export interface TimestampFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
}

/** Splits microseconds since 2000 into days and time of day (floor division). */
export function splitDays(ts: bigint): { days: number; timeUs: number } {
  let days = ts / usecsPerDay;
  let rem = ts - days * usecsPerDay;
  if (rem < 0n) {
    days -= 1n;
    rem += usecsPerDay;
  }
  return { days: Number(days), timeUs: Number(rem) };
}

export function splitTimestamp(ts: bigint): TimestampFields {
  const { days, timeUs } = splitDays(ts);
  const civil = civilFromDays(days);
  return { ...civil, ...splitTime(timeUs) };
}

export function splitTime(timeUs: number): { hour: number; minute: number; second: number; micro: number } {
  const totalSeconds = Math.floor(timeUs / 1_000_000);
  return {
    hour: Math.floor(totalSeconds / 3600),
    minute: Math.floor(totalSeconds / 60) % 60,
    second: totalSeconds % 60,
    micro: timeUs - totalSeconds * 1_000_000,
  };
}

export function joinTimestamp(days: number, timeUs: number): bigint {
  return BigInt(days) * usecsPerDay + BigInt(timeUs);
}

export function timeOfFields(hour: number, minute: number, second: number, micro: number): number {
  return ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro;
}

export function isFiniteTimestamp(ts: bigint): boolean {
  return ts !== timestampInfinity && ts !== timestampMinusInfinity;
}

export function isValidTimestamp(ts: bigint): boolean {
  return ts >= minTimestamp && ts < endTimestamp;
}

export function isValidDate(days: number): boolean {
  return days >= minDate && days < endDate;
}

/** The year as PostgreSQL prints it: astronomical year 0 is 1 BC. */
export function displayYear(year: number): { year: number; bc: boolean } {
  return year > 0 ? { year, bc: false } : { year: 1 - year, bc: true };
}
