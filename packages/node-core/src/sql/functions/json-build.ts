/**
 * SQL values to JSON: to_json/to_jsonb and the json(b)_build_object/array constructors, plus
 * the json-text layouts PostgreSQL's json (not jsonb) functions produce, which differ by
 * function: to_json of an array prints `[1,2]`, json_build_array `[1, 2]`, json_build_object
 * `{"a" : 1}`, row_to_json `{"a":1}`. Numbers stay numbers (NaN and infinities become
 * strings), timestamps use ISO 8601 with a 'T', bytea its hex text, records objects.
 * Exports: toJsonb, toJsonText, registerJsonBuildFunctions.
 */
import { KeelError, SqlState } from '@keel/errors';
import { timestampInfinity, timestampMinusInfinity } from '../types/datetime/calendar.js';
import { formatDate, timestampToLocal } from '../types/datetime/datetime-io.js';
import { formatOffset } from '../types/datetime/time-zone.js';
import { formatFloat4, formatFloat8 } from '../types/float-format.js';
import { formatJsonb, jsonbObject, parseJsonb, quoteJsonString } from '../types/json-io.js';
import { Numeric } from '../types/numeric.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { formatText } from '../types/text-io.js';
import { elementTypeOf } from '../types/type-registry.js';
import { isRecord, type Jsonb, JsonNull, type PgArray, type Value } from '../types/value.js';
import type { EvalContext } from './eval-context.js';
import { defineFunction, type Implementation } from './function-registry.js';

const isoSettings = { dateStyle: { format: 'ISO', order: 'MDY' } } as const;

function isoTimestamp(ts: bigint, ctx: EvalContext, withZone: boolean): string {
  if (ts === timestampInfinity) return 'infinity';
  if (ts === timestampMinusInfinity) return '-infinity';
  const settings = { ...ctx, ...isoSettings };
  if (!withZone) return formatText(Oids.timestamp, ts, settings).replace(' ', 'T');
  const { local, offset } = timestampToLocal(ts, ctx.timeZone);
  const text = formatText(Oids.timestamp, local, settings).replace(' ', 'T');
  const zone = formatOffset(offset);
  return `${text.replace(/ BC$/, '')}${zone.length === 3 ? `${zone}:00` : zone}${text.endsWith(' BC') ? ' BC' : ''}`;
}

function numberToJsonb(n: Numeric): Jsonb {
  return n.isFinite() ? n : n.toString();
}

function floatToJsonb(x: number, real: boolean): Jsonb {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  return Numeric.parse(real ? formatFloat4(x, 1) : formatFloat8(x, 1));
}

/** A SQL value of type `type` as a jsonb value. */
export function toJsonb(type: TypeOid, v: Value, ctx: EvalContext): Jsonb {
  if (v === null) return JsonNull;
  switch (type) {
    case Oids.bool:
      return v as boolean;
    case Oids.int2:
    case Oids.int4:
    case Oids.int8:
    case Oids.oid:
      return Numeric.fromInt(v as number | bigint);
    case Oids.float4:
      return floatToJsonb(v as number, true);
    case Oids.float8:
      return floatToJsonb(v as number, false);
    case Oids.numeric:
      return numberToJsonb(v as Numeric);
    case Oids.jsonb:
      return v as Jsonb;
    case Oids.json:
      return parseJsonb(v as string);
    case Oids.timestamp:
      return isoTimestamp(v as bigint, ctx, false);
    case Oids.timestamptz:
      return isoTimestamp(v as bigint, ctx, true);
    case Oids.date:
      return formatDate(v as number, { ...ctx, ...isoSettings });
    default:
      return compositeToJsonb(type, v, ctx);
  }
}

function compositeToJsonb(type: TypeOid, v: Value, ctx: EvalContext): Jsonb {
  const element = elementTypeOf(type);
  if (element !== 0) return arrayToJsonb(v as PgArray, element, ctx);
  if (isRecord(v)) {
    const keys = v.values.map((_, i) => v.names?.[i] ?? `f${i + 1}`);
    return jsonbObject(
      keys,
      v.values.map((x, i) => toJsonb(v.types[i] ?? Oids.text, x, ctx)),
    );
  }
  return formatText(type, v, ctx);
}

function arrayToJsonb(a: PgArray, element: TypeOid, ctx: EvalContext): Jsonb {
  if (a.dims.length === 0) return [];
  let index = 0;
  const level = (depth: number): Jsonb[] => {
    const n = a.dims[depth]?.length ?? 0;
    const out: Jsonb[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        depth === a.dims.length - 1 ? toJsonb(element, a.values[index++] ?? null, ctx) : level(depth + 1),
      );
    }
    return out;
  };
  return level(0);
}

