/**
 * Interim overload resolution for operators and functions, following the steps of
 * PostgreSQL's "Type Conversion" chapter (10.2 operators, 10.3 functions): exact match, unknown
 * literals taking the other operand's type, implicit-coercion candidates, most exact matches,
 * preferred types, string category for unknowns. Also select_common_type for CASE, UNION, etc.
 * Exports: Signature, chooseCandidate, resolvePolymorphic, selectCommonType.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Oid } from '../../../catalog/objects.js';
import { canCoerceImplicitly } from './casts.js';
import { arrayTypeOf, elementTypeOf, TypeOid, typeDisplayName, typeInfo } from './type-ids.js';

export interface Signature {
  args: Oid[];
  /** Last argument repeats (VARIADIC). */
  variadic?: boolean;
}

function isPolymorphic(oid: Oid): boolean {
  return oid === TypeOid.anyelement || oid === TypeOid.anyarray;
}

function expand(sig: Signature, count: number): Oid[] | null {
  if (!sig.variadic) return sig.args.length === count ? sig.args : null;
  if (count < sig.args.length - 1) return null;
  const last = sig.args[sig.args.length - 1] ?? TypeOid.anyelement;
  const out = sig.args.slice(0, -1);
  while (out.length < count) out.push(last);
  return out;
}

/** The concrete type of anyelement given the argument types, or null if inconsistent. */
export function resolvePolymorphic(declared: Oid[], actual: Oid[]): Oid | null {
  let element: Oid | null = null;
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i];
    const a = actual[i] ?? TypeOid.unknown;
    if (a === TypeOid.unknown) continue;
    let e: Oid | null = null;
    if (d === TypeOid.anyelement) e = a;
    else if (d === TypeOid.anyarray) e = elementTypeOf(a);
    else continue;
    if (e === null) return null;
    if (element === null) element = e;
    else if (element !== e) {
      if (canCoerceImplicitly(e, element)) continue;
      if (canCoerceImplicitly(element, e)) element = e;
      else return null;
    }
  }
  return element ?? TypeOid.text;
}

function concreteArgs(declared: Oid[], actual: Oid[]): Oid[] | null {
  if (!declared.some(isPolymorphic)) return declared;
  const element = resolvePolymorphic(declared, actual);
  if (element === null) return null;
  const array = arrayTypeOf(element);
  return declared.map((d) =>
    d === TypeOid.anyelement ? element : d === TypeOid.anyarray ? (array ?? d) : d,
  );
}

interface Candidate<T> {
  item: T;
  args: Oid[];
}

function category(oid: Oid): string {
  return typeInfo(oid)?.category ?? 'U';
}

function narrow<T>(list: Candidate<T>[], score: (c: Candidate<T>) => number): Candidate<T>[] {
  if (list.length <= 1) return list;
  const scores = list.map(score);
  const best = Math.max(...scores);
  const kept = list.filter((_, i) => scores[i] === best);
  return kept.length > 0 ? kept : list;
}

function unknownCategoryStep<T>(list: Candidate<T>[], actual: Oid[]): Candidate<T>[] {
  let kept = list;
  actual.forEach((a, i) => {
    if (a !== TypeOid.unknown || kept.length <= 1) return;
    const cats = new Set(kept.map((c) => category(c.args[i] ?? TypeOid.unknown)));
    const chosen = cats.has('S') ? 'S' : cats.size === 1 ? [...cats][0] : null;
    if (chosen === null) return;
    const inCat = kept.filter((c) => category(c.args[i] ?? TypeOid.unknown) === chosen);
    const preferred = inCat.filter((c) => typeInfo(c.args[i] ?? 0)?.preferred);
    kept = preferred.length > 0 ? preferred : inCat;
  });
  return kept;
}

/**
 * Picks the best candidate for the argument types; null when none fits, throws 42725 when
 * several remain equally good (PostgreSQL's "is not unique").
 */
export function chooseCandidate<T extends Signature>(
  candidates: T[],
  actual: Oid[],
  what: () => string,
): { item: T; args: Oid[] } | null {
  const applicable: Candidate<T>[] = [];
  for (const item of candidates) {
    const declared = expand(item, actual.length);
    if (declared === null) continue;
    const args = concreteArgs(declared, actual);
    if (args === null) continue;
    if (args.every((d, i) => canCoerceImplicitly(actual[i] ?? TypeOid.unknown, d)))
      applicable.push({ item, args });
  }
  if (applicable.length <= 1) return applicable[0] ?? null;
  const knownTypes = actual.filter((a) => a !== TypeOid.unknown);
  const unknownAsOther = (c: Candidate<T>) =>
    c.args.filter(
      (d, i) =>
        d === actual[i] ||
        (actual[i] === TypeOid.unknown && knownTypes.length > 0 && knownTypes.every((k) => k === d)),
    ).length;
  let list = narrow(applicable, unknownAsOther);
  list = narrow(list, (c) => c.args.filter((d, i) => d === actual[i]).length);
  list = narrow(list, (c) => c.args.filter((d, i) => d !== actual[i] && typeInfo(d)?.preferred).length);
  list = unknownCategoryStep(list, actual);
  if (list.length === 1 && list[0] !== undefined) return list[0];
  const exactOnKnown = list.filter((c) =>
    c.args.every((d, i) => actual[i] === TypeOid.unknown || d === actual[i]),
  );
  if (exactOnKnown.length === 1 && exactOnKnown[0] !== undefined) return exactOnKnown[0];
  throw new KeelError(SqlState.AmbiguousFunction, `${what()} is not unique`, {
    hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
  });
}

/**
 * PostgreSQL's select_common_type: the type that CASE branches, UNION columns, VALUES rows,
 * COALESCE and IN-list members are converted to. `context` names the construct in errors.
 */
export function selectCommonType(types: Oid[], context: string): Oid {
  const known = types.filter((t) => t !== TypeOid.unknown);
  let chosen = known[0];
  if (chosen === undefined) return TypeOid.text;
  for (const next of known.slice(1)) {
    if (next === chosen) continue;
    if (category(next) !== category(chosen)) {
      throw new KeelError(
        SqlState.DatatypeMismatch,
        `${context} types ${typeDisplayName(chosen)} and ${typeDisplayName(next)} cannot be matched`,
      );
    }
    if (
      !typeInfo(chosen)?.preferred &&
      canCoerceImplicitly(chosen, next) &&
      !canCoerceImplicitly(next, chosen)
    ) {
      chosen = next;
    }
  }
  for (const t of known) {
    if (!canCoerceImplicitly(t, chosen)) {
      throw new KeelError(
        SqlState.DatatypeMismatch,
        `${context} could not convert type ${typeDisplayName(t)} to ${typeDisplayName(chosen)}`,
      );
    }
  }
  return chosen;
}
