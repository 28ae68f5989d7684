/**
 * Type coercion of bound expressions: PostgreSQL's coerce_type for unknown literals and
 * parameters, implicit/assignment/explicit casts, typmod application, and the choice of a
 * common type for CASE/COALESCE/UNION/IN. Constant casts are folded at bind time, so a bad
 * literal fails in the binder, as in PostgreSQL.
 * Exports: coerceTo, coerceToCommon, coerceBool, resolveUnknownAsText, foldIfConst.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Oid } from '../../../catalog/objects.js';
import type { CastExpr, Expr } from '../ir/expr.js';
import {
  applyTypmod,
  type CastContext,
  findCast,
  selectCommonType,
  TypeOid,
  typeDisplayName,
} from '../registry/registry.js';
import type { Binder } from './binder.js';

function typmodName(type: Oid, typmod: number): string {
  const base = typeDisplayName(type);
  if (typmod < 0) return base;
  if (type === TypeOid.numeric) return `numeric(${((typmod - 4) >> 16) & 0xffff},${(typmod - 4) & 0xffff})`;
  if (type === TypeOid.varchar || type === TypeOid.bpchar) return `${base}(${typmod - 4})`;
  return base;
}

export interface CoerceOptions {
  context: CastContext;
  /** For 42804 messages on assignment: the target column's name. */
  column?: string;
  position?: number;
}

/** Converts `e` to `type` (and typmod) or throws PostgreSQL's error for the context. */
export function coerceTo(binder: Binder, e: Expr, type: Oid, typmod: number, options: CoerceOptions): Expr {
  if (e.type === type && (typmod < 0 || e.typmod === typmod)) return e;
  if (e.kind === 'param' && e.type === TypeOid.unknown) {
    binder.setParamType(e.index, type);
    return withTypmod({ ...e, type }, type, typmod, options.context === 'explicit');
  }
  if (type === TypeOid.anyelement || type === TypeOid.anyarray || type === TypeOid.record) return e;
  if (e.type === type) return withTypmod(e, type, typmod, options.context === 'explicit');
  const fn = findCast(e.type, type, options.context);
  if (fn === null) throw cannotCoerce(e.type, type, typmod, options);
  const cast: CastExpr = {
    kind: 'cast',
    arg: e,
    fn,
    type,
    typmod: -1,
    explicit: options.context === 'explicit',
  };
  return withTypmod(foldIfConst(cast), type, typmod, options.context === 'explicit');
}

function withTypmod(e: Expr, type: Oid, typmod: number, explicit: boolean): Expr {
  if (typmod < 0 || e.typmod === typmod) return e;
  const applied: CastExpr = {
    kind: 'cast',
    arg: e,
    fn: (v) => applyTypmod(type, typmod, v, explicit),
    type,
    typmod,
    explicit,
  };
  return foldIfConst(applied);
}

function cannotCoerce(from: Oid, to: Oid, typmod: number, options: CoerceOptions): KeelError {
  if (options.context === 'explicit') {
    return new KeelError(
      SqlState.CannotCoerce,
      `cannot cast type ${typeDisplayName(from)} to ${typmodName(to, typmod)}`,
      {
        position: options.position,
      },
    );
  }
  if (options.column !== undefined) {
    return new KeelError(
      SqlState.DatatypeMismatch,
      `column "${options.column}" is of type ${typmodName(to, -1)} but expression is of type ${typeDisplayName(from)}`,
      { hint: 'You will need to rewrite or cast the expression.', position: options.position },
    );
  }
  return new KeelError(
    SqlState.DatatypeMismatch,
    `cannot convert type ${typeDisplayName(from)} to ${typeDisplayName(to)}`,
    {
      position: options.position,
    },
  );
}

/** Evaluates a cast of a constant at bind time. */
export function foldIfConst(e: CastExpr): Expr {
  if (e.arg.kind !== 'const') return e;
  const v = e.arg.value;
  return { kind: 'const', value: v === null ? null : e.fn(v), type: e.type, typmod: e.typmod };
}

/** Converts each expression to the common type of the list (select_common_type). */
export function coerceToCommon(binder: Binder, exprs: Expr[], context: string): { type: Oid; exprs: Expr[] } {
  const type = selectCommonType(
    exprs.map((e) => e.type),
    context,
  );
  return { type, exprs: exprs.map((e) => coerceTo(binder, e, type, -1, { context: 'implicit' })) };
}

/** WHERE/HAVING/ON/CASE WHEN arguments must be boolean (42804 "argument of WHERE must be type boolean"). */
export function coerceBool(binder: Binder, e: Expr, clause: string, position?: number): Expr {
  if (e.type === TypeOid.bool) return e;
  if (e.type === TypeOid.unknown) return coerceTo(binder, e, TypeOid.bool, -1, { context: 'implicit' });
  throw new KeelError(
    SqlState.DatatypeMismatch,
    `argument of ${clause} must be type boolean, not type ${typeDisplayName(e.type)}`,
    {
      position,
    },
  );
}

/** An output column of type unknown becomes text, as PostgreSQL resolves it in a SELECT list. */
export function resolveUnknownAsText(binder: Binder, e: Expr): Expr {
  if (e.kind === 'param') return e;
  return e.type === TypeOid.unknown ? coerceTo(binder, e, TypeOid.text, -1, { context: 'implicit' }) : e;
}
