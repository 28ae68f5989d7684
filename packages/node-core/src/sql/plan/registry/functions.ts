/**
 * Interim scalar and set-returning functions that applications use most (string, math, date,
 * array), resolved by PostgreSQL's function rules. Stands in for src/sql/functions until it lands.
 * Exports: FunctionInfo, resolveFunction, functionExists.
 */
import { createHash } from 'node:crypto';
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import { Numeric } from '../../types/numeric.js';
import type { PgArray } from '../../types/value.js';
import { makeArray } from './arrays.js';
import { chooseCandidate, type Signature } from './overload.js';
import { textOut } from './text-io.js';
import { arrayTypeOf, elementTypeOf, TypeOid, typeDisplayName } from './type-ids.js';

export interface FunctionInfo extends Signature {
  name: string;
  result: Oid;
  /** Strict functions return NULL for any NULL argument without being called. */
  strict: boolean;
  volatility: 'immutable' | 'stable' | 'volatile';
  /** Set-returning: fn returns the rows' values. */
  returnsSet: boolean;
  fn: (args: Value[], info: CallInfo) => Value;
}

/** What a function may need besides its arguments. */
export interface CallInfo {
  argTypes: Oid[];
  random(): number;
}

const table: FunctionInfo[] = [];
const { int4, int8, text, float8, numeric, bool, date, timestamptz, anyelement, anyarray, interval } =
  TypeOid;

function add(
  name: string,
  args: Oid[],
  result: Oid,
  fn: FunctionInfo['fn'],
  options: Partial<FunctionInfo> = {},
): void {
  table.push({
    name,
    args,
    result,
    fn,
    strict: true,
    volatility: 'immutable',
    returnsSet: false,
    ...options,
  });
}

const str = (v: Value) => v as string;
const num = (v: Value) => v as number;

// strings
add('lower', [text], text, ([s]) => str(s).toLowerCase());
add('upper', [text], text, ([s]) => str(s).toUpperCase());
for (const n of ['length', 'char_length', 'character_length'])
  add(n, [text], int4, ([s]) => [...str(s)].length);
