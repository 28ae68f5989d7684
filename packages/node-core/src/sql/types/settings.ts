/**
 * Session settings that change how values are read and printed (PostgreSQL GUCs): TimeZone,
 * DateStyle, IntervalStyle, extra_float_digits and bytea_output, plus the transaction start
 * time that the input words 'now' and 'today' read. The SQL layer keeps one per session and
 * passes it to text I/O and to function evaluation (EvalContext extends it).
 * Exports: TypeSettings, DateStyle, DateStyleFormat, IntervalStyle, ByteaOutput,
 * CatalogResolver, defaultTypeSettings, parseDateStyle, formatDateStyle, parseIntervalStyle, setTimeZone.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { DateOrder } from './datetime/datetime-parse.js';
import { resolveTimeZone, type TimeZone, utcTimeZone } from './datetime/time-zone.js';
import type { Value } from './value.js';

export type DateStyleFormat = 'ISO' | 'SQL' | 'Postgres' | 'German';

export interface DateStyle {
  format: DateStyleFormat;
  order: DateOrder;
}

export type IntervalStyle = 'postgres' | 'postgres_verbose' | 'sql_standard' | 'iso_8601';
export type ByteaOutput = 'hex' | 'escape';

/** Name lookups for the reg* types, supplied by the catalog. */
export interface CatalogResolver {
  regclassIn(name: string): number;
  regclassOut(oid: number): string;
  regprocIn(name: string): number;
  regprocOut(oid: number): string;
  regnamespaceIn(name: string): number;
  regnamespaceOut(oid: number): string;
  regtypeIn?(name: string): number;
  regtypeOut?(oid: number): string;
  /** regprocedure: 'name(argtypes)'. */
  regprocedureIn?(name: string): number;
  regprocedureOut?(oid: number): string;
  regroleIn?(name: string): number;
  regroleOut?(oid: number): string;
  /**
   * Rows of a set-returning function that reads the catalog or the session
   * (pg_listening_channels), registered in src/sql/functions/catalog-set-functions.ts.
   */
  catalogRows?(name: string, args: readonly Value[]): Value[][];
}

export interface TypeSettings {
  timeZone: TimeZone;
  dateStyle: DateStyle;
  intervalStyle: IntervalStyle;
  /** -15..3; above 0 prints the shortest exact form (PostgreSQL 12+ default is 1). */
  extraFloatDigits: number;
  byteaOutput: ByteaOutput;
  /** Start of the current transaction (microseconds since 2000, UTC): the input word 'now'. */
  transactionTimestamp: bigint;
  /** Name lookups for regclass, regproc, regprocedure, regrole, regnamespace (and regtype beyond built-in types). */
  catalog?: CatalogResolver;
}

export function defaultTypeSettings(overrides: Partial<TypeSettings> = {}): TypeSettings {
  return {
    timeZone: utcTimeZone(),
    dateStyle: { format: 'ISO', order: 'MDY' },
    intervalStyle: 'postgres',
    extraFloatDigits: 1,
    byteaOutput: 'hex',
    transactionTimestamp: 0n,
    ...overrides,
  };
}

function invalidValue(name: string, value: string, detail?: string): KeelError {
  return new KeelError(
    SqlState.InvalidParameterValue,
    `invalid value for parameter "${name}": "${value}"`,
    detail === undefined ? {} : { detail },
  );
}

/** SET DateStyle: a format and/or an order keyword, comma-separated, applied over `current`. */
export function parseDateStyle(text: string, current: DateStyle): DateStyle {
  let format = current.format;
  let order = current.order;
  for (const raw of text.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === 'iso') format = 'ISO';
    else if (word === 'sql') format = 'SQL';
    else if (word === 'postgres') format = 'Postgres';
    else if (word === 'german') {
      format = 'German';
      order = 'DMY';
    } else if (word === 'mdy' || word === 'us' || word === 'noneuropean') order = 'MDY';
    else if (word === 'dmy' || word === 'euro' || word === 'european') order = 'DMY';
    else if (word === 'ymd') order = 'YMD';
    else if (word !== 'default')
      throw invalidValue('DateStyle', text, `Unrecognized key word: "${raw.trim()}".`);
  }
  return { format, order };
}

/** SHOW DateStyle: 'ISO, MDY'. */
export function formatDateStyle(style: DateStyle): string {
  return `${style.format}, ${style.order}`;
}

export function parseIntervalStyle(text: string): IntervalStyle {
  const word = text.trim().toLowerCase();
  if (word === 'postgres' || word === 'postgres_verbose' || word === 'sql_standard' || word === 'iso_8601') {
    return word;
  }
  throw invalidValue('IntervalStyle', text);
}

/** SET TimeZone: 22023 for unknown names, as PostgreSQL. */
export function parseTimeZoneSetting(text: string): TimeZone {
  const zone = resolveTimeZone(text);
  if (zone === null) throw invalidValue('TimeZone', text);
  return zone;
}
