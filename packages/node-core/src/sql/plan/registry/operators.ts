/**
 * Interim operator table of the built-in types (comparison, arithmetic, string, pattern
 * matching, arrays) and its resolution by PostgreSQL's rules. Stands in for src/sql/functions.
 * Exports: OperatorInfo, resolveOperator, operatorsNamed, likeToRegExp.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import type { Numeric } from '../../types/numeric.js';
import type { PgArray } from '../../types/value.js';
import { type ArithmeticOp, arithmeticFor, dateTimeOperators, negateFor } from './arithmetic.js';
import { makeArray } from './arrays.js';
import { chooseCandidate } from './overload.js';
import { elementTypeOf, TypeOid, typeDisplayName } from './type-ids.js';
import { comparatorFor } from './values.js';

export interface OperatorInfo {
  name: string;
  /** Left operand type, or null for a prefix operator. */
  left: Oid | null;
  right: Oid;
  result: Oid;
  args: Oid[];
  /** Called with non-null operands (all operators here are strict). */
  fn: (a: Value, b: Value) => Value;
  /** Comparison kind, for the optimizer (index bounds, merge join, selectivity). */
  comparison: '=' | '<>' | '<' | '<=' | '>' | '>=' | null;
}

const table: OperatorInfo[] = [];

function add(
  name: string,
  left: Oid | null,
  right: Oid,
  result: Oid,
  fn: (a: Value, b: Value) => Value,
): void {
  const comparison = ['=', '<>', '<', '<=', '>', '>='].includes(name)
    ? (name as OperatorInfo['comparison'])
    : null;
  table.push({ name, left, right, result, fn, comparison, args: left === null ? [right] : [left, right] });
}

function addComparisons(typeOid: Oid): void {
  const cmp = comparatorFor(typeOid);
  add('=', typeOid, typeOid, TypeOid.bool, (a, b) => cmp(a, b) === 0);
  add('<>', typeOid, typeOid, TypeOid.bool, (a, b) => cmp(a, b) !== 0);
  add('<', typeOid, typeOid, TypeOid.bool, (a, b) => cmp(a, b) < 0);
  add('<=', typeOid, typeOid, TypeOid.bool, (a, b) => cmp(a, b) <= 0);
  add('>', typeOid, typeOid, TypeOid.bool, (a, b) => cmp(a, b) > 0);
  add('>=', typeOid, typeOid, TypeOid.bool, (a, b) => cmp(a, b) >= 0);
}

const numericTypes: Oid[] = [
  TypeOid.int2,
  TypeOid.int4,
  TypeOid.int8,
  TypeOid.float4,
  TypeOid.float8,
  TypeOid.numeric,
];
for (const t of numericTypes) {
  addComparisons(t);
  for (const op of ['+', '-', '*', '/', '%'] as ArithmeticOp[]) {
    if (op === '%' && (t === TypeOid.float4 || t === TypeOid.float8)) continue;
    add(op, t, t, t, arithmeticFor(t, op));
  }
  const negate = negateFor(t);
  add('-', null, t, t, (_a, b) => negate(b));
  add('+', null, t, t, (_a, b) => b);
}
add('^', TypeOid.float8, TypeOid.float8, TypeOid.float8, (a, b) => (a as number) ** (b as number));
add('|/', null, TypeOid.float8, TypeOid.float8, (_a, b) => Math.sqrt(b as number));
add('@', null, TypeOid.numeric, TypeOid.numeric, (_a, b) => (b as Numeric).abs());
for (const t of [TypeOid.int2, TypeOid.int4]) {
  add('&', t, t, t, (a, b) => (a as number) & (b as number));
  add('|', t, t, t, (a, b) => (a as number) | (b as number));
  add('#', t, t, t, (a, b) => (a as number) ^ (b as number));
  add('<<', t, TypeOid.int4, t, (a, b) => (a as number) << (b as number));
  add('>>', t, TypeOid.int4, t, (a, b) => (a as number) >> (b as number));
}
add('&', TypeOid.int8, TypeOid.int8, TypeOid.int8, (a, b) => (a as bigint) & (b as bigint));
add('|', TypeOid.int8, TypeOid.int8, TypeOid.int8, (a, b) => (a as bigint) | (b as bigint));
for (const t of [
  TypeOid.bool,
  TypeOid.text,
  TypeOid.bpchar,
  TypeOid.name,
  TypeOid.date,
  TypeOid.timestamp,
  TypeOid.timestamptz,
  TypeOid.interval,
  TypeOid.uuid,
  TypeOid.bytea,
  TypeOid.oid,
  TypeOid.anyarray,
  TypeOid.record,
]) {
  addComparisons(t);
}
for (const [l, name, r, result, fn] of dateTimeOperators) add(name, l, r, result, fn);
add('-', null, TypeOid.interval, TypeOid.interval, (_a, b) => negateFor(TypeOid.interval)(b));

