/**
 * Column types of the system views as the query processor can use them. The views are declared
 * with PostgreSQL's own type oids (pg-columns.ts); a type the query processor's type registry
 * does not know yet ("char", int2vector, oidvector, regtype, pg_node_tree, aclitem[], xid, ...)
 * is shown as its nearest stand-in (text, int2[], oid[], oid, text, text[], ...), checked at
 * start-up against the registry, so each view gets PostgreSQL's exact type as soon as the
 * registry learns it. Values are built in the representation of the type actually used.
 * Exports: viewColumnType, shapeColumns, rowsOf, int2Vector, oidVector, textArray, nameArray.
 */
import type { Row, Value } from '../../access/table-access.js';
import type { Oid } from '../../catalog/objects.js';
import { makeArray, typeInfo } from '../../sql/plan/registry/registry.js';
import type { PgRelationShape } from './pg-columns.js';

const TEXT = 25;
const OID = 26;
const INT2 = 21;
const NAME = 19;

/** Stand-ins for types the registry may not know, in order of preference. */
const standIns: Record<number, number[]> = {
  18: [TEXT], // "char"
  22: [1005], // int2vector -> int2[]
  24: [OID], // regproc
  27: [TEXT], // tid
  28: [TEXT], // xid
  29: [TEXT], // cid
  30: [1028], // oidvector -> oid[]
  194: [TEXT], // pg_node_tree
  869: [TEXT], // inet
  1002: [1009], // "char"[] -> text[]
  1034: [1009], // aclitem[] -> text[]
  2206: [OID], // regtype
  2211: [1028], // regtype[] -> oid[]
  2275: [TEXT], // cstring
  2277: [1009], // anyarray
  3220: [TEXT], // pg_lsn
  3361: [TEXT],
  3402: [TEXT],
  4089: [OID], // regnamespace
  5017: [TEXT],
  10028: [TEXT],
};

function known(oid: Oid): boolean {
  try {
    return typeInfo(oid) !== undefined;
  } catch {
    // A registry that throws for an unknown oid answers "no" the same way.
    return false;
  }
}

const resolved = new Map<Oid, Oid>();

/** The type a system view column of PostgreSQL type `oid` has in Keel today. */
export function viewColumnType(oid: Oid): Oid {
  const cached = resolved.get(oid);
  if (cached !== undefined) return cached;
  const choice = known(oid) ? oid : ((standIns[oid] ?? [TEXT]).find(known) ?? TEXT);
  resolved.set(oid, choice);
  return choice;
}

/** The VirtualTable columns of a shape. */
export function shapeColumns(shape: PgRelationShape): { name: string; typeOid: Oid; typmod: number }[] {
  return shape.columns.map(([name, typeOid]) => ({ name, typeOid: viewColumnType(typeOid), typmod: -1 }));
}

/** Rows in the shape's column order from objects keyed by column name; absent keys are NULL. */
export function rowsOf(shape: PgRelationShape, objects: readonly Record<string, Value>[]): Row[] {
  const names = shape.columns.map(([name]) => name);
  return objects.map((object) => names.map((name) => object[name] ?? null));
}

function vector(pgType: Oid, element: Oid, values: number[]): Value {
  const type = viewColumnType(pgType);
  if (type === TEXT) return values.join(' ');
  return makeArray(element, values);
}

/** An int2vector value (indkey, conkey-like lists of attnums). */
export function int2Vector(values: number[]): Value {
  return vector(22, INT2, values);
}

/** An oidvector value (indclass, proargtypes). */
export function oidVector(values: number[]): Value {
  return vector(30, OID, values);
}

/** A text[] value. */
export function textArray(values: string[]): Value {
  return makeArray(TEXT, values);
}

/** A name[] value. */
export function nameArray(values: string[]): Value {
  return makeArray(NAME, values);
}

/** An int2[] value (conkey, confkey). */
export function int2Array(values: number[]): Value {
  return makeArray(INT2, values);
}

/** An oid[] value. */
export function oidArray(values: number[]): Value {
  return makeArray(OID, values);
}
