/**
 * Catalog and session functions clients call while introspecting (psql's \d, drivers, ORMs):
 * pg_get_indexdef, pg_get_constraintdef, pg_get_expr, pg_get_viewdef, pg_get_userbyid,
 * pg_table_is_visible, obj_description, col_description, has_*_privilege, format_type,
 * current_schemas, to_regclass, pg_get_serial_sequence, pg_cancel_backend, pg_terminate_backend,
 * pg_encoding_to_char, quote_ident and friends. They are context calls: the binder gives them a
 * fixed signature (catalogCallSignature; argument type 0 keeps the argument's own type, for
 * functions PostgreSQL overloads on text/name/oid), and the executor evaluates the arguments
 * and asks the statement's CatalogReader (callCatalogFunction), so the SQL layer needs no
 * knowledge of the catalog's shape. The few that need no catalog are computed here.
 * Exports: catalogCallSignature, isCatalogCall, compileCatalogCall.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../access/table-access.js';
import type { CatalogReader } from '../context.js';
import type { Expr } from '../plan/ir/expr.js';
import { formatType } from '../types/type-registry.js';
import type { Evaluator } from './compile-expr.js';
import type { Runtime } from './runtime.js';

const BOOL = 16;
const NAME = 19;
const INT8 = 20;
const INT4 = 23;
const TEXT = 25;
const OID = 26;
const TIMESTAMPTZ = 1184;
const REGCLASS = 2205;
const NAME_ARRAY = 1003;
const VOID = 2278;
/** Keep the argument's own type (the implementation looks at the value). */
const ANY = 0;

type Signature = [args: number[], result: number];

/** name -> signatures by arity; non-strict functions are listed in `lenient`. */
const signatures: Record<string, Signature[]> = {
  pg_table_is_visible: [[[OID], BOOL]],
  pg_type_is_visible: [[[OID], BOOL]],
  pg_function_is_visible: [[[OID], BOOL]],
  format_type: [[[OID, INT4], TEXT]],
  pg_get_expr: [
    [[TEXT, OID], TEXT],
    [[TEXT, OID, BOOL], TEXT],
  ],
  pg_get_indexdef: [
    [[OID], TEXT],
    [[OID, INT4, BOOL], TEXT],
  ],
  pg_get_constraintdef: [
    [[OID], TEXT],
    [[OID, BOOL], TEXT],
  ],
  pg_get_viewdef: [
    [[ANY], TEXT],
    [[ANY, BOOL], TEXT],
  ],
  pg_get_triggerdef: [
    [[OID], TEXT],
    [[OID, BOOL], TEXT],
  ],
  pg_get_userbyid: [[[OID], NAME]],
  obj_description: [
    [[OID], TEXT],
    [[OID, NAME], TEXT],
  ],
  col_description: [[[OID, INT4], TEXT]],
  shobj_description: [[[OID, NAME], TEXT]],
  has_table_privilege: [
    [[ANY, TEXT], BOOL],
    [[ANY, ANY, TEXT], BOOL],
  ],
  has_schema_privilege: [
    [[ANY, TEXT], BOOL],
    [[ANY, ANY, TEXT], BOOL],
  ],
  has_database_privilege: [
    [[ANY, TEXT], BOOL],
    [[ANY, ANY, TEXT], BOOL],
  ],
  has_sequence_privilege: [
    [[ANY, TEXT], BOOL],
    [[ANY, ANY, TEXT], BOOL],
  ],
  has_function_privilege: [
    [[ANY, TEXT], BOOL],
    [[ANY, ANY, TEXT], BOOL],
  ],
  has_column_privilege: [
    [[ANY, ANY, TEXT], BOOL],
    [[ANY, ANY, ANY, TEXT], BOOL],
  ],
  pg_has_role: [
    [[ANY, TEXT], BOOL],
    [[ANY, ANY, TEXT], BOOL],
  ],
  current_schemas: [[[BOOL], NAME_ARRAY]],
  current_setting: [[[TEXT, BOOL], TEXT]],
  to_regclass: [[[TEXT], REGCLASS]],
  regclassin: [[[TEXT], REGCLASS]],
  pg_get_serial_sequence: [[[TEXT, TEXT], TEXT]],
  pg_cancel_backend: [[[INT4], BOOL]],
  pg_terminate_backend: [
    [[INT4], BOOL],
    [[INT4, INT8], BOOL],
  ],
  pg_postmaster_start_time: [[[], TIMESTAMPTZ]],
  pg_conf_load_time: [[[], TIMESTAMPTZ]],
  pg_is_in_recovery: [[[], BOOL]],
  // WAL positions (replication; engine/system-views/replication-functions.ts). pg_lsn is text here.
  pg_current_wal_lsn: [[[], TEXT]],
  pg_current_wal_flush_lsn: [[[], TEXT]],
  pg_current_wal_insert_lsn: [[[], TEXT]],
  pg_last_wal_receive_lsn: [[[], TEXT]],
  pg_last_wal_replay_lsn: [[[], TEXT]],
  pg_encoding_to_char: [[[INT4], NAME]],
  pg_char_to_encoding: [[[NAME], INT4]],
  quote_ident: [[[TEXT], TEXT]],
  pg_relation_is_publishable: [[[ANY], BOOL]],
  // Keel has no partitioning, so a relation's only "ancestor" is itself: one row, as a scalar.
  pg_partition_ancestors: [[[REGCLASS], REGCLASS]],
  pg_get_statisticsobjdef_columns: [[[OID], TEXT]],
  pg_my_temp_schema: [[[], OID]],
  pg_is_other_temp_schema: [[[OID], BOOL]],
  pg_tablespace_location: [[[OID], TEXT]],
  pg_get_function_identity_arguments: [[[OID], TEXT]],
  pg_get_function_arguments: [[[OID], TEXT]],
  pg_get_function_result: [[[OID], TEXT]],
  pg_size_pretty: [[[INT8], TEXT]],
  inet_server_addr: [[[], TEXT]],
  inet_server_port: [[[], INT4]],
  // LISTEN/NOTIFY (engine/utility/notifications.ts): NOTIFY in the statement's transaction.
  pg_notify: [[[TEXT, TEXT], VOID]],
};

