/**
 * Text I/O for every type: `parseText` is each type's input function (typinput) and
 * `formatText` its output function (typoutput), under the session's settings. Array types
 * delegate their elements to the element type. The reg* types print and read numbers unless the
 * settings carry a catalog resolver (regtype resolves built-in type names on its own).
 * Exports: parseText, formatText.
 */
import { KeelError, SqlState } from '@keel/errors';
import { formatArrayText, parseArrayText } from './array-io.js';
import {
  formatDate,
  formatTime,
  formatTimestamp,
  formatTimestamptz,
  parseDate,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
} from './datetime/datetime-io.js';
import { formatInterval, parseInterval } from './datetime/interval-io.js';
import { formatFloat4, formatFloat8, parseFloat4, parseFloat8 } from './float-format.js';
import { formatJsonb, parseJsonb, validateJson } from './json-io.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import {
  formatBool,
  formatBytea,
  formatChar,
  parseBool,
  parseBytea,
  parseChar,
  parseInt2,
  parseInt4,
  parseInt8,
  parseName,
  parseOid,
  parseUuid,
} from './scalar-io.js';
import type { TypeSettings } from './settings.js';
import { elementTypeOf, formatType, typeByName } from './type-registry.js';
import { applyTypmod } from './typmod.js';
import type { Interval, Jsonb, PgArray, RecordValue, Value } from './value.js';

/** Text input of `oid` (with `typmod` applied as an explicit cast would). */
export function parseText(oid: TypeOid, text: string, settings: TypeSettings, typmod = -1): Value {
  const value = parseUnmodified(oid, text, settings);
  return typmod < 0 ? value : applyTypmod(value, oid, typmod, 'assignment');
}

function parseUnmodified(oid: TypeOid, text: string, settings: TypeSettings): Value {
  switch (oid) {
    case Oids.bool:
      return parseBool(text);
    case Oids.int2:
      return parseInt2(text);
    case Oids.int4:
      return parseInt4(text);
    case Oids.int8:
      return parseInt8(text);
    case Oids.float4:
      return parseFloat4(text);
    case Oids.float8:
      return parseFloat8(text);
    case Oids.numeric:
      return Numeric.parse(text);
    case Oids.text:
    case Oids.varchar:
    case Oids.bpchar:
    case Oids.unknown:
      return text;
    case Oids.name:
      return parseName(text);
    case Oids.char:
      return parseChar(text);
    case Oids.bytea:
      return parseBytea(text);
    case Oids.uuid:
      return parseUuid(text);
    case Oids.json:
      return validateJson(text);
    case Oids.jsonb:
      return parseJsonb(text);
    default:
      return parseTemporalOrOther(oid, text, settings);
  }
}

function parseTemporalOrOther(oid: TypeOid, text: string, settings: TypeSettings): Value {
  switch (oid) {
    case Oids.date:
      return parseDate(text, settings);
    case Oids.time:
      return parseTime(text, settings);
    case Oids.timestamp:
      return parseTimestamp(text, settings);
    case Oids.timestamptz:
      return parseTimestamptz(text, settings);
    case Oids.interval:
      return parseInterval(text);
    case Oids.oid:
      return parseOid(text);
    case Oids.regclass:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
    case Oids.regtype:
      return parseRegType(oid, text, settings);
    default: {
      const element = elementTypeOf(oid);
      if (element === 0) {
        throw new KeelError(
          SqlState.FeatureNotSupported,
          `text input of type ${formatType(oid)} is not supported`,
        );
      }
      return parseArrayText(text, element, (s) => parseUnmodified(element, s, settings));
    }
  }
}

