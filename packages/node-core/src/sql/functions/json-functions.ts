/**
 * jsonb (and json) operators and functions: field and element access (-> ->> #> #>>, with
 * negative array indexes), containment (@> <@, PostgreSQL's rules including a top-level array
 * containing a bare scalar), key existence (? ?| ?&), concatenation (||), deletion (- and #-),
 * jsonb_typeof, jsonb_array_length, jsonb_extract_path(_text), jsonb_set, jsonb_insert,
 * jsonb_strip_nulls, jsonb_pretty and the set-returning jsonb_object_keys,
 * jsonb_array_elements(_text), jsonb_each(_text). json variants parse their text and print
 * results compactly (whitespace of the original is not preserved; see README).
 * Exports: registerJsonFunctions, jsonbContains.
 */
import { KeelError, SqlState } from '@keel/errors';
import { compareJsonb } from '../types/compare.js';
import { formatJsonb, jsonbObject, parseJsonb, prettyJsonb } from '../types/json-io.js';
import { Numeric } from '../types/numeric.js';
import { type Jsonb, JsonbObject, JsonNull, type PgArray, type Value } from '../types/value.js';
import { defineFunction, defineOperator, defineSetFunction } from './function-registry.js';
import {
  type JsonNode,
  jsonElement,
  jsonField,
  jsonPath,
  jsonScalarText,
  jsonTypeOf,
  parseJsonText,
  stripJsonNulls,
} from './json-text.js';
import { arr, bool, jsonb, num, str } from './value-access.js';

function isObject(j: Jsonb): j is JsonbObject {
  return j instanceof JsonbObject;
}

function scalarText(j: Jsonb): string | null {
  if (j === JsonNull) return null;
  if (typeof j === 'string') return j;
  return formatJsonb(j);
}

function field(j: Jsonb, key: string): Jsonb | null {
  return isObject(j) ? (j.get(key) ?? null) : null;
}

function element(j: Jsonb, index: number): Jsonb | null {
  if (!Array.isArray(j)) return null;
  const i = index < 0 ? j.length + index : index;
  return j[i] ?? null;
}

function pathGet(j: Jsonb, path: PgArray): Jsonb | null {
  let cur: Jsonb | null = j;
  for (const p of path.values) {
    if (cur === null || p === null) return null;
    const key = p as string;
    if (isObject(cur)) cur = cur.get(key) ?? null;
    else if (Array.isArray(cur)) cur = /^-?\d+$/.test(key.trim()) ? element(cur, Number(key)) : null;
    else return null;
  }
  return cur;
}

function typeOf(j: Jsonb): string {
  if (j === JsonNull) return 'null';
  if (typeof j === 'string') return 'string';
  if (typeof j === 'boolean') return 'boolean';
  if (j instanceof Numeric) return 'number';
  return Array.isArray(j) ? 'array' : 'object';
}

function jsonbEquals(a: Jsonb, b: Jsonb): boolean {
  return compareJsonb(a, b, false) === 0;
}

/** a @> b as PostgreSQL defines jsonb containment. */
export function jsonbContains(a: Jsonb, b: Jsonb, topLevel = true): boolean {
  if (isObject(a)) {
    if (!isObject(b)) return false;
    return b.keys.every((k, i) => {
      const av = a.get(k);
      const bv = b.values[i] ?? JsonNull;
      return (
        av !== undefined &&
        (isObject(bv) || Array.isArray(bv) ? jsonbContains(av, bv, false) : jsonbEquals(av, bv))
      );
    });
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b))
      return (
        topLevel && !isObject(b) && a.some((x) => !isObject(x) && !Array.isArray(x) && jsonbEquals(x, b))
      );
    return b.every((bv) =>
      a.some((av) => {
        if (isObject(bv) || Array.isArray(bv))
          return typeOf(av) === typeOf(bv) && jsonbContains(av, bv, false);
        return !isObject(av) && !Array.isArray(av) && jsonbEquals(av, bv);
      }),
    );
  }
  return !isObject(b) && !Array.isArray(b) && jsonbEquals(a, b);
}

function exists(j: Jsonb, key: string): boolean {
  if (isObject(j)) return j.get(key) !== undefined;
  if (Array.isArray(j)) return j.some((x) => x === key);
  return j === key;
}

