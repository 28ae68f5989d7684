/**
 * Casts and coercion: PostgreSQL's pg_cast table among Keel's types with its contexts
 * (implicit 'I', assignment 'A', explicit 'E'), plus the rules PostgreSQL adds on top:
 * - unknown-type literals coerce to anything through the target's input function;
 * - any type converts to a string type (text, varchar, bpchar, name) by its output function in
 *   assignment context, and from a string type by the target's input function explicitly
 *   ("automatic I/O conversion casts");
 * - arrays convert element-wise when their element types do, in the element cast's context;
 * - a type "casts" to itself, applying only the type modifier (length coercion).
 * `findCast` answers "may I, and how"; `castValue` performs it, with PostgreSQL's rounding
 * and range errors (22003), truncation rules (22001) and time zone conversions.
 * Exports: CastContext, CastMethod, CastPath, findCast, castValue, canCoerce.
 */
import { assert } from '@keel/errors';
import { castFunction } from './cast-functions.js';
import { Oids, type TypeOid } from './oids.js';
import type { TypeSettings } from './settings.js';
import { formatText, parseText } from './text-io.js';
import { elementTypeOf, findType, typeByName } from './type-registry.js';
import { applyTypmod, type CoercionKind } from './typmod.js';
import type { PgArray, Value } from './value.js';

export type CastContext = 'implicit' | 'assignment' | 'explicit';

/** How a cast is carried out: a conversion function, a no-op relabel, text I/O, per element, or typmod only. */
export type CastMethod = 'function' | 'relabel' | 'io' | 'array' | 'typmod';

export interface CastPath {
  from: TypeOid;
  to: TypeOid;
  method: CastMethod;
  /** The weakest context that allows this cast. */
  context: CastContext;
}

const contextRank: Record<CastContext, number> = { implicit: 0, assignment: 1, explicit: 2 };
const letterContext: Record<string, CastContext> = { I: 'implicit', A: 'assignment', E: 'explicit' };

// pg_cast rows of PostgreSQL 15 among Keel's types: [source, target, context]; relabels marked 'b'.
const table =
  'bool int4 E,bool text A,bool bpchar A,bool varchar A,char int4 E,char text I,char bpchar A,char varchar A,' +
  'name text I,name bpchar A,name varchar A,int8 int2 A,int8 int4 A,int8 regproc I,int8 oid I,int8 float4 I,' +
  'int8 float8 I,int8 numeric I,int8 regclass I,int8 regtype I,int8 regnamespace I,int2 int8 I,int2 int4 I,' +
  'int2 regproc I,int2 oid I,int2 float4 I,int2 float8 I,int2 numeric I,int2 regclass I,int2 regtype I,' +
  'int2 regnamespace I,int4 bool E,int4 char E,int4 int8 I,int4 int2 A,int4 regproc Ib,int4 oid Ib,int4 float4 I,' +
  'int4 float8 I,int4 numeric I,int4 regclass Ib,int4 regtype Ib,int4 regnamespace Ib,regproc int8 A,' +
  'regproc int4 Ab,regproc oid Ib,text char A,text name I,text bpchar Ib,text varchar Ib,text regclass I,' +
  'oid int8 A,oid int4 Ab,oid regproc Ib,oid regclass Ib,oid regtype Ib,oid regnamespace Ib,json jsonb A,' +
  'float4 int8 A,float4 int2 A,float4 int4 A,float4 float8 I,float4 numeric A,float8 int8 A,float8 int2 A,' +
  'float8 int4 A,float8 float4 A,float8 numeric A,bpchar char A,bpchar name I,bpchar text I,bpchar varchar I,' +
  'varchar char A,varchar name I,varchar text Ib,varchar bpchar Ib,varchar regclass I,date timestamp I,' +
  'date timestamptz I,time interval I,timestamp date A,timestamp time A,timestamp timestamptz I,' +
  'timestamptz date A,timestamptz time A,timestamptz timestamp A,interval time A,numeric int8 A,numeric int2 A,' +
  'numeric int4 A,numeric float4 I,numeric float8 I,regclass int8 A,regclass int4 Ab,regclass oid Ib,' +
  'regtype int8 A,regtype int4 Ab,regtype oid Ib,jsonb bool E,jsonb int8 E,jsonb int2 E,jsonb int4 E,' +
  'jsonb json A,jsonb float4 E,jsonb float8 E,jsonb numeric E,regnamespace int8 A,regnamespace int4 Ab,' +
  'regnamespace oid Ib,int8 regprocedure I,int2 regprocedure I,int4 regprocedure Ib,oid regprocedure Ib,' +
  'regprocedure oid Ib,regprocedure int8 A,regprocedure int4 Ab,regproc regprocedure Ib,regprocedure regproc Ib,' +
  'int8 regrole I,int2 regrole I,int4 regrole Ib,oid regrole Ib,regrole oid Ib,regrole int8 A,regrole int4 Ab';

