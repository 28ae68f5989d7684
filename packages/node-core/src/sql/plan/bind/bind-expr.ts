/**
 * Expression binding: AST expression -> typed Expr. Resolves column names through the scope,
 * types literals and parameters, resolves operators and functions through the registry, and
 * applies PostgreSQL's coercions. Constant subexpressions of immutable calls are folded.
 * Exports: bindExpr, bindColumnRef, bindOperatorCall, foldCall.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  A_Const,
  A_Expr,
  BoolExpr,
  BooleanTest,
  CaseExpr,
  CoalesceExpr,
  ColumnRef,
  MinMaxExpr,
  Node,
  NullTest,
  ParamRef,
  RowExpr,
  SQLValueFunction,
  TypeCast,
} from '@pgsql/types';
import type { Value as TypedValue } from '../../types/value.js';
import type { CallExpr, Expr } from '../ir/expr.js';
import {
  comparatorFor,
  Numeric,
  type ResolvedCall,
  resolveFunction,
  resolveOperator,
  TypeOid,
} from '../registry/registry.js';
import { nodeTag, positionOf, stringOf, unwrap } from './ast.js';
import { bindArrayExpr, bindIndirection } from './bind-arrays.js';
import { bindFuncCall, bindGroupingFunc } from './bind-func.js';
import { bindAExpr } from './bind-operators.js';
import { bindSubLink } from './bind-sublink.js';
import type { ExprContext } from './binder.js';
import { coerceBool, coerceTo, coerceToCommon } from './coerce.js';
import { resolveTypeName } from './type-names.js';

/** Binds one AST expression in the given context. */
export function bindExpr(node: Node, ec: ExprContext): Expr {
  const tag = nodeTag(node);
  switch (tag) {
    case 'A_Const':
      return bindConst(unwrap<A_Const>(node, tag) ?? {});
    case 'ColumnRef':
      return bindColumnRef(unwrap<ColumnRef>(node, tag) ?? {}, ec);
    case 'ParamRef':
      return bindParam(unwrap<ParamRef>(node, tag) ?? {}, ec);
    case 'A_Expr':
      return bindAExpr(unwrap<A_Expr>(node, tag) ?? {}, ec);
    case 'BoolExpr':
      return bindBoolExpr(unwrap<BoolExpr>(node, tag) ?? {}, ec);
    case 'NullTest':
      return bindNullTest(unwrap<NullTest>(node, tag) ?? {}, ec);
    case 'BooleanTest':
      return bindBooleanTest(unwrap<BooleanTest>(node, tag) ?? {}, ec);
    case 'TypeCast':
      return bindTypeCast(unwrap<TypeCast>(node, tag) ?? {}, ec);
    case 'FuncCall':
      return bindFuncCall(node, ec);
    case 'CaseExpr':
      return bindCase(unwrap<CaseExpr>(node, tag) ?? {}, ec);
    case 'CoalesceExpr':
      return bindCoalesce(unwrap<CoalesceExpr>(node, tag) ?? {}, ec);
    case 'MinMaxExpr':
      return bindMinMax(unwrap<MinMaxExpr>(node, tag) ?? {}, ec);
    case 'RowExpr':
      return bindRow(unwrap<RowExpr>(node, tag) ?? {}, ec);
    case 'A_ArrayExpr':
      return bindArrayExpr(node, ec);
    case 'A_Indirection':
      return bindIndirection(node, ec);
    case 'SubLink':
      return bindSubLink(node, ec);
    case 'SQLValueFunction':
      return bindSqlValueFunction(unwrap<SQLValueFunction>(node, tag) ?? {}, ec);
    case 'CollateClause':
      return bindExpr(unwrap<{ arg: Node }>(node, tag)?.arg ?? node, ec);
    case 'GroupingFunc':
      return bindGroupingFunc(node, ec);
    case 'SetToDefault':
      throw new KeelError(SqlState.SyntaxError, 'DEFAULT is not allowed in this context', {
        position: positionOf(node),
      });
    default:
      throw new KeelError(SqlState.FeatureNotSupported, `expression ${tag} is not supported`, {
        position: positionOf(node),
      });
  }
}

