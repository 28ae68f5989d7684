/**
 * Binding of A_Expr: operators (including row comparisons), op ANY/ALL (array), IS [NOT]
 * DISTINCT FROM, NULLIF, IN lists, LIKE/ILIKE/SIMILAR TO (PostgreSQL's parser already turned
 * them into ~~ / ~~* / ~ with like_escape/similar_to_escape calls), BETWEEN [SYMMETRIC].
 * Exports: bindAExpr.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { A_Expr, Node, RowExpr } from '@pgsql/types';
import type { BinaryOp, Expr } from '../ir/expr.js';
import {
  arrayTypeOf,
  elementTypeOf,
  operatorFunction,
  resolveOperator,
  selectCommonType,
  TypeOid,
} from '../registry/registry.js';
import { nodeTag, strings, unwrap } from './ast.js';
import { bindExpr, bindOperatorCall, withPosition } from './bind-expr.js';
import type { ExprContext } from './binder.js';
import { coerceTo } from './coerce.js';

const nullNode: Node = { A_Const: { isnull: true } };

export function bindAExpr(a: A_Expr, ec: ExprContext): Expr {
  const position = a.location === undefined ? undefined : a.location + 1;
  const names = strings(a.name);
  const name = names[names.length - 1] ?? '=';
  switch (a.kind ?? 'AEXPR_OP') {
    case 'AEXPR_OP':
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
    case 'AEXPR_SIMILAR':
      return bindOp(name, a, ec, position);
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return bindAnyAll(name, a, ec, position);
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT':
      return bindDistinct(a, ec, position);
    case 'AEXPR_NULLIF':
      return bindNullIf(a, ec, position);
    case 'AEXPR_IN':
      return bindIn(name, a, ec, position);
    default:
      return bindBetween(a, ec, position);
  }
}

function rowArgs(node: Node | undefined): Node[] | null {
  const row = unwrap<RowExpr>(node, 'RowExpr');
  return row === null ? null : (row.args ?? []);
}

function bindOp(name: string, a: A_Expr, ec: ExprContext, position: number | undefined): Expr {
  const leftRow = rowArgs(a.lexpr);
  const rightRow = rowArgs(a.rexpr);
  if (leftRow !== null && rightRow !== null) return bindRowComparison(name, leftRow, rightRow, ec, position);
  const left = a.lexpr === undefined ? null : bindExpr(a.lexpr, ec);
  const right = bindExpr(a.rexpr ?? nullNode, ec);
  return bindOperatorCall(name, left, right, ec, position);
}

function bindRowComparison(
  name: string,
  left: Node[],
  right: Node[],
  ec: ExprContext,
  position: number | undefined,
): Expr {
  if (left.length !== right.length) {
    throw new KeelError(SqlState.SyntaxError, 'unequal number of entries in row expressions', { position });
  }
  const l = left.map((n) => bindExpr(n, ec));
  const r = right.map((n) => bindExpr(n, ec));
  const pair = (op: string, i: number) =>
    bindOperatorCall(op, l[i] ?? nullExpr(), r[i] ?? nullExpr(), ec, position);
  const bool = (kind: 'and' | 'or', args: Expr[]): Expr =>
    args.length === 1 && args[0] !== undefined ? args[0] : { kind, args, type: TypeOid.bool, typmod: -1 };
  if (name === '=')
    return bool(
      'and',
      l.map((_, i) => pair('=', i)),
    );
  if (name === '<>')
    return bool(
      'or',
      l.map((_, i) => pair('<>', i)),
    );
  if (!['<', '<=', '>', '>='].includes(name)) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `operator ${name} is not supported for row comparison`,
      { position },
    );
  }
  const strict = name.charAt(0);
  const build = (i: number): Expr => {
    const last = i === l.length - 1;
    if (last) return pair(name, i);
    return bool('or', [pair(strict, i), bool('and', [pair('=', i), build(i + 1)])]);
  };
  return build(0);
}

function nullExpr(): Expr {
  return { kind: 'const', value: null, type: TypeOid.unknown, typmod: -1 };
}

function bindAnyAll(name: string, a: A_Expr, ec: ExprContext, position: number | undefined): Expr {
  const left = bindExpr(a.lexpr ?? nullNode, ec);
  let array = bindExpr(a.rexpr ?? nullNode, ec);
  if (array.type === TypeOid.unknown) {
    const element = left.type === TypeOid.unknown ? TypeOid.text : left.type;
    const target = arrayTypeOf(element) || TypeOid.textArray;
    array = coerceTo(ec.binder, array, target, -1, { context: 'implicit', position });
  }
  const element = elementTypeOf(array.type);
  if (element === 0) {
    throw new KeelError(SqlState.WrongObjectType, 'op ANY/ALL (array) requires array on right side', {
      position,
    });
  }
  const resolved = withPosition(() => resolveOperator(name, left.type, element), position);
  if (resolved.resultType !== TypeOid.bool) {
    throw new KeelError(SqlState.WrongObjectType, 'op ANY/ALL (array) requires operator to yield boolean', {
      position,
    });
  }
  const [leftType = left.type, elementTarget = element] = resolved.argTypes;
  const l = coerceTo(ec.binder, left, leftType, -1, { context: 'implicit', position });
  const arrayTarget = arrayTypeOf(elementTarget) || array.type;
  const arr = coerceTo(ec.binder, array, arrayTarget, -1, { context: 'implicit', position });
  return {
    kind: 'anyAll',
    left: l,
    array: arr,
    all: a.kind === 'AEXPR_OP_ALL',
    fn: operatorFunction(name, resolved),
    opName: name,
    type: TypeOid.bool,
    typmod: -1,
  };
}

function equalityOf(
  left: Expr,
  right: Expr,
  ec: ExprContext,
  position: number | undefined,
): { l: Expr; r: Expr; fn: BinaryOp } {
  const resolved = withPosition(() => resolveOperator('=', left.type, right.type), position);
  return {
    l: coerceTo(ec.binder, left, resolved.argTypes[0] ?? left.type, -1, { context: 'implicit', position }),
    r: coerceTo(ec.binder, right, resolved.argTypes[1] ?? right.type, -1, { context: 'implicit', position }),
    fn: operatorFunction('=', resolved),
  };
}

function bindDistinct(a: A_Expr, ec: ExprContext, position: number | undefined): Expr {
  const { l, r, fn } = equalityOf(
    bindExpr(a.lexpr ?? nullNode, ec),
    bindExpr(a.rexpr ?? nullNode, ec),
    ec,
    position,
  );
  return {
    kind: 'distinct',
    left: l,
    right: r,
    equals: fn,
    negated: a.kind === 'AEXPR_NOT_DISTINCT',
    type: TypeOid.bool,
    typmod: -1,
  };
}

function bindNullIf(a: A_Expr, ec: ExprContext, position: number | undefined): Expr {
  const left = bindExpr(a.lexpr ?? nullNode, ec);
  const { l, r, fn } = equalityOf(left, bindExpr(a.rexpr ?? nullNode, ec), ec, position);
  return { kind: 'nullif', left: l, right: r, equals: fn, type: l.type, typmod: -1 };
}

function bindIn(name: string, a: A_Expr, ec: ExprContext, position: number | undefined): Expr {
  const items = unwrap<{ items?: Node[] }>(a.rexpr, 'List')?.items ?? [];
  const negated = name === '<>';
  const leftRow = rowArgs(a.lexpr);
  if (leftRow !== null) {
    const tests = items.map((item) => bindRowComparison('=', leftRow, rowArgs(item) ?? [item], ec, position));
    const any: Expr = { kind: 'or', args: tests, type: TypeOid.bool, typmod: -1 };
    return negated ? { kind: 'not', arg: any, type: TypeOid.bool, typmod: -1 } : any;
  }
  const left = bindExpr(a.lexpr ?? nullNode, ec);
  const list = items.map((i) => bindExpr(i, ec));
  const common = selectCommonType([left.type, ...list.map((e) => e.type)], null);
  if (common === null || nodeTag(a.rexpr ?? nullNode) !== 'List') {
    const tests = list.map((e) => bindOperatorCall(negated ? '<>' : '=', left, e, ec, position));
    return { kind: negated ? 'and' : 'or', args: tests, type: TypeOid.bool, typmod: -1 };
  }
  const type = common;
  const l = coerceTo(ec.binder, left, type, -1, { context: 'implicit', position });
  const coerced = list.map((e) => coerceTo(ec.binder, e, type, -1, { context: 'implicit', position }));
  const resolved = withPosition(() => resolveOperator('=', type, type), position);
  return {
    kind: 'inList',
    arg: l,
    list: coerced,
    equals: operatorFunction('=', resolved),
    negated,
    type: TypeOid.bool,
    typmod: -1,
  };
}

function bindBetween(a: A_Expr, ec: ExprContext, position: number | undefined): Expr {
  const items = unwrap<{ items?: Node[] }>(a.rexpr, 'List')?.items ?? [];
  const [loNode = nullNode, hiNode = nullNode] = items;
  const kind = a.kind ?? 'AEXPR_BETWEEN';
  const negated = kind === 'AEXPR_NOT_BETWEEN' || kind === 'AEXPR_NOT_BETWEEN_SYM';
  const symmetric = kind === 'AEXPR_BETWEEN_SYM' || kind === 'AEXPR_NOT_BETWEEN_SYM';
  const x = bindExpr(a.lexpr ?? nullNode, ec);
  const lo = bindExpr(loNode, ec);
  const hi = bindExpr(hiNode, ec);
  const range = (from: Expr, to: Expr): Expr =>
    negated
      ? {
          kind: 'or',
          args: [bindOperatorCall('<', x, from, ec, position), bindOperatorCall('>', x, to, ec, position)],
          type: TypeOid.bool,
          typmod: -1,
        }
      : {
          kind: 'and',
          args: [bindOperatorCall('>=', x, from, ec, position), bindOperatorCall('<=', x, to, ec, position)],
          type: TypeOid.bool,
          typmod: -1,
        };
  if (!symmetric) return range(lo, hi);
  return {
    kind: negated ? 'and' : 'or',
    args: [range(lo, hi), range(hi, lo)],
    type: TypeOid.bool,
    typmod: -1,
  };
}
