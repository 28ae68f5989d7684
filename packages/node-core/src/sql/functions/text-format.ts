/**
 * Functions that print values of any type into text: concat, concat_ws, format (%s %I %L %%,
 * positions n$, widths and '-' flag), quote_ident, quote_literal, quote_nullable, the text ||
 * anynonarray operators, string_to_array and array_to_string. Values print with their type's
 * output function under the session settings (so true prints 't').
 * Exports: registerTextFormatFunctions, quoteIdent, quoteLiteral.
 */
import { KeelError, SqlState } from '@keel/errors';
import { arrayFromList } from '../types/array-io.js';
import { castValue } from '../types/casts.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { formatText } from '../types/text-io.js';
import type { Value } from '../types/value.js';
import type { EvalContext } from './eval-context.js';
import { defineFunction, defineOperator, type Implementation } from './function-registry.js';
import { arr, str } from './value-access.js';

/** PostgreSQL keywords that quote_ident must quote (reserved, column-name and type-function-name keywords). */
const quotedKeywords = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case cast ' +
    'char character check coalesce collate collation column concurrently constraint create cross current_catalog ' +
    'current_date current_role current_schema current_time current_timestamp current_user dec decimal default ' +
    'deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full grant ' +
    'greatest group grouping having ilike in initially inner inout int integer intersect interval into is isnull join ' +
    'lateral leading least left like limit localtime localtimestamp national natural nchar none normalize not notnull ' +
    'null nullif numeric offset on only or order out outer overlaps overlay placing position precision primary real ' +
    'references returning right row select session_user setof similar smallint some substring symmetric system_user ' +
    'table tablesample then time timestamp to trailing treat trim true union unique user using values varchar ' +
    'variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces ' +
    'xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

export function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(s) && !quotedKeywords.has(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}