function concat(a: Jsonb, b: Jsonb): Jsonb {
  if (isObject(a) && isObject(b)) return jsonbObject([...a.keys, ...b.keys], [...a.values, ...b.values]);
  const left: Jsonb[] = Array.isArray(a) ? a : [a];
  const right: Jsonb[] = Array.isArray(b) ? b : [b];
  const out: Jsonb[] = [...left, ...right];
  return out;
}

function deleteKey(j: Jsonb, key: string): Jsonb {
  if (isObject(j)) {
    const i = j.indexOf(key);
    if (i < 0) return j;
    return new JsonbObject(
      j.keys.filter((_, k) => k !== i),
      j.values.filter((_, k) => k !== i),
    );
  }
  if (Array.isArray(j)) return j.filter((x) => x !== key);
  throw new KeelError(SqlState.InvalidParameterValue, 'cannot delete from scalar');
}

function deleteIndex(j: Jsonb, index: number): Jsonb {
  if (isObject(j))
    throw new KeelError(SqlState.InvalidParameterValue, 'cannot delete from object using integer index');
  if (!Array.isArray(j)) throw new KeelError(SqlState.InvalidParameterValue, 'cannot delete from scalar');
  const i = index < 0 ? j.length + index : index;
  return i < 0 || i >= j.length ? j : j.filter((_, k) => k !== i);
}

function pathKeys(path: PgArray): string[] {
  return path.values.map((p, i) => {
    if (p === null) {
      throw new KeelError(SqlState.NullValueNotAllowed, `path element at position ${i + 1} is null`);
    }
    return str(p);
  });
}

function arrayIndex(key: string, position: number): number {
  if (!/^\s*-?\d+\s*$/.test(key)) {
    throw new KeelError(
      SqlState.InvalidTextRepresentation,
      `path element at position ${position} is not an integer: "${key}"`,
    );
  }
  return Number(key);
}

type Updater = (container: Jsonb | null) => Jsonb | null;

/** Rebuilds `j` with the value at `keys` replaced by `update(old)` (null from update deletes). */
function updatePath(j: Jsonb, keys: string[], depth: number, update: Updater, create: boolean): Jsonb {
  const key = keys[depth] ?? '';
  const last = depth === keys.length - 1;
  if (isObject(j)) {
    const old = j.get(key);
    if (old === undefined && !(last && create)) return j;
    const next = last ? update(old ?? null) : updatePath(old ?? JsonNull, keys, depth + 1, update, create);
    const i = j.indexOf(key);
    if (next === null) return i < 0 ? j : deleteKey(j, key);
    if (i < 0) return jsonbObject([...j.keys, key], [...j.values, next]);
    const values = j.values.slice();
    values[i] = next;
    return new JsonbObject(j.keys, values);
  }
  if (Array.isArray(j)) return updateArray(j, keys, depth, update, create);
  return j;
}

function updateArray(j: Jsonb[], keys: string[], depth: number, update: Updater, create: boolean): Jsonb {
  const last = depth === keys.length - 1;
  let i = arrayIndex(keys[depth] ?? '', depth + 1);
  if (i < 0) i += j.length;
  if (i < 0 || i >= j.length) {
    if (!last || !create) return j;
    const v = update(null);
    if (v === null) return j;
    return i < 0 ? [v, ...j] : [...j, v];
  }
  const next = last
    ? update(j[i] ?? JsonNull)
    : updatePath(j[i] ?? JsonNull, keys, depth + 1, update, create);
  if (next === null) return j.filter((_, k) => k !== i);
  const out = j.slice();
  out[i] = next;
  return out;
}

function jsonbSet(target: Jsonb, path: PgArray, value: Jsonb, create: boolean): Jsonb {
  if (!isObject(target) && !Array.isArray(target)) {
    throw new KeelError(SqlState.InvalidParameterValue, 'cannot set path in scalar');
  }
  const keys = pathKeys(path);
  if (keys.length === 0) return target;
  return updatePath(target, keys, 0, () => value, create);
}

