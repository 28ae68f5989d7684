/**
 * Polymorphic argument binding and common-type selection, as PostgreSQL does them:
 * - anyelement/anynonarray/anyarray share one element type T (anyarray args are arrays of T;
 *   anynonarray rejects arrays); unknown literals take T from the other arguments;
 * - anycompatible/anycompatiblearray pick the common supertype of their arguments (the rules
 *   of select_common_type: same category required, preferred types and implicit casts win);
 * - "any" accepts everything as is.
 * `selectCommonType` is also what the binder uses for CASE, COALESCE, UNION, VALUES, ARRAY[].
 * Exports: isPolymorphic, bindPolymorphic, Binding, selectCommonType.
 */
import { KeelError, SqlState } from '@keel/errors';
import { canCoerce } from '../types/casts.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { arrayTypeOf, elementTypeOf, findType, formatType } from '../types/type-registry.js';

const polymorphic = new Set<TypeOid>([
  Oids.anyelement,
  Oids.anyarray,
  Oids.anynonarray,
  Oids.anycompatible,
  Oids.anycompatiblearray,
]);

export function isPolymorphic(oid: TypeOid): boolean {
  return polymorphic.has(oid);
}

function category(oid: TypeOid): string {
  return findType(oid)?.category ?? 'U';
}

function isPreferred(oid: TypeOid): boolean {
  return findType(oid)?.preferred ?? false;
}

/**
 * PostgreSQL's select_common_type: unknowns are ignored (all unknown -> text); every other input
 * must share a category; a later type replaces the candidate when it is preferred, or when the
 * candidate casts to it implicitly but not back. `context` names the construct in the 42804 error
 * ("CASE", "UNION", "COALESCE"...). Returns null instead of throwing when `context` is null.
 */
export function selectCommonType(types: readonly TypeOid[], context: string | null): TypeOid | null {
  const known = types.filter((x) => x !== Oids.unknown);
  const first = known[0];
  if (first === undefined) return Oids.text;
  if (known.every((x) => x === first)) return first;
  let candidate = first;
  for (const next of known.slice(1)) {
    if (next === candidate) continue;
    if (category(next) !== category(candidate)) {
      if (context === null) return null;
      throw new KeelError(
        SqlState.DatatypeMismatch,
        `${context} types ${formatType(candidate)} and ${formatType(next)} cannot be matched`,
      );
    }
    if (
      !isPreferred(candidate) &&
      canCoerce(candidate, next, 'implicit') &&
      !canCoerce(next, candidate, 'implicit')
    ) {
      candidate = next;
    }
  }
  for (const x of known) {
    if (!canCoerce(x, candidate, 'implicit')) {
      if (context === null) return null;
      throw new KeelError(
        SqlState.CannotCoerce,
        `${context} could not convert type ${formatType(x)} to ${formatType(candidate)}`,
      );
    }
  }
  return candidate;
}

export interface Binding {
  /** The type each argument is coerced to. */
  argTypes: TypeOid[];
  result: TypeOid;
}

/** The element type T implied by anyelement/anyarray/anynonarray arguments, or null when unknown. */
function anyElementType(declared: readonly TypeOid[], actual: readonly TypeOid[]): TypeOid | null | false {
  let element: TypeOid | null = null;
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i];
    const a = actual[i] ?? Oids.unknown;
    if (a === Oids.unknown) continue;
    let implied: TypeOid;
    if (d === Oids.anyelement || d === Oids.anynonarray) implied = a;
    else if (d === Oids.anyarray) {
      implied = elementTypeOf(a);
      if (implied === 0) return false;
    } else continue;
    if (element !== null && element !== implied) return false;
    element = implied;
  }
  return element;
}

function compatibleType(declared: readonly TypeOid[], actual: readonly TypeOid[]): TypeOid | null | false {
  const inputs: TypeOid[] = [];
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i];
    const a = actual[i] ?? Oids.unknown;
    if (a === Oids.unknown) continue;
    if (d === Oids.anycompatible) inputs.push(a);
    else if (d === Oids.anycompatiblearray) {
      const e = elementTypeOf(a);
      if (e === 0) return false;
      inputs.push(e);
    }
  }
  if (inputs.length === 0) return null;
  return selectCommonType(inputs, null) ?? false;
}

/**
 * Binds polymorphic declared types to actual ones. Returns null when the arguments are
 * inconsistent; throws 42804 when a polymorphic result cannot be determined (all unknown).
 */
export function bindPolymorphic(
  declared: readonly TypeOid[],
  result: TypeOid,
  actual: readonly TypeOid[],
  strictUnknown: boolean,
): Binding | null {
  const element = anyElementType(declared, actual);
  const compatible = compatibleType(declared, actual);
  if (element === false || compatible === false) return null;
  if (element !== null && declared.includes(Oids.anynonarray) && elementTypeOf(element) !== 0) return null;
  if (
    element !== null &&
    (declared.includes(Oids.anyarray) || result === Oids.anyarray) &&
    arrayTypeOf(element) === 0
  ) {
    return null;
  }
  const usesAnyElement = declared.some(
    (d) => d === Oids.anyelement || d === Oids.anyarray || d === Oids.anynonarray,
  );
  if (usesAnyElement && element === null && strictUnknown) {
    throw new KeelError(
      SqlState.DatatypeMismatch,
      'could not determine polymorphic type because input has type unknown',
    );
  }
  const e = element ?? Oids.text;
  const c = compatible ?? Oids.text;
  const map = (d: TypeOid): TypeOid => {
    switch (d) {
      case Oids.anyelement:
      case Oids.anynonarray:
        return e;
      case Oids.anyarray:
        return arrayTypeOf(e);
      case Oids.anycompatible:
        return c;
      case Oids.anycompatiblearray:
        return arrayTypeOf(c);
      default:
        return d;
    }
  };
  return { argTypes: declared.map(map), result: map(result) };
}
