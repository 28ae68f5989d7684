/**
 * Cluster-wide and live views: pg_database, pg_roles, pg_authid, pg_user, pg_shadow-free
 * pg_auth_members, pg_settings (the session's settings), pg_stat_activity (the engine's
 * sessions, live), pg_stat_user_tables, and the convenience views pg_tables, pg_views,
 * pg_indexes. Passwords never leave pg_authid, which only superusers may read (42501 otherwise,
 * as PostgreSQL denies it).
 * Exports: clusterRowBuilders.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../access/table-access.js';
import type { Role } from '../../catalog/objects.js';
import { makeArray } from '../../sql/plan/registry/registry.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import type { Session } from '../session.js';
import { durationMs, memoryBytes } from '../setting-specs.js';
import { lockRows, sessionTransactionColumns, tableStatColumns } from '../transaction-status.js';
import { textArray } from './column-types.js';
import { indexDefinition } from './object-definitions.js';

type RowObject = Record<string, Value>;

/** Microseconds since 2000-01-01 UTC: Keel's timestamptz value of a Date. */
function timestampOf(date: Date): bigint {
  return BigInt(date.getTime() - Date.UTC(2000, 0, 1)) * 1000n;
}

function roleRow(role: Role, password: string | null): RowObject {
  return {
    oid: role.oid,
    rolname: role.name,
    rolsuper: role.superuser,
    rolinherit: role.inherit,
    rolcreaterole: role.createRole,
    rolcreatedb: role.createDb,
    rolcanlogin: role.canLogin,
    rolreplication: role.replication,
    rolbypassrls: role.bypassRls,
    rolconnlimit: role.connectionLimit,
    rolpassword: password,
    rolvaliduntil: role.validUntil === null ? null : timestampOf(new Date(role.validUntil)),
    rolconfig: null,
  };
}

function sessionRow(reader: EngineCatalogReader, session: Session): RowObject {
  const { options, activity } = session;
  const txn = session.block.txn;
  const since = timestampOf(activity.since);
  return {
    datid: options.databaseOid,
    datname: options.databaseName,
    pid: options.pid,
    leader_pid: null,
    usesysid: options.userOid,
    usename: options.user,
    application_name: session.settings.value('application_name'),
    client_addr: null,
    client_hostname: null,
    client_port: null,
    backend_start: timestampOf(session.startedAt),
    xact_start: txn === null ? null : txn.startTimestamp,
    query_start: activity.query === '' ? null : since,
    state_change: since,
    wait_event_type: activity.state === 'active' ? null : 'Client',
    wait_event: activity.state === 'active' ? null : 'ClientRead',
    state: activity.state,
    backend_xid: null,
    backend_xmin: null,
    query_id: null,
    query: activity.query,
    backend_type: 'client backend',
    // Lock waits, backend_xid and backend_xmin (transaction-status.ts).
    ...sessionTransactionColumns(reader.context.engine, session),
    // A superuser sees every session's query; others see only their own, as in PostgreSQL.
    ...(reader.context.session.options.superuser || reader.context.session.options.userOid === options.userOid
      ? {}
      : { query: '<insufficient privilege>' }),
  };
}

/** pg_settings.setting of a setting with a unit: the number in that unit ("5s" is 5000 for ms). */
function inSettingUnit(value: string, unit: 'ms' | 'kB' | null): string {
  if (unit === 'ms') return String(durationMs(value));
  if (unit === 'kB') return String(memoryBytes(value) / 1024);
  return value;
}

function settingRows(reader: EngineCatalogReader): RowObject[] {
  return reader.context.session.settings
    .all()
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    .map(({ name, value, spec }) => ({
      name,
      setting: inSettingUnit(value, spec?.kind.unit ?? null),
      unit: spec?.kind.unit ?? null,
      category: 'Client Connection Defaults',
      short_desc: '',
      extra_desc: null,
      context: spec?.readOnly ? 'internal' : 'user',
      vartype: spec?.kind.vartype ?? 'string',
      source: 'default',
      min_val: spec?.kind.min ?? null,
      max_val: spec?.kind.max ?? null,
      enumvals: spec?.kind.enumvals == null ? null : makeArray(25, spec.kind.enumvals),
      boot_val: inSettingUnit(spec?.defaultValue ?? value, spec?.kind.unit ?? null),
      reset_val: inSettingUnit(spec?.defaultValue ?? value, spec?.kind.unit ?? null),
      sourcefile: null,
      sourceline: null,
      pending_restart: false,
    }));
}

