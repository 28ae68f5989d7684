/**
 * Expression compilation: a bound Expr becomes one closure tree, built once per operator, that
 * evaluates a row without walking the AST (three-valued logic and strictness are decided at
 * compile time). Column references become slot reads through the operator's input layout;
 * columns not in the layout are read from the runtime's outer values (correlation, LATERAL).
 * Exports: Evaluator, Layout, compileExpr, compilePredicate, layoutOf.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Row, Value } from '../../access/table-access.js';
import type { BinaryOp, ColumnId, Expr } from '../plan/ir/expr.js';
import {
  comparatorForPair,
  type EvalContext,
  elementTypeOf,
  makeArray,
  makeRecord,
} from '../plan/registry/registry.js';
import type { PgArray, Value as TypedValue } from '../types/value.js';
import { compileCast } from './compile-cast.js';
import { compileContextCall } from './context-calls.js';
import type { Runtime } from './runtime.js';

export type Evaluator = (row: Row) => Value;
export type Layout = Map<ColumnId, number>;

export function layoutOf(ids: ColumnId[]): Layout {
  return new Map(ids.map((id, i) => [id, i]));
}

/** Compiles a boolean expression into a test that is true only for TRUE (not NULL). */
export function compilePredicate(e: Expr, layout: Layout, rt: Runtime): (row: Row) => boolean {
  const f = compileExpr(e, layout, rt);
  return (row) => f(row) === true;
}

export function compileExpr(e: Expr, layout: Layout, rt: Runtime): Evaluator {
  const c = (x: Expr) => compileExpr(x, layout, rt);
  switch (e.kind) {
    case 'const': {
      const v = e.value;
      return () => v;
    }
    case 'param': {
      const i = e.index;
      return () => rt.ctx.params[i] ?? null;
    }
    case 'column':
      return compileColumn(e.id, layout, rt);
    case 'call':
      return compileCall(e, layout, rt);
    case 'context':
      return compileContextCall(e.name, e.args.map(c), rt);
    case 'cast': {
      const arg = c(e.arg);
      const fn = compileCast(e.from, e.type, e.typmod, e.coercion, rt.evalCtx);
      return (row) => {
        const v = arg(row);
        return v === null ? null : fn(v);
      };
    }
    case 'and':
      return compileAnd(e.args.map(c));
    case 'or':
      return compileOr(e.args.map(c));
    case 'not': {
      const arg = c(e.arg);
      return (row) => {
        const v = arg(row);
        return v === null ? null : !v;
      };
    }
    case 'isNull':
      return compileNullTest(c(e.arg), e.negated, e.arg.kind === 'row');
    case 'boolTest':
      return compileBoolTest(c(e.arg), e.test, e.negated);
    case 'case':
      return compileCase(
        e.whens.map((w) => [c(w.when), c(w.result)] as const),
        c(e.otherwise),
      );
    case 'coalesce': {
      const args = e.args.map(c);
      return (row) => {
        for (const a of args) {
          const v = a(row);
          if (v !== null) return v;
        }
        return null;
      };
    }
    case 'greatest':
    case 'least':
      return compileMinMax(e.args.map(c), e.compare, e.kind === 'greatest' ? 1 : -1);
    case 'nullif': {
      const l = c(e.left);
      const r = c(e.right);
      const eq = e.equals;
      const ctx = rt.evalCtx;
      return (row) => {
        const a = l(row);
        const b = r(row);
        return a !== null && b !== null && eq(a, b, ctx) === true ? null : a;
      };
    }
    case 'distinct':
      return compileDistinct(c(e.left), c(e.right), bind2(e.equals, rt), e.negated);
    case 'anyAll':
      return compileAnyAll(c(e.left), c(e.array), bind2(e.fn, rt), e.all);
    case 'inList':
      return compileInList(c(e.arg), e.list.map(c), bind2(e.equals, rt), e.negated);
    case 'array':
      return compileArray(e.elements.map(c), e.elementType);
    case 'row': {
      const args = e.args.map(c);
      const types = e.args.map((a) => a.type);
      return (row) =>
        makeRecord(
          types,
          args.map((f) => f(row)),
        );
    }
    case 'subscript':
      return compileSubscript(c(e.arg), c(e.index), e.upper === null ? null : c(e.upper), e.slice);
    case 'field': {
      const arg = c(e.arg);
      const i = e.field;
      return (row) => {
        const v = arg(row);
        return v === null ? null : ((v as { values: Value[] }).values[i] ?? null);
      };
    }
    case 'grouping':
      return compileGrouping(e.indexes, compileColumn(e.groupingIdColumn, layout, rt));
    case 'subLink':
      // The planner places every sub-link or refuses it (plan/optimize/sublink-placement.ts);
      // should one slip through, the client gets a clean "not supported", not a crashed node.
      throw new KeelError(SqlState.FeatureNotSupported, 'a sub-query in this position is not supported');
  }
}

