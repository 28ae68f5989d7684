/**
 * The planning pipeline of one statement: bind (AST -> logical plan) -> sub-query planning ->
 * predicate pushdown -> physical choices and estimates. Returns the plan with its result columns,
 * locks, dependencies and the statement kind.
 * Exports: planStatement, PlannedStatement, StatementKind.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { DeleteStmt, ExplainStmt, InsertStmt, Node, UpdateStmt } from '@pgsql/types';
import type { Oid } from '../../catalog/objects.js';
import type { LockRequest, PlanningContext } from '../context.js';
import { nodeTag, unwrap } from './bind/ast.js';
import { bindInsert } from './bind/bind-insert.js';
import { bindQuery, type OutputColumn } from './bind/bind-query.js';
import { bindDelete, bindUpdate } from './bind/bind-update-delete.js';
import { Binder } from './bind/binder.js';
import { Scope } from './bind/scope.js';
import type { CteDef, PlanNode } from './ir/logical.js';
import { choosePhysical } from './optimize/physical.js';
import { pruneColumns } from './optimize/prune-columns.js';
import { pushDownPredicates } from './optimize/pushdown.js';
import { planSubLinks } from './optimize/sublinks.js';
import { TypeOid } from './registry/registry.js';

export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'explain';

export interface PlannedStatement {
  kind: StatementKind;
  plan: PlanNode;
  columns: OutputColumn[] | null;
  locks: LockRequest[];
  dependencies: Oid[];
  paramTypes: Oid[];
  /** ColumnId -> `alias.column`, for EXPLAIN. */
  columnNames: Map<number, string>;
  /** Data-modifying CTEs: run to completion before the query reads anything. */
  modifyingCtes: CteDef[];
  explain: { analyze: boolean; format: 'text' | 'json'; inner: StatementKind } | null;
}

function bindStatement(
  node: Node,
  binder: Binder,
): { kind: StatementKind; plan: PlanNode; columns: OutputColumn[] | null } {
  const tag = nodeTag(node);
  switch (tag) {
    case 'SelectStmt': {
      const q = bindQuery(node, binder, new Scope(null));
      return { kind: 'select', plan: q.plan, columns: q.columns };
    }
    case 'InsertStmt':
      return { kind: 'insert', ...bindInsert(unwrap<InsertStmt>(node, tag) ?? {}, binder) };
    case 'UpdateStmt':
      return { kind: 'update', ...bindUpdate(unwrap<UpdateStmt>(node, tag) ?? {}, binder) };
    case 'DeleteStmt':
      return { kind: 'delete', ...bindDelete(unwrap<DeleteStmt>(node, tag) ?? {}, binder) };
    default:
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `statement ${tag} is not handled by the query processor`,
      );
  }
}

function optimize(plan: PlanNode, binder: Binder, ctx: PlanningContext): PlanNode {
  // Each CTE is planned once, inner ones first; the queries using them read the result.
  for (const cte of binder.ctes) {
    cte.plan = optimizeTree(cte.plan, binder, ctx);
    cte.optimized = true;
  }
  return optimizeTree(plan, binder, ctx);
}

function optimizeTree(plan: PlanNode, binder: Binder, ctx: PlanningContext): PlanNode {
  const withJoins = planSubLinks(plan, (name) => binder.newColumn(name));
  return choosePhysical(pruneColumns(pushDownPredicates(withJoins)), ctx.catalog);
}

export function planStatement(
  node: Node,
  sql: string,
  ctx: PlanningContext,
  paramTypes: Oid[],
): PlannedStatement {
  // Parse's parameter type 0 means "unspecified" (postgres.js, JDBC): infer it like unknown.
  const binder = new Binder(
    ctx,
    paramTypes.map((t) => (t === 0 ? TypeOid.unknown : t)),
    sql,
  );
  const explainStmt = unwrap<ExplainStmt>(node, 'ExplainStmt');
  const target = explainStmt === null ? node : (explainStmt.query ?? node);
  const bound = bindStatement(target, binder);
  binder.checkParamTypes();
  const plan = optimize(bound.plan, binder, ctx);
  const base = {
    plan,
    locks: binder.locks,
    dependencies: [...binder.dependencies],
    paramTypes: binder.paramTypes,
    columnNames: binder.columnNames,
    modifyingCtes: binder.ctes.filter((c) => c.modifying),
  };
  if (explainStmt === null) return { ...base, kind: bound.kind, columns: bound.columns, explain: null };
  const options = (explainStmt.options ?? []).map(
    (o) => unwrap<{ defname?: string; arg?: Node }>(o, 'DefElem') ?? {},
  );
  const analyze = options.some(
    (o) => o.defname === 'analyze' && JSON.stringify(o.arg ?? '').indexOf('false') < 0,
  );
  const json = options.some((o) => o.defname === 'format' && JSON.stringify(o.arg ?? '').includes('json'));
  return {
    ...base,
    kind: 'explain',
    columns: null,
    explain: { analyze, format: json ? 'json' : 'text', inner: bound.kind },
  };
}
