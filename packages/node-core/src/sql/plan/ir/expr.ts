/**
 * Bound expressions: the typed expression tree the binder produces from the AST and the
 * executor compiles into closures. Column references name a ColumnId (unique per statement), not
 * a position, so plans can be rearranged freely; the executor maps ids to row slots when it
 * compiles an operator's expressions.
 * Exports: ColumnId, Expr and its variants, SubLinkExpr, exprChildren, collectColumns,
 * mapExpr, constExpr, isConst.
 */
import type { Value } from '../../../access/table-access.js';
import type { Oid } from '../../../catalog/objects.js';
import type {
  CoercionKind,
  Comparator,
  EvalContext,
  Implementation,
  RowsImplementation,
  Volatility,
} from '../registry/registry.js';
import type { LogicalPlan } from './logical.js';

export type ColumnId = number;

/** A strict binary operator applied to non-null operands, with the statement's EvalContext. */
export type BinaryOp = (a: Value, b: Value, ctx: EvalContext) => Value;

/** A set-returning function's rows implementation and output columns. */
export interface SetReturning {
  rows: RowsImplementation;
  columns: { name: string; type: Oid }[];
}

interface Typed {
  type: Oid;
  typmod: number;
}

export interface ConstExpr extends Typed {
  kind: 'const';
  value: Value;
}
export interface ParamExpr extends Typed {
  kind: 'param';
  /** 0-based ($1 is 0). */
  index: number;
}
export interface ColumnExpr extends Typed {
  kind: 'column';
  id: ColumnId;
  name: string;
}
export interface CallExpr extends Typed {
  kind: 'call';
  name: string;
  args: Expr[];
  /** Returns NULL without calling fn when an argument is NULL. */
  strict: boolean;
  volatility: Volatility;
  argTypes: Oid[];
  /** The implementation bound to this call's types (src/sql/functions). */
  fn: Implementation;
  /** For comparison operators: which one (used by the optimizer). */
  comparison?: '=' | '<>' | '<' | '<=' | '>' | '>=' | null;
  /** Operator form for EXPLAIN ("a + b"); absent for function calls. */
  operator?: 'infix' | 'prefix';
  /** A set-returning function (in a SELECT list: a ProjectSet; in FROM: a FunctionScan). */
  srf?: SetReturning;
}
/** A call whose value depends on the execution context (now(), current_user, nextval...). */
export interface ContextExpr extends Typed {
  kind: 'context';
  name: string;
  args: Expr[];
}
/** A cast from `from` to `type`, then the typmod (-1 for none); explicit casts truncate silently. */
export interface CastExpr extends Typed {
  kind: 'cast';
  arg: Expr;
  from: Oid;
  coercion: CoercionKind;
}
export interface BoolExpr extends Typed {
  kind: 'and' | 'or';
  args: Expr[];
}
export interface NotExpr extends Typed {
  kind: 'not';
  arg: Expr;
}
export interface NullTestExpr extends Typed {
  kind: 'isNull';
  arg: Expr;
  negated: boolean;
}
export interface BoolTestExpr extends Typed {
  kind: 'boolTest';
  arg: Expr;
  test: 'true' | 'false' | 'unknown';
  negated: boolean;
}
export interface CaseExpr extends Typed {
  kind: 'case';
  whens: { when: Expr; result: Expr }[];
  otherwise: Expr;
}
export interface CoalesceExpr extends Typed {
  kind: 'coalesce';
  args: Expr[];
}
export interface MinMaxExpr extends Typed {
  kind: 'greatest' | 'least';
  args: Expr[];
  compare: Comparator;
}
export interface NullIfExpr extends Typed {
  kind: 'nullif';
  left: Expr;
  right: Expr;
  equals: BinaryOp;
}
export interface DistinctExpr extends Typed {
  kind: 'distinct';
  left: Expr;
  right: Expr;
  equals: BinaryOp;
  /** IS NOT DISTINCT FROM. */
  negated: boolean;
}
/** left op ANY/ALL (array). */
export interface ScalarArrayExpr extends Typed {
  kind: 'anyAll';
  left: Expr;
  array: Expr;
  all: boolean;
  fn: BinaryOp;
  opName: string;
}
/** x IN (a, b, c) with a list of expressions; NOT IN when negated. */
export interface InListExpr extends Typed {
  kind: 'inList';
  arg: Expr;
  list: Expr[];
  equals: BinaryOp;
  negated: boolean;
}
export interface ArrayExpr extends Typed {
  kind: 'array';
  elementType: Oid;
  elements: Expr[];
}
export interface RowExpr extends Typed {
  kind: 'row';
  args: Expr[];
}
export interface SubscriptExpr extends Typed {
  kind: 'subscript';
  arg: Expr;
  index: Expr;
  upper: Expr | null;
  slice: boolean;
}
export interface FieldExpr extends Typed {
  kind: 'field';
  arg: Expr;
  field: number;
}
/**
 * A subquery inside an expression. `correlated` lists the outer ColumnIds it reads; the
 * planner turns every SubLink into an Apply (or a semi/anti join) and replaces it by a column.
 */
