/**
 * Interim type catalog for the query processor: the built-in types' oids, names, categories and
 * array types, as PostgreSQL's pg_type has them. It stands in until src/sql/types lands; the
 * binder reaches it only through registry.ts, so swapping it out touches one file.
 * Exports: TypeOid, TypeInfo, typeInfo, typeOidByName, arrayTypeOf, elementTypeOf, typeDisplayName.
 */
import type { Oid } from '../../../catalog/objects.js';

export const TypeOid = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  regproc: 24,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  regclass: 2205,
  uuid: 2950,
  record: 2249,
  jsonb: 3802,
  anyelement: 2283,
  anyarray: 2277,
  void: 2278,
  boolArray: 1000,
  int2Array: 1005,
  int4Array: 1007,
  textArray: 1009,
  varcharArray: 1015,
  int8Array: 1016,
  float4Array: 1021,
  float8Array: 1022,
  numericArray: 1231,
  dateArray: 1182,
  timestamptzArray: 1185,
  uuidArray: 2951,
  jsonbArray: 3807,
} as const;

/** PostgreSQL's typcategory letters. */
export type TypeCategory = 'B' | 'N' | 'S' | 'D' | 'T' | 'U' | 'A' | 'X' | 'P' | 'R';

export interface TypeInfo {
  oid: Oid;
  name: string;
  category: TypeCategory;
  preferred: boolean;
  /** Bytes of a value (typlen), or -1 for variable length. */
  length: number;
  arrayOid: Oid | null;
  elementOid: Oid | null;
}

function t(
  oid: Oid,
  name: string,
  category: TypeCategory,
  length: number,
  arrayOid: Oid | null,
  preferred = false,
): TypeInfo {
  return { oid, name, category, preferred, length, arrayOid, elementOid: null };
}

const scalarTypes: TypeInfo[] = [
  t(TypeOid.bool, 'boolean', 'B', 1, TypeOid.boolArray, true),
  t(TypeOid.bytea, 'bytea', 'U', -1, 1001),
  t(TypeOid.name, 'name', 'S', 64, 1003),
  t(TypeOid.int8, 'bigint', 'N', 8, TypeOid.int8Array),
  t(TypeOid.int2, 'smallint', 'N', 2, TypeOid.int2Array),
  t(TypeOid.int4, 'integer', 'N', 4, TypeOid.int4Array),
  t(TypeOid.text, 'text', 'S', -1, TypeOid.textArray, true),
  t(TypeOid.oid, 'oid', 'N', 4, 1028),
  t(TypeOid.json, 'json', 'U', -1, 199),
  t(TypeOid.float4, 'real', 'N', 4, TypeOid.float4Array),
  t(TypeOid.float8, 'double precision', 'N', 8, TypeOid.float8Array, true),
  t(TypeOid.unknown, 'unknown', 'X', -2, null),
  t(TypeOid.bpchar, 'character', 'S', -1, 1014),
  t(TypeOid.varchar, 'character varying', 'S', -1, TypeOid.varcharArray),
  t(TypeOid.date, 'date', 'D', 4, TypeOid.dateArray),
  t(TypeOid.time, 'time without time zone', 'D', 8, 1183),
  t(TypeOid.timestamp, 'timestamp without time zone', 'D', 8, 1115),
  t(TypeOid.timestamptz, 'timestamp with time zone', 'D', 8, TypeOid.timestamptzArray, true),
  t(TypeOid.interval, 'interval', 'T', 16, 1187, true),
  t(TypeOid.numeric, 'numeric', 'N', -1, TypeOid.numericArray),
  t(TypeOid.regclass, 'regclass', 'N', 4, 2210),
  t(TypeOid.uuid, 'uuid', 'U', 16, TypeOid.uuidArray),
  t(TypeOid.record, 'record', 'P', -1, 2287),
  t(TypeOid.jsonb, 'jsonb', 'U', -1, TypeOid.jsonbArray),
  t(TypeOid.anyelement, 'anyelement', 'P', 4, null),
  t(TypeOid.anyarray, 'anyarray', 'P', -1, null),
  t(TypeOid.void, 'void', 'P', 4, null),
];

const byOid = new Map<Oid, TypeInfo>();
for (const info of scalarTypes) {
  byOid.set(info.oid, info);
  if (info.arrayOid !== null) {
    byOid.set(info.arrayOid, {
      oid: info.arrayOid,
      name: `${info.name}[]`,
      category: 'A',
      preferred: false,
      length: -1,
      arrayOid: null,
      elementOid: info.oid,
    });
  }
}

export function typeInfo(oid: Oid): TypeInfo | undefined {
  return byOid.get(oid);
}

export function arrayTypeOf(oid: Oid): Oid | null {
  return byOid.get(oid)?.arrayOid ?? null;
}

export function elementTypeOf(oid: Oid): Oid | null {
  return byOid.get(oid)?.elementOid ?? null;
}

const aliases: Record<string, Oid> = {
  bool: TypeOid.bool,
  boolean: TypeOid.bool,
  bytea: TypeOid.bytea,
  name: TypeOid.name,
  int8: TypeOid.int8,
  bigint: TypeOid.int8,
  int2: TypeOid.int2,
  smallint: TypeOid.int2,
  int4: TypeOid.int4,
  int: TypeOid.int4,
  integer: TypeOid.int4,
  text: TypeOid.text,
  oid: TypeOid.oid,
  json: TypeOid.json,
  float4: TypeOid.float4,
  real: TypeOid.float4,
  float8: TypeOid.float8,
  'double precision': TypeOid.float8,
  float: TypeOid.float8,
  unknown: TypeOid.unknown,
  bpchar: TypeOid.bpchar,
  char: TypeOid.bpchar,
  character: TypeOid.bpchar,
  varchar: TypeOid.varchar,
  'character varying': TypeOid.varchar,
  date: TypeOid.date,
  time: TypeOid.time,
  timestamp: TypeOid.timestamp,
  timestamptz: TypeOid.timestamptz,
  interval: TypeOid.interval,
  numeric: TypeOid.numeric,
  decimal: TypeOid.numeric,
  regclass: TypeOid.regclass,
  uuid: TypeOid.uuid,
  record: TypeOid.record,
  jsonb: TypeOid.jsonb,
  anyelement: TypeOid.anyelement,
  anyarray: TypeOid.anyarray,
  void: TypeOid.void,
};

/** Oid of a type by one of its SQL names (lower case, without modifiers), or null. */
export function typeOidByName(name: string): Oid | null {
  return aliases[name] ?? null;
}

/** PostgreSQL's format_type-style name, used in error messages ("integer", "text[]"). */
export function typeDisplayName(oid: Oid): string {
  return byOid.get(oid)?.name ?? `type ${oid}`;
}
