/**
 * Type registry: the pg_type facts the SQL layer needs for every type Keel supports: oid,
 * typname, SQL display name, typlen, typbyval, typcategory, typispreferred, the array type and
 * element type. The numbers are PostgreSQL 15's own (the binder's coercion rules and clients'
 * pg_type queries depend on them). Lookup by name accepts SQL spellings (integer, int, character
 * varying, double precision, timestamp with time zone, ...).
 * Exports: TypeInfo, TypeCategory, typeInfo, findType, typeByName, allTypes, isArrayType,
 * arrayTypeOf, elementTypeOf, formatType.
 */
import { KeelError, SqlState } from '@keel/errors';
import { numericTypmodParts } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';

/** pg_type.typcategory. */
export type TypeCategory = 'A' | 'B' | 'D' | 'N' | 'P' | 'S' | 'T' | 'U' | 'X' | 'Z';

export interface TypeInfo {
  oid: TypeOid;
  /** pg_type.typname ('int4', '_int4'). */
  name: string;
  /** format_type's name without modifiers ('integer', 'integer[]'). */
  sqlName: string;
  /** pg_type.typlen: bytes, -1 varlena, -2 cstring. */
  length: number;
  byValue: boolean;
  category: TypeCategory;
  preferred: boolean;
  /** Oid of the array type over this type, or 0. */
  arrayOid: TypeOid;
  /** For an array type, the element type; else 0. */
  elementOid: TypeOid;
}

type Row = [
  oid: number,
  name: string,
  sqlName: string,
  len: number,
  byval: boolean,
  cat: TypeCategory,
  pref: boolean,
  arr: number,
];

// Facts from PostgreSQL 15's pg_type (typname, typlen, typbyval, typcategory, typispreferred, typarray).
const scalarRows: Row[] = [
  [Oids.bool, 'bool', 'boolean', 1, true, 'B', true, Oids.boolArray],
  [Oids.bytea, 'bytea', 'bytea', -1, false, 'U', false, Oids.byteaArray],
  [Oids.char, 'char', '"char"', 1, true, 'Z', false, Oids.charArray],
  [Oids.name, 'name', 'name', 64, false, 'S', false, Oids.nameArray],
  [Oids.int8, 'int8', 'bigint', 8, true, 'N', false, Oids.int8Array],
  [Oids.int2, 'int2', 'smallint', 2, true, 'N', false, Oids.int2Array],
  [Oids.int4, 'int4', 'integer', 4, true, 'N', false, Oids.int4Array],
  [Oids.regproc, 'regproc', 'regproc', 4, true, 'N', false, Oids.regprocArray],
  [Oids.text, 'text', 'text', -1, false, 'S', true, Oids.textArray],
  [Oids.oid, 'oid', 'oid', 4, true, 'N', true, Oids.oidArray],
  [Oids.json, 'json', 'json', -1, false, 'U', false, Oids.jsonArray],
  [Oids.float4, 'float4', 'real', 4, true, 'N', false, Oids.float4Array],
  [Oids.float8, 'float8', 'double precision', 8, true, 'N', true, Oids.float8Array],
  [Oids.unknown, 'unknown', 'unknown', -2, false, 'X', false, 0],
  [Oids.bpchar, 'bpchar', 'character', -1, false, 'S', false, Oids.bpcharArray],
  [Oids.varchar, 'varchar', 'character varying', -1, false, 'S', false, Oids.varcharArray],
  [Oids.date, 'date', 'date', 4, true, 'D', false, Oids.dateArray],
  [Oids.time, 'time', 'time without time zone', 8, true, 'D', false, Oids.timeArray],
  [Oids.timestamp, 'timestamp', 'timestamp without time zone', 8, true, 'D', false, Oids.timestampArray],
  [Oids.timestamptz, 'timestamptz', 'timestamp with time zone', 8, true, 'D', true, Oids.timestamptzArray],
  [Oids.interval, 'interval', 'interval', 16, false, 'T', true, Oids.intervalArray],
  [Oids.numeric, 'numeric', 'numeric', -1, false, 'N', false, Oids.numericArray],
  [Oids.regprocedure, 'regprocedure', 'regprocedure', 4, true, 'N', false, Oids.regprocedureArray],
  [Oids.regclass, 'regclass', 'regclass', 4, true, 'N', false, Oids.regclassArray],
  [Oids.regtype, 'regtype', 'regtype', 4, true, 'N', false, Oids.regtypeArray],
  [Oids.record, 'record', 'record', -1, false, 'P', false, Oids.recordArray],
  [Oids.cstring, 'cstring', 'cstring', -2, false, 'P', false, Oids.cstringArray],
  [Oids.any, 'any', '"any"', 4, true, 'P', false, 0],
  [Oids.anyarray, 'anyarray', 'anyarray', -1, false, 'P', false, 0],
  [Oids.void, 'void', 'void', 4, true, 'P', false, 0],
  [Oids.anyelement, 'anyelement', 'anyelement', 4, true, 'P', false, 0],
  [Oids.anynonarray, 'anynonarray', 'anynonarray', 4, true, 'P', false, 0],
  [Oids.uuid, 'uuid', 'uuid', 16, false, 'U', false, Oids.uuidArray],
  [Oids.jsonb, 'jsonb', 'jsonb', -1, false, 'U', false, Oids.jsonbArray],
  [Oids.regnamespace, 'regnamespace', 'regnamespace', 4, true, 'N', false, Oids.regnamespaceArray],
  [Oids.regrole, 'regrole', 'regrole', 4, true, 'N', false, Oids.regroleArray],
  [Oids.anycompatible, 'anycompatible', 'anycompatible', 4, true, 'P', false, 0],
  [Oids.anycompatiblearray, 'anycompatiblearray', 'anycompatiblearray', -1, false, 'P', false, 0],
];

