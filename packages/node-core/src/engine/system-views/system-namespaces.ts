/**
 * The namespaces that exist in every database without being stored in its catalog:
 * pg_catalog and information_schema, with PostgreSQL's oids.
 * Exports: systemNamespaceList.
 */
import { type Namespace, WellKnownOid } from '../../catalog/objects.js';

const namespaces: readonly Namespace[] = [
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

export function systemNamespaceList(): readonly Namespace[] {
  return namespaces;
}