function compileColumn(id: ColumnId, layout: Layout, rt: Runtime): Evaluator {
  const slot = layout.get(id);
  if (slot !== undefined) return (row) => row[slot] ?? null;
  return () => {
    const v = rt.outer.get(id);
    assert(v !== undefined, `column ${id} is neither in the input nor an outer value`);
    return v;
  };
}

function compileCall(e: Extract<Expr, { kind: 'call' }>, layout: Layout, rt: Runtime): Evaluator {
  const args = e.args.map((a) => compileExpr(a, layout, rt));
  const fn = e.fn;
  const ctx = rt.evalCtx;
  // The binder lifts SRFs of the SELECT list and GROUP BY into ProjectSet nodes; anywhere else
  // (WHERE, JOIN/ON, aggregate arguments) PostgreSQL refuses them too.
  if (e.srf !== undefined)
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `set-returning function ${e.name}() is not allowed here`,
    );
  if (e.comparison !== undefined && e.comparison !== null && args.length === 2) {
    const compare = comparatorForPair(e.argTypes[0] ?? 0, e.argTypes[1] ?? 0);
    if (compare !== null)
      return compileComparison(args as [Evaluator, Evaluator], compare, e.comparison, ctx);
  }
  if (e.strict && args.length === 1) {
    const [a0] = args as [Evaluator];
    return (row) => {
      const x = a0(row);
      if (x === null) return null;
      const v = fn([x as TypedValue], ctx);
      return v === undefined ? null : v;
    };
  }
  if (e.strict && args.length === 2) {
    const [a0, a1] = args as [Evaluator, Evaluator];
    return (row) => {
      const x = a0(row);
      if (x === null) return null;
      const y = a1(row);
      if (y === null) return null;
      const v = fn([x as TypedValue, y as TypedValue], ctx);
      return v === undefined ? null : v;
    };
  }
  if (e.strict) {
    return (row) => {
      const values = args.map((a) => a(row));
      if (values.some((v) => v === null)) return null;
      const v = fn(values as TypedValue[], ctx);
      return v === undefined ? null : v;
    };
  }
  return (row) => {
    const v = fn(args.map((a) => a(row)) as TypedValue[], ctx);
    return v === undefined ? null : v;
  };
}

const comparisonTests = {
  '=': (c: number) => c === 0,
  '<>': (c: number) => c !== 0,
  '<': (c: number) => c < 0,
  '<=': (c: number) => c <= 0,
  '>': (c: number) => c > 0,
  '>=': (c: number) => c >= 0,
};

/** A comparison operator straight on the btree comparator: no argument array per row. */
function compileComparison(
  [a0, a1]: [Evaluator, Evaluator],
  compare: (a: Value, b: Value, ctx: EvalContext) => number,
  op: keyof typeof comparisonTests,
  ctx: EvalContext,
): Evaluator {
  const test = comparisonTests[op];
  return (row) => {
    const x = a0(row);
    if (x === null) return null;
    const y = a1(row);
    if (y === null) return null;
    return test(compare(x, y, ctx));
  };
}

function bind2(op: BinaryOp, rt: Runtime): (a: Value, b: Value) => Value {
  const ctx = rt.evalCtx;
  return (a, b) => op(a, b, ctx);
}

/** ARRAY[...]: one dimension, or stacked sub-arrays (ARRAY[ARRAY[1,2], ARRAY[3,4]]). */
function compileArray(elements: Evaluator[], elementType: number): Evaluator {
  const nested = elementTypeOf(elementType) !== 0;
  if (!nested)
    return (row) =>
      makeArray(
        elementType,
        elements.map((f) => f(row)),
      );
  return (row) => {
    const subs = elements.map((f) => f(row)).filter((v): v is PgArray => v !== null);
    const first = subs[0];
    if (first === undefined || first.dims.length === 0) return makeArray(elementTypeOf(elementType), []);
    for (const sub of subs) {
      if (
        sub.dims.length !== first.dims.length ||
        sub.dims.some((d, i) => d.length !== first.dims[i]?.length)
      )
        throw new KeelError(
          SqlState.ArraySubscriptError,
          'multidimensional arrays must have array expressions with matching dimensions',
        );
    }
    return {
      elementType: first.elementType,
      dims: [{ length: subs.length, lowerBound: 1 }, ...first.dims],
      values: subs.flatMap((sub) => sub.values),
    };
  };
}