/** Functions evaluated even when an argument is NULL. */
const lenient = new Set(['format_type', 'current_schemas', 'current_setting', 'pg_notify']);

/** Types whose values are names: casts from them to regclass look the name up. */
export function isTextual(type: number): boolean {
  return type === TEXT || type === NAME || type === 705 || type === 1043 || type === 1042;
}

/**
 * 'name'::regclass: a constant is looked up now (PostgreSQL folds regclassin at parse time, and a
 * plan is re-made when the catalog changes); anything else becomes a regclassin call.
 */
export function regclassFromText(catalog: CatalogReader, e: Expr, position: number | undefined): Expr {
  if (e.kind === 'const') {
    if (e.value === null) return { kind: 'const', value: null, type: REGCLASS, typmod: -1 };
    const oid = catalog.regclassIn(String(e.value));
    if (oid === null) {
      throw new KeelError(SqlState.UndefinedTable, `relation "${String(e.value)}" does not exist`, {
        position,
      });
    }
    return { kind: 'const', value: oid, type: REGCLASS, typmod: -1 };
  }
  return { kind: 'context', name: 'regclassin', args: [e], type: REGCLASS, typmod: -1 };
}

/** The binder's signature for a catalog call of `arity` arguments, or undefined. */
export function catalogCallSignature(name: string, arity: number): Signature | undefined {
  return signatures[name]?.find(([args]) => args.length === arity);
}

export function isCatalogCall(name: string): boolean {
  return signatures[name] !== undefined;
}

const encodings: Record<number, string> = { 0: 'SQL_ASCII', 6: 'UTF8', 8: 'LATIN1' };

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function sizePretty(bytes: bigint): string {
  // PostgreSQL's algorithm: bytes below 10 kB, then keep one extra bit for half-up rounding.
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  const negative = bytes < 0n;
  let size = negative ? -bytes : bytes;
  if (size < 10_240n) return `${bytes} bytes`;
  size >>= 9n;
  let unit = 0;
  while (unit < units.length - 1 && size >= 20_479n) {
    size >>= 10n;
    unit++;
  }
  return `${negative ? '-' : ''}${(size + 1n) >> 1n} ${units[unit]}`;
}

/** Calls that need neither the catalog nor the session. */
function pureCall(name: string, args: Value[]): { value: Value } | null {
  const [a0, a1] = args;
  switch (name) {
    case 'format_type':
      return { value: a0 === null ? null : formatType(Number(a0), a1 === null ? -1 : Number(a1)) };
    case 'quote_ident':
      return { value: quoteIdent(String(a0)) };
    case 'pg_encoding_to_char':
      return { value: encodings[Number(a0)] ?? '' };
    case 'pg_char_to_encoding': {
      const found = Object.entries(encodings).find(([, n]) => n === String(a0).toUpperCase());
      return { value: found === undefined ? -1 : Number(found[0]) };
    }
    case 'pg_size_pretty':
      return { value: sizePretty(BigInt(a0 as bigint)) };
    case 'pg_partition_ancestors':
      return { value: a0 };
    case 'pg_relation_is_publishable':
    case 'pg_is_other_temp_schema':
      return { value: false };
    case 'pg_my_temp_schema':
      return { value: 0 };
    case 'pg_get_statisticsobjdef_columns':
    case 'pg_get_triggerdef':
    case 'inet_server_addr':
    case 'inet_server_port':
      return { value: null };
    case 'pg_tablespace_location':
    case 'pg_get_function_identity_arguments':
    case 'pg_get_function_arguments':
    case 'pg_get_function_result':
      return { value: '' };
    default:
      return null;
  }
}

/** Compiles a catalog call: evaluate the arguments, then compute or ask the catalog. */
export function compileCatalogCall(name: string, args: Evaluator[], rt: Runtime): Evaluator {
  const strict = !lenient.has(name);
  if (name === 'current_setting') {
    // current_setting(name, missing_ok): NULL instead of 42704 for an unknown setting.
    return (row) => {
      const setting = args[0]?.(row) ?? null;
      if (setting === null) return null;
      const value = rt.ctx.settings.get(String(setting));
      if (value !== undefined || args[1]?.(row) === true) return value ?? null;
      throw new KeelError(
        SqlState.UndefinedObject,
        `unrecognized configuration parameter "${String(setting)}"`,
      );
    };
  }
  return (row) => {
    const values = args.map((a) => a(row) ?? null);
    if (strict && values.some((v) => v === null)) return null;
    const pure = pureCall(name, values);
    if (pure !== null) return pure.value;
    return rt.ctx.catalog.callCatalogFunction(name, values);
  };
}