function jsonbInsert(target: Jsonb, path: PgArray, value: Jsonb, after: boolean): Jsonb {
  if (!isObject(target) && !Array.isArray(target)) {
    throw new KeelError(SqlState.InvalidParameterValue, 'cannot set path in scalar');
  }
  const keys = pathKeys(path);
  if (keys.length === 0) return target;
  const parentKeys = keys.slice(0, -1);
  const lastKey = keys[keys.length - 1] ?? '';
  const insertInto = (container: Jsonb | null): Jsonb | null => {
    if (container === null) return null;
    if (isObject(container)) {
      if (container.get(lastKey) !== undefined) {
        throw new KeelError(SqlState.InvalidParameterValue, 'cannot replace existing key', {
          hint: 'Try using the function jsonb_set to replace key value.',
        });
      }
      return jsonbObject([...container.keys, lastKey], [...container.values, value]);
    }
    if (!Array.isArray(container)) return container;
    let i = arrayIndex(lastKey, keys.length);
    if (i < 0) i += container.length;
    const at = Math.min(Math.max(after ? i + 1 : i, 0), container.length);
    return [...container.slice(0, at), value, ...container.slice(at)];
  };
  if (parentKeys.length === 0) return insertInto(target) ?? target;
  return updatePath(target, parentKeys, 0, insertInto, false);
}

function stripNulls(j: Jsonb): Jsonb {
  if (isObject(j)) {
    const keys: string[] = [];
    const values: Jsonb[] = [];
    j.keys.forEach((k, i) => {
      const v = j.values[i] ?? JsonNull;
      if (v !== JsonNull) {
        keys.push(k);
        values.push(stripNulls(v));
      }
    });
    return new JsonbObject(keys, values);
  }
  return Array.isArray(j) ? j.map(stripNulls) : j;
}

function arrayLength(j: Jsonb): number {
  if (Array.isArray(j)) return j.length;
  throw new KeelError(
    SqlState.InvalidParameterValue,
    isObject(j) ? 'cannot get array length of a non-array' : 'cannot get array length of a scalar',
  );
}

function requireArray(j: Jsonb): Jsonb[] {
  if (Array.isArray(j)) return j;
  throw new KeelError(
    SqlState.InvalidParameterValue,
    isObject(j) ? 'cannot extract elements from an object' : 'cannot extract elements from a scalar',
  );
}

function requireObject(j: Jsonb, fn: string): JsonbObject {
  if (isObject(j)) return j;
  throw new KeelError(
    SqlState.InvalidParameterValue,
    Array.isArray(j) ? `cannot call ${fn} on an array` : `cannot call ${fn} on a scalar`,
  );
}

function textList(a: Value | undefined): string[] {
  return arr(a).values.filter((v): v is string => typeof v === 'string');
}

function registerJsonbOperators(): void {
  defineOperator('->', ['jsonb', 'text'], 'jsonb', ([j, k]) => field(jsonb(j), str(k)));
  defineOperator('->', ['jsonb', 'int4'], 'jsonb', ([j, i]) => element(jsonb(j), num(i)));
  defineOperator('->>', ['jsonb', 'text'], 'text', ([j, k]) => textOrNull(field(jsonb(j), str(k))));
  defineOperator('->>', ['jsonb', 'int4'], 'text', ([j, i]) => textOrNull(element(jsonb(j), num(i))));
  defineOperator('#>', ['jsonb', '_text'], 'jsonb', ([j, p]) => pathGet(jsonb(j), arr(p)));
  defineOperator('#>>', ['jsonb', '_text'], 'text', ([j, p]) => textOrNull(pathGet(jsonb(j), arr(p))));
  defineOperator('@>', ['jsonb', 'jsonb'], 'bool', ([a, b]) => jsonbContains(jsonb(a), jsonb(b)));
  defineOperator('<@', ['jsonb', 'jsonb'], 'bool', ([a, b]) => jsonbContains(jsonb(b), jsonb(a)));
  defineOperator('?', ['jsonb', 'text'], 'bool', ([j, k]) => exists(jsonb(j), str(k)));
  defineOperator('?|', ['jsonb', '_text'], 'bool', ([j, k]) => textList(k).some((x) => exists(jsonb(j), x)));
  defineOperator('?&', ['jsonb', '_text'], 'bool', ([j, k]) => textList(k).every((x) => exists(jsonb(j), x)));
  defineOperator('||', ['jsonb', 'jsonb'], 'jsonb', ([a, b]) => concat(jsonb(a), jsonb(b)));
  defineOperator('-', ['jsonb', 'text'], 'jsonb', ([j, k]) => deleteKey(jsonb(j), str(k)));
  defineOperator('-', ['jsonb', 'int4'], 'jsonb', ([j, i]) => deleteIndex(jsonb(j), num(i)));
  defineOperator('-', ['jsonb', '_text'], 'jsonb', ([j, ks]) =>
    textList(ks).reduce<Jsonb>((acc, k) => deleteKey(acc, k), jsonb(j)),
  );
  defineOperator('#-', ['jsonb', '_text'], 'jsonb', ([j, p]) => {
    const keys = pathKeys(arr(p));
    const target = jsonb(j);
    if (!isObject(target) && !Array.isArray(target)) {
      throw new KeelError(SqlState.InvalidParameterValue, 'cannot delete path in scalar');
    }
    return keys.length === 0 ? target : updatePath(target, keys, 0, () => null, false);
  });
}