function tableStatRows(reader: EngineCatalogReader): RowObject[] {
  return reader.view.relations().flatMap((r) => {
    if (r.kind !== 'table') return [];
    const analyzed = r.stats === null ? null : timestampOf(new Date(r.stats.analyzedAt));
    return [
      {
        relid: r.oid,
        schemaname: reader.namespace(r.namespaceOid)?.name ?? '',
        relname: r.name,
        seq_scan: 0n,
        seq_tup_read: 0n,
        idx_scan: 0n,
        idx_tup_fetch: 0n,
        n_tup_ins: 0n,
        n_tup_upd: 0n,
        n_tup_del: 0n,
        n_tup_hot_upd: 0n,
        n_live_tup: BigInt(r.stats?.rowCount ?? 0),
        n_dead_tup: 0n,
        n_mod_since_analyze: 0n,
        n_ins_since_vacuum: 0n,
        last_analyze: analyzed,
        vacuum_count: 0n,
        autovacuum_count: 0n,
        analyze_count: analyzed === null ? 0n : 1n,
        autoanalyze_count: 0n,
        // Write counters, live/dead estimates, vacuum and analyze history (transaction-status.ts).
        ...tableStatColumns(reader.context.engine, r.oid),
      },
    ];
  });
}

function schemaOf(reader: EngineCatalogReader, namespaceOid: number): string {
  return reader.namespace(namespaceOid)?.name ?? '';
}

function ownerOf(reader: EngineCatalogReader, roleOid: number): string {
  return reader.view.role(roleOid)?.name ?? '';
}

function templateAcl(owner: string): Value {
  return textArray([`=c/${owner}`, `${owner}=CTc/${owner}`]);
}

export const clusterRowBuilders: Record<string, (reader: EngineCatalogReader) => RowObject[]> = {
  pg_database: (reader) =>
    reader.view.databases().map((d) => ({
      oid: d.oid,
      datname: d.name,
      datdba: d.ownerOid,
      encoding: 6,
      datlocprovider: 'c',
      datistemplate: d.isTemplate === true,
      datallowconn: d.allowConnections,
      datconnlimit: d.connectionLimit,
      datfrozenxid: '0',
      datminmxid: '1',
      dattablespace: 1663,
      datcollate: 'C',
      datctype: 'C',
      daticulocale: null,
      datcollversion: null,
      // As initdb grants on the templates: CONNECT to PUBLIC, everything to the owner.
      datacl: d.isTemplate === true ? templateAcl(ownerOf(reader, d.ownerOid)) : null,
    })),
  pg_roles: (reader) => reader.view.roles().map((r) => roleRow(r, '********')),
  pg_authid: (reader) => {
    if (!reader.context.session.options.superuser)
      throw new KeelError(SqlState.InsufficientPrivilege, 'permission denied for table pg_authid');
    return reader.view.roles().map((r) => roleRow(r, r.password));
  },
  pg_user: (reader) =>
    reader.view
      .roles()
      .filter((r) => r.canLogin)
      .map((r) => ({
        usename: r.name,
        usesysid: r.oid,
        usecreatedb: r.createDb,
        usesuper: r.superuser,
        userepl: r.replication,
        usebypassrls: r.bypassRls,
        passwd: '********',
        valuntil: r.validUntil === null ? null : timestampOf(new Date(r.validUntil)),
        useconfig: null,
      })),
  pg_auth_members: (reader) =>
    reader.view.roles().flatMap((r) =>
      r.memberOf.map((roleid) => ({
        oid: r.oid * 1000 + roleid,
        roleid,
        member: r.oid,
        grantor: 10,
        admin_option: false,
      })),
    ),
  pg_settings: settingRows,
  pg_stat_activity: (reader) =>
    reader.context.engine
      .allSessions()
      .sort((a, b) => a.pid - b.pid)
      .map((s) => sessionRow(reader, s)),
  pg_stat_user_tables: tableStatRows,
  pg_stat_all_tables: tableStatRows,
  pg_tables: (reader) =>
    reader.view.relations().flatMap((r) =>
      r.kind !== 'table'
        ? []
        : [
            {
              schemaname: schemaOf(reader, r.namespaceOid),
              tablename: r.name,
              tableowner: ownerOf(reader, r.ownerOid),
              tablespace: null,
              hasindexes: reader.view.indexesOf(r.oid).length > 0,
              hasrules: false,
              hastriggers: r.constraints.some((c) => c.kind === 'foreign'),
              rowsecurity: r.rowSecurity,
            },
          ],
    ),
  pg_views: (reader) =>
    reader.view.relations().flatMap((r) =>
      r.kind !== 'view'
        ? []
        : [
            {
              schemaname: schemaOf(reader, r.namespaceOid),
              viewname: r.name,
              viewowner: ownerOf(reader, r.ownerOid),
              definition: ` ${r.query};`,
            },
          ],
    ),
  pg_indexes: (reader) =>
    reader.view.relations().flatMap((r) => {
      if (r.kind !== 'index') return [];
      const table = reader.view.table(r.tableOid);
      return [
        {
          schemaname: schemaOf(reader, r.namespaceOid),
          tablename: table?.name ?? '',
          indexname: r.name,
          tablespace: null,
          indexdef: indexDefinition(reader, r),
        },
      ];
    }),
  pg_extension: () => [],
  pg_inherits: () => [],
  pg_shdescription: () => [],
  pg_user_mappings: () => [],
  pg_group: () => [],
  pg_prepared_xacts: () => [],
  pg_locks: (reader) => lockRows(reader.context.engine),
  pg_seclabel: () => [],
  pg_default_acl: () => [],
  pg_stat_ssl: () => [],
  pg_stat_replication: () => [],
  pg_replication_slots: () => [],
};