add('octet_length', [text], int4, ([s]) => Buffer.byteLength(str(s)));
add('substr', [text, int4], text, ([s, f]) => substring(str(s), num(f), null));
add('substr', [text, int4, int4], text, ([s, f, c]) => substring(str(s), num(f), num(c)));
add('substring', [text, int4], text, ([s, f]) => substring(str(s), num(f), null));
add('substring', [text, int4, int4], text, ([s, f, c]) => substring(str(s), num(f), num(c)));
add('substring', [text, text], text, ([s, p]) => {
  const m = new RegExp(str(p), 'u').exec(str(s));
  return m === null ? null : (m[1] ?? m[0]);
});
add('strpos', [text, text], int4, ([s, p]) => position(str(s), str(p)));
add('position', [text, text], int4, ([p, s]) => position(str(s), str(p)));
add('replace', [text, text, text], text, ([s, a, b]) =>
  str(a) === '' ? str(s) : str(s).split(str(a)).join(str(b)),
);
add('btrim', [text], text, ([s]) => str(s).replace(/^ +| +$/g, ''));
add('btrim', [text, text], text, ([s, c]) => trimChars(str(s), str(c), true, true));
add('ltrim', [text], text, ([s]) => str(s).replace(/^ +/, ''));
add('ltrim', [text, text], text, ([s, c]) => trimChars(str(s), str(c), true, false));
add('rtrim', [text], text, ([s]) => str(s).replace(/ +$/, ''));
add('rtrim', [text, text], text, ([s, c]) => trimChars(str(s), str(c), false, true));
add('left', [text, int4], text, ([s, n]) => {
  const chars = [...str(s)];
  return chars.slice(0, num(n) < 0 ? Math.max(0, chars.length + num(n)) : num(n)).join('');
});
add('right', [text, int4], text, ([s, n]) => {
  const chars = [...str(s)];
  return num(n) < 0
    ? chars.slice(Math.min(chars.length, -num(n))).join('')
    : chars.slice(Math.max(0, chars.length - num(n))).join('');
});
add('repeat', [text, int4], text, ([s, n]) => str(s).repeat(Math.max(0, num(n))));
add('reverse', [text], text, ([s]) => [...str(s)].reverse().join(''));
add('lpad', [text, int4], text, ([s, n]) => pad(str(s), num(n), ' ', true));
add('lpad', [text, int4, text], text, ([s, n, f]) => pad(str(s), num(n), str(f), true));
add('rpad', [text, int4], text, ([s, n]) => pad(str(s), num(n), ' ', false));
add('rpad', [text, int4, text], text, ([s, n, f]) => pad(str(s), num(n), str(f), false));
add('split_part', [text, text, int4], text, ([s, d, n]) => {
  const parts = str(d) === '' ? [str(s)] : str(s).split(str(d));
  const i = num(n);
  if (i === 0) throw new KeelError(SqlState.InvalidParameterValue, 'field position must not be zero');
  return (i > 0 ? parts[i - 1] : parts[parts.length + i]) ?? '';
});
add('initcap', [text], text, ([s]) =>
  str(s)
    .toLowerCase()
    .replace(/(^|[^a-z0-9])([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase()),
);
add('ascii', [text], int4, ([s]) => str(s).codePointAt(0) ?? 0);
add('chr', [int4], text, ([n]) => String.fromCodePoint(num(n)));
add('md5', [text], text, ([s]) => md5(str(s)));
add(
  'concat',
  [anyelement],
  text,
  (args, info) => args.map((a, i) => (a === null ? '' : asText(info.argTypes[i], a))).join(''),
  {
    variadic: true,
    strict: false,
    volatility: 'stable',
  },
);
add(
  'concat_ws',
  [text, anyelement],
  text,
  ([sep, ...rest], info) =>
    sep === null
      ? null
      : rest
          .map((a, i) => (a === null ? null : asText(info.argTypes[i + 1], a)))
          .filter((a) => a !== null)
          .join(str(sep)),
  { variadic: true, strict: false, volatility: 'stable' },
);
add('starts_with', [text, text], bool, ([s, p]) => str(s).startsWith(str(p)));
add('similar_to_escape', [text], text, ([p]) => similarToRegex(str(p)));
add('similar_to_escape', [text, text], text, ([p]) => similarToRegex(str(p)));
add('regexp_replace', [text, text, text], text, ([s, p, r]) =>
  str(s).replace(new RegExp(str(p), 'u'), jsReplacement(str(r))),
);
add('regexp_replace', [text, text, text, text], text, ([s, p, r, f]) =>
  str(s).replace(
    new RegExp(str(p), `u${str(f).includes('g') ? 'g' : ''}${str(f).includes('i') ? 'i' : ''}`),
    jsReplacement(str(r)),
  ),
);
add('regexp_matches', [text, text], TypeOid.textArray, ([s, p]) => regexpMatches(str(s), str(p), ''), {
  returnsSet: true,
});
add(
  'regexp_matches',
  [text, text, text],
  TypeOid.textArray,
  ([s, p, f]) => regexpMatches(str(s), str(p), str(f)),
  { returnsSet: true },
);
add('regexp_split_to_table', [text, text], text, ([s, p]) => str(s).split(new RegExp(str(p), 'u')), {
  returnsSet: true,
});
add('string_to_array', [text, text], TypeOid.textArray, ([s, d]) =>
  makeArray(text, str(s) === '' ? [] : str(s).split(str(d))),
);
add('array_to_string', [anyarray, text], text, ([a, d], info) =>
  (a as PgArray).values
    .filter((x) => x !== null)
    .map((x) => asText(elementTypeOf(info.argTypes[0] ?? 0) ?? text, x))
    .join(str(d)),
);

// math
for (const t of [TypeOid.int2, int4, int8, float8, numeric]) {
  add('abs', [t], t, ([x]) =>
    x instanceof Numeric ? x.abs() : typeof x === 'bigint' ? (x < 0n ? -x : x) : Math.abs(num(x)),
  );
}
add('round', [float8], float8, ([x]) => roundHalfEven(num(x)));
add('round', [numeric], numeric, ([x]) => (x as Numeric).round(0));
add('round', [numeric, int4], numeric, ([x, s]) => (x as Numeric).round(num(s)));
add('trunc', [float8], float8, ([x]) => Math.trunc(num(x)));
add('trunc', [numeric], numeric, ([x]) => (x as Numeric).trunc(0));
add('trunc', [numeric, int4], numeric, ([x, s]) => (x as Numeric).trunc(num(s)));
for (const n of ['ceil', 'ceiling']) {
  add(n, [float8], float8, ([x]) => Math.ceil(num(x)));
  add(n, [numeric], numeric, ([x]) => (x as Numeric).ceil());
}
add('floor', [float8], float8, ([x]) => Math.floor(num(x)));
add('floor', [numeric], numeric, ([x]) => (x as Numeric).floor());
add('sign', [float8], float8, ([x]) => Math.sign(num(x)));
add('sign', [numeric], numeric, ([x]) => Numeric.fromInt((x as Numeric).sign()));
add('sqrt', [float8], float8, ([x]) => {
  if (num(x) < 0)
    throw new KeelError(
      SqlState.InvalidArgumentForPowerFunction,
      'cannot take square root of a negative number',
    );
  return Math.sqrt(num(x));
});
add('power', [float8, float8], float8, ([x, y]) => num(x) ** num(y));
add('exp', [float8], float8, ([x]) => Math.exp(num(x)));
add('ln', [float8], float8, ([x]) => logOf(num(x), Math.log));
add('log', [float8], float8, ([x]) => logOf(num(x), Math.log10));
add('mod', [int4, int4], int4, ([a, b]) => {
  if (b === 0) throw new KeelError(SqlState.DivisionByZero, 'division by zero');
  return num(a) % num(b) || 0;
});
add('mod', [int8, int8], int8, ([a, b]) => {
  if (b === 0n) throw new KeelError(SqlState.DivisionByZero, 'division by zero');
  return (a as bigint) % (b as bigint);
});
add('mod', [numeric, numeric], numeric, ([a, b]) => (a as Numeric).mod(b as Numeric));
add('div', [numeric, numeric], numeric, ([a, b]) => (a as Numeric).divTrunc(b as Numeric));
add('pi', [], float8, () => Math.PI);
add('random', [], float8, (_a, info) => info.random(), { volatility: 'volatile' });
add('width_bucket', [float8, float8, float8, int4], int4, ([x, lo, hi, n]) => {
  if (num(x) < num(lo)) return 0;
  if (num(x) >= num(hi)) return num(n) + 1;
  return Math.floor(((num(x) - num(lo)) / (num(hi) - num(lo))) * num(n)) + 1;
});

// arrays
const arr = (v: Value) => v as PgArray;
const oneDim = (a: PgArray, d: Value) => num(d) === 1 && a.values.length > 0;
add('array_length', [anyarray, int4], int4, ([a, d]) => (oneDim(arr(a), d) ? arr(a).values.length : null));
add('cardinality', [anyarray], int4, ([a]) => arr(a).values.length);
add('array_upper', [anyarray, int4], int4, ([a, d]) => (oneDim(arr(a), d) ? arr(a).values.length : null));
add('array_lower', [anyarray, int4], int4, ([a, d]) => (oneDim(arr(a), d) ? 1 : null));
add(
  'array_append',
  [anyarray, anyelement],
  anyarray,
  ([a, e], info) => makeArray(elementOf(info, 0), [...itemsOrEmpty(a), e]),
  {
    strict: false,
  },
);
add(
  'array_prepend',
  [anyelement, anyarray],
  anyarray,
  ([e, a], info) => makeArray(elementOf(info, 1), [e, ...itemsOrEmpty(a)]),
  {
    strict: false,
  },
);
add(
  'array_cat',
  [anyarray, anyarray],
  anyarray,
  ([a, b], info) => makeArray(elementOf(info, 0), [...itemsOrEmpty(a), ...itemsOrEmpty(b)]),
  {
    strict: false,
  },
);
add('array_position', [anyarray, anyelement], int4, ([a, e]) => {
  const i = arr(a).values.findIndex((x) => x !== null && String(x) === String(e));
  return i < 0 ? null : i + 1;
});
add(
  'array_remove',
  [anyarray, anyelement],
  anyarray,
  ([a, e], info) =>
    a === null
      ? null
      : makeArray(
          elementOf(info, 0),
          arr(a).values.filter((x) => String(x) !== String(e)),
        ),
  {
    strict: false,
  },
);

function itemsOrEmpty(a: Value): Value[] {
  return a === null ? [] : (a as PgArray).values;
}

function elementOf(info: CallInfo, index: number): Oid {
  return elementTypeOf(info.argTypes[index] ?? 0) ?? text;
}
add('unnest', [anyarray], anyelement, ([a]) => arr(a).values, { returnsSet: true });
add('generate_series', [int4, int4], int4, ([a, b]) => series(num(a), num(b), 1), { returnsSet: true });
add('generate_series', [int4, int4, int4], int4, ([a, b, s]) => series(num(a), num(b), num(s)), {
  returnsSet: true,
});
add('generate_series', [int8, int8], int8, ([a, b]) => bigSeries(a as bigint, b as bigint, 1n), {
  returnsSet: true,
});
add(
  'generate_series',
  [int8, int8, int8],
  int8,
  ([a, b, s]) => bigSeries(a as bigint, b as bigint, s as bigint),
  { returnsSet: true },
);
add(
  'generate_series',
  [numeric, numeric],
  numeric,
  ([a, b]) => numericSeries(a as Numeric, b as Numeric, Numeric.One),
  {
    returnsSet: true,
  },
);

// dates and misc
add('date_part', [text, timestamptz], float8, ([f, t]) => datePart(str(f), t as bigint));
add('date_part', [text, date], float8, ([f, d]) => datePart(str(f), BigInt(num(d)) * 86_400_000_000n));
add('extract', [text, timestamptz], numeric, ([f, t]) =>
  Numeric.parse(String(datePart(str(f), t as bigint))),
);
add('extract', [text, date], numeric, ([f, d]) =>
  Numeric.parse(String(datePart(str(f), BigInt(num(d)) * 86_400_000_000n))),
);
add('date_trunc', [text, timestamptz], timestamptz, ([f, t]) => dateTrunc(str(f), t as bigint));
add('make_interval', [int4], interval, ([d]) => ({ months: 0, days: num(d), micros: 0n }));
add('num_nonnulls', [anyelement], int4, (args) => args.filter((a) => a !== null).length, {
  variadic: true,
  strict: false,
});
add('num_nulls', [anyelement], int4, (args) => args.filter((a) => a === null).length, {
  variadic: true,
  strict: false,
});
add('pg_typeof', [anyelement], TypeOid.regclass, (_a, info) => info.argTypes[0] ?? 0, { strict: false });
add('to_hex', [int8], text, ([n]) => (n as bigint).toString(16));

function asText(typeOid: Oid | undefined, v: Value): string {
  return typeOid === undefined ? String(v) : textOut(typeOid, v);
}

function substring(s: string, from: number, count: number | null): string {
  const chars = [...s];
  if (count !== null && count < 0)
    throw new KeelError(SqlState.SubstringError, 'negative substring length not allowed');
  const start = from - 1;
  const end = count === null ? chars.length : start + count;
  return chars.slice(Math.max(0, start), Math.max(0, end)).join('');
}

function position(s: string, p: string): number {
  const i = s.indexOf(p);
  return i < 0 ? 0 : [...s.slice(0, i)].length + 1;
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set([...chars]);
  const arr = [...s];
  let a = 0;
  let b = arr.length;
  while (left && a < b && set.has(arr[a] ?? '')) a++;
  while (right && b > a && set.has(arr[b - 1] ?? '')) b--;
  return arr.slice(a, b).join('');
}

function pad(s: string, n: number, fill: string, left: boolean): string {
  const chars = [...s];
  if (n <= chars.length) return chars.slice(0, Math.max(0, n)).join('');
  if (fill === '') return s;
  const fillChars = [...fill];
  const padding: string[] = [];
  for (let i = 0; padding.length < n - chars.length; i++)
    padding.push(fillChars[i % fillChars.length] ?? ' ');
  return left ? padding.join('') + s : s + padding.join('');
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function logOf(x: number, f: (x: number) => number): number {
  if (x === 0) throw new KeelError(SqlState.InvalidArgumentForLogarithm, 'cannot take logarithm of zero');
  if (x < 0)
    throw new KeelError(SqlState.InvalidArgumentForLogarithm, 'cannot take logarithm of a negative number');
  return f(x);
}

function series(a: number, b: number, step: number): number[] {
  if (step === 0) throw new KeelError(SqlState.InvalidParameterValue, 'step size cannot equal zero');
  const out: number[] = [];
  for (let i = a; step > 0 ? i <= b : i >= b; i += step) out.push(i);
  return out;
}

function bigSeries(a: bigint, b: bigint, step: bigint): bigint[] {
  if (step === 0n) throw new KeelError(SqlState.InvalidParameterValue, 'step size cannot equal zero');
  const out: bigint[] = [];
  for (let i = a; step > 0n ? i <= b : i >= b; i += step) out.push(i);
  return out;
}

function numericSeries(a: Numeric, b: Numeric, step: Numeric): Numeric[] {
  const out: Numeric[] = [];
  for (let i = a; i.compare(b) <= 0; i = i.add(step)) out.push(i);
  return out;
}

function similarToRegex(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] ?? '';
    if (c === '\\') {
      out += `\\${p[i + 1] ?? ''}`;
      i++;
    } else if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else if (c === '.') out += '\\.';
    else out += c;
  }
  return `^(?:${out})$`;
}

function jsReplacement(r: string): string {
  return r
    .replace(/\$/g, '$$$$')
    .replace(/\\(\d)/g, '$$$1')
    .replace(/\\&/g, '$$&');
}

function regexpMatches(s: string, p: string, flags: string): Value[] {
  const re = new RegExp(p, `u${flags.includes('i') ? 'i' : ''}g`);
  const out: Value[] = [];
  for (const m of s.matchAll(re)) {
    out.push(makeArray(text, m.length > 1 ? m.slice(1).map((x) => x ?? null) : [m[0]]));
    if (!flags.includes('g')) break;
  }
  return out;
}

function datePart(field: string, micros: bigint): number {
  const ms = Number(micros / 1000n) + Date.UTC(2000, 0, 1);
  const d = new Date(ms);
  switch (field.toLowerCase()) {
    case 'year':
      return d.getUTCFullYear();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'day':
      return d.getUTCDate();
    case 'hour':
      return d.getUTCHours();
    case 'minute':
      return d.getUTCMinutes();
    case 'second':
      return d.getUTCSeconds() + Number(micros % 1_000_000n) / 1e6;
    case 'dow':
      return d.getUTCDay();
    case 'doy':
      return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'quarter':
      return Math.floor(d.getUTCMonth() / 3) + 1;
    case 'epoch':
      return ms / 1000;
    default:
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `unit "${field}" not supported for type timestamp with time zone`,
      );
  }
}

