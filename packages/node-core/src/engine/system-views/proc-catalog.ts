/**
 * pg_proc: the built-in functions Keel implements (src/sql/functions' registry, and the session
 * functions such as current_setting and version), with PostgreSQL's column meanings: name,
 * argument and result types, strictness, volatility, set-returning. Tools read it to list
 * functions (psql's \df) or check that one exists before calling it. The oids are Keel's own
 * (10000 + the registry's id): PostgreSQL's function oids are not reproduced. Aggregates are
 * not listed yet (the aggregate registry is not exported for introspection). The type I/O
 * functions JDBC looks up (array_in, record_in, ...) are listed with PostgreSQL's oids.
 * Exports: procRowBuilders, builtinProcedures, BuiltinProcedure.
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
  options: ProcOptions,
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

interface ProcOptions {
  strict: boolean;
  volatility: string;
  retset: boolean;
  variadic: number;
  defaults: number;
}

/** One function as pg_proc and the regproc/regprocedure types see it. */
export interface BuiltinProcedure {
  oid: number;
  name: string;
  args: readonly number[];
  result: number;
  options: ProcOptions;
}

/** The type I/O functions clients look up by name (JDBC: typinput = 'array_in'::regproc), with PostgreSQL's oids. */
const ioProcedures: [oid: number, name: string, args: number[], result: number][] = [
  [750, 'array_in', [2275, 26, 23], 2277],
  [751, 'array_out', [2277], 2275],
  [2290, 'record_in', [2275, 26, 23], 2249],
  [2291, 'record_out', [2249], 2275],
];

let procedures: BuiltinProcedure[] | null = null;

/** Every function pg_proc lists (computed once: the registry does not change after start). */
export function builtinProcedures(): readonly BuiltinProcedure[] {
  if (procedures !== null) return procedures;
  ensureBuiltins();
  const list: BuiltinProcedure[] = allFunctions().map((def) => ({
    oid: FIRST_PROC_OID + def.id,
    name: def.name,
    args: def.args,
    result: def.result,
    options: {
      strict: def.strict,
      volatility: def.volatility[0] ?? 'i',
      retset: def.returnsSet !== null,
      variadic: def.variadic ? (findType(def.args.at(-1) ?? 0)?.elementOid ?? 0) : 0,
      defaults: def.defaults,
    },
  }));
  Object.entries(contextFunctions).forEach(([name, [args, result]], i) => {
    list.push({
      oid: CONTEXT_PROC_OID + i,
      name,
      args,
      result,
      options: {
        // As PostgreSQL: set_config is the one non-strict; it and the sequence functions are volatile.
        strict: name !== 'set_config',
        volatility: name === 'set_config' || /^(nextval|currval|setval|lastval)$/.test(name) ? 'v' : 's',
        retset: false,
        variadic: 0,
        defaults: 0,
      },
    });
  });
  for (const [oid, name, args, result] of ioProcedures) {
    list.push({
      oid,
      name,
      args,
      result,
      options: { strict: true, volatility: 's', retset: false, variadic: 0, defaults: 0 },
    });
  }
  procedures = list;
  return list;
}

function procRows(): Record<string, Value>[] {
  return builtinProcedures().map((p) => procRow(p.oid, p.name, p.args, p.result, p.options));
}

export const procRowBuilders: Record<string, () => Record<string, Value>[]> = {
  pg_proc: procRows,
};
