/**
 * System views: pg_catalog and information_schema relations computed on demand from the
 * catalog, the settings and the engine's live state. Each view is one module with its columns
 * (PostgreSQL's names and types) and a row function.
 * Exports: systemView, systemNamespaces, SystemViewContext.
 */
import { type Namespace, WellKnownOid } from '../../catalog/objects.js';
import type { VirtualTable } from '../../sql/context.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { systemViewDefinitions } from './definitions.js';

const namespaces: Namespace[] = [
  {
    kind: 'namespace',
    oid: WellKnownOid.pgCatalogNamespace,
    name: 'pg_catalog',
    ownerOid: WellKnownOid.bootstrapSuperuser,
  },
  {
    kind: 'namespace',
    oid: WellKnownOid.informationSchemaNamespace,
    name: 'information_schema',
    ownerOid: WellKnownOid.bootstrapSuperuser,
  },
];

export function systemNamespaces(): readonly Namespace[] {
  return namespaces;
}

export function systemView(schema: string, name: string, reader: EngineCatalogReader): VirtualTable | null {
  const definition = systemViewDefinitions().find((d) => d.schema === schema && d.name === name);
  if (definition === undefined) return null;
  return {
    oid: definition.oid,
    schema,
    name,
    columns: definition.columns.map(([columnName, typeOid]) => ({ name: columnName, typeOid, typmod: -1 })),
    rows: () => definition.rows(reader),
  };
}
