/**
 * The function and operator catalog: every built-in scalar function, operator and set-returning
 * function Keel implements, with PostgreSQL's signatures (argument and result types, including
 * the polymorphic pseudo-types anyelement, anyarray, anynonarray, anycompatible and
 * anycompatiblearray), strictness, volatility and variadic parameters. The families register
 * themselves through `defineFunction` / `defineOperator` (see builtins.ts); resolution lives in
 * resolve.ts.
 * Exports: FunctionDef, Implementation, RowsImplementation, Volatility, defineFunction,
 * defineOperator, functionsNamed, operatorsNamed, t (type-name shorthand), allFunctions.
 */
import { assert } from '@keel/errors';
import type { TypeOid } from '../types/oids.js';
import { typeByName } from '../types/type-registry.js';
import type { Value } from '../types/value.js';
import type { EvalContext } from './eval-context.js';

export type Volatility = 'immutable' | 'stable' | 'volatile';

/** A scalar implementation: receives the (already coerced) argument values. */
export type Implementation = (args: Value[], ctx: EvalContext) => Value;
/** A set-returning implementation: one array of column values per output row. */
export type RowsImplementation = (args: Value[], ctx: EvalContext) => Value[][];

export interface FunctionDef {
  name: string;
  kind: 'function' | 'operator';
  /** Declared argument types; for a prefix operator, one type. */
  args: TypeOid[];
  result: TypeOid;
  /** NULL in -> NULL out without calling the implementation. */
  strict: boolean;
  volatility: Volatility;
  /** The last argument is VARIADIC: its declared type is an array; calls may pass elements. */
  variadic: boolean;
  /** How many trailing arguments have defaults (the call may omit them). */
  defaults: number;
  impl: Implementation;
  /** For implementations that depend on the argument types ("any" parameters): builds one per call site. */
  bind?: (argTypes: TypeOid[], resultType: TypeOid) => Implementation;
  /** Set-returning functions: the output columns and the rows implementation. */
  returnsSet: { columns: { name: string; type: TypeOid }[]; rows: RowsImplementation } | null;
  /** Unique id, for plan caching and EXPLAIN. */
  id: number;
}

export interface DefineOptions {
  bind?: (argTypes: TypeOid[], resultType: TypeOid) => Implementation;
  strict?: boolean;
  volatility?: Volatility;
  variadic?: boolean;
  defaults?: number;
}

const functions = new Map<string, FunctionDef[]>();
const operators = new Map<string, FunctionDef[]>();
let nextId = 1;

/** Type oid by name ('int4', 'text', 'anyelement', '_text'); throws on a typo (a bug). */
export function t(name: string): TypeOid {
  const info = typeByName(name.startsWith('_') ? `${name.slice(1)}[]` : name);
  assert(info !== undefined, `unknown type name ${name} in function catalog`);
  return info.oid;
}

function add(map: Map<string, FunctionDef[]>, def: FunctionDef): FunctionDef {
  const list = map.get(def.name);
  if (list === undefined) map.set(def.name, [def]);
  else list.push(def);
  return def;
}

function makeDef(
  kind: FunctionDef['kind'],
  name: string,
  args: string[],
  result: string,
  impl: Implementation,
  options: DefineOptions,
): FunctionDef {
  const def: FunctionDef = {
    name,
    kind,
    args: args.map(t),
    result: t(result),
    strict: options.strict ?? true,
    volatility: options.volatility ?? 'immutable',
    variadic: options.variadic ?? false,
    defaults: options.defaults ?? 0,
    impl,
    returnsSet: null,
    id: nextId++,
  };
  if (options.bind !== undefined) def.bind = options.bind;
  return def;
}

/** Registers a scalar function. */
export function defineFunction(
  name: string,
  args: string[],
  result: string,
  impl: Implementation,
  options: DefineOptions = {},
): FunctionDef {
  return add(functions, makeDef('function', name, args, result, impl, options));
}

function setReturningStub(): Value {
  assert(false, 'set-returning function called as scalar');
}

/** Registers a set-returning function; single-column SRFs name their column after the function. */
export function defineSetFunction(
  name: string,
  args: string[],
  columns: [string, string][],
  rows: RowsImplementation,
  options: DefineOptions = {},
): FunctionDef {
  const result = columns.length === 1 ? (columns[0]?.[1] ?? 'record') : 'record';
  const def = makeDef('function', name, args, result, setReturningStub, options);
  def.returnsSet = { columns: columns.map(([n, type]) => ({ name: n, type: t(type) })), rows };
  return add(functions, def);
}

/** Registers an operator: two argument types, or one for a prefix operator. */
export function defineOperator(
  name: string,
  args: string[],
  result: string,
  impl: Implementation,
  options: DefineOptions = {},
): FunctionDef {
  return add(operators, makeDef('operator', name, args, result, impl, options));
}

export function functionsNamed(name: string): readonly FunctionDef[] {
  return functions.get(name) ?? [];
}

export function operatorsNamed(name: string): readonly FunctionDef[] {
  return operators.get(name) ?? [];
}

export function allFunctions(): FunctionDef[] {
  return [...functions.values()].flat();
}

export function allOperators(): FunctionDef[] {
  return [...operators.values()].flat();
}
