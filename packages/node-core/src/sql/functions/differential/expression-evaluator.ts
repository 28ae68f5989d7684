/**
 * A minimal expression binder and evaluator for the differential tests of the type system and
 * function library: it parses `SELECT <expr>` with PostgreSQL's grammar (libpg-query), types
 * literals as PostgreSQL does (integer -> int4/int8/numeric, decimal -> numeric, quoted ->
 * unknown), resolves casts, operators and functions through this library, evaluates, and
 * prints the result with the result type's output function. It is test support, not the SQL
 * layer: only scalar expressions, no tables, no subqueries.
 * Exports: evaluateExpression, EvalResult.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import { loadModule, parseSync } from 'libpg-query';
import { arrayFromList } from '../../types/array-io.js';
import { castValue, findCast } from '../../types/casts.js';
import { Numeric } from '../../types/numeric.js';
import { Oids, type TypeOid } from '../../types/oids.js';
import { formatText } from '../../types/text-io.js';
import { arrayTypeOf, formatType, typeByName } from '../../types/type-registry.js';
import { typmodFromArgs } from '../../types/typmod.js';
import type { PgArray, Value } from '../../types/value.js';
import { evalAnyAll } from '../array-functions.js';
import type { EvalContext } from '../eval-context.js';
import { coalesceOf, greatestOf, leastOf } from '../misc-functions.js';
import { selectCommonType } from '../polymorphic.js';
import { type ResolvedCall, resolveFunction, resolveOperator } from '../resolve.js';

export interface EvalResult {
  type: TypeOid;
  /** Text output per row (one row for scalar expressions); null for SQL NULL. */
  rows: (string | null)[];
}

interface Typed {
  type: TypeOid;
  typmod: number;
  eval(ctx: EvalContext): Value;
  rows?: (ctx: EvalContext) => Value[];
  /** Set for literals: PostgreSQL coerces them while binding, so their input errors surface even in untaken branches. */
  literal?: boolean;
}

/** The context literals are coerced with at bind time (set by evaluateExpression). */
let bindContext: EvalContext | null = null;

let ready: Promise<void> | null = null;

export function loadEvaluator(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

type AnyNode = Record<string, unknown>;

function unwrap(node: Node): [string, AnyNode] {
  const [key, value] = Object.entries(node)[0] ?? ['', {}];
  return [key, value as AnyNode];
}

function names(list: unknown): string[] {
  return ((list as Node[] | undefined) ?? []).map((n) =>
    String((unwrap(n)[1] as { sval?: string }).sval ?? ''),
  );
}

function constant(type: TypeOid, value: Value): Typed {
  return { type, typmod: -1, eval: () => value, literal: true };
}

function bindConst(c: AnyNode): Typed {
  if (c.isnull === true) return constant(Oids.unknown, null);
  if (c.ival !== undefined) return constant(Oids.int4, Number((c.ival as { ival?: number }).ival ?? 0));
  if (c.boolval !== undefined)
    return constant(Oids.bool, (c.boolval as { boolval?: boolean }).boolval === true);
  if (c.sval !== undefined) return constant(Oids.unknown, String((c.sval as { sval?: string }).sval ?? ''));
  if (c.fval !== undefined) return numberConst(String((c.fval as { fval?: string }).fval ?? '0'));
  if (c.bsval !== undefined)
    throw new KeelError(SqlState.FeatureNotSupported, 'bit strings are not supported');
  return constant(Oids.unknown, null);
}

function numberConst(text: string): Typed {
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    if (n >= -(2n ** 31n) && n < 2n ** 31n) return constant(Oids.int4, Number(n));
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return constant(Oids.int8, n);
  }
  return constant(Oids.numeric, Numeric.parse(text));
}

function typeOfName(typeName: AnyNode): { type: TypeOid; typmod: number } {
  const parts = names(typeName.names).filter((n) => n !== 'pg_catalog');
  const name = parts.join('.');
  const info = typeByName(name);
  if (info === undefined) throw new KeelError(SqlState.UndefinedObject, `type "${name}" does not exist`);
  const mods = ((typeName.typmods as Node[] | undefined) ?? []).map((m) => {
    const [, c] = unwrap(m);
    return Number(((c as AnyNode).ival as { ival?: number } | undefined)?.ival ?? 0);
  });
  let type = info.oid;
  let typmod = mods.length === 0 ? -1 : typmodFromArgs(type, mods);
  if (name === 'bpchar' || name === 'char' || name === 'character') {
    if (mods.length === 0 && names(typeName.names).length === 1 && name !== 'bpchar') typmod = 5;
  }
  if (typeName.arrayBounds !== undefined) type = arrayTypeOf(type);
  return { type, typmod };
}

