/**
 * Functions in FROM (generate_series(1, 3) AS g(n), unnest(array) WITH ORDINALITY, ...):
 * a FunctionScan producing one column per result value, plus the ordinality column.
 * Exports: bindFunctionScan.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { FuncCall, Node, RangeFunction } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import type { PlanNode } from '../ir/logical.js';
import { resolveFunction, TypeOid } from '../registry/registry.js';
import { positionOf, strings, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import type { ExprContext } from './binder.js';
import { coerceTo } from './coerce.js';
import type { ScopeColumn, ScopeItem } from './scope.js';

export function bindFunctionScan(
  rf: RangeFunction,
  ec: ExprContext,
): { plan: PlanNode; items: ScopeItem[]; args: Expr[] } {
  const entries = rf.functions ?? [];
  if (entries.length !== 1 || rf.is_rowsfrom) {
    throw new KeelError(SqlState.FeatureNotSupported, 'ROWS FROM with several functions is not supported');
  }
  const list = unwrap<{ items?: Node[] }>(entries[0], 'List')?.items ?? [];
  const callNode = list[0] ?? { FuncCall: {} };
  const f = unwrap<FuncCall>(callNode, 'FuncCall');
  const position = positionOf(callNode);
  if (f === null)
    throw new KeelError(SqlState.FeatureNotSupported, 'only function calls are supported in FROM', {
      position,
    });
  const names = strings(f.funcname);
  const name = (names[names.length - 1] ?? '').toLowerCase();
  const rawArgs = (f.args ?? []).map((a) => bindExpr(a, ec));
  const resolved = resolveFunction(
    name,
    rawArgs.map((a) => a.type),
    position,
  );
  const args = rawArgs.map((a, i) =>
    coerceTo(ec.binder, a, resolved.args[i] ?? a.type, -1, { context: 'implicit', position }),
  );
  const alias = rf.alias?.aliasname ?? name;
  const colNames = strings(rf.alias?.colnames);
  const column: ScopeColumn = {
    id: ec.binder.newColumn(`${alias}.${colNames[0] ?? (rf.alias === undefined ? name : alias)}`),
    name: colNames[0] ?? (rf.alias?.aliasname !== undefined && colNames.length === 0 ? alias : name),
    type: resolved.result,
    typmod: -1,
    tableOid: 0,
    attnum: 0,
    hidden: false,
  };
  const columns = [column];
  let ordinality: number | null = null;
  if (rf.ordinality) {
    ordinality = ec.binder.newColumn(`${alias}.ordinality`);
    columns.push({
      id: ordinality,
      name: colNames[1] ?? 'ordinality',
      type: TypeOid.int8,
      typmod: -1,
      tableOid: 0,
      attnum: 0,
      hidden: false,
    });
  }
  const plan: PlanNode = {
    kind: 'functionScan',
    name,
    fn: resolved.fn,
    args,
    argTypes: args.map((a) => a.type),
    columns: [column.id],
    ordinality,
    alias,
    fieldCount: 1,
  };
  return { plan, items: [{ alias, schema: null, columns, table: null }], args };
}
