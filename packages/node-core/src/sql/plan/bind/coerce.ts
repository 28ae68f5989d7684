/**
 * Type coercion of bound expressions: PostgreSQL's coerce_type for unknown literals and
 * parameters, implicit/assignment/explicit casts (findCast from src/sql/types), typmod
 * application, and the choice of a common type for CASE/COALESCE/UNION/IN. Constant casts are
 * folded at bind time, so a bad literal fails in the binder, as in PostgreSQL.
 * Exports: coerceTo, coerceToCommon, coerceBool, resolveUnknownAsText, foldIfConst.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Oid } from '../../../catalog/objects.js';
import { isTextual, regclassFromText } from '../../exec/catalog-calls.js';
import type { Value as TypedValue } from '../../types/value.js';
import type { CastExpr, Expr } from '../ir/expr.js';
import {
  type CastContext,
  castValue,
  findCast,
  formatType,
  selectCommonType,
  TypeOid,
  typeDisplayName,
} from '../registry/registry.js';
import type { Binder } from './binder.js';

export interface CoerceOptions {
  context: CastContext;
  /** For 42804 messages on assignment: the target column's name. */
  column?: string;
  position?: number;
}

const pseudoTargets = new Set<Oid>([
  TypeOid.anyelement,
  TypeOid.anyarray,
  TypeOid.anynonarray,
  TypeOid.anycompatible,
  TypeOid.anycompatiblearray,
  TypeOid.any,
  TypeOid.record,
]);

/** Converts `e` to `type` (and typmod) or throws PostgreSQL's error for the context. */
export function coerceTo(binder: Binder, e: Expr, type: Oid, typmod: number, options: CoerceOptions): Expr {
  if (e.type === type && (typmod < 0 || e.typmod === typmod)) return e;
  if (e.kind === 'param' && e.type === TypeOid.unknown) {
    binder.setParamType(e.index, type);
    return withTypmod(binder, { ...e, type }, type, typmod, options.context);
  }
  if (type === TypeOid.regclass && isTextual(e.type))
    return regclassFromText(binder.ctx.catalog, e, options.position);
  if (pseudoTargets.has(type)) return e;
  if (e.type === type) return withTypmod(binder, e, type, typmod, options.context);
  const path = findCast(e.type, type, options.context);
  if (path === null) throw cannotCoerce(e.type, type, typmod, options);
  const cast: CastExpr = {
    kind: 'cast',
    arg: e,
    from: e.type,
    type,
    typmod,
    coercion: options.context === 'explicit' ? 'explicit' : 'assignment',
  };
  return foldIfConst(binder, cast);
}

function withTypmod(binder: Binder, e: Expr, type: Oid, typmod: number, context: CastContext): Expr {
  if (typmod < 0 || e.typmod === typmod) return e;
  const applied: CastExpr = {
    kind: 'cast',
    arg: e,
    from: type,
    type,
    typmod,
    coercion: context === 'explicit' ? 'explicit' : 'assignment',
  };
  return foldIfConst(binder, applied);
}

function cannotCoerce(from: Oid, to: Oid, typmod: number, options: CoerceOptions): KeelError {
  if (options.context === 'explicit') {
    return new KeelError(
      SqlState.CannotCoerce,
      `cannot cast type ${typeDisplayName(from)} to ${formatType(to, typmod)}`,
      { position: options.position },
    );
  }
  if (options.column !== undefined) {
    return new KeelError(
      SqlState.DatatypeMismatch,
      `column "${options.column}" is of type ${formatType(to)} but expression is of type ${typeDisplayName(from)}`,
      { hint: 'You will need to rewrite or cast the expression.', position: options.position },
    );
  }
  return new KeelError(
    SqlState.DatatypeMismatch,
    `cannot convert type ${typeDisplayName(from)} to ${typeDisplayName(to)}`,
    { position: options.position },
  );
}

/**
 * Evaluates a cast of a constant at bind time. A literal whose value depends on the clock
 * ('now', 'today') stays a cast, evaluated with the transaction's start at execution.
 */
export function foldIfConst(binder: Binder, e: CastExpr): Expr {
  if (e.arg.kind !== 'const') return e;
  const v = e.arg.value;
  if (v === null) return { kind: 'const', value: null, type: e.type, typmod: e.typmod };
  const folded = binder.foldWithoutClock(() =>
    castValue(v as TypedValue, e.from, e.type, e.typmod, binder.evalContext, e.coercion),
  );
  if (folded === null) return e;
  return { kind: 'const', value: folded.value, type: e.type, typmod: e.typmod };
}

/** Converts each expression to the common type of the list (select_common_type). */
export function coerceToCommon(binder: Binder, exprs: Expr[], context: string): { type: Oid; exprs: Expr[] } {
  const type =
    selectCommonType(
      exprs.map((e) => e.type),
      context,
    ) ?? TypeOid.text;
  return { type, exprs: exprs.map((e) => coerceTo(binder, e, type, -1, { context: 'implicit' })) };
}

/** WHERE/HAVING/ON/CASE WHEN arguments must be boolean (42804 "argument of WHERE must be type boolean"). */
export function coerceBool(binder: Binder, e: Expr, clause: string, position?: number): Expr {
  if (e.type === TypeOid.bool) return e;
  if (e.type === TypeOid.unknown) return coerceTo(binder, e, TypeOid.bool, -1, { context: 'implicit' });
  throw new KeelError(
    SqlState.DatatypeMismatch,
    `argument of ${clause} must be type boolean, not type ${typeDisplayName(e.type)}`,
    { position },
  );
}

/** An output column of type unknown becomes text, as PostgreSQL resolves it in a SELECT list. */
export function resolveUnknownAsText(binder: Binder, e: Expr): Expr {
  if (e.kind === 'param') return e;
  return e.type === TypeOid.unknown ? coerceTo(binder, e, TypeOid.text, -1, { context: 'implicit' }) : e;
}
