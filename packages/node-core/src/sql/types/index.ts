/**
 * src/sql/types: Keel's SQL type system with PostgreSQL 15's semantics. See README.md for the
 * value representation and the invariants.
 * Exports: the value model, the type registry, text and binary I/O, typmods, casts, ordering,
 * hashing, B-tree key encoding and heap row encoding.
 */
export { arrayFromList, formatArrayText, makeArray, parseArrayText } from './array-io.js';
export { base10000Digits, receiveBinary, sendBinary } from './binary-io.js';
export { ByteReader, ByteWriter } from './byte-writer.js';
export { castFunction, roundHalfEven } from './cast-functions.js';
export { type CastContext, type CastMethod, type CastPath, canCoerce, castValue, findCast } from './casts.js';
export {
  type Comparator,
  comparatorFor,
  compareJsonb,
  compareValues,
  equalValues,
  hashKey,
  trimTrailingSpaces,
} from './compare.js';
export * as calendar from './datetime/calendar.js';
export {
  formatDate,
  formatTime,
  formatTimestamp,
  formatTimestamptz,
  localToTimestamptz,
  parseDate,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  timestampToLocal,
} from './datetime/datetime-io.js';
export type { DateOrder } from './datetime/datetime-parse.js';
export { formatInterval, intervalSpanMicros, parseInterval } from './datetime/interval-io.js';
export { fixedTimeZone, resolveTimeZone, type TimeZone, utcTimeZone } from './datetime/time-zone.js';
export { formatFloat4, formatFloat8, parseFloat4, parseFloat8 } from './float-format.js';
export {
  formatJsonb,
  jsonbObject,
  parseJsonb,
  prettyJsonb,
  quoteJsonString,
  validateJson,
} from './json-io.js';
export { encodeKey, encodeKeyValue, type KeyColumn, keyComparatorBytes } from './key-encoding.js';
export { Dec, makeNumericTypmod, Numeric, numericTypmodParts } from './numeric.js';
export * as numericMath from './numeric-math.js';
export { Oids, type TypeOid } from './oids.js';
export { decodeRow, encodeRow, RowCodec } from './row-codec.js';
export {
  type ByteaOutput,
  type CatalogResolver,
  type DateStyle,
  type DateStyleFormat,
  defaultTypeSettings,
  formatDateStyle,
  type IntervalStyle,
  parseDateStyle,
  parseIntervalStyle,
  parseTimeZoneSetting,
  type TypeSettings,
} from './settings.js';
export { formatText, parseText } from './text-io.js';
export {
  allTypes,
  arrayTypeOf,
  elementTypeOf,
  findType,
  formatType,
  isArrayType,
  type TypeCategory,
  type TypeInfo,
  typeByName,
  typeInfo,
} from './type-registry.js';
export { applyTypmod, type CoercionKind, typmodFromArgs } from './typmod.js';
export {
  type ArrayDim,
  compareCodePoints,
  type Interval,
  isInterval,
  isPgArray,
  isRecord,
  type Jsonb,
  JsonbObject,
  JsonNull,
  type PgArray,
  type RecordValue,
  type Value,
} from './value.js';
