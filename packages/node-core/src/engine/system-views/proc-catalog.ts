/**
 * pg_proc: the built-in functions Keel implements (src/sql/functions' registry, and the session
 * functions such as current_setting and version), with PostgreSQL's column meanings: name,
 * argument and result types, strictness, volatility, set-returning. Tools read it to list
 * functions (psql's \df) or check that one exists before calling it. The oids are Keel's own
 * (10000 + the registry's id): PostgreSQL's function oids are not reproduced. Aggregates are
 * not listed yet (the aggregate registry is not exported for introspection).
 * Exports: procRowBuilders.
 */
import type { Value } from '../../access/table-access.js';
import { WellKnownOid } from '../../catalog/objects.js';
import { allFunctions, ensureBuiltins } from '../../sql/functions/index.js';
import { contextFunctions } from '../../sql/plan/bind/bind-func.js';
import { findType } from '../../sql/types/type-registry.js';
import { oidVector } from './column-types.js';

const INTERNAL_LANGUAGE = 12;
const BOOTSTRAP_SUPERUSER = 10;
const FIRST_PROC_OID = 10_000;
const CONTEXT_PROC_OID = 9_000;

function procRow(
  oid: number,
  name: string,
  args: readonly number[],
  result: number,
  options: { strict: boolean; volatility: string; retset: boolean; variadic: number; defaults: number },
): Record<string, Value> {
  return {
    oid,
    proname: name,
    pronamespace: WellKnownOid.pgCatalogNamespace,
    proowner: BOOTSTRAP_SUPERUSER,
    prolang: INTERNAL_LANGUAGE,
    procost: 1,
    prorows: options.retset ? 1000 : 0,
    provariadic: options.variadic,
    prosupport: 0,
    prokind: 'f',
    prosecdef: false,
    proleakproof: false,
    proisstrict: options.strict,
    proretset: options.retset,
    provolatile: options.volatility,
    proparallel: 's',
    pronargs: args.length,
    pronargdefaults: options.defaults,
    prorettype: result,
    proargtypes: oidVector([...args]),
    proallargtypes: null,
    proargmodes: null,
    proargnames: null,
    proargdefaults: null,
    protrftypes: null,
    prosrc: name,
    probin: null,
    prosqlbody: null,
    proconfig: null,
    proacl: null,
  };
}

function procRows(): Record<string, Value>[] {
  ensureBuiltins();
  const rows = allFunctions().map((def) =>
    procRow(FIRST_PROC_OID + def.id, def.name, def.args, def.result, {
      strict: def.strict,
      volatility: def.volatility[0] ?? 'i',
      retset: def.returnsSet !== null,
      variadic: def.variadic ? (findType(def.args.at(-1) ?? 0)?.elementOid ?? 0) : 0,
      defaults: def.defaults,
    }),
  );
  Object.entries(contextFunctions).forEach(([name, [args, result]], i) => {
    rows.push(
      procRow(CONTEXT_PROC_OID + i, name, args, result, {
        // As PostgreSQL: set_config is the one non-strict; it and the sequence functions are volatile.
        strict: name !== 'set_config',
        volatility: name === 'set_config' || /^(nextval|currval|setval|lastval)$/.test(name) ? 'v' : 's',
        retset: false,
        variadic: 0,
        defaults: 0,
      }),
    );
  });
  return rows;
}

export const procRowBuilders: Record<string, () => Record<string, Value>[]> = {
  pg_proc: procRows,
};