function bindConst(c: A_Const): Expr {
  if (c.isnull) return { kind: 'const', value: null, type: TypeOid.unknown, typmod: -1 };
  if (c.ival !== undefined) return { kind: 'const', value: c.ival.ival ?? 0, type: TypeOid.int4, typmod: -1 };
  if (c.fval !== undefined) {
    const text = c.fval.fval ?? '0';
    if (/^-?\d+$/.test(text)) {
      const n = BigInt(text);
      if (n >= -9223372036854775808n && n <= 9223372036854775807n)
        return { kind: 'const', value: n, type: TypeOid.int8, typmod: -1 };
    }
    return { kind: 'const', value: Numeric.parse(text), type: TypeOid.numeric, typmod: -1 };
  }
  if (c.boolval !== undefined)
    return { kind: 'const', value: c.boolval.boolval ?? false, type: TypeOid.bool, typmod: -1 };
  if (c.sval !== undefined)
    return { kind: 'const', value: c.sval.sval ?? '', type: TypeOid.unknown, typmod: -1 };
  throw new KeelError(SqlState.FeatureNotSupported, 'bit string literals are not supported', {
    position: (c.location ?? -1) + 1,
  });
}

function bindParam(p: ParamRef, ec: ExprContext): Expr {
  const index = (p.number ?? 1) - 1;
  const type = ec.binder.paramType(index);
  if (ec.binder.paramTypes.length <= index) ec.binder.setParamType(index, TypeOid.unknown);
  return { kind: 'param', index, type, typmod: -1 };
}

/** Resolves `a`, `t.a`, `s.t.a` (42703/42P01/42702 as PostgreSQL reports them). */
export function bindColumnRef(ref: ColumnRef, ec: ExprContext): Expr {
  const fields = ref.fields ?? [];
  const position = ref.location === undefined ? undefined : ref.location + 1;
  if (fields.some((f) => nodeTag(f) === 'A_Star')) {
    throw new KeelError(SqlState.SyntaxError, '"*" is not allowed here', { position });
  }
  const names = fields.map((f) => stringOf(f) ?? '');
  const name = names[names.length - 1] ?? '';
  const qualifier = names.length >= 2 ? (names[names.length - 2] ?? null) : null;
  const schema = names.length >= 3 ? (names[names.length - 3] ?? null) : null;
  const found = ec.scope.resolve(qualifier, schema, name, position);
  if (found !== null) {
    const c = found.column;
    return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod };
  }
  if (qualifier === null) {
    const whole = ec.scope.findItem(null, name, position);
    if (whole !== null)
      return wholeRow(
        whole.columns.filter((c) => !c.hidden),
        ec,
      );
    throw new KeelError(SqlState.UndefinedColumn, `column "${name}" does not exist`, { position });
  }
  if (!ec.scope.hasItem(schema, qualifier)) {
    throw new KeelError(SqlState.UndefinedTable, `missing FROM-clause entry for table "${qualifier}"`, {
      position,
    });
  }
  throw new KeelError(SqlState.UndefinedColumn, `column ${qualifier}.${name} does not exist`, { position });
}

function wholeRow(
  columns: { id: number; name: string; type: number; typmod: number }[],
  _ec: ExprContext,
): Expr {
  return {
    kind: 'row',
    args: columns.map((c) => ({ kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod })),
    type: TypeOid.record,
    typmod: -1,
  };
}

function bindBoolExpr(b: BoolExpr, ec: ExprContext): Expr {
  const args = (b.args ?? []).map((a) =>
    coerceBool(
      ec.binder,
      bindExpr(a, ec),
      b.boolop === 'NOT_EXPR' ? 'NOT' : b.boolop === 'AND_EXPR' ? 'AND' : 'OR',
      positionOf(a),
    ),
  );
  if (b.boolop === 'NOT_EXPR')
    return { kind: 'not', arg: args[0] ?? constBool(null), type: TypeOid.bool, typmod: -1 };
  return { kind: b.boolop === 'AND_EXPR' ? 'and' : 'or', args, type: TypeOid.bool, typmod: -1 };
}

function constBool(v: boolean | null): Expr {
  return { kind: 'const', value: v, type: TypeOid.bool, typmod: -1 };
}

