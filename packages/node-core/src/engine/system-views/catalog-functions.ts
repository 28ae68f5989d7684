/**
 * The catalog functions' implementations (their signatures are in sql/exec/catalog-calls.ts):
 * answers from the statement's catalog view and the engine's sessions. Oids that name nothing
 * give NULL, as PostgreSQL's pg_get_* functions do for a concurrently dropped object.
 * Privilege checks answer what Keel enforces today: the owner and superusers have every
 * privilege, others what the object's ACL grants (or PUBLIC's defaults on schemas).
 * Exports: callCatalogFunction, catalogSetFunctionRows.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../access/table-access.js';
import { type Relation, WellKnownOid } from '../../catalog/objects.js';
import { makeArray } from '../../sql/plan/registry/registry.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { splitQualifiedName } from '../catalog-reader.js';
import {
  constraintDefinition,
  indexColumnDefinition,
  indexDefinition,
  viewDefinition,
} from './object-definitions.js';
import { replicationFunction } from './replication-functions.js';

const engineStart = new Date();

function timestampOf(date: Date): bigint {
  return BigInt(date.getTime() - Date.UTC(2000, 0, 1)) * 1000n;
}

function relationByText(reader: EngineCatalogReader, value: Value): Relation | null {
  if (typeof value === 'number') return reader.view.relation(value);
  const oid = reader.regclassIn(String(value));
  if (oid === null) {
    throw new KeelError(SqlState.UndefinedTable, `relation "${String(value)}" does not exist`);
  }
  return reader.view.relation(oid);
}

function constraintById(reader: EngineCatalogReader, oid: number) {
  for (const r of reader.view.relations()) {
    if (r.kind !== 'table') continue;
    const found = r.constraints.find((c) => c.oid === oid);
    if (found !== undefined) return { table: r, constraint: found };
  }
  return null;
}

function tableVisible(reader: EngineCatalogReader, oid: number): boolean {
  const relation = reader.view.relation(oid);
  if (relation === null) {
    // System relations live in pg_catalog, which is always searched.
    return reader.namespace(WellKnownOid.pgCatalogNamespace) !== null && oid < WellKnownOid.firstNormalObject;
  }
  const found = reader.resolveRelation(null, relation.name);
  return found !== null && found.oid === oid;
}

function description(
  reader: EngineCatalogReader,
  oid: number,
  classOid: number,
  subId: number,
): string | null {
  return reader.view.comment(oid, classOid, subId)?.text ?? null;
}

function classOidByName(name: string): number {
  switch (name) {
    case 'pg_class':
      return WellKnownOid.pgClass;
    case 'pg_namespace':
      return WellKnownOid.pgNamespace;
    case 'pg_type':
      return WellKnownOid.pgType;
    case 'pg_proc':
      return WellKnownOid.pgProc;
    case 'pg_constraint':
      return WellKnownOid.pgConstraint;
    case 'pg_database':
      return WellKnownOid.pgDatabase;
    case 'pg_authid':
      return WellKnownOid.pgAuthid;
    default:
      return -1;
  }
}

/** has_*_privilege: (privilege) or (object, privilege) or (role, object, privilege). */
function hasPrivilege(reader: EngineCatalogReader, kind: string, args: readonly Value[]): boolean {
  const session = reader.context.session;
  const roleArg = args.length >= 3 || (kind === 'column' && args.length === 4) ? args[0] : null;
  const role =
    roleArg === null || roleArg === undefined
      ? reader.view.role(session.options.userOid)
      : typeof roleArg === 'number'
        ? reader.view.role(roleArg)
        : reader.view.roleByName(String(roleArg));
  if (role === null)
    throw new KeelError(SqlState.UndefinedObject, `role "${String(roleArg)}" does not exist`);
  if (role.superuser) return true;
  const objectArg = roleArg === null ? args[0] : args[1];
  if (kind === 'table' || kind === 'sequence' || kind === 'column') {
    const relation = relationByText(reader, objectArg ?? null);
    if (relation === null) return false;
    if (relation.ownerOid === role.oid) return true;
    const acl = relation.kind === 'index' ? null : relation.acl;
    const privilege = String(args.at(-1) ?? '').toLowerCase();
    const letter: Record<string, string> = {
      select: 'r',
      insert: 'a',
      update: 'w',
      delete: 'd',
      truncate: 'D',
      references: 'x',
      trigger: 't',
      usage: 'U',
    };
    const wanted = privilege
      .split(',')
      .map((p) => letter[p.trim().replace(/ with grant option$/, '')] ?? '?');
    return (acl ?? []).some((item) => {
      const [grantee = '', rest = ''] = item.split('=');
      const rights = rest.split('/')[0] ?? '';
      return (grantee === '' || grantee === role.name) && wanted.every((w) => rights.includes(w));
    });
  }
  // Schemas, databases and functions: PUBLIC has USAGE/CONNECT/EXECUTE by default.
  const privilege = String(args.at(-1) ?? '').toLowerCase();
  return !privilege.includes('create') || kind === 'database';
}

