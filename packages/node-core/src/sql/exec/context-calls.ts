/**
 * Calls evaluated against the execution context (the clock functions now(), current_date, ...
 * are src/sql/functions' own): current_user/session_user/current_database/current_schema, current_setting and
 * set_config, the sequence functions, pg_backend_pid() and version(); the catalog functions
 * (pg_get_indexdef, obj_description, ...) are compiled by catalog-calls.ts.
 * Exports: compileContextCall.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../access/table-access.js';
import { compileCatalogCall, isCatalogCall } from './catalog-calls.js';
import type { Evaluator } from './compile-expr.js';
import type { Runtime } from './runtime.js';

function sequenceOid(v: Value, rt: Runtime): number {
  if (typeof v === 'number') return v;
  const oid = rt.ctx.catalog.regclassIn(String(v));
  if (oid === null) throw new KeelError(SqlState.UndefinedTable, `relation "${String(v)}" does not exist`);
  return oid;
}

export function compileContextCall(name: string, args: Evaluator[], rt: Runtime): Evaluator {
  const ctx = rt.ctx;
  const [a0, a1, a2] = args;
  if (name === 'current_setting' && args.length === 2) return compileCatalogCall(name, args, rt);
  switch (name) {
    case 'current_user':
      return () => ctx.currentUser;
    case 'session_user':
      return () => ctx.sessionUser;
    case 'current_database':
      return () => ctx.catalog.databaseName;
    case 'current_schema':
      return () => ctx.catalog.searchPath().find((n) => n.name !== 'pg_catalog')?.name ?? null;
    case 'pg_backend_pid':
      return () => ctx.backendPid;
    case 'version':
      return () => 'PostgreSQL 16.4 (Keel 0.1.0) on x86_64-pc-linux-gnu, compiled by TypeScript, 64-bit';
    case 'current_setting':
      return (row) => {
        const setting = a0?.(row);
        if (setting === null || setting === undefined) return null;
        const v = ctx.settings.get(String(setting));
        if (v === undefined)
          throw new KeelError(
            SqlState.UndefinedObject,
            `unrecognized configuration parameter "${String(setting)}"`,
          );
        return v;
      };
    case 'set_config':
      return (row) => {
        ctx.settings.set(String(a0?.(row)), String(a1?.(row)), a2?.(row) === true);
        return ctx.settings.get(String(a0?.(row))) ?? null;
      };
    case 'nextval':
      return (row) => ctx.sequences.nextval(sequenceOid(a0?.(row) ?? null, rt));
    case 'currval':
      return (row) => ctx.sequences.currval(sequenceOid(a0?.(row) ?? null, rt));
    case 'setval':
      return (row) => ctx.sequences.setval(sequenceOid(a0?.(row) ?? null, rt), a1?.(row) as bigint, true);
    case 'lastval':
      return () => ctx.sequences.lastval();
    default:
      if (isCatalogCall(name)) return compileCatalogCall(name, args, rt);
      throw new KeelError(SqlState.UndefinedFunction, `function ${name}() does not exist`);
  }
}
