/**
 * Query binding entry: a SelectStmt in any of its forms (plain SELECT, VALUES, set operations
 * UNION/INTERSECT/EXCEPT [ALL]) with its WITH clause (including WITH RECURSIVE) and the
 * ORDER BY/LIMIT that apply to a set operation's result.
 * Exports: bindQuery, BoundQuery, OutputColumn.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  CommonTableExpr,
  DeleteStmt,
  InsertStmt,
  Node,
  SelectStmt,
  UpdateStmt,
  WithClause,
} from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import type { CteDef, PlanNode } from '../ir/logical.js';
import { nodeTag, positionOf, strings, unwrap } from './ast.js';
import { type BoundStatement, bindInsert } from './bind-insert.js';
import { applyOrderAndLimit } from './bind-order-limit.js';
import { bindSimpleSelect } from './bind-select.js';
import { bindDelete, bindUpdate } from './bind-update-delete.js';
import { bindValues } from './bind-values.js';
import type { Binder } from './binder.js';
import { coerceToCommon } from './coerce.js';
import { Scope } from './scope.js';

export interface OutputColumn {
  id: number;
  name: string;
  type: number;
  typmod: number;
  tableOid: number;
  attnum: number;
}

export interface BoundQuery {
  plan: PlanNode;
  columns: OutputColumn[];
}

/** Binds a query at the given scope level (a fresh Scope whose parent is the enclosing level). */
export function bindQuery(node: Node, binder: Binder, scope: Scope): BoundQuery {
  const s = unwrap<SelectStmt>(node, 'SelectStmt');
  if (s === null)
    throw new KeelError(SqlState.FeatureNotSupported, 'only SELECT is supported as a subquery', {
      position: positionOf(node),
    });
  if (s.withClause !== undefined) bindWith(s.withClause, binder, scope);
  return bindSelectBody(s, binder, scope);
}

function bindSelectBody(s: SelectStmt, binder: Binder, scope: Scope): BoundQuery {
  if (s.op !== undefined && s.op !== 'SETOP_NONE') return bindSetOperation(s, binder, scope);
  if (s.valuesLists !== undefined)
    return applyOrderAndLimit(bindValues(s.valuesLists, binder, scope), s, binder, scope);
  return bindSimpleSelect(s, binder, scope);
}

function bindBranch(
  s: SelectStmt | undefined,
  binder: Binder,
  scope: Scope,
  setOperationBranch = false,
): BoundQuery {
  const child = new Scope(scope);
  child.keepUnknownOutputs = setOperationBranch && (s?.op === undefined || s.op === 'SETOP_NONE');
  for (const [k, v] of scope.ctes) child.ctes.set(k, v);
  const q = bindQuery({ SelectStmt: s ?? {} }, binder, child);
  for (const id of child.outerRefs) if (!scope.owns(id)) scope.outerRefs.add(id);
  return q;
}

function bindSetOperation(s: SelectStmt, binder: Binder, scope: Scope): BoundQuery {
  const left = bindBranch(s.larg, binder, scope, true);
  const right = bindBranch(s.rarg, binder, scope, true);
  const opName = s.op === 'SETOP_UNION' ? 'UNION' : s.op === 'SETOP_INTERSECT' ? 'INTERSECT' : 'EXCEPT';
  if (left.columns.length !== right.columns.length) {
    throw new KeelError(SqlState.SyntaxError, `each ${opName} query must have the same number of columns`);
  }
  const leftExprs: Expr[] = [];
  const rightExprs: Expr[] = [];
  const columns: OutputColumn[] = left.columns.map((lc, i) => {
    const rc = right.columns[i] ?? lc;
    const common = coerceToCommon(binder, [colExpr(lc), colExpr(rc)], opName);
    leftExprs.push(common.exprs[0] ?? colExpr(lc));
    rightExprs.push(common.exprs[1] ?? colExpr(rc));
    const typmod = lc.typmod === rc.typmod ? lc.typmod : -1;
    return {
      id: binder.newColumn(lc.name),
      name: lc.name,
      type: common.type,
      typmod,
      tableOid: 0,
      attnum: 0,
    };
  });
  const op = s.op === 'SETOP_UNION' ? 'union' : s.op === 'SETOP_INTERSECT' ? 'intersect' : 'except';
  const plan: PlanNode = {
    kind: 'setop',
    op,
    all: s.all ?? false,
    left: left.plan,
    right: right.plan,
    columns: columns.map((c) => c.id),
    leftExprs,
    rightExprs,
  };
  return applyOrderAndLimit({ plan, columns }, s, binder, scope);
}

export function colExpr(c: OutputColumn): Expr {
  return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod };
}

/** Binds a WITH clause's CTEs into `scope` (a query's, or an INSERT/UPDATE/DELETE's). */
export function bindWith(w: WithClause, binder: Binder, scope: Scope): void {
  for (const node of w.ctes ?? []) {
    const cte = unwrap<CommonTableExpr>(node, 'CommonTableExpr') ?? {};
    const name = cte.ctename ?? '';
    if (scope.ctes.has(name)) {
      throw new KeelError(SqlState.DuplicateAlias, `WITH query name "${name}" specified more than once`, {
        position: positionOf(node),
      });
    }
    const query = unwrap<SelectStmt>(cte.ctequery, 'SelectStmt');
    const aliases = strings(cte.aliascolnames);
    if (query === null) {
      const def = bindModifyingCte(name, cte.ctequery, aliases, binder, positionOf(node));
      binder.ctes.push(def.def);
      scope.ctes.set(name, def);
      continue;
    }
    const recursive = (w.recursive ?? false) && referencesName(cte.ctequery, name);
    const def = recursive
      ? bindRecursiveCte(name, query, aliases, binder, scope)
      : bindPlainCte(name, query, aliases, binder, scope, cte);
    binder.ctes.push(def.def);
    scope.ctes.set(name, def);
  }
}