export interface SubLinkExpr extends Typed {
  kind: 'subLink';
  linkType: 'exists' | 'any' | 'all' | 'expr' | 'array';
  plan: LogicalPlan;
  /** For ANY/ALL: the left expressions and the comparison per column. */
  left: Expr[];
  compare: BinaryOp[];
  /** For ANY/ALL: the sub-query's column types (after coercion to the operator's inputs). */
  rightTypes: Oid[];
  opName: string;
  correlated: ColumnId[];
}
/** GROUPING(a, b): bits of the arguments not grouped in the current grouping set. */
export interface GroupingExpr extends Typed {
  kind: 'grouping';
  /** The arguments as bound; the grouping phase fills indexes and the grouping-id column. */
  args: Expr[];
  indexes: number[];
  groupingIdColumn: ColumnId;
}

export type Expr =
  | ConstExpr
  | ParamExpr
  | ColumnExpr
  | CallExpr
  | ContextExpr
  | CastExpr
  | BoolExpr
  | NotExpr
  | NullTestExpr
  | BoolTestExpr
  | CaseExpr
  | CoalesceExpr
  | MinMaxExpr
  | NullIfExpr
  | DistinctExpr
  | ScalarArrayExpr
  | InListExpr
  | ArrayExpr
  | RowExpr
  | SubscriptExpr
  | FieldExpr
  | SubLinkExpr
  | GroupingExpr;

export function constExpr(value: Value, type: Oid, typmod = -1): ConstExpr {
  return { kind: 'const', value, type, typmod };
}

export function isConst(e: Expr): e is ConstExpr {
  return e.kind === 'const';
}

/** The direct sub-expressions of an expression (not looking into subqueries). */
export function exprChildren(e: Expr): Expr[] {
  switch (e.kind) {
    case 'const':
    case 'param':
    case 'column':
      return [];
    case 'grouping':
      return e.groupingIdColumn === 0 ? e.args : [];
    case 'call':
    case 'context':
    case 'and':
    case 'or':
    case 'coalesce':
    case 'greatest':
    case 'least':
    case 'row':
      return e.args;
    case 'cast':
    case 'not':
    case 'isNull':
    case 'boolTest':
    case 'field':
      return [e.arg];
    case 'case':
      return [...e.whens.flatMap((w) => [w.when, w.result]), e.otherwise];
    case 'nullif':
    case 'distinct':
      return [e.left, e.right];
    case 'anyAll':
      return [e.left, e.array];
    case 'inList':
      return [e.arg, ...e.list];
    case 'array':
      return e.elements;
    case 'subscript':
      return e.upper === null ? [e.arg, e.index] : [e.arg, e.index, e.upper];
    case 'subLink':
      return e.left;
  }
}

/** Every ColumnId an expression reads, including the outer references of its subqueries. */
export function collectColumns(e: Expr, out: Set<ColumnId> = new Set()): Set<ColumnId> {
  if (e.kind === 'column') out.add(e.id);
  else if (e.kind === 'grouping' && e.groupingIdColumn !== 0) out.add(e.groupingIdColumn);
  else if (e.kind === 'subLink') for (const id of e.correlated) out.add(id);
  for (const child of exprChildren(e)) collectColumns(child, out);
  return out;
}

/** Whether any node satisfies the predicate (not looking into subqueries). */
export function exprSome(e: Expr, predicate: (e: Expr) => boolean): boolean {
  if (predicate(e)) return true;
  return exprChildren(e).some((c) => exprSome(c, predicate));
}

/** Rebuilds an expression bottom-up; `f` may replace any node (children already mapped). */
export function mapExpr(e: Expr, f: (e: Expr) => Expr | null): Expr {
  const replaced = f(e);
  if (replaced !== null) return replaced;
  const m = (x: Expr) => mapExpr(x, f);
  switch (e.kind) {
    case 'const':
    case 'param':
    case 'column':
      return e;
    case 'grouping':
      return e.groupingIdColumn === 0 ? { ...e, args: e.args.map(m) } : e;
    case 'call':
    case 'context':
    case 'and':
    case 'or':
    case 'coalesce':
    case 'greatest':
    case 'least':
    case 'row':
      return { ...e, args: e.args.map(m) };
    case 'cast':
    case 'not':
    case 'isNull':
    case 'boolTest':
    case 'field':
      return { ...e, arg: m(e.arg) };
    case 'case':
      return {
        ...e,
        whens: e.whens.map((w) => ({ when: m(w.when), result: m(w.result) })),
        otherwise: m(e.otherwise),
      };
    case 'nullif':
    case 'distinct':
      return { ...e, left: m(e.left), right: m(e.right) };
    case 'anyAll':
      return { ...e, left: m(e.left), array: m(e.array) };
    case 'inList':
      return { ...e, arg: m(e.arg), list: e.list.map(m) };
    case 'array':
      return { ...e, elements: e.elements.map(m) };
    case 'subscript':
      return { ...e, arg: m(e.arg), index: m(e.index), upper: e.upper === null ? null : m(e.upper) };
    case 'subLink':
      return { ...e, left: e.left.map(m) };
  }
}

/** Splits a conjunction into its conjuncts. */
export function conjuncts(e: Expr | null): Expr[] {
  if (e === null) return [];
  if (e.kind === 'and') return e.args.flatMap(conjuncts);
  return [e];
}
