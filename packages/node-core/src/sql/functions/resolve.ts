/**
 * Overload resolution for functions and operators, following PostgreSQL's rules (manual,
 * "Type Conversion: Operators / Functions"):
 * 1. candidates with the right name and argument count (variadic and default arguments expand);
 * 2. an exact match wins (for a binary operator an unknown literal counts as the other side's type);
 * 3. otherwise keep candidates every argument can be implicitly coerced to (unknown literals
 *    coerce to anything; polymorphic parameters must bind consistently), then narrow by: most
 *    exact matches; most matches of preferred types of the input's category; for unknown
 *    arguments, the string category if any candidate takes it, else the one shared category, and
 *    preferred types within it; finally, unknowns take the type of the known arguments when
 *    those all agree. One survivor is the answer; none is 42883, several are 42725, with
 *    PostgreSQL's messages and hints.
 * Exports: resolveFunction, resolveOperator, ResolvedCall, ResolveOptions, describeSignature.
 */
import { KeelError, SqlState } from '@keel/errors';
import { arrayFromList } from '../types/array-io.js';
import { type CastPath, canCoerce, findCast } from '../types/casts.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { elementTypeOf, findType, formatType } from '../types/type-registry.js';
import { ensureBuiltins } from './builtins.js';
import {
  type FunctionDef,
  functionsNamed,
  type Implementation,
  operatorsNamed,
  type RowsImplementation,
  type Volatility,
} from './function-registry.js';
import { bindPolymorphic, isPolymorphic } from './polymorphic.js';

export interface ResolvedCall {
  def: FunctionDef;
  /** Type each actual argument is coerced to (variadic elements listed one by one). */
  argTypes: TypeOid[];
  /** Per actual argument: the cast to apply, or null when the type already matches. */
  casts: (CastPath | null)[];
  resultType: TypeOid;
  /**
   * For a variadic call: arguments from `start` on are packed into one array of `arrayType`
   * before the implementation is called. "any"-variadic functions receive them unpacked.
   */
  variadicPack: { start: number; arrayType: TypeOid } | null;
  /** Declared argument types, as positions of `def.args` after default/variadic expansion. */
  declaredTypes: TypeOid[];
  /** Types of the actual arguments (as passed to the implementation), for "any" parameters. */
  actualTypes: TypeOid[];
  strict: boolean;
  volatility: Volatility;
  /** The implementation bound to this call's types; variadic arguments are packed by it. */
  impl: Implementation;
  /** Set-returning calls: output columns and rows (null for scalar functions). */
  returnsSet: { columns: { name: string; type: TypeOid }[]; rows: RowsImplementation } | null;
}

export interface ResolveOptions {
  /** The call spelled VARIADIC before its last argument (pass the array as is). */
  variadicCall?: boolean;
}

interface Candidate {
  def: FunctionDef;
  declared: TypeOid[];
  variadicStart: number | null;
}

function expandCandidates(defs: readonly FunctionDef[], nargs: number, options: ResolveOptions): Candidate[] {
  const out: Candidate[] = [];
  for (const def of defs) {
    const n = def.args.length;
    if (def.variadic && options.variadicCall !== true) {
      const fixed = n - 1;
      const arrayType = def.args[n - 1] ?? Oids.any;
      const element = arrayType === Oids.any ? Oids.any : elementTypeOf(arrayType) || Oids.anyelement;
      if (nargs >= fixed + 1) {
        const declared = def.args.slice(0, fixed);
        while (declared.length < nargs) declared.push(element === Oids.anyarray ? Oids.anyelement : element);
        out.push({ def, declared, variadicStart: fixed });
      }
      continue;
    }
    if (nargs <= n && nargs >= n - def.defaults)
      out.push({ def, declared: def.args.slice(0, nargs), variadicStart: null });
  }
  return out;
}

function isCoercible(from: TypeOid, to: TypeOid): boolean {
  if (from === to || to === Oids.any) return true;
  if (from === Oids.unknown) return true;
  if (isPolymorphic(to)) return polymorphicAccepts(from, to);
  return canCoerce(from, to, 'implicit');
}

function polymorphicAccepts(from: TypeOid, to: TypeOid): boolean {
  const isArray = elementTypeOf(from) !== 0;
  switch (to) {
    case Oids.anyarray:
    case Oids.anycompatiblearray:
      return isArray;
    case Oids.anynonarray:
      return !isArray;
    default:
      return true;
  }
}

function viable(c: Candidate, actual: readonly TypeOid[]): boolean {
  for (let i = 0; i < actual.length; i++) {
    if (!isCoercible(actual[i] ?? Oids.unknown, c.declared[i] ?? Oids.any)) return false;
  }
  if (c.declared.some(isPolymorphic)) {
    return bindPolymorphic(c.declared, c.def.result, actual, false) !== null;
  }
  return true;
}

function category(oid: TypeOid): string {
  return findType(oid)?.category ?? 'U';
}

function isPreferredIn(categoryOf: string, oid: TypeOid): boolean {
  const info = findType(oid);
  return info?.preferred === true && info.category === categoryOf;
}

