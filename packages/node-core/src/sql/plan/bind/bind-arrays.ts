/**
 * Array constructors (ARRAY[...]), subscripts and slices (a[1], a[2:3]) and field selection of
 * composite values ((r).f).
 * Exports: bindArrayExpr, bindIndirection.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { A_ArrayExpr, A_Indices, A_Indirection, Node } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import { arrayTypeOf, elementTypeOf, TypeOid } from '../registry/registry.js';
import { nodeTag, positionOf, stringOf, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import type { ExprContext } from './binder.js';
import { coerceTo, coerceToCommon } from './coerce.js';

export function bindArrayExpr(node: Node, ec: ExprContext): Expr {
  const a = unwrap<A_ArrayExpr>(node, 'A_ArrayExpr') ?? {};
  const elements = (a.elements ?? []).map((e) => bindExpr(e, ec));
  if (elements.length === 0) {
    return { kind: 'array', elementType: TypeOid.unknown, elements: [], type: TypeOid.unknown, typmod: -1 };
  }
  const common = coerceToCommon(ec.binder, elements, 'ARRAY');
  if (elementTypeOf(common.type) !== 0) return bindNestedArray(common.type, common.exprs);
  const arrayType = arrayTypeOf(common.type);
  if (arrayType === 0) {
    throw new KeelError(SqlState.UndefinedObject, 'could not find array type for data type', {
      position: positionOf(node),
    });
  }
  return { kind: 'array', elementType: common.type, elements: common.exprs, type: arrayType, typmod: -1 };
}

/** ARRAY[ARRAY[1,2], ARRAY[3,4]]: a multidimensional array of the sub-arrays' type. */
function bindNestedArray(arrayType: number, elements: Expr[]): Expr {
  return { kind: 'array', elementType: arrayType, elements, type: arrayType, typmod: -1 };
}

export function bindIndirection(node: Node, ec: ExprContext): Expr {
  const ind = unwrap<A_Indirection>(node, 'A_Indirection') ?? {};
  let e = bindExpr(ind.arg ?? { A_Const: { isnull: true } }, ec);
  for (const step of ind.indirection ?? []) {
    const tag = nodeTag(step);
    if (tag === 'A_Indices') e = bindSubscript(e, unwrap<A_Indices>(step, tag) ?? {}, ec, positionOf(node));
    else if (tag === 'String') e = bindField(e, stringOf(step) ?? '', positionOf(node));
    else
      throw new KeelError(SqlState.FeatureNotSupported, 'row expansion via "*" is not supported here', {
        position: positionOf(node),
      });
  }
  return e;
}

function bindSubscript(e: Expr, idx: A_Indices, ec: ExprContext, position: number | undefined): Expr {
  const element = elementTypeOf(e.type);
  if (element === 0) {
    throw new KeelError(
      SqlState.DatatypeMismatch,
      'cannot subscript type because it does not support subscripting',
      { position },
    );
  }
  const int = (n: Node | undefined): Expr | null =>
    n === undefined
      ? null
      : coerceTo(ec.binder, bindExpr(n, ec), TypeOid.int4, -1, { context: 'assignment', position });
  const lower = int(idx.lidx);
  const upper = int(idx.uidx);
  if (idx.is_slice) {
    const one: Expr = { kind: 'const', value: 1, type: TypeOid.int4, typmod: -1 };
    const big: Expr = { kind: 'const', value: 2147483647, type: TypeOid.int4, typmod: -1 };
    return {
      kind: 'subscript',
      arg: e,
      index: lower ?? one,
      upper: upper ?? big,
      slice: true,
      type: e.type,
      typmod: -1,
    };
  }
  const index = upper ?? lower;
  if (index === null) throw new KeelError(SqlState.SyntaxError, 'array subscript missing', { position });
  return { kind: 'subscript', arg: e, index, upper: null, slice: false, type: element, typmod: -1 };
}

function bindField(e: Expr, name: string, position: number | undefined): Expr {
  if (e.kind === 'row') {
    const i = e.args.findIndex((a) => a.kind === 'column' && a.name === name);
    const arg = e.args[i];
    if (arg !== undefined) return arg;
  }
  throw new KeelError(SqlState.UndefinedColumn, `column "${name}" not found in data type record`, {
    position,
  });
}
