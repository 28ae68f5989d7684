/**
 * Expressions stored in the catalog as SQL text and evaluated over one row of a table, outside
 * any query plan: index expressions and partial-index predicates (computed for every index
 * entry), and the validation of DEFAULT and CHECK expressions at DDL time. Compiled once per
 * (table version, text) and cached: catalog objects are immutable, so a DDL change makes a new
 * table object and naturally a new compilation.
 * Exports: compileTableExpression, checkTableExpression, TableExpression.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, Value } from '../access/table-access.js';
import type { Oid, TableRelation } from '../catalog/objects.js';
import type { ExecutionContext, PlanningContext } from './context.js';
import { compileExpr, layoutOf } from './exec/compile-expr.js';
import { createRuntime } from './exec/runtime.js';
import { bindSqlExpr, rowScopeItem } from './plan/bind/bind-dml-common.js';
import { Binder, type ExprContext } from './plan/bind/binder.js';
import { coerceTo } from './plan/bind/coerce.js';
import { Scope } from './plan/bind/scope.js';
import type { Expr } from './plan/ir/expr.js';

export type TableExpression = (row: Row) => Value;

const cache = new WeakMap<TableRelation, Map<string, TableExpression>>();

function bindOverTable(
  text: string,
  table: TableRelation,
  context: PlanningContext,
  options: { withColumns: boolean; target: { typeOid: Oid; typmod: number } | null; clause: string },
): { expr: Expr; ids: number[] } {
  const binder = new Binder(context, [], text);
  const scope = new Scope(null);
  const { item, ids } = rowScopeItem(table, table.name, binder);
  if (options.withColumns) scope.add(item);
  const ec: ExprContext = { binder, scope, aggs: null, windows: null, clause: options.clause };
  let expr = bindSqlExpr(text, ec);
  if (options.target !== null) {
    expr = coerceTo(binder, expr, options.target.typeOid, options.target.typmod, { context: 'assignment' });
  }
  return { expr, ids };
}

/** An evaluator of `text` over rows of `table` (values in attnum order). */
export function compileTableExpression(
  text: string,
  table: TableRelation,
  context: PlanningContext,
): TableExpression {
  let perTable = cache.get(table);
  if (perTable === undefined) {
    perTable = new Map();
    cache.set(table, perTable);
  }
  const cached = perTable.get(text);
  if (cached !== undefined) return cached;
  const { expr, ids } = bindOverTable(text, table, context, {
    withColumns: true,
    target: null,
    clause: 'index expressions',
  });
  const runtime = createRuntime(detachedExecutionContext(context), false);
  const evaluate = compileExpr(expr, layoutOf(ids), runtime);
  perTable.set(text, evaluate);
  return evaluate;
}

/**
 * Validates a DEFAULT (no column references, assignable to the column's type) or CHECK
 * (boolean over the table's columns) expression; throws PostgreSQL's error when it is not.
 */
export function checkTableExpression(
  text: string,
  table: TableRelation,
  purpose: 'default' | 'check',
  target: { typeOid: Oid; typmod: number } | null,
  context: PlanningContext,
): void {
  const { expr } = bindOverTable(text, table, context, {
    withColumns: purpose === 'check',
    target: purpose === 'default' ? target : null,
    clause: purpose === 'default' ? 'DEFAULT expressions' : 'check constraints',
  });
  if (purpose === 'check' && expr.type !== 16 && expr.type !== 705) {
    throw new KeelError(SqlState.DatatypeMismatch, 'argument of CHECK must be type boolean');
  }
}

/** An execution context for evaluating catalog expressions: no table access, no parameters. */
function detachedExecutionContext(context: PlanningContext): ExecutionContext {
  const unavailable = (): never => {
    throw new KeelError(SqlState.FeatureNotSupported, 'this expression cannot read tables or sequences');
  };
  return {
    ...context,
    access: {
      scan: unavailable,
      indexScan: unavailable,
      fetch: unavailable,
      insert: unavailable,
      findConflict: unavailable,
      update: unavailable,
      delete: unavailable,
      lockRow: unavailable,
      estimateSize: unavailable,
    },
    sequences: { nextval: unavailable, currval: unavailable, setval: unavailable, lastval: unavailable },
    params: [],
    statementTimestamp: 0n,
    transactionTimestamp: 0n,
    checkInterrupts: () => {},
    yieldToOthers: async () => {},
    notice: () => {},
    backendPid: 0,
    tempDir: '',
  };
}