function textOrNull(j: Jsonb | null): string | null {
  return j === null ? null : scalarText(j);
}

function fromJson(v: Value | undefined): Jsonb {
  return parseJsonb(str(v));
}

function jsonOut(j: Jsonb | null): string | null {
  return j === null ? null : formatJsonb(j);
}

function sliceOf(text: string, node: JsonNode | null): string | null {
  return node === null ? null : text.slice(node.start, node.end);
}

function textOfNode(text: string, node: JsonNode | null): string | null {
  return node === null ? null : jsonScalarText(text, node);
}

function pathOf(p: Value | undefined): (string | null)[] {
  return arr(p).values.map((v) => (v === null ? null : str(v)));
}

function registerJsonOperators(): void {
  defineOperator('->', ['json', 'text'], 'json', ([j, k]) =>
    sliceOf(str(j), jsonField(parseJsonText(str(j)), str(k))),
  );
  defineOperator('->', ['json', 'int4'], 'json', ([j, i]) =>
    sliceOf(str(j), jsonElement(parseJsonText(str(j)), num(i))),
  );
  defineOperator('->>', ['json', 'text'], 'text', ([j, k]) =>
    textOfNode(str(j), jsonField(parseJsonText(str(j)), str(k))),
  );
  defineOperator('->>', ['json', 'int4'], 'text', ([j, i]) =>
    textOfNode(str(j), jsonElement(parseJsonText(str(j)), num(i))),
  );
  defineOperator('#>', ['json', '_text'], 'json', ([j, p]) =>
    sliceOf(str(j), jsonPath(parseJsonText(str(j)), pathOf(p))),
  );
  defineOperator('#>>', ['json', '_text'], 'text', ([j, p]) =>
    textOfNode(str(j), jsonPath(parseJsonText(str(j)), pathOf(p))),
  );
}

function registerJsonbFunctions(): void {
  defineFunction('jsonb_typeof', ['jsonb'], 'text', ([j]) => typeOf(jsonb(j)));
  defineFunction('json_typeof', ['json'], 'text', ([j]) => jsonTypeOf(parseJsonText(str(j))));
  defineFunction('jsonb_array_length', ['jsonb'], 'int4', ([j]) => arrayLength(jsonb(j)));
  defineFunction('json_array_length', ['json'], 'int4', ([j]) => {
    const node = parseJsonText(str(j));
    if (node.kind === 'array') return node.items.length;
    throw new KeelError(
      SqlState.InvalidParameterValue,
      node.kind === 'object'
        ? 'cannot get array length of a non-array'
        : 'cannot get array length of a scalar',
    );
  });
  defineFunction('jsonb_extract_path', ['jsonb', '_text'], 'jsonb', ([j, p]) => pathGet(jsonb(j), arr(p)), {
    variadic: true,
  });
  defineFunction(
    'jsonb_extract_path_text',
    ['jsonb', '_text'],
    'text',
    ([j, p]) => textOrNull(pathGet(jsonb(j), arr(p))),
    {
      variadic: true,
    },
  );
  defineFunction(
    'json_extract_path',
    ['json', '_text'],
    'json',
    ([j, p]) => jsonOut(pathGet(fromJson(j), arr(p))),
    {
      variadic: true,
    },
  );
  defineFunction(
    'json_extract_path_text',
    ['json', '_text'],
    'text',
    ([j, p]) => textOrNull(pathGet(fromJson(j), arr(p))),
    {
      variadic: true,
    },
  );
  defineFunction(
    'jsonb_set',
    ['jsonb', '_text', 'jsonb', 'bool'],
    'jsonb',
    ([j, p, v, c]) => jsonbSet(jsonb(j), arr(p), jsonb(v), c === undefined ? true : bool(c)),
    { defaults: 1 },
  );
  defineFunction(
    'jsonb_insert',
    ['jsonb', '_text', 'jsonb', 'bool'],
    'jsonb',
    ([j, p, v, a]) => jsonbInsert(jsonb(j), arr(p), jsonb(v), a === undefined ? false : bool(a)),
    { defaults: 1 },
  );
  defineFunction('jsonb_strip_nulls', ['jsonb'], 'jsonb', ([j]) => stripNulls(jsonb(j)));
  defineFunction('json_strip_nulls', ['json'], 'json', ([j]) =>
    stripJsonNulls(str(j), parseJsonText(str(j))),
  );
  defineFunction('jsonb_pretty', ['jsonb'], 'text', ([j]) => prettyJsonb(jsonb(j)));
}