function keepMax(cands: Candidate[], score: (c: Candidate) => number): Candidate[] {
  let best = -1;
  let kept: Candidate[] = [];
  for (const c of cands) {
    const s = score(c);
    if (s > best) {
      best = s;
      kept = [c];
    } else if (s === best) kept.push(c);
  }
  return kept;
}

function narrowByUnknowns(cands: Candidate[], actual: readonly TypeOid[]): Candidate[] | null {
  let result = cands;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== Oids.unknown) continue;
    const cats = new Set(result.map((c) => category(c.declared[i] ?? Oids.any)));
    let chosen: string;
    if (cats.has('S')) chosen = 'S';
    else if (cats.size === 1) chosen = [...cats][0] ?? 'S';
    else return null;
    let next = result.filter((c) => category(c.declared[i] ?? Oids.any) === chosen);
    if (next.some((c) => findType(c.declared[i] ?? Oids.any)?.preferred === true)) {
      next = next.filter((c) => findType(c.declared[i] ?? Oids.any)?.preferred === true);
    }
    if (next.length > 0) result = next;
  }
  return result;
}

function narrowByKnownType(cands: Candidate[], actual: readonly TypeOid[]): Candidate[] {
  const known = actual.filter((a) => a !== Oids.unknown);
  const first = known[0];
  if (first === undefined || known.some((k) => k !== first) || known.length === actual.length) return cands;
  const assumed = actual.map((a) => (a === Oids.unknown ? first : a));
  return cands.filter((c) => viable(c, assumed));
}

/** PostgreSQL's func_select_candidate over the viable candidates. */
function selectCandidate(cands: Candidate[], actual: readonly TypeOid[]): Candidate[] {
  let result = keepMax(
    cands,
    (c) => actual.filter((a, i) => a !== Oids.unknown && a === c.declared[i]).length,
  );
  if (result.length === 1) return result;
  result = keepMax(
    result,
    (c) =>
      actual.filter((a, i) => {
        if (a === Oids.unknown) return false;
        const d = c.declared[i] ?? Oids.any;
        return a === d || isPreferredIn(category(a), d);
      }).length,
  );
  if (result.length === 1) return result;
  if (actual.includes(Oids.unknown)) {
    const narrowed = narrowByUnknowns(result, actual);
    if (narrowed === null) return result;
    if (narrowed.length === 1) return narrowed;
    const byKnown = narrowByKnownType(narrowed, actual);
    if (byKnown.length === 1) return byKnown;
    return narrowed;
  }
  return result;
}

function exactMatch(
  cands: Candidate[],
  actual: readonly TypeOid[],
  isBinaryOperator: boolean,
): Candidate | null {
  let probe = actual;
  if (isBinaryOperator && actual.length === 2) {
    const [l = Oids.unknown, r = Oids.unknown] = actual;
    if (l === Oids.unknown && r !== Oids.unknown) probe = [r, r];
    else if (r === Oids.unknown && l !== Oids.unknown) probe = [l, l];
  }
  return cands.find((c) => c.declared.every((d, i) => d === probe[i])) ?? null;
}

function choose(
  cands: Candidate[],
  actual: readonly TypeOid[],
  isBinaryOperator: boolean,
): { chosen: Candidate | null; ambiguous: boolean } {
  const exact = exactMatch(cands, actual, isBinaryOperator);
  if (exact !== null) return { chosen: exact, ambiguous: false };
  const live = cands.filter((c) => viable(c, actual));
  if (live.length === 0) return { chosen: null, ambiguous: false };
  if (live.length === 1) return { chosen: live[0] ?? null, ambiguous: false };
  const selected = selectCandidate(live, actual);
  if (selected.length === 1) return { chosen: selected[0] ?? null, ambiguous: false };
  return { chosen: null, ambiguous: true };
}

function finish(c: Candidate, actual: readonly TypeOid[]): ResolvedCall {
  let argTypes = c.declared.slice();
  let resultType = c.def.result;
  if (c.declared.some(isPolymorphic) || isPolymorphic(resultType)) {
    const binding = bindPolymorphic(c.declared, c.def.result, actual, true);
    if (binding === null) throw noSuchCall(c.def.kind, c.def.name, actual);
    argTypes = binding.argTypes;
    resultType = binding.result;
  }
  argTypes = argTypes.map((d, i) => (d === Oids.any ? (actual[i] ?? Oids.unknown) : d));
  const casts = actual.map((a, i) => {
    const target = argTypes[i] ?? a;
    return a === target ? null : findCast(a, target, 'implicit');
  });
  const variadicPack =
    c.variadicStart !== null && c.def.args[c.def.args.length - 1] !== Oids.any
      ? { start: c.variadicStart, arrayType: variadicArrayType(c, argTypes) }
      : null;
  const impl = bindImplementation(c.def, argTypes, resultType, variadicPack);
  const returnsSet =
    c.def.returnsSet === null
      ? null
      : {
          columns: c.def.returnsSet.columns.map((col) =>
            isPolymorphic(col.type) ? { ...col, type: resultType } : col,
          ),
          rows: packRows(c.def.returnsSet.rows, variadicPack, argTypes),
        };
  return {
    def: c.def,
    argTypes,
    casts,
    resultType,
    variadicPack,
    declaredTypes: c.declared,
    actualTypes: argTypes,
    strict: c.def.strict,
    volatility: c.def.volatility,
    impl,
    returnsSet,
  };
}