function coerce(expr: Typed, target: TypeOid, typmod: number, context: 'explicit' | 'implicit'): Typed {
  if (expr.type === target && typmod < 0) return expr;
  const path = findCast(expr.type, target, context);
  if (path === null) {
    throw new KeelError(
      SqlState.CannotCoerce,
      `cannot cast type ${formatType(expr.type)} to ${formatType(target)}`,
    );
  }
  const kind = context === 'explicit' ? 'explicit' : 'assignment';
  if (expr.literal === true && bindContext !== null) {
    const value = castValue(expr.eval(bindContext), expr.type, target, typmod, bindContext, kind);
    return { type: target, typmod, eval: () => value, literal: true };
  }
  return {
    type: target,
    typmod,
    eval: (ctx) => castValue(expr.eval(ctx), expr.type, target, typmod, ctx, kind),
  };
}

function applyCall(call: ResolvedCall, args: Typed[]): Typed {
  const coerced = args.map((a, i) => {
    const target = call.argTypes[i] ?? a.type;
    return a.type === target || call.casts[i] === null ? a : coerce(a, target, -1, 'implicit');
  });
  if (call.returnsSet !== null) {
    const rows = call.returnsSet.rows;
    return {
      type: call.resultType,
      typmod: -1,
      eval: () => {
        throw new KeelError(SqlState.FeatureNotSupported, 'set-returning function in scalar context');
      },
      rows: (ctx) => {
        const values = coerced.map((a) => a.eval(ctx));
        if (call.strict && values.some((v) => v === null)) return [];
        return rows(values, ctx).map((r) => (r.length === 1 ? (r[0] ?? null) : null));
      },
    };
  }
  return {
    type: call.resultType,
    typmod: -1,
    eval: (ctx) => {
      const values = coerced.map((a) => a.eval(ctx));
      if (call.strict && values.some((v) => v === null)) return null;
      return call.impl(values, ctx);
    },
  };
}

function bindOperator(name: string, left: Typed | null, right: Typed): Typed {
  const call = resolveOperator(name, left?.type ?? null, right.type);
  return applyCall(call, left === null ? [right] : [left, right]);
}