function registerJsonSets(): void {
  defineSetFunction('jsonb_array_elements', ['jsonb'], [['value', 'jsonb']], ([j]) =>
    requireArray(jsonb(j)).map((x) => [x]),
  );
  defineSetFunction('jsonb_array_elements_text', ['jsonb'], [['value', 'text']], ([j]) =>
    requireArray(jsonb(j)).map((x) => [scalarText(x)]),
  );
  defineSetFunction('jsonb_object_keys', ['jsonb'], [['jsonb_object_keys', 'text']], ([j]) =>
    requireObject(jsonb(j), 'jsonb_object_keys').keys.map((k) => [k]),
  );
  defineSetFunction(
    'jsonb_each',
    ['jsonb'],
    [
      ['key', 'text'],
      ['value', 'jsonb'],
    ],
    ([j]) => {
      const o = requireObject(jsonb(j), 'jsonb_each');
      return o.keys.map((k, i) => [k, o.values[i] ?? JsonNull]);
    },
  );
  defineSetFunction(
    'jsonb_each_text',
    ['jsonb'],
    [
      ['key', 'text'],
      ['value', 'text'],
    ],
    ([j]) => {
      const o = requireObject(jsonb(j), 'jsonb_each_text');
      return o.keys.map((k, i) => [k, scalarText(o.values[i] ?? JsonNull)]);
    },
  );
  defineSetFunction('json_array_elements', ['json'], [['value', 'json']], ([j]) =>
    jsonItems(str(j)).map((n) => [sliceOf(str(j), n)]),
  );
  defineSetFunction('json_array_elements_text', ['json'], [['value', 'text']], ([j]) =>
    jsonItems(str(j)).map((n) => [textOfNode(str(j), n)]),
  );
  defineSetFunction('json_object_keys', ['json'], [['json_object_keys', 'text']], ([j]) =>
    jsonMembers(str(j), 'json_object_keys').keys.map((k) => [k]),
  );
  defineSetFunction(
    'json_each',
    ['json'],
    [
      ['key', 'text'],
      ['value', 'json'],
    ],
    ([j]) => {
      const o = jsonMembers(str(j), 'json_each');
      return o.keys.map((k, i) => [k, sliceOf(str(j), o.items[i] ?? null)]);
    },
  );
  defineSetFunction(
    'json_each_text',
    ['json'],
    [
      ['key', 'text'],
      ['value', 'text'],
    ],
    ([j]) => {
      const o = jsonMembers(str(j), 'json_each_text');
      return o.keys.map((k, i) => [k, textOfNode(str(j), o.items[i] ?? null)]);
    },
  );
}

function jsonItems(text: string): JsonNode[] {
  const node = parseJsonText(text);
  if (node.kind === 'array') return node.items;
  throw new KeelError(
    SqlState.InvalidParameterValue,
    node.kind === 'object'
      ? 'cannot extract elements from an object'
      : 'cannot extract elements from a scalar',
  );
}

function jsonMembers(text: string, fn: string): JsonNode {
  const node = parseJsonText(text);
  if (node.kind === 'object') return node;
  throw new KeelError(
    SqlState.InvalidParameterValue,
    node.kind === 'array' ? `cannot call ${fn} on an array` : `cannot call ${fn} on a scalar`,
  );
}

export function registerJsonFunctions(): void {
  registerJsonbOperators();
  registerJsonOperators();
  registerJsonbFunctions();
  registerJsonSets();
}
