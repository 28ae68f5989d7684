/**
 * The system views Keel computes, PostgreSQL's names, column names and types. Rows come from
 * the statement's catalog view, so they are consistent with what the statement itself sees.
 * Exports: SystemViewDefinition, systemViewDefinitions.
 */
import type { Row } from '../../access/table-access.js';
import { WellKnownOid } from '../../catalog/objects.js';
import type { EngineCatalogReader } from '../catalog-reader.js';

const BOOL = 16;
const NAME = 19;
const INT4 = 23;
const TEXT = 25;
const OID = 26;

export interface SystemViewDefinition {
  schema: 'pg_catalog' | 'information_schema';
  name: string;
  oid: number;
  columns: [string, number][];
  rows(reader: EngineCatalogReader): Row[];
}

const definitions: SystemViewDefinition[] = [
  {
    schema: 'pg_catalog',
    name: 'pg_namespace',
    oid: WellKnownOid.pgNamespace,
    columns: [
      ['oid', OID],
      ['nspname', NAME],
      ['nspowner', OID],
    ],
    rows: (reader) => {
      const all = [...reader.view.namespaces(), ...systemNamespaceRows()];
      return all.map((n) => [n.oid, n.name, n.ownerOid]);
    },
  },
  {
    schema: 'pg_catalog',
    name: 'pg_database',
    oid: WellKnownOid.pgDatabase,
    columns: [
      ['oid', OID],
      ['datname', NAME],
      ['datdba', OID],
      ['encoding', INT4],
      ['datallowconn', BOOL],
      ['datconnlimit', INT4],
      ['datcollate', TEXT],
      ['datctype', TEXT],
      ['datistemplate', BOOL],
    ],
    rows: (reader) =>
      reader.view
        .databases()
        .map((d) => [d.oid, d.name, d.ownerOid, 6, d.allowConnections, d.connectionLimit, 'C', 'C', false]),
  },
  {
    schema: 'pg_catalog',
    name: 'pg_roles',
    oid: 11_000,
    columns: [
      ['oid', OID],
      ['rolname', NAME],
      ['rolsuper', BOOL],
      ['rolinherit', BOOL],
      ['rolcreaterole', BOOL],
      ['rolcreatedb', BOOL],
      ['rolcanlogin', BOOL],
      ['rolreplication', BOOL],
      ['rolconnlimit', INT4],
      ['rolpassword', TEXT],
      ['rolbypassrls', BOOL],
    ],
    rows: (reader) =>
      reader.view
        .roles()
        .map((r) => [
          r.oid,
          r.name,
          r.superuser,
          r.inherit,
          r.createRole,
          r.createDb,
          r.canLogin,
          r.replication,
          r.connectionLimit,
          '********',
          r.bypassRls,
        ]),
  },
  {
    schema: 'pg_catalog',
    name: 'pg_tables',
    oid: 11_001,
    columns: [
      ['schemaname', NAME],
      ['tablename', NAME],
      ['tableowner', NAME],
      ['hasindexes', BOOL],
    ],
    rows: (reader) =>
      reader.view
        .relations()
        .filter((r) => r.kind === 'table')
        .map((r) => [
          reader.namespace(r.namespaceOid)?.name ?? '',
          r.name,
          reader.view.role(r.ownerOid)?.name ?? '',
          reader.view.indexesOf(r.oid).length > 0,
        ]),
  },
];

function systemNamespaceRows() {
  return [
    { oid: WellKnownOid.pgCatalogNamespace, name: 'pg_catalog', ownerOid: WellKnownOid.bootstrapSuperuser },
    {
      oid: WellKnownOid.informationSchemaNamespace,
      name: 'information_schema',
      ownerOid: WellKnownOid.bootstrapSuperuser,
    },
  ];
}

export function systemViewDefinitions(): readonly SystemViewDefinition[] {
  return definitions;
}