type CteBindingOf = NonNullable<ReturnType<Scope['findCte']>>;

function bindPlainCte(
  name: string,
  query: SelectStmt,
  aliases: string[],
  binder: Binder,
  scope: Scope,
  cte: CommonTableExpr,
): CteBindingOf {
  const bound = bindBranch(query, binder, scope);
  const def: CteDef = {
    id: binder.newCteId(),
    name,
    plan: bound.plan,
    columns: bound.columns.map((c) => c.id),
    materialized: cte.ctematerialized !== 'CTEMaterializeNever',
    recursive: false,
    modifying: false,
    optimized: false,
  };
  return {
    def,
    names: bound.columns.map((c, i) => aliases[i] ?? c.name),
    types: bound.columns.map((c) => ({ type: c.type, typmod: c.typmod })),
    workTable: false,
  };
}

function bindRecursiveCte(
  name: string,
  query: SelectStmt,
  aliases: string[],
  binder: Binder,
  scope: Scope,
): CteBindingOf {
  if (query.op !== 'SETOP_UNION') {
    throw new KeelError(
      SqlState.InvalidRecursion,
      `recursive query "${name}" does not have the form non-recursive-term UNION [ALL] recursive-term`,
    );
  }
  const anchor = bindBranch(query.larg, binder, scope);
  const id = binder.newCteId();
  const names = anchor.columns.map((c, i) => aliases[i] ?? c.name);
  const types = anchor.columns.map((c) => ({ type: c.type, typmod: -1 }));
  const placeholder: CteDef = {
    id,
    name,
    plan: anchor.plan,
    columns: [],
    materialized: true,
    recursive: true,
    modifying: false,
    optimized: false,
  };
  const work: CteBindingOf = { def: placeholder, names, types, workTable: true };
  const inner = new Scope(scope);
  for (const [k, v] of scope.ctes) inner.ctes.set(k, v);
  inner.ctes.set(name, work);
  const recursive = bindQuery({ SelectStmt: query.rarg ?? {} }, binder, inner);
  for (const ref of inner.outerRefs) if (!scope.owns(ref)) scope.outerRefs.add(ref);
  if (recursive.columns.length !== anchor.columns.length) {
    throw new KeelError(SqlState.SyntaxError, 'each UNION query must have the same number of columns');
  }
  const anchorExprs = anchor.columns.map(colExpr);
  const recursiveExprs = recursive.columns.map((c, i) => {
    const target = anchor.columns[i];
    const e = colExpr(c);
    if (target === undefined || c.type === target.type) return e;
    return coerceToCommon(binder, [colExpr(target), e], 'UNION').exprs[1] ?? e;
  });
  const columns = anchor.columns.map((c) => binder.newColumn(c.name));
  const plan: PlanNode = {
    kind: 'recursiveUnion',
    cteId: id,
    all: query.all ?? false,
    anchor: anchor.plan,
    recursive: recursive.plan,
    columns,
    anchorExprs,
    recursiveExprs,
  };
  placeholder.plan = plan;
  placeholder.columns = columns;
  return { def: placeholder, names, types, workTable: false };
}

/**
 * WITH x AS (INSERT/UPDATE/DELETE ... [RETURNING ...]): the statement runs once, to completion,
 * whether or not the query reads x; x's rows are its RETURNING rows.
 */
function bindModifyingCte(
  name: string,
  statement: Node | undefined,
  aliases: string[],
  binder: Binder,
  position: number | undefined,
): CteBindingOf {
  const tag = nodeTag(statement ?? { SelectStmt: {} });
  let bound: BoundStatement;
  if (tag === 'InsertStmt') bound = bindInsert(unwrap<InsertStmt>(statement, tag) ?? {}, binder);
  else if (tag === 'UpdateStmt') bound = bindUpdate(unwrap<UpdateStmt>(statement, tag) ?? {}, binder);
  else if (tag === 'DeleteStmt') bound = bindDelete(unwrap<DeleteStmt>(statement, tag) ?? {}, binder);
  else throw new KeelError(SqlState.FeatureNotSupported, `${tag} is not supported in WITH`, { position });
  const columns = bound.columns ?? [];
  const def: CteDef = {
    id: binder.newCteId(),
    name,
    plan: bound.plan,
    columns: columns.map((c) => c.id),
    materialized: true,
    recursive: false,
    modifying: true,
    optimized: false,
  };
  return {
    def,
    names: columns.map((c, i) => aliases[i] ?? c.name),
    types: columns.map((c) => ({ type: c.type, typmod: c.typmod })),
    workTable: false,
    returning: bound.columns !== null,
  };
}

function referencesName(node: Node | undefined, name: string): boolean {
  if (node === undefined) return false;
  return JSON.stringify(node).includes(`"relname":${JSON.stringify(name)}`);
}
