/**
 * System views: pg_catalog and information_schema relations computed on demand from the
 * catalog, the settings and the engine's live state (definitions.ts lists them), plus the
 * session-private source relation of a running COPY FROM.
 * Exports: systemView, systemNamespaces.
 */
import type { Namespace } from '../../catalog/objects.js';
import type { VirtualTable } from '../../sql/context.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { COPY_SOURCE_NAME, copySourceOf } from '../copy/copy-source.js';
import { findSystemView } from './definitions.js';
import { systemNamespaceList } from './system-namespaces.js';

export function systemNamespaces(): readonly Namespace[] {
  return systemNamespaceList();
}

export function systemView(schema: string, name: string, reader: EngineCatalogReader): VirtualTable | null {
  if (schema === 'pg_catalog' && name === COPY_SOURCE_NAME) return copySourceOf(reader.context.session);
  const definition = findSystemView(schema, name);
  if (definition === undefined) return null;
  return {
    oid: definition.oid,
    schema,
    name,
    columns: definition.columns,
    rows: () => definition.rows(reader),
  };
}