function bindAExpr(e: AnyNode): Typed {
  const kind = String(e.kind);
  const name = names(e.name)[0] ?? '';
  const left = e.lexpr === undefined ? null : bind(e.lexpr as Node);
  if (kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_NOT_BETWEEN')
    return bindBetween(e, left, kind === 'AEXPR_NOT_BETWEEN');
  const right = bind(e.rexpr as Node);
  switch (kind) {
    case 'AEXPR_OP':
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
    case 'AEXPR_SIMILAR':
      return bindOperator(name, left, right);
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return bindAnyAll(name, left, right, kind === 'AEXPR_OP_ALL');
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT':
      return bindDistinct(left, right, kind === 'AEXPR_DISTINCT');
    case 'AEXPR_NULLIF':
      return bindNullIf(left, right);
    default:
      throw new KeelError(SqlState.FeatureNotSupported, `expression kind ${kind} is not supported`);
  }
}

function bindBetween(e: AnyNode, left: Typed | null, negate: boolean): Typed {
  const [, list] = unwrap(e.rexpr as Node);
  const [lo, hi] = ((list.items as Node[]) ?? []).map(bind);
  if (left === null || lo === undefined || hi === undefined)
    throw new KeelError(SqlState.SyntaxError, 'bad BETWEEN');
  const ge = bindOperator('>=', left, lo);
  const le = bindOperator('<=', left, hi);
  return {
    type: Oids.bool,
    typmod: -1,
    eval: (ctx) => {
      const a = ge.eval(ctx);
      const b = le.eval(ctx);
      const r = a === false || b === false ? false : a === null || b === null ? null : true;
      return negate && r !== null ? !r : r;
    },
  };
}

function bindAnyAll(name: string, left: Typed | null, right: Typed, all: boolean): Typed {
  if (left === null) throw new KeelError(SqlState.SyntaxError, 'ANY needs a left operand');
  const arrayExpr =
    right.type === Oids.unknown
      ? coerce(right, arrayTypeOf(left.type === Oids.unknown ? Oids.text : left.type), -1, 'implicit')
      : right;
  const element =
    arrayExpr.type === Oids.unknown
      ? Oids.text
      : (typeByName(formatType(arrayExpr.type).replace(/\[\]$/, ''))?.oid ?? Oids.text);
  const call = resolveOperator(name, left.type, element);
  const l =
    left.type === call.argTypes[0] ? left : coerce(left, call.argTypes[0] ?? left.type, -1, 'implicit');
  return {
    type: Oids.bool,
    typmod: -1,
    eval: (ctx) => {
      const arr = arrayExpr.eval(ctx) as PgArray | null;
      const lv = l.eval(ctx);
      const target = call.argTypes[1] ?? element;
      return evalAnyAll(
        (a, b) => call.impl([a, target === element ? b : castValue(b, element, target, -1, ctx)], ctx),
        lv,
        arr,
        all,
      );
    },
  };
}

function bindDistinct(left: Typed | null, right: Typed, distinct: boolean): Typed {
  if (left === null) throw new KeelError(SqlState.SyntaxError, 'IS DISTINCT needs a left operand');
  const eq = bindOperator('=', left, right);
  return {
    type: Oids.bool,
    typmod: -1,
    eval: (ctx) => {
      const a = left.eval(ctx);
      const b = right.eval(ctx);
      const same = a === null || b === null ? a === b : eq.eval(ctx) === true;
      return distinct ? !same : same;
    },
  };
}

function bindNullIf(left: Typed | null, right: Typed): Typed {
  if (left === null) throw new KeelError(SqlState.SyntaxError, 'NULLIF needs two operands');
  const eq = bindOperator('=', left, right);
  return {
    type: left.type === Oids.unknown ? Oids.text : left.type,
    typmod: -1,
    eval: (ctx) => (eq.eval(ctx) === true ? null : left.eval(ctx)),
  };
}

function bindFunc(f: AnyNode): Typed {
  const fname = names(f.funcname).filter((n) => n !== 'pg_catalog');
  const name = fname.join('.');
  const args = ((f.args as Node[] | undefined) ?? []).map(bind);
  if (f.agg_star === true)
    throw new KeelError(SqlState.FeatureNotSupported, 'aggregates are not supported here');
  const call = resolveFunction(
    name,
    args.map((a) => a.type),
    { variadicCall: f.func_variadic === true },
  );
  return applyCall(call, args);
}

function commonOf(args: Typed[], context: string): { args: Typed[]; type: TypeOid } {
  const type =
    selectCommonType(
      args.map((a) => a.type),
      context,
    ) ?? Oids.text;
  return { args: args.map((a) => coerce(a, type, -1, 'implicit')), type };
}

function bindArray(e: AnyNode): Typed {
  const elements = ((e.elements as Node[] | undefined) ?? []).map(bind);
  const { args, type } = commonOf(elements, 'ARRAY');
  const nested = type !== Oids.unknown && formatType(type).endsWith('[]');
  const arrayType = nested ? type : arrayTypeOf(type);
  return {
    type: arrayType,
    typmod: -1,
    eval: (ctx) => {
      const values = args.map((a) => a.eval(ctx));
      if (!nested) return arrayFromList(type, values);
      const subs = values.filter((v): v is PgArray => v !== null);
      const first = subs[0];
      if (first === undefined) return arrayFromList(type, []);
      return {
        elementType: first.elementType,
        dims: [{ length: subs.length, lowerBound: 1 }, ...first.dims],
        values: subs.flatMap((s) => s.values),
      };
    },
  };
}

function bindBool(e: AnyNode): Typed {
  const op = String(e.boolop);
  const args = ((e.args as Node[] | undefined) ?? []).map((a) => coerce(bind(a), Oids.bool, -1, 'implicit'));
  return {
    type: Oids.bool,
    typmod: -1,
    eval: (ctx) => {
      if (op === 'NOT_EXPR') {
        const v = args[0]?.eval(ctx) ?? null;
        return v === null ? null : !v;
      }
      let sawNull = false;
      for (const a of args) {
        const v = a.eval(ctx);
        if (v === null) sawNull = true;
        else if (v === (op === 'OR_EXPR')) return v;
      }
      return sawNull ? null : op === 'AND_EXPR';
    },
  };
}

function bindCase(e: AnyNode): Typed {
  const whens = ((e.args as Node[] | undefined) ?? []).map((w) => unwrap(w)[1]);
  const conds = whens.map((w) => coerce(bind(w.expr as Node), Oids.bool, -1, 'implicit'));
  const results = whens.map((w) => bind(w.result as Node));
  const otherwise = e.defresult === undefined ? constant(Oids.unknown, null) : bind(e.defresult as Node);
  // PostgreSQL considers the ELSE result first when choosing the common type.
  const { args, type } = commonOf([otherwise, ...results], 'CASE');
  return {
    type,
    typmod: -1,
    eval: (ctx) => {
      for (let i = 0; i < conds.length; i++)
        if (conds[i]?.eval(ctx) === true) return args[i + 1]?.eval(ctx) ?? null;
      return args[0]?.eval(ctx) ?? null;
    },
  };
}

function bind(node: Node): Typed {
  const [key, value] = unwrap(node);
  switch (key) {
    case 'A_Const':
      return bindConst(value);
    case 'TypeCast': {
      const arg = bind(value.arg as Node);
      const { type, typmod } = typeOfName(value.typeName as AnyNode);
      return coerce(arg, type, typmod, 'explicit');
    }
    case 'A_Expr':
      return bindAExpr(value);
    case 'FuncCall':
      return bindFunc(value);
    case 'A_ArrayExpr':
      return bindArray(value);
    case 'BoolExpr':
      return bindBool(value);
    case 'CaseExpr':
      return bindCase(value);
    default:
      return bindSpecial(key, value);
  }
}

function bindSpecial(key: string, value: AnyNode): Typed {
  const args = ((value.args as Node[] | undefined) ?? []).map(bind);
  switch (key) {
    case 'CoalesceExpr': {
      const c = commonOf(args, 'COALESCE');
      return { type: c.type, typmod: -1, eval: (ctx) => coalesceOf(c.args.map((a) => a.eval(ctx))) };
    }
    case 'MinMaxExpr': {
      const c = commonOf(args, String(value.op) === 'IS_GREATEST' ? 'GREATEST' : 'LEAST');
      const f = String(value.op) === 'IS_GREATEST' ? greatestOf : leastOf;
      return {
        type: c.type,
        typmod: -1,
        eval: (ctx) =>
          f(
            c.type,
            c.args.map((a) => a.eval(ctx)),
          ),
      };
    }
    case 'NullTest': {
      const arg = bind(value.arg as Node);
      const isNull = String(value.nulltesttype) === 'IS_NULL';
      return { type: Oids.bool, typmod: -1, eval: (ctx) => (arg.eval(ctx) === null) === isNull };
    }
    case 'SQLValueFunction': {
      const fn = sqlValueFunctions[String(value.op)];
      if (fn === undefined)
        throw new KeelError(SqlState.FeatureNotSupported, `${String(value.op)} is not supported`);
      return applyCall(resolveFunction(fn, []), []);
    }
    default:
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `expression ${key} is not supported by the test evaluator`,
      );
  }
}

