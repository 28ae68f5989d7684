/**
 * Set-returning functions whose rows come from the catalog or the session rather than from
 * their arguments: pg_listening_channels() (the channels this session LISTENs on, committed
 * LISTENs only, as PostgreSQL). The rows are the statement catalog's answer
 * (CatalogResolver.catalogRows, engine/system-views/catalog-functions.ts); without a catalog
 * (unit tests of the SQL layer) the call is refused.
 * Exports: registerCatalogSetFunctions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../types/value.js';
import type { EvalContext } from './eval-context.js';
import { defineSetFunction } from './function-registry.js';

function catalogRows(name: string, args: Value[], ctx: EvalContext): Value[][] {
  const rows = ctx.catalog?.catalogRows;
  if (rows === undefined) throw new KeelError(SqlState.FeatureNotSupported, `${name}() needs a catalog`);
  return rows.call(ctx.catalog, name, args);
}

export function registerCatalogSetFunctions(): void {
  defineSetFunction(
    'pg_listening_channels',
    [],
    [['pg_listening_channels', 'text']],
    (args, ctx) => catalogRows('pg_listening_channels', args, ctx),
    { volatility: 'stable' },
  );
}