const byOid = new Map<TypeOid, TypeInfo>();
const byName = new Map<string, TypeInfo>();

function register(info: TypeInfo): void {
  byOid.set(info.oid, info);
  byName.set(info.name, info);
}

for (const [oid, name, sqlName, length, byValue, category, preferred, arrayOid] of scalarRows) {
  register({ oid, name, sqlName, length, byValue, category, preferred, arrayOid, elementOid: 0 });
  if (arrayOid !== 0) {
    register({
      oid: arrayOid,
      name: `_${name}`,
      sqlName: `${sqlName}[]`,
      length: -1,
      byValue: false,
      category: 'A',
      preferred: false,
      arrayOid: 0,
      elementOid: oid,
    });
  }
}

/** SQL spellings and aliases accepted in casts and DDL. */
const aliases: Record<string, TypeOid> = {
  boolean: Oids.bool,
  smallint: Oids.int2,
  integer: Oids.int4,
  int: Oids.int4,
  bigint: Oids.int8,
  real: Oids.float4,
  float: Oids.float8,
  'double precision': Oids.float8,
  decimal: Oids.numeric,
  dec: Oids.numeric,
  character: Oids.bpchar,
  char: Oids.bpchar,
  'character varying': Oids.varchar,
  '"char"': Oids.char,
  'time without time zone': Oids.time,
  'timestamp without time zone': Oids.timestamp,
  'timestamp with time zone': Oids.timestamptz,
  serial: Oids.int4,
  serial4: Oids.int4,
  bigserial: Oids.int8,
  serial8: Oids.int8,
  smallserial: Oids.int2,
  serial2: Oids.int2,
};

export function findType(oid: TypeOid): TypeInfo | undefined {
  return byOid.get(oid);
}

/** The registry entry; 42704 for an oid Keel does not know. */
export function typeInfo(oid: TypeOid): TypeInfo {
  const info = byOid.get(oid);
  if (info === undefined)
    throw new KeelError(SqlState.UndefinedObject, `type with OID ${oid} does not exist`);
  return info;
}

/** By typname or SQL spelling ('int4', 'integer', 'timestamptz', 'character varying', 'int4[]'). */
export function typeByName(name: string): TypeInfo | undefined {
  const lower = name.trim().toLowerCase();
  if (lower.endsWith('[]')) {
    const element = typeByName(lower.slice(0, -2));
    return element === undefined || element.arrayOid === 0 ? undefined : byOid.get(element.arrayOid);
  }
  const direct = byName.get(lower);
  if (direct !== undefined) return direct;
  const alias = aliases[lower];
  return alias === undefined ? undefined : byOid.get(alias);
}

export function allTypes(): TypeInfo[] {
  return [...byOid.values()];
}

export function isArrayType(oid: TypeOid): boolean {
  return (byOid.get(oid)?.elementOid ?? 0) !== 0;
}

/** The array type over `oid`, or 0 when there is none. */
export function arrayTypeOf(oid: TypeOid): TypeOid {
  return byOid.get(oid)?.arrayOid ?? 0;
}

/** The element type of an array type, or 0. */
export function elementTypeOf(oid: TypeOid): TypeOid {
  return byOid.get(oid)?.elementOid ?? 0;
}

/** format_type(oid, typmod): 'character varying(10)', 'numeric(10,2)', 'timestamp(3) with time zone', 'integer[]'. */
export function formatType(oid: TypeOid, typmod = -1): string {
  const info = byOid.get(oid);
  if (info === undefined) return '???';
  if (info.elementOid !== 0) return `${formatType(info.elementOid, typmod)}[]`;
  if (typmod < 0) return oid === Oids.bpchar && typmod === -1 ? 'character' : info.sqlName;
  switch (oid) {
    case Oids.varchar:
    case Oids.bpchar:
      return `${info.sqlName}(${typmod - 4})`;
    case Oids.numeric: {
      const { precision, scale } = numericTypmodParts(typmod);
      return `numeric(${precision},${scale})`;
    }
    case Oids.time:
      return `time(${typmod}) without time zone`;
    case Oids.timestamp:
      return `timestamp(${typmod}) without time zone`;
    case Oids.timestamptz:
      return `timestamp(${typmod}) with time zone`;
    case Oids.interval:
      return typmodIntervalText(typmod);
    default:
      return info.sqlName;
  }
}

function typmodIntervalText(typmod: number): string {
  const precision = typmod & 0xffff;
  return precision === 0xffff ? 'interval' : `interval(${precision})`;
}