function dateTrunc(field: string, micros: bigint): bigint {
  const ms = Number(micros / 1000n) + Date.UTC(2000, 0, 1);
  const d = new Date(ms);
  const parts = [
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
  const keep = { year: 1, quarter: 2, month: 2, day: 3, hour: 4, minute: 5, second: 6 }[field.toLowerCase()];
  if (keep === undefined)
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `unit "${field}" not recognized for type timestamp with time zone`,
    );
  const p = parts.map((v, i) => (i < keep ? v : i === 2 ? 1 : 0));
  if (field.toLowerCase() === 'quarter') p[1] = Math.floor((p[1] ?? 0) / 3) * 3;
  const t = Date.UTC(p[0] ?? 2000, p[1] ?? 0, p[2] ?? 1, p[3] ?? 0, p[4] ?? 0, p[5] ?? 0);
  return BigInt(t - Date.UTC(2000, 0, 1)) * 1000n;
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}
const byName = new Map<string, FunctionInfo[]>();
for (const f of table) {
  const list = byName.get(f.name) ?? [];
  list.push(f);
  byName.set(f.name, list);
}

export function functionExists(name: string): boolean {
  return byName.has(name);
}

/** Resolves a function call; throws 42883 with PostgreSQL's message when nothing fits. */
export function resolveFunction(
  name: string,
  argTypes: Oid[],
  position?: number,
): { fn: FunctionInfo; args: Oid[]; result: Oid } {
  const candidates = byName.get(name) ?? [];
  const chosen = chooseCandidate(
    candidates,
    argTypes,
    () => `function ${name}(${argTypes.map(typeDisplayName).join(', ')})`,
  );
  if (chosen === null) {
    throw new KeelError(
      SqlState.UndefinedFunction,
      `function ${name}(${argTypes.map(typeDisplayName).join(', ')}) does not exist`,
      {
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
        position,
      },
    );
  }
  const { item, args } = chosen;
  let result = item.result;
  if (result === anyelement || result === anyarray) {
    const element = item.args.includes(anyarray)
      ? elementTypeOf(args[item.args.indexOf(anyarray)] ?? 0)
      : (args[item.args.indexOf(anyelement)] ?? text);
    result = result === anyelement ? (element ?? text) : (arrayTypeOf(element ?? text) ?? anyarray);
  }
  return { fn: item, args, result };
}