function bindNullTest(n: NullTest, ec: ExprContext): Expr {
  const arg = bindExpr(n.arg ?? { A_Const: { isnull: true } }, ec);
  return { kind: 'isNull', arg, negated: n.nulltesttype === 'IS_NOT_NULL', type: TypeOid.bool, typmod: -1 };
}

function bindBooleanTest(b: BooleanTest, ec: ExprContext): Expr {
  const arg = coerceBool(ec.binder, bindExpr(b.arg ?? { A_Const: { isnull: true } }, ec), 'IS TRUE');
  const t = b.booltesttype ?? 'IS_TRUE';
  const test = t.includes('TRUE') ? 'true' : t.includes('FALSE') ? 'false' : 'unknown';
  return { kind: 'boolTest', arg, test, negated: t.includes('NOT'), type: TypeOid.bool, typmod: -1 };
}

function bindTypeCast(c: TypeCast, ec: ExprContext): Expr {
  const position = c.location === undefined ? undefined : c.location + 1;
  const target = resolveTypeName(c.typeName ?? {}, position);
  const arg = bindExpr(c.arg ?? { A_Const: { isnull: true } }, ec);
  return coerceTo(ec.binder, arg, target.type, target.typmod, { context: 'explicit', position });
}

function bindCase(c: CaseExpr, ec: ExprContext): Expr {
  const operand = c.arg === undefined ? null : bindExpr(c.arg, ec);
  const whens: { when: Expr; result: Expr }[] = [];
  for (const w of c.args ?? []) {
    const clause = unwrap<{ expr?: Node; result?: Node }>(w, 'CaseWhen') ?? {};
    const whenAst = clause.expr ?? { A_Const: { isnull: true } };
    let when: Expr;
    if (operand === null)
      when = coerceBool(ec.binder, bindExpr(whenAst, ec), 'CASE/WHEN', positionOf(whenAst));
    else when = bindOperatorCall('=', operand, bindExpr(whenAst, ec), ec, positionOf(whenAst));
    whens.push({ when, result: bindExpr(clause.result ?? { A_Const: { isnull: true } }, ec) });
  }
  const otherwise =
    c.defresult === undefined
      ? ({ kind: 'const', value: null, type: TypeOid.unknown, typmod: -1 } as Expr)
      : bindExpr(c.defresult, ec);
  // PostgreSQL considers the ELSE result first when choosing the common type.
  const common = coerceToCommon(ec.binder, [otherwise, ...whens.map((w) => w.result)], 'CASE');
  return {
    kind: 'case',
    whens: whens.map((w, i) => ({ when: w.when, result: common.exprs[i + 1] ?? w.result })),
    otherwise: common.exprs[0] ?? otherwise,
    type: common.type,
    typmod: -1,
  };
}

function bindCoalesce(c: CoalesceExpr, ec: ExprContext): Expr {
  const args = (c.args ?? []).map((a) => bindExpr(a, ec));
  const common = coerceToCommon(ec.binder, args, 'COALESCE');
  return { kind: 'coalesce', args: common.exprs, type: common.type, typmod: -1 };
}

function bindMinMax(m: MinMaxExpr, ec: ExprContext): Expr {
  const args = (m.args ?? []).map((a) => bindExpr(a, ec));
  const name = m.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST';
  const common = coerceToCommon(ec.binder, args, name);
  return {
    kind: m.op === 'IS_GREATEST' ? 'greatest' : 'least',
    args: common.exprs,
    compare: comparatorFor(common.type),
    type: common.type,
    typmod: -1,
  };
}

function bindRow(r: RowExpr, ec: ExprContext): Expr {
  return { kind: 'row', args: (r.args ?? []).map((a) => bindExpr(a, ec)), type: TypeOid.record, typmod: -1 };
}