/** to_json's compact text for one value (arrays `[1,2]`, records `{"f1":1}`), scalars as jsonb prints them. */
export function toJsonText(type: TypeOid, v: Value, ctx: EvalContext): string {
  if (v === null) return 'null';
  if (type === Oids.json) return v as string;
  const element = elementTypeOf(type);
  if (element !== 0) return compactJson(toJsonb(type, v, ctx));
  if (isRecord(v)) {
    const parts = v.values.map(
      (x, i) =>
        `${quoteJsonString(v.names?.[i] ?? `f${i + 1}`)}:${toJsonText(v.types[i] ?? Oids.text, x, ctx)}`,
    );
    return `{${parts.join(',')}}`;
  }
  return formatJsonb(toJsonb(type, v, ctx));
}

function compactJson(j: Jsonb): string {
  if (Array.isArray(j)) return `[${j.map(compactJson).join(',')}]`;
  return formatJsonb(j);
}

function keyText(type: TypeOid, v: Value, position: number, ctx: EvalContext): string {
  if (v === null)
    throw new KeelError(SqlState.InvalidParameterValue, `argument ${position}: key must not be null`);
  return formatText(type, v, ctx);
}

function checkPairs(n: number, fn: string): void {
  if (n % 2 !== 0) {
    throw new KeelError(SqlState.InvalidParameterValue, 'argument list must have even number of elements', {
      hint: `The arguments of ${fn}() must consist of alternating keys and values.`,
    });
  }
}

function bindJsonbBuildObject(types: TypeOid[]): Implementation {
  return (args, ctx) => {
    checkPairs(args.length, 'jsonb_build_object');
    const keys: string[] = [];
    const values: Jsonb[] = [];
    for (let i = 0; i < args.length; i += 2) {
      keys.push(keyText(types[i] ?? Oids.text, args[i] ?? null, i + 1, ctx));
      values.push(toJsonb(types[i + 1] ?? Oids.text, args[i + 1] ?? null, ctx));
    }
    return jsonbObject(keys, values);
  };
}

function bindJsonBuildObject(types: TypeOid[]): Implementation {
  return (args, ctx) => {
    checkPairs(args.length, 'json_build_object');
    const parts: string[] = [];
    for (let i = 0; i < args.length; i += 2) {
      const key = keyText(types[i] ?? Oids.text, args[i] ?? null, i + 1, ctx);
      parts.push(
        `${quoteJsonString(key)} : ${toJsonText(types[i + 1] ?? Oids.text, args[i + 1] ?? null, ctx)}`,
      );
    }
    return `{${parts.join(', ')}}`;
  };
}

export function registerJsonBuildFunctions(): void {
  const variadicAny = { strict: false, variadic: true, volatility: 'stable' as const };
  defineFunction('to_jsonb', ['anyelement'], 'jsonb', () => null, {
    volatility: 'stable',
    bind: (types) => (args, ctx) => toJsonb(types[0] ?? Oids.text, args[0] ?? null, ctx),
  });
  defineFunction('to_json', ['anyelement'], 'json', () => null, {
    volatility: 'stable',
    bind: (types) => (args, ctx) => toJsonText(types[0] ?? Oids.text, args[0] ?? null, ctx),
  });
  defineFunction('jsonb_build_object', ['any'], 'jsonb', () => null, {
    ...variadicAny,
    bind: bindJsonbBuildObject,
  });
  defineFunction('jsonb_build_object', [], 'jsonb', () => jsonbObject([], []), { volatility: 'stable' });
  defineFunction('json_build_object', ['any'], 'json', () => null, {
    ...variadicAny,
    bind: bindJsonBuildObject,
  });
  defineFunction('json_build_object', [], 'json', () => '{}', { volatility: 'stable' });
  defineFunction('jsonb_build_array', ['any'], 'jsonb', () => null, {
    ...variadicAny,
    bind: (types) => (args, ctx) => args.map((a, i) => toJsonb(types[i] ?? Oids.text, a ?? null, ctx)),
  });
  defineFunction('jsonb_build_array', [], 'jsonb', () => [], { volatility: 'stable' });
  defineFunction('json_build_array', ['any'], 'json', () => null, {
    ...variadicAny,
    bind: (types) => (args, ctx) =>
      `[${args.map((a, i) => toJsonText(types[i] ?? Oids.text, a ?? null, ctx)).join(', ')}]`,
  });
  defineFunction('json_build_array', [], 'json', () => '[]', { volatility: 'stable' });
  defineFunction('row_to_json', ['record'], 'json', () => null, {
    volatility: 'stable',
    bind: () => (args, ctx) => toJsonText(Oids.record, args[0] ?? null, ctx),
  });
  defineFunction('array_to_json', ['anyarray'], 'json', () => null, {
    volatility: 'stable',
    bind: (types) => (args, ctx) => toJsonText(types[0] ?? Oids.textArray, args[0] ?? null, ctx),
  });
}