const pgCasts = new Map<string, CastPath>();
for (const row of table.split(',')) {
  const [fromName = '', toName = '', flags = ''] = row.split(' ');
  const from = oidOfName(fromName);
  const to = oidOfName(toName);
  const context = letterContext[flags.charAt(0)] ?? 'explicit';
  pgCasts.set(`${from}>${to}`, { from, to, context, method: flags.endsWith('b') ? 'relabel' : 'function' });
}

function oidOfName(name: string): TypeOid {
  const info = typeByName(name);
  assert(info !== undefined, `cast table names unknown type ${name}`);
  return info.oid;
}

function isStringCategory(oid: TypeOid): boolean {
  return findType(oid)?.category === 'S';
}

/**
 * The cast path from `from` to `to` if `context` allows it, else null. Same-type paths are
 * 'typmod'; unknown literals are 'io' in every context.
 */
export function findCast(from: TypeOid, to: TypeOid, context: CastContext): CastPath | null {
  const path = castPath(from, to);
  if (path === null || contextRank[path.context] > contextRank[context]) return null;
  return path;
}

/** Whether a value of `from` may be used where `to` is expected in `context`. */
export function canCoerce(from: TypeOid, to: TypeOid, context: CastContext): boolean {
  return findCast(from, to, context) !== null;
}

const pathCache = new Map<string, CastPath | null>();

function castPath(from: TypeOid, to: TypeOid): CastPath | null {
  const key = `${from}>${to}`;
  const cached = pathCache.get(key);
  if (cached !== undefined) return cached;
  const path = computePath(from, to, key);
  pathCache.set(key, path);
  return path;
}

function computePath(from: TypeOid, to: TypeOid, key: string): CastPath | null {
  if (from === to) return { from, to, method: 'typmod', context: 'implicit' };
  if (from === Oids.unknown) return { from, to, method: 'io', context: 'implicit' };
  const direct = pgCasts.get(key);
  if (direct !== undefined) return direct;
  const fromElement = elementTypeOf(from);
  const toElement = elementTypeOf(to);
  if (fromElement !== 0 && toElement !== 0) {
    const element = castPath(fromElement, toElement);
    return element === null ? null : { from, to, method: 'array', context: element.context };
  }
  if (findType(from) === undefined || findType(to) === undefined) return null;
  if (isStringCategory(to)) return { from, to, method: 'io', context: 'assignment' };
  if (isStringCategory(from)) return { from, to, method: 'io', context: 'explicit' };
  if (from === Oids.record && to === Oids.text) return { from, to, method: 'io', context: 'assignment' };
  return null;
}

/**
 * Casts a non-null or null value from `from` to `to` and applies `typmod` (-1 for none).
 * `kind` decides truncation versus 22001 for varchar/char lengths ('explicit' truncates).
 * The caller has checked the path with findCast; an impossible cast is a bug.
 */
export function castValue(
  value: Value,
  from: TypeOid,
  to: TypeOid,
  typmod: number,
  settings: TypeSettings,
  kind: CoercionKind = 'explicit',
): Value {
  if (value === null) return null;
  const path = castPath(from, to);
  assert(path !== null, `no cast from ${from} to ${to}`);
  const converted = convert(value, path, settings);
  return typmod < 0 ? converted : applyTypmod(converted, to, typmod, kind);
}

function convert(value: Value, path: CastPath, settings: TypeSettings): Value {
  switch (path.method) {
    case 'typmod':
    case 'relabel':
      return value;
    case 'io':
      return parseText(
        path.to,
        path.from === Oids.unknown ? (value as string) : formatText(path.from, value, settings),
        settings,
      );
    case 'array': {
      const array = value as PgArray;
      const fromElement = elementTypeOf(path.from);
      const toElement = elementTypeOf(path.to);
      return {
        elementType: toElement,
        dims: array.dims,
        values: array.values.map((v) => castValue(v, fromElement, toElement, -1, settings)),
      };
    }
    default:
      return castFunction(path.from, path.to)(value, settings);
  }
}
