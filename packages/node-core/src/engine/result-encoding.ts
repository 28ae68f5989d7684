/**
 * Encoding and decoding of values at the protocol boundary: rows to DataRow payloads in text or
 * binary format, Bind parameters from text or binary, and RowDescription columns. Type I/O
 * honours the session's DateStyle, IntervalStyle, TimeZone, extra_float_digits and
 * bytea_output; the derived TypeSettings are cached per settings version.
 * Exports: describeColumns, encodeRows, decodeParameter, typeSettingsOf.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row } from '../access/table-access.js';
import type { Oid } from '../catalog/objects.js';
import { receiveBinary, sendBinary } from '../sql/types/binary-io.js';
import {
  type CatalogResolver,
  defaultTypeSettings,
  parseDateStyle,
  parseIntervalStyle,
  parseTimeZoneSetting,
  type TypeSettings,
} from '../sql/types/settings.js';
import { formatText, parseText } from '../sql/types/text-io.js';
import { findType } from '../sql/types/type-registry.js';
import type { Value } from '../sql/types/value.js';
import type { ColumnDescription, EncodedRow } from './backend-contract.js';
import type { Settings } from './session-settings.js';
import type { ResultColumn } from './statement-execution.js';

const UNKNOWN = 705;
const cache = new WeakMap<Settings, { version: number; value: TypeSettings }>();

/** The type I/O settings of a session (cached until a setting changes). */
export function typeSettingsOf(settings: Settings, catalog?: CatalogResolver): TypeSettings {
  const cached = cache.get(settings);
  if (cached !== undefined && cached.version === settings.version && catalog === undefined)
    return cached.value;
  const defaults = defaultTypeSettings();
  const value = defaultTypeSettings({
    timeZone: parseTimeZoneSetting(settings.value('TimeZone')),
    dateStyle: parseDateStyle(settings.value('DateStyle'), defaults.dateStyle),
    intervalStyle: parseIntervalStyle(settings.value('IntervalStyle')),
    extraFloatDigits: Number(settings.value('extra_float_digits')),
    byteaOutput: settings.value('bytea_output') === 'escape' ? 'escape' : 'hex',
    ...(catalog === undefined ? {} : { catalog }),
  });
  if (catalog === undefined) cache.set(settings, { version: settings.version, value });
  return value;
}

export function describeColumns(
  columns: readonly ResultColumn[],
  formats: readonly (0 | 1)[],
): ColumnDescription[] {
  return columns.map((column, i) => ({
    name: column.name,
    tableOid: column.tableOid,
    columnAttr: column.attnum,
    typeOid: column.typeOid,
    typeSize: findType(column.typeOid)?.length ?? -1,
    typeModifier: column.typmod,
    format: formats[i] ?? 0,
  }));
}

export function encodeRows(
  rows: readonly Row[],
  columns: readonly ResultColumn[],
  formats: readonly (0 | 1)[],
  settings: TypeSettings,
): EncodedRow[] {
  const width = columns.length;
  const out: EncodedRow[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Row;
    const encoded: (Uint8Array | null)[] = new Array(width);
    for (let c = 0; c < width; c++) {
      const value = row[c] as Value;
      if (value === null || value === undefined) {
        encoded[c] = null;
        continue;
      }
      const typeOid = (columns[c] as ResultColumn).typeOid;
      encoded[c] =
        formats[c] === 1
          ? sendBinary(typeOid, value)
          : Buffer.from(formatText(typeOid === UNKNOWN ? 25 : typeOid, value, settings), 'utf8');
    }
    out[r] = encoded;
  }
  return out;
}

export function decodeParameter(
  raw: Uint8Array | null,
  format: 0 | 1,
  typeOid: Oid,
  settings: TypeSettings,
): Value {
  if (raw === null) return null;
  if (format === 1) {
    if (typeOid === UNKNOWN || typeOid === 0) {
      throw new KeelError(SqlState.ProtocolViolation, 'binary parameter of unknown type');
    }
    return receiveBinary(typeOid, raw);
  }
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  return parseText(typeOid === UNKNOWN || typeOid === 0 ? 25 : typeOid, text, settings);
}