/** SQL LIKE pattern -> RegExp (escape character '\' by default). */
export function likeToRegExp(pattern: string, caseInsensitive: boolean, escapeChar = '\\'): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === escapeChar && escapeChar !== '') {
      const next = pattern[i + 1];
      if (next === undefined) {
        throw new KeelError(
          SqlState.InvalidEscapeSequence,
          'LIKE pattern must not end with escape character',
        );
      }
      out += next.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (c === '%') out += '[\\s\\S]*';
    else if (c === '_') out += '[\\s\\S]';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, caseInsensitive ? 'isu' : 'su');
}

function cached<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      v = make(key);
      if (cache.size > 256) cache.clear();
      cache.set(key, v);
    }
    return v;
  };
}

const like = cached((p) => likeToRegExp(p, false));
const ilike = cached((p) => likeToRegExp(p, true));
function posix(flags: string): (p: string) => RegExp {
  return cached((p) => {
    try {
      return new RegExp(p, flags);
    } catch (error) {
      throw new KeelError(SqlState.InvalidRegularExpression, `invalid regular expression: ${String(error)}`);
    }
  });
}
const regex = posix('u');
const iregex = posix('iu');

for (const t of [TypeOid.text, TypeOid.bpchar, TypeOid.name]) {
  add('~~', t, TypeOid.text, TypeOid.bool, (a, b) => like(b as string).test(a as string));
  add('!~~', t, TypeOid.text, TypeOid.bool, (a, b) => !like(b as string).test(a as string));
  add('~~*', t, TypeOid.text, TypeOid.bool, (a, b) => ilike(b as string).test(a as string));
  add('!~~*', t, TypeOid.text, TypeOid.bool, (a, b) => !ilike(b as string).test(a as string));
  add('~', t, TypeOid.text, TypeOid.bool, (a, b) => regex(b as string).test(a as string));
  add('!~', t, TypeOid.text, TypeOid.bool, (a, b) => !regex(b as string).test(a as string));
  add('~*', t, TypeOid.text, TypeOid.bool, (a, b) => iregex(b as string).test(a as string));
  add('!~*', t, TypeOid.text, TypeOid.bool, (a, b) => !iregex(b as string).test(a as string));
}
add('||', TypeOid.text, TypeOid.text, TypeOid.text, (a, b) => (a as string) + (b as string));
const items = (v: Value) => (v as PgArray).values;
const element = (v: Value) => (v as PgArray).elementType;
add('||', TypeOid.anyarray, TypeOid.anyarray, TypeOid.anyarray, (a, b) =>
  makeArray(element(a), [...items(a), ...items(b)]),
);
add('||', TypeOid.anyarray, TypeOid.anyelement, TypeOid.anyarray, (a, b) =>
  makeArray(element(a), [...items(a), b]),
);
add('||', TypeOid.anyelement, TypeOid.anyarray, TypeOid.anyarray, (a, b) =>
  makeArray(element(b), [a, ...items(b)]),
);
add('@>', TypeOid.anyarray, TypeOid.anyarray, TypeOid.bool, (a, b) => containsAll(items(a), items(b)));
add('<@', TypeOid.anyarray, TypeOid.anyarray, TypeOid.bool, (a, b) => containsAll(items(b), items(a)));
add('&&', TypeOid.anyarray, TypeOid.anyarray, TypeOid.bool, (a, b) => items(a).some((x) => has(items(b), x)));

function has(list: Value[], x: Value): boolean {
  return list.some((y) => y !== null && x !== null && String(y) === String(x));
}
function containsAll(a: Value[], b: Value[]): boolean {
  return b.every((x) => has(a, x));
}

const byName = new Map<string, OperatorInfo[]>();
for (const op of table) {
  const list = byName.get(op.name) ?? [];
  list.push(op);
  byName.set(op.name, list);
}

export function operatorsNamed(name: string): OperatorInfo[] {
  return byName.get(name) ?? [];
}

function describe(name: string, left: Oid | null, right: Oid): string {
  return left === null
    ? `operator ${name} ${typeDisplayName(right)}`
    : `operator ${typeDisplayName(left)} ${name} ${typeDisplayName(right)}`;
}

/**
 * Resolves `left name right` (left null for prefix operators). Returns the operator and the
 * argument types the operands must be coerced to; throws 42883 when none fits.
 */
export function resolveOperator(
  name: string,
  left: Oid | null,
  right: Oid,
  position?: number,
): { op: OperatorInfo; args: Oid[] } {
  const candidates = operatorsNamed(name).filter((o) => (o.left === null) === (left === null));
  const actual = left === null ? [right] : [left, right];
  let chosen = chooseCandidate(candidates, actual, () => describe(name, left, right));
  if (chosen === null && left !== null && left === TypeOid.unknown && right === TypeOid.unknown) {
    chosen = chooseCandidate(candidates, [TypeOid.text, TypeOid.text], () => describe(name, left, right));
  }
  if (chosen === null) {
    throw new KeelError(
      SqlState.UndefinedFunction,
      `operator does not exist: ${describe(name, left, right).slice(9)}`,
      {
        hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
        position,
      },
    );
  }
  const args = chosen.args;
  const result =
    chosen.item.result === TypeOid.anyarray
      ? (args.find((a) => elementTypeOf(a) !== null) ?? TypeOid.anyarray)
      : chosen.item.result;
  return { op: { ...chosen.item, result, args }, args };
}