function bindSqlValueFunction(f: SQLValueFunction, ec: ExprContext): Expr {
  const op = f.op ?? 'SVFOP_CURRENT_USER';
  const clock: Record<string, string> = {
    SVFOP_CURRENT_DATE: 'current_date',
    SVFOP_CURRENT_TIMESTAMP: 'now',
    SVFOP_CURRENT_TIMESTAMP_N: 'now',
    SVFOP_LOCALTIMESTAMP: 'localtimestamp',
    SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
    SVFOP_LOCALTIME: 'localtime',
    SVFOP_LOCALTIME_N: 'localtime',
  };
  const fn = clock[op];
  if (fn !== undefined) {
    const call = bindResolvedCall(fn, resolveFunction(fn, []), [], ec, undefined);
    const precision = f.typmod ?? -1;
    return precision < 0 ? call : coerceTo(ec.binder, call, call.type, precision, { context: 'explicit' });
  }
  const session: Record<string, string> = {
    SVFOP_CURRENT_ROLE: 'current_user',
    SVFOP_CURRENT_USER: 'current_user',
    SVFOP_USER: 'current_user',
    SVFOP_SESSION_USER: 'session_user',
    SVFOP_CURRENT_CATALOG: 'current_database',
    SVFOP_CURRENT_SCHEMA: 'current_schema',
  };
  const name = session[op];
  if (name === undefined)
    throw new KeelError(SqlState.FeatureNotSupported, `${op.slice(6).toLowerCase()} is not supported`);
  return { kind: 'context', name, args: [], type: TypeOid.name, typmod: -1 };
}

/** Binds `left op right` (left null for prefix operators), coercing operands to the operator's types. */
export function bindOperatorCall(
  name: string,
  left: Expr | null,
  right: Expr,
  ec: ExprContext,
  position?: number,
): Expr {
  const resolved = withPosition(() => resolveOperator(name, left?.type ?? null, right.type), position);
  const operands = left === null ? [right] : [left, right];
  return bindResolvedCall(name, resolved, operands, ec, position, left === null ? 'prefix' : 'infix');
}

const comparisonNames = new Set(['=', '<>', '<', '<=', '>', '>=']);

/** A resolved function or operator applied to bound arguments (coerced to its argument types). */
export function bindResolvedCall(
  name: string,
  resolved: ResolvedCall,
  args: Expr[],
  ec: ExprContext,
  position: number | undefined,
  operator?: 'infix' | 'prefix',
): Expr {
  const coerced = args.map((a, i) =>
    coerceTo(ec.binder, a, resolved.argTypes[i] ?? a.type, -1, { context: 'implicit', position }),
  );
  const call: CallExpr = {
    kind: 'call',
    name,
    args: coerced,
    strict: resolved.strict,
    volatility: resolved.volatility,
    argTypes: coerced.map((a, i) => resolved.argTypes[i] ?? a.type),
    fn: resolved.impl,
    type: resolved.resultType,
    typmod: -1,
  };
  if (operator !== undefined) call.operator = operator;
  if (operator === 'infix' && comparisonNames.has(name) && resolved.resultType === TypeOid.bool)
    call.comparison = name as CallExpr['comparison'];
  if (resolved.returnsSet !== null) {
    call.srf = resolved.returnsSet;
    return call;
  }
  return foldCall(call, ec);
}

/** Runs a resolution, attaching the call's position to an error that has none. */
export function withPosition<T>(resolve: () => T, position: number | undefined): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof KeelError && error.position === undefined && position !== undefined) {
      throw new KeelError(error.sqlstate, error.message, {
        detail: error.detail,
        hint: error.hint,
        position,
        cause: error,
      });
    }
    throw error;
  }
}

/** Evaluates an immutable call over constants at bind time (errors surface as in PostgreSQL's planner). */
export function foldCall(call: CallExpr, ec: ExprContext): Expr {
  if (call.volatility !== 'immutable' || !call.args.every((a) => a.kind === 'const')) return call;
  const values = call.args.map((a) => (a.kind === 'const' ? a.value : null));
  if (call.strict && values.some((v) => v === null))
    return { kind: 'const', value: null, type: call.type, typmod: call.typmod };
  const folded = ec.binder.foldWithoutClock(() => call.fn(values as TypedValue[], ec.binder.evalContext));
  if (folded === null) return call;
  const value = folded.value;
  return { kind: 'const', value: value === undefined ? null : value, type: call.type, typmod: call.typmod };
}