function serialSequence(reader: EngineCatalogReader, tableName: string, columnName: string): string | null {
  const relation = relationByText(reader, tableName);
  if (relation === null || relation.kind !== 'table')
    throw new KeelError(SqlState.UndefinedTable, `relation "${tableName}" does not exist`);
  const [name] = splitQualifiedName(columnName);
  const column = relation.columns.find((c) => c.name === name && !c.dropped);
  if (column === undefined)
    throw new KeelError(
      SqlState.UndefinedColumn,
      `column "${columnName}" of relation "${relation.name}" does not exist`,
    );
  if (column.identitySequenceOid === null) return null;
  const sequence = reader.view.relation(column.identitySequenceOid);
  if (sequence === null) return null;
  const schema = reader.namespace(sequence.namespaceOid)?.name ?? 'public';
  return `${quote(schema)}.${quote(sequence.name)}`;
}

function quote(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function signalBackend(reader: EngineCatalogReader, pid: number, terminate: boolean): boolean {
  const { engine, session } = reader.context;
  const target = engine.allSessions().find((s) => s.pid === pid);
  if (target === undefined) return false;
  if (!session.options.superuser && target.options.userOid !== session.options.userOid) {
    throw new KeelError(
      SqlState.InsufficientPrivilege,
      `permission denied to ${terminate ? 'terminate' : 'cancel'} process`,
      {
        detail: `Only roles with the SUPERUSER attribute may ${terminate ? 'terminate' : 'cancel'} processes of roles with the SUPERUSER attribute.`,
      },
    );
  }
  // A running statement fails with the error, and FATAL ends its session; an idle session
  // (in a transaction block or not) rolls back and its connection closes at once (onTerminate).
  if (terminate) {
    const error = new KeelError(
      SqlState.AdminShutdown,
      'terminating connection due to administrator command',
      {
        severity: 'FATAL',
      },
    );
    if (target.isRunningStatement) target.raiseInterrupt(error);
    else target.terminate(error);
  } else target.cancel();
  return true;
}

/**
 * pg_notify(channel, payload): NOTIFY in the calling statement's transaction; a NULL payload is
 * ''. Returns void, which PostgreSQL prints as the empty string.
 */
function notifyFromSql(reader: EngineCatalogReader, channel: Value, payload: Value): string {
  const { engine, session } = reader.context;
  const txn = session.block.txn;
  if (txn === null) throw new KeelError(SqlState.InternalError, 'pg_notify called outside a transaction');
  engine.notify(
    txn,
    session.pid,
    channel === null ? '' : String(channel),
    payload === null ? '' : String(payload),
  );
  return '';
}

/** Rows of the set-returning catalog functions (src/sql/functions/catalog-set-functions.ts). */
export function catalogSetFunctionRows(
  reader: EngineCatalogReader,
  name: string,
  _args: readonly Value[],
): Value[][] {
  const { engine, session } = reader.context;
  switch (name) {
    case 'pg_listening_channels':
      return engine.listeningChannels(session).map((channel) => [channel]);
    default:
      throw new KeelError(SqlState.UndefinedFunction, `function ${name} does not exist`);
  }
}

/** Evaluates catalog function `name` over its (non-null) argument values. */
export function callCatalogFunction(
  reader: EngineCatalogReader,
  name: string,
  args: readonly Value[],
): Value {
  const [a0, a1, a2] = args;
  const replication = replicationFunction(reader, name);
  if (replication !== null) return replication.value;
  switch (name) {
    case 'pg_table_is_visible':
      return tableVisible(reader, Number(a0));
    case 'pg_type_is_visible':
    case 'pg_function_is_visible':
      return true;
    case 'pg_get_expr':
      return String(a0);
    case 'pg_get_indexdef': {
      const index = reader.view.relation(Number(a0));
      if (index?.kind !== 'index') return null;
      const column = a1 === undefined ? 0 : Number(a1);
      return column > 0 ? indexColumnDefinition(reader, index, column) : indexDefinition(reader, index);
    }
    case 'pg_get_constraintdef': {
      const found = constraintById(reader, Number(a0));
      return found === null ? null : constraintDefinition(reader, found.table, found.constraint, a1 === true);
    }
    case 'pg_get_viewdef': {
      const relation = relationByText(reader, a0 ?? null);
      return relation?.kind === 'view' ? viewDefinition(relation.query) : null;
    }
    case 'pg_get_userbyid': {
      const oid = Number(a0);
      return reader.view.role(oid)?.name ?? `unknown (OID=${oid})`;
    }
    case 'obj_description': {
      if (a1 === undefined)
        return reader.view.comments().find((c) => c.objectOid === Number(a0) && c.subId === 0)?.text ?? null;
      return description(reader, Number(a0), classOidByName(String(a1)), 0);
    }
    case 'col_description':
      return description(reader, Number(a0), WellKnownOid.pgClass, Number(a1));
    case 'shobj_description':
      return null;
    case 'has_table_privilege':
      return hasPrivilege(reader, 'table', args);
    case 'has_sequence_privilege':
      return hasPrivilege(reader, 'sequence', args);
    case 'has_column_privilege':
      return hasPrivilege(reader, 'column', args);
    case 'has_schema_privilege':
      return hasPrivilege(reader, 'schema', args);
    case 'has_database_privilege':
      return hasPrivilege(reader, 'database', args);
    case 'has_function_privilege':
      return hasPrivilege(reader, 'function', args);
    case 'pg_has_role':
      return reader.context.session.options.superuser || String(a0) === reader.context.session.options.user;
    case 'current_schemas': {
      const names = reader
        .searchPath()
        .map((n) => n.name)
        .filter((n) => a0 === true || n !== 'pg_catalog');
      return makeArray(19, names);
    }
    case 'to_regclass': {
      try {
        return reader.regclassIn(String(a0));
      } catch (error) {
        if (error instanceof KeelError) return null;
        throw error;
      }
    }
    case 'regclassin': {
      const oid = reader.regclassIn(String(a0));
      if (oid === null)
        throw new KeelError(SqlState.UndefinedTable, `relation "${String(a0)}" does not exist`);
      return oid;
    }
    case 'pg_get_serial_sequence':
      return serialSequence(reader, String(a0), String(a1));
    case 'pg_cancel_backend':
      return signalBackend(reader, Number(a0), false);
    case 'pg_terminate_backend':
      return signalBackend(reader, Number(a0), true);
    case 'pg_notify':
      return notifyFromSql(reader, a0 ?? null, a1 ?? null);
    case 'pg_postmaster_start_time':
    case 'pg_conf_load_time':
      return timestampOf(engineStart);
    default:
      void a2;
      throw new KeelError(SqlState.UndefinedFunction, `function ${name} does not exist`);
  }
}