export function quoteLiteral(s: string): string {
  const body = s.replace(/'/g, "''");
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

function textOf(type: TypeOid, v: Value, ctx: EvalContext): string {
  return formatText(type, v, ctx);
}

function asText(type: TypeOid, v: Value, ctx: EvalContext): string {
  return str(castValue(v, type, Oids.text, -1, ctx));
}

function bindConcat(types: TypeOid[]): Implementation {
  return (args, ctx) => {
    let out = '';
    for (let i = 0; i < args.length; i++) {
      const v = args[i] ?? null;
      if (v !== null) out += textOf(types[i] ?? Oids.text, v, ctx);
    }
    return out;
  };
}

function bindConcatWs(types: TypeOid[]): Implementation {
  return (args, ctx) => {
    const sep = args[0] ?? null;
    if (sep === null) return null;
    const parts: string[] = [];
    for (let i = 1; i < args.length; i++) {
      const v = args[i] ?? null;
      if (v !== null) parts.push(textOf(types[i] ?? Oids.text, v, ctx));
    }
    return parts.join(str(sep));
  };
}

interface FormatSpec {
  position: number | null;
  leftAlign: boolean;
  width: number | null;
  widthFromArg: number | null | 'next';
  type: string;
  length: number;
}

function parseSpec(fmt: string, start: number): FormatSpec {
  const m = /^(?:(\d+)\$)?(-)?(?:(\d+)|\*(?:(\d+)\$)?)?([sIL%])?/.exec(fmt.slice(start));
  const type = m?.[5];
  if (m === null || type === undefined) {
    if (start >= fmt.length)
      throw new KeelError(SqlState.InvalidParameterValue, 'unterminated format() type specifier', {
        hint: 'For a single "%" use "%%".',
      });
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `unrecognized format() type specifier "${fmt.charAt(start)}"`,
      {
        hint: 'For a single "%" use "%%".',
      },
    );
  }
  const star = m[0].includes('*');
  return {
    position: m[1] === undefined ? null : Number(m[1]),
    leftAlign: m[2] === '-',
    width: m[3] === undefined ? null : Number(m[3]),
    widthFromArg: star ? (m[4] === undefined ? 'next' : Number(m[4])) : null,
    type,
    length: m[0].length,
  };
}

function bindFormat(types: TypeOid[]): Implementation {
  return (args, ctx) => {
    const fmt = args[0] ?? null;
    if (fmt === null) return null;
    return formatString(str(fmt), args.slice(1), types.slice(1), ctx);
  };
}

function formatString(fmt: string, args: Value[], types: TypeOid[], ctx: EvalContext): string {
  let out = '';
  let next = 0;
  const take = (position: number | null): [Value, TypeOid] => {
    const index = position === null ? next : position - 1;
    if (position !== null && position < 1)
      throw new KeelError(
        SqlState.InvalidParameterValue,
        'format specifies argument 0, but arguments are numbered from 1',
      );
    if (index >= args.length)
      throw new KeelError(SqlState.InvalidParameterValue, 'too few arguments for format()');
    next = index + 1;
    return [args[index] ?? null, types[index] ?? Oids.text];
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charAt(i);
    if (c !== '%') {
      out += c;
      continue;
    }
    const spec = parseSpec(fmt, i + 1);
    i += spec.length;
    if (spec.type === '%') {
      out += '%';
      continue;
    }
    let width = spec.width;
    let leftAlign = spec.leftAlign;
    if (spec.widthFromArg !== null) {
      const [w] = take(spec.widthFromArg === 'next' ? null : spec.widthFromArg);
      width = w === null ? null : Number(w);
      if (width !== null && width < 0) {
        leftAlign = true;
        width = -width;
      }
    }
    const [v, type] = take(spec.position);
    out += align(formatOne(spec.type, v, type, ctx), width, leftAlign);
  }
  return out;
}

function formatOne(kind: string, v: Value, type: TypeOid, ctx: EvalContext): string {
  if (kind === 'I') {
    if (v === null)
      throw new KeelError(
        SqlState.NullValueNotAllowed,
        'null values cannot be formatted as an SQL identifier',
      );
    return quoteIdent(textOf(type, v, ctx));
  }
  if (kind === 'L') return v === null ? 'NULL' : quoteLiteral(textOf(type, v, ctx));
  return v === null ? '' : textOf(type, v, ctx);
}

function align(s: string, width: number | null, left: boolean): string {
  if (width === null) return s;
  const n = [...s].length;
  if (n >= width) return s;
  return left ? s + ' '.repeat(width - n) : ' '.repeat(width - n) + s;
}

function stringToArray(s: string, delimiter: string | null, nullString: string | null): Value {
  let parts: string[];
  if (s === '') parts = [];
  else if (delimiter === null) parts = [...s];
  else if (delimiter === '') parts = [s];
  else parts = s.split(delimiter);
  return arrayFromList(
    Oids.text,
    parts.map((p) => (nullString !== null && p === nullString ? null : p)),
  );
}

function bindArrayToString(): Implementation {
  return (args, ctx) => {
    const a = arr(args[0]);
    const delimiter = str(args[1]);
    const nullString = args[2] === undefined || args[2] === null ? null : str(args[2]);
    const parts: string[] = [];
    for (const v of a.values) {
      if (v === null) {
        if (nullString !== null) parts.push(nullString);
      } else parts.push(textOf(a.elementType, v, ctx));
    }
    return parts.join(delimiter);
  };
}

export function registerTextFormatFunctions(): void {
  const notStrict = { strict: false, variadic: true, volatility: 'stable' as const };
  defineFunction('concat', ['any'], 'text', () => null, { ...notStrict, bind: bindConcat });
  defineFunction('concat_ws', ['text', 'any'], 'text', () => null, { ...notStrict, bind: bindConcatWs });
  defineFunction('format', ['text', 'any'], 'text', () => null, { ...notStrict, bind: bindFormat });
  defineFunction('format', ['text'], 'text', ([f], ctx) => formatString(str(f), [], [], ctx), {
    volatility: 'stable',
  });
  defineFunction('quote_ident', ['text'], 'text', ([s]) => quoteIdent(str(s)));
  defineFunction('quote_literal', ['text'], 'text', ([s]) => quoteLiteral(str(s)));
  defineFunction('quote_literal', ['anyelement'], 'text', () => null, {
    volatility: 'stable',
    bind: (types) => (args, ctx) => quoteLiteral(textOf(types[0] ?? Oids.text, args[0] ?? null, ctx)),
  });
  defineFunction(
    'quote_nullable',
    ['text'],
    'text',
    ([s]) => (s === null || s === undefined ? 'NULL' : quoteLiteral(str(s))),
    {
      strict: false,
    },
  );
  defineFunction('quote_nullable', ['anyelement'], 'text', () => null, {
    strict: false,
    volatility: 'stable',
    bind: (types) => (args, ctx) =>
      args[0] === null || args[0] === undefined
        ? 'NULL'
        : quoteLiteral(textOf(types[0] ?? Oids.text, args[0], ctx)),
  });
  // textanycat/anytextcat are `$1 || $2::text`: the value goes through its cast to text (true -> 'true').
  defineOperator('||', ['text', 'anynonarray'], 'text', () => null, {
    volatility: 'stable',
    bind: (types) => (args, ctx) => str(args[0]) + asText(types[1] ?? Oids.text, args[1] ?? null, ctx),
  });
  defineOperator('||', ['anynonarray', 'text'], 'text', () => null, {
    volatility: 'stable',
    bind: (types) => (args, ctx) => asText(types[0] ?? Oids.text, args[0] ?? null, ctx) + str(args[1]),
  });
  defineFunction(
    'string_to_array',
    ['text', 'text'],
    '_text',
    ([s, d]) =>
      s === null || s === undefined
        ? null
        : stringToArray(str(s), d === undefined ? null : (d as string | null), null),
    { strict: false },
  );
  defineFunction(
    'string_to_array',
    ['text', 'text', 'text'],
    '_text',
    ([s, d, n]) =>
      s === null || s === undefined
        ? null
        : stringToArray(
            str(s),
            d === undefined ? null : (d as string | null),
            n === undefined ? null : (n as string | null),
          ),
    { strict: false },
  );
  defineFunction('array_to_string', ['anyarray', 'text'], 'text', () => null, {
    volatility: 'stable',
    bind: bindArrayToString,
  });
  defineFunction('array_to_string', ['anyarray', 'text', 'text'], 'text', () => null, {
    strict: false,
    volatility: 'stable',
    bind: () => {
      const inner = bindArrayToString();
      return (args, ctx) => (args[0] === null || args[1] === null ? null : inner(args, ctx));
    },
  });
}