const sqlValueFunctions: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIMESTAMP: 'now',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIME: 'localtime',
};

function bindSelect(sql: string): Typed {
  const parsed = parseSync(sql) as { stmts: { stmt: Node }[] };
  const stmt = parsed.stmts[0]?.stmt;
  if (stmt === undefined) throw new KeelError(SqlState.SyntaxError, 'empty statement');
  const [, select] = unwrap(stmt);
  const target = ((select.targetList as Node[]) ?? [])[0];
  if (target === undefined) throw new KeelError(SqlState.SyntaxError, 'no target');
  const [, res] = unwrap(target);
  return bind(res.val as Node);
}

/** Evaluates `SELECT <expr>` to its value (for building aggregate inputs). */
export function evaluateValue(expr: string, ctx: EvalContext): { type: TypeOid; value: Value } {
  bindContext = ctx;
  const typed = bindSelect(`SELECT ${expr}`);
  bindContext = null;
  return { type: typed.type === Oids.unknown ? Oids.text : typed.type, value: typed.eval(ctx) };
}

/** Evaluates `SELECT <expr>` and prints the result as PostgreSQL's text output would. */
export function evaluateExpression(expr: string, ctx: EvalContext): EvalResult {
  bindContext = ctx;
  const typed = bindSelect(`SELECT ${expr}`);
  bindContext = null;
  const type = typed.type === Oids.unknown ? Oids.text : typed.type;
  const values: Value[] = typed.rows === undefined ? [typed.eval(ctx)] : typed.rows(ctx);
  return { type, rows: values.map((v: Value) => (v === null ? null : formatText(type, v, ctx))) };
}
