/**
 * Text output of the reg* types (regclass, regtype, regproc, regnamespace) needs the catalog:
 * 'child'::regclass prints as child, or public.child when search_path does not find it. The
 * engine hands this resolver to the type I/O of result rows that have a reg* column.
 * Exports: hasRegTypeColumn, catalogResolverFor.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CatalogResolver } from '../../sql/types/settings.js';
import { findType, formatType, typeByName } from '../../sql/types/type-registry.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { quoteIdentifier } from '../catalog-reader.js';

const regTypes = new Set([24, 2205, 2206, 4089]);

export function hasRegTypeColumn(columns: readonly { typeOid: number }[]): boolean {
  return columns.some((c) => regTypes.has(c.typeOid));
}

export function catalogResolverFor(reader: EngineCatalogReader): CatalogResolver {
  return {
    regclassIn: (name) => {
      const oid = reader.regclassIn(name);
      if (oid === null) throw new KeelError(SqlState.UndefinedTable, `relation "${name}" does not exist`);
      return oid;
    },
    regclassOut: (oid) => reader.regclassOut(oid),
    regprocIn: (name) => {
      throw new KeelError(SqlState.UndefinedFunction, `function "${name}" does not exist`);
    },
    regprocOut: (oid) => (oid === 0 ? '-' : String(oid)),
    regnamespaceIn: (name) => {
      const namespace = reader.namespaceByName(name);
      if (namespace === null)
        throw new KeelError(SqlState.InvalidSchemaName, `schema "${name}" does not exist`);
      return namespace.oid;
    },
    regnamespaceOut: (oid) => {
      const namespace = reader.namespace(oid);
      return namespace === null ? String(oid) : quoteIdentifier(namespace.name);
    },
    regtypeIn: (name) => {
      const info = typeByName(name);
      if (info === undefined) throw new KeelError(SqlState.UndefinedObject, `type "${name}" does not exist`);
      return info.oid;
    },
    regtypeOut: (oid) => (findType(oid) === undefined ? String(oid) : formatType(oid)),
  };
}