function parseRegType(oid: TypeOid, text: string, settings: TypeSettings): number {
  const trimmed = text.trim();
  // As PostgreSQL's reg*in: '-' is the invalid oid 0, a number is an oid taken as it is.
  if (trimmed === '-') return 0;
  if (/^\d+$/.test(trimmed)) return parseOid(trimmed, formatType(oid));
  const catalog = settings.catalog;
  if (oid === Oids.regtype) {
    if (catalog?.regtypeIn !== undefined) return catalog.regtypeIn(trimmed);
    const info = typeByName(trimmed);
    if (info === undefined) throw new KeelError(SqlState.UndefinedObject, `type "${trimmed}" does not exist`);
    return info.oid;
  }
  const lookup =
    catalog === undefined
      ? undefined
      : oid === Oids.regclass
        ? catalog.regclassIn
        : oid === Oids.regproc
          ? catalog.regprocIn
          : oid === Oids.regprocedure
            ? catalog.regprocedureIn
            : oid === Oids.regrole
              ? catalog.regroleIn
              : catalog.regnamespaceIn;
  if (lookup === undefined) {
    throw new KeelError(SqlState.UndefinedObject, `${formatType(oid)} "${trimmed}" does not exist`);
  }
  return lookup.call(catalog, trimmed);
}

/** Text output of a non-null value of type `oid`. */
export function formatText(oid: TypeOid, value: Value, settings: TypeSettings): string {
  switch (oid) {
    case Oids.bool:
      return formatBool(value as boolean);
    case Oids.int2:
    case Oids.int4:
    case Oids.oid:
      return String(value);
    case Oids.int8:
      return (value as bigint).toString();
    case Oids.float4:
      return formatFloat4(value as number, settings.extraFloatDigits);
    case Oids.float8:
      return formatFloat8(value as number, settings.extraFloatDigits);
    case Oids.numeric:
      return (value as Numeric).toString();
    case Oids.text:
    case Oids.varchar:
    case Oids.bpchar:
    case Oids.name:
    case Oids.unknown:
    case Oids.uuid:
    case Oids.json:
      return value as string;
    case Oids.char:
      return formatChar(value as string);
    case Oids.bytea:
      return formatBytea(value as Uint8Array, settings.byteaOutput);
    case Oids.jsonb:
      return formatJsonb(value as Jsonb);
    default:
      return formatTemporalOrOther(oid, value, settings);
  }
}

function formatTemporalOrOther(oid: TypeOid, value: Value, settings: TypeSettings): string {
  switch (oid) {
    case Oids.date:
      return formatDate(value as number, settings);
    case Oids.time:
      return formatTime(value as number);
    case Oids.timestamp:
      return formatTimestamp(value as bigint, settings);
    case Oids.timestamptz:
      return formatTimestamptz(value as bigint, settings);
    case Oids.interval:
      return formatInterval(value as Interval, settings.intervalStyle);
    case Oids.regclass:
    case Oids.regproc:
    case Oids.regnamespace:
    case Oids.regprocedure:
    case Oids.regrole:
    case Oids.regtype:
      return formatRegType(oid, value as number, settings);
    case Oids.record:
      return formatRecord(value as RecordValue, settings);
    default: {
      const element = elementTypeOf(oid);
      if (element === 0) return String(value);
      return formatArrayText(value as PgArray, (v) => formatText(element, v, settings));
    }
  }
}

function formatRegType(oid: TypeOid, value: number, settings: TypeSettings): string {
  const catalog = settings.catalog;
  if (oid === Oids.regtype) {
    if (catalog?.regtypeOut !== undefined) return catalog.regtypeOut(value);
    const name = formatType(value);
    return value === 0 ? '-' : name === '???' ? String(value) : name;
  }
  if (value === 0) return '-';
  const output =
    catalog === undefined
      ? undefined
      : oid === Oids.regclass
        ? catalog.regclassOut
        : oid === Oids.regproc
          ? catalog.regprocOut
          : oid === Oids.regprocedure
            ? catalog.regprocedureOut
            : oid === Oids.regrole
              ? catalog.regroleOut
              : catalog.regnamespaceOut;
  return output === undefined ? String(value) : output.call(catalog, value);
}

/** record_out: '(1,abc,)' with quoting like arrays but doubling quotes. */
function formatRecord(record: RecordValue, settings: TypeSettings): string {
  const parts = record.values.map((v, i) => {
    if (v === null) return '';
    const text = formatText(record.types[i] ?? Oids.text, v, settings);
    if (text === '' || /[(),"\\\s]/.test(text)) return `"${text.replace(/(["\\])/g, '$1$1')}"`;
    return text;
  });
  return `(${parts.join(',')})`;
}
