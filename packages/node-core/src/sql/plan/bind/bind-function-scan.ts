/**
 * Functions in FROM (generate_series(1, 3) AS g(n), unnest(array) WITH ORDINALITY, ...):
 * a FunctionScan producing one column per result value, plus the ordinality column.
 * Exports: bindFunctionScan.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { FuncCall, Node, RangeFunction } from '@pgsql/types';
import { catalogCallSignature } from '../../exec/catalog-calls.js';
import type { Expr, SetReturning } from '../ir/expr.js';
import type { PlanNode } from '../ir/logical.js';
import { type ResolvedCall, resolveFunction, TypeOid } from '../registry/registry.js';
import { positionOf, strings, unwrap } from './ast.js';
import { bindExpr, withPosition } from './bind-expr.js';
import { bindFuncCall, contextFunctions } from './bind-func.js';
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
  if (
    contextFunctions[name] !== undefined ||
    catalogCallSignature(name, (f.args ?? []).length) !== undefined
  ) {
    return bindScalarInFrom(rf, callNode, name, ec);
  }
  const rawArgs = (f.args ?? []).map((a) => bindExpr(a, ec));
  const resolved = withPosition(
    () =>
      resolveFunction(
        name,
        rawArgs.map((a) => a.type),
        { variadicCall: f.func_variadic === true },
      ),
    position,
  );
  const args = rawArgs.map((a, i) =>
    coerceTo(ec.binder, a, resolved.argTypes[i] ?? a.type, -1, { context: 'implicit', position }),
  );
  const alias = rf.alias?.aliasname ?? name;
  const colNames = strings(rf.alias?.colnames);
  const srf: SetReturning = resolved.returnsSet ?? scalarAsSet(resolved);
  const available = srf.columns.length + (rf.ordinality ? 1 : 0);
  if (colNames.length > available)
    throw new KeelError(
      SqlState.InvalidColumnReference,
      `table "${alias}" has ${available} columns available but ${colNames.length} columns specified`,
      { position },
    );
  const single = srf.columns.length === 1;
  const columns: ScopeColumn[] = srf.columns.map((c, i) => {
    // A single-column function's column is named after the alias (or the function), as PostgreSQL does.
    const fallback = single
      ? rf.alias?.aliasname !== undefined && colNames.length === 0
        ? alias
        : name
      : c.name;
    const columnName = colNames[i] ?? fallback;
    return {
      id: ec.binder.newColumn(`${alias}.${columnName}`),
      name: columnName,
      type: c.type,
      typmod: -1,
      tableOid: 0,
      attnum: 0,
      hidden: false,
    };
  });
  const resultIds = columns.map((c) => c.id);
  let ordinality: number | null = null;
  if (rf.ordinality) {
    ordinality = ec.binder.newColumn(`${alias}.ordinality`);
    columns.push({
      id: ordinality,
      name: colNames[srf.columns.length] ?? 'ordinality',
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
    srf,
    strict: resolved.returnsSet !== null && resolved.strict,
    args,
    argTypes: args.map((a) => a.type),
    columns: resultIds,
    ordinality,
    alias,
    fieldCount: srf.columns.length,
  };
  return { plan, items: [{ alias, schema: null, columns, table: null }], args };
}

/** A scalar function in FROM: one row holding its value. */
function scalarAsSet(resolved: ResolvedCall): SetReturning {
  const impl = resolved.impl;
  const strict = resolved.strict;
  return {
    columns: [{ name: resolved.def.name, type: resolved.resultType }],
    rows: (args, ctx) => [[strict && args.some((a) => a === null) ? null : impl(args, ctx)]],
  };
}

/**
 * A function of the session or catalog in FROM (SELECT * FROM current_schema()): one row with
 * its value, as PostgreSQL gives for a scalar function in FROM.
 */
function bindScalarInFrom(
  rf: RangeFunction,
  callNode: Node,
  name: string,
  ec: ExprContext,
): { plan: PlanNode; items: ScopeItem[]; args: Expr[] } {
  const expr = bindFuncCall(callNode, ec);
  const alias = rf.alias?.aliasname ?? name;
  const colNames = strings(rf.alias?.colnames);
  const column: ScopeColumn = {
    id: ec.binder.newColumn(`${alias}.${colNames[0] ?? name}`),
    name: colNames[0] ?? (rf.alias?.aliasname !== undefined ? alias : name),
    type: expr.type,
    typmod: -1,
    tableOid: 0,
    attnum: 0,
    hidden: false,
  };
  const columns = [column];
  const outputs = [{ id: column.id, expr }];
  if (rf.ordinality) {
    const ordinality: ScopeColumn = {
      ...column,
      id: ec.binder.newColumn(`${alias}.ordinality`),
      name: colNames[1] ?? 'ordinality',
      type: TypeOid.int8,
    };
    columns.push(ordinality);
    outputs.push({ id: ordinality.id, expr: { kind: 'const', value: 1n, type: TypeOid.int8, typmod: -1 } });
  }
  const plan: PlanNode = { kind: 'project', input: { kind: 'result' }, outputs };
  return { plan, items: [{ alias, schema: null, columns, table: null }], args: [] };
}