function compileAnd(args: Evaluator[]): Evaluator {
  return (row) => {
    let sawNull = false;
    for (const a of args) {
      const v = a(row);
      if (v === false) return false;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : true;
  };
}

function compileOr(args: Evaluator[]): Evaluator {
  return (row) => {
    let sawNull = false;
    for (const a of args) {
      const v = a(row);
      if (v === true) return true;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : false;
  };
}

function compileNullTest(arg: Evaluator, negated: boolean, isRow: boolean): Evaluator {
  if (isRow) {
    return (row) => {
      const v = arg(row) as { values: Value[] };
      return negated ? v.values.every((x) => x !== null) : v.values.every((x) => x === null);
    };
  }
  return negated ? (row) => arg(row) !== null : (row) => arg(row) === null;
}

function compileBoolTest(arg: Evaluator, test: 'true' | 'false' | 'unknown', negated: boolean): Evaluator {
  const target = test === 'true' ? true : test === 'false' ? false : null;
  return (row) => (arg(row) === target) !== negated;
}

function compileCase(whens: (readonly [Evaluator, Evaluator])[], otherwise: Evaluator): Evaluator {
  return (row) => {
    for (const [when, then] of whens) if (when(row) === true) return then(row);
    return otherwise(row);
  };
}

function compileMinMax(args: Evaluator[], compare: (a: Value, b: Value) => number, sign: number): Evaluator {
  return (row) => {
    let best: Value = null;
    for (const a of args) {
      const v = a(row);
      if (v !== null && (best === null || sign * compare(v, best) > 0)) best = v;
    }
    return best;
  };
}

function compileDistinct(
  l: Evaluator,
  r: Evaluator,
  eq: (a: Value, b: Value) => Value,
  negated: boolean,
): Evaluator {
  return (row) => {
    const a = l(row);
    const b = r(row);
    let distinct: boolean;
    if (a === null || b === null) distinct = !(a === null && b === null);
    else distinct = eq(a, b) !== true;
    return negated ? !distinct : distinct;
  };
}

function compileAnyAll(
  left: Evaluator,
  array: Evaluator,
  fn: (a: Value, b: Value) => Value,
  all: boolean,
): Evaluator {
  return (row) => {
    const arr = array(row);
    if (arr === null) return null;
    const items = (arr as PgArray).values;
    if (items.length === 0) return all;
    const x = left(row);
    if (x === null) return null;
    let sawNull = false;
    for (const item of items) {
      const v = item === null ? null : fn(x, item);
      if (v === null) sawNull = true;
      else if (v === !all) return !all;
    }
    return sawNull ? null : all;
  };
}

function compileInList(
  arg: Evaluator,
  list: Evaluator[],
  eq: (a: Value, b: Value) => Value,
  negated: boolean,
): Evaluator {
  return (row) => {
    const x = arg(row);
    if (x === null) return null;
    let sawNull = false;
    for (const item of list) {
      const v = item(row);
      if (v === null) sawNull = true;
      else if (eq(x, v) === true) return !negated;
    }
    return sawNull ? null : negated;
  };
}

function compileSubscript(
  arg: Evaluator,
  index: Evaluator,
  upper: Evaluator | null,
  slice: boolean,
): Evaluator {
  return (row) => {
    const arr = arg(row);
    const i = index(row);
    if (arr === null || i === null) return null;
    const a = arr as { values: Value[]; dims: { lowerBound: number }[]; elementType: number };
    const lower = a.dims[0]?.lowerBound ?? 1;
    if (!slice) return a.values[(i as number) - lower] ?? null;
    const u = upper === null ? null : upper(row);
    if (u === null) return null;
    const from = Math.max(0, (i as number) - lower);
    const to = Math.min(a.values.length, (u as number) - lower + 1);
    return makeArray(a.elementType, from < to ? a.values.slice(from, to) : []);
  };
}

function compileGrouping(indexes: number[], groupingId: Evaluator): Evaluator {
  return (row) => {
    const mask = groupingId(row) as number;
    let out = 0;
    for (const i of indexes) out = (out << 1) | ((mask >> i) & 1);
    return out;
  };
}

export function invalidRowCount(what: 'LIMIT' | 'OFFSET'): KeelError {
  return what === 'LIMIT'
    ? new KeelError(SqlState.InvalidRowCountInLimitClause, 'LIMIT must not be negative')
    : new KeelError(SqlState.InvalidRowCountInResultOffsetClause, 'OFFSET must not be negative');
}