function bindImplementation(
  def: FunctionDef,
  argTypes: TypeOid[],
  resultType: TypeOid,
  pack: ResolvedCall['variadicPack'],
): Implementation {
  const base = def.bind === undefined ? def.impl : def.bind(argTypes, resultType);
  if (pack === null) return base;
  const element = elementTypeOf(pack.arrayType);
  return (args, ctx) =>
    base([...args.slice(0, pack.start), arrayFromList(element, args.slice(pack.start))], ctx);
}

function packRows(
  rows: RowsImplementation,
  pack: ResolvedCall['variadicPack'],
  argTypes: TypeOid[],
): RowsImplementation {
  if (pack === null) return rows;
  const element = elementTypeOf(pack.arrayType) || (argTypes[pack.start] ?? Oids.text);
  return (args, ctx) =>
    rows([...args.slice(0, pack.start), arrayFromList(element, args.slice(pack.start))], ctx);
}

function variadicArrayType(c: Candidate, argTypes: TypeOid[]): TypeOid {
  const declared = c.def.args[c.def.args.length - 1] ?? Oids.any;
  if (!isPolymorphic(declared)) return declared;
  const element = argTypes[c.variadicStart ?? 0] ?? Oids.text;
  return findType(element)?.arrayOid ?? Oids.textArray;
}

function typeList(types: readonly TypeOid[]): string {
  return types.map((x) => formatType(x)).join(', ');
}

function noSuchCall(kind: FunctionDef['kind'], name: string, actual: readonly TypeOid[]): KeelError {
  if (kind === 'operator') {
    const text =
      actual.length === 1
        ? `${name} ${formatType(actual[0] ?? Oids.unknown)}`
        : `${formatType(actual[0] ?? Oids.unknown)} ${name} ${formatType(actual[1] ?? Oids.unknown)}`;
    return new KeelError(SqlState.UndefinedFunction, `operator does not exist: ${text}`, {
      hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
    });
  }
  return new KeelError(SqlState.UndefinedFunction, `function ${name}(${typeList(actual)}) does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
  });
}

function ambiguousCall(kind: FunctionDef['kind'], name: string, actual: readonly TypeOid[]): KeelError {
  if (kind === 'operator') {
    const text =
      actual.length === 1
        ? `${name} ${formatType(actual[0] ?? Oids.unknown)}`
        : `${formatType(actual[0] ?? Oids.unknown)} ${name} ${formatType(actual[1] ?? Oids.unknown)}`;
    return new KeelError(SqlState.AmbiguousFunction, `operator is not unique: ${text}`, {
      hint: 'Could not choose a best candidate operator. You might need to add explicit type casts.',
    });
  }
  return new KeelError(SqlState.AmbiguousFunction, `function ${name}(${typeList(actual)}) is not unique`, {
    hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
  });
}

/** Resolves a call among `defs` (the candidates with this name). */
export function resolveIn(
  defs: readonly FunctionDef[],
  kind: FunctionDef['kind'],
  name: string,
  argTypes: readonly TypeOid[],
  options: ResolveOptions,
): ResolvedCall {
  const cands = expandCandidates(defs, argTypes.length, options);
  const { chosen, ambiguous } = choose(cands, argTypes, kind === 'operator' && argTypes.length === 2);
  if (chosen === null)
    throw ambiguous ? ambiguousCall(kind, name, argTypes) : noSuchCall(kind, name, argTypes);
  return finish(chosen, argTypes);
}

/** Resolves a function call by name and actual argument types (unknown for untyped literals). */
export function resolveFunction(
  name: string,
  argTypes: readonly TypeOid[],
  options: ResolveOptions = {},
): ResolvedCall {
  ensureBuiltins();
  const lower = name.toLowerCase();
  return resolveIn(functionsNamed(lower), 'function', lower, argTypes, options);
}

/** Resolves an operator; `left` is null for a prefix operator. */
export function resolveOperator(name: string, left: TypeOid | null, right: TypeOid): ResolvedCall {
  ensureBuiltins();
  const actual = left === null ? [right] : [left, right];
  return resolveIn(operatorsNamed(name), 'operator', name, actual, {});
}

/** 'lower(text)' / 'integer + integer': a signature in PostgreSQL's words. */
export function describeSignature(def: FunctionDef): string {
  if (def.kind === 'operator') {
    return def.args.length === 1
      ? `${def.name} ${formatType(def.args[0] ?? Oids.any)}`
      : `${formatType(def.args[0] ?? Oids.any)} ${def.name} ${formatType(def.args[1] ?? Oids.any)}`;
  }
  return `${def.name}(${typeList(def.args)})`;
}
