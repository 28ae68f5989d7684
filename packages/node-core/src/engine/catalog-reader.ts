/**
 * The SQL layer's window on the catalog for one statement: name resolution through the
 * session's search_path (pg_catalog first unless listed, as PostgreSQL does), relations of the
 * transaction's catalog view, and the system views computed from it (pg_catalog.*,
 * information_schema.*).
 * Exports: EngineCatalogReader.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../access/table-access.js';
import type { IndexRelation, Namespace, Oid, Relation, TableRelation } from '../catalog/objects.js';
import { WellKnownOid } from '../catalog/objects.js';
import type { SchemaCatalog } from '../catalog/schema-catalog.js';
import type { CatalogReader, ReferencingForeignKey, VirtualTable } from '../sql/context.js';
import type { CatalogResolver } from '../sql/types/settings.js';
import type { Engine } from './engine.js';
import type { Session } from './session.js';
import { callCatalogFunction } from './system-views/catalog-functions.js';
import { findSystemViewByOid } from './system-views/definitions.js';
import { systemNamespaces, systemView } from './system-views/index.js';
import { catalogResolverFor } from './system-views/reg-resolver.js';

export class EngineCatalogReader implements CatalogReader {
  readonly databaseName: string;
  readonly databaseOid: Oid;
  private resolver: CatalogResolver | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly session: Session,
    readonly view: SchemaCatalog,
  ) {
    this.databaseName = session.options.databaseName;
    this.databaseOid = session.options.databaseOid;
  }

  /** search_path entries as written, "$user" expanded to the session user. */
  searchPathNames(): string[] {
    return parseSearchPath(this.session.settings.value('search_path')).map((entry) =>
      entry === '$user' ? this.session.options.user : entry,
    );
  }

  searchPath(): Namespace[] {
    const names = this.searchPathNames();
    const out: Namespace[] = [];
    if (!names.includes('pg_catalog')) out.push(this.pgCatalog());
    for (const name of names) {
      const namespace = this.namespaceByName(name);
      if (namespace !== null) out.push(namespace);
    }
    return out;
  }

  resolveRelation(schema: string | null, name: string): Relation | VirtualTable | null {
    if (schema !== null) {
      const namespace = this.namespaceByName(schema);
      if (namespace === null)
        throw new KeelError(SqlState.InvalidSchemaName, `schema "${schema}" does not exist`);
      return this.relationIn(namespace, name);
    }
    for (const namespace of this.searchPath()) {
      const relation = this.relationIn(namespace, name);
      if (relation !== null) return relation;
    }
    return null;
  }

  relation(oid: Oid): Relation | null {
    return this.view.relation(oid);
  }

  namespace(oid: Oid): Namespace | null {
    return this.view.namespace(oid) ?? systemNamespaces().find((n) => n.oid === oid) ?? null;
  }

  namespaceByName(name: string): Namespace | null {
    return this.view.namespaceByName(name) ?? systemNamespaces().find((n) => n.name === name) ?? null;
  }

  indexesOf(table: TableRelation): IndexRelation[] {
    return this.view.indexesOf(table.oid).filter((index) => index.valid);
  }

  referencingForeignKeys(table: TableRelation): ReferencingForeignKey[] {
    const out: ReferencingForeignKey[] = [];
    for (const relation of this.view.relations()) {
      if (relation.kind !== 'table') continue;
      for (const constraint of relation.constraints) {
        if (constraint.kind === 'foreign' && constraint.refTableOid === table.oid)
          out.push({ table: relation, constraint });
      }
    }
    return out;
  }

  regclassIn(name: string): Oid | null {
    // As regclassin: a number is an oid, taken as it is; '-' is the invalid oid 0.
    if (/^\s*\d+\s*$/.test(name)) return Number(name);
    if (name.trim() === '-') return 0;
    const parts = withoutOwnDatabase(splitQualifiedName(name), this.databaseName, 'relation');
    const relation = this.resolveRelation(parts.length > 1 ? (parts[0] ?? null) : null, parts.at(-1) ?? '');
    return relation?.oid ?? null;
  }

  regclassOut(oid: Oid): string {
    const relation = this.view.relation(oid);
    if (relation === null) {
      // System catalogs: unqualified when search_path finds them (pg_catalog always is).
      const system = findSystemViewByOid(oid);
      if (system === undefined) return String(oid);
      const visible = this.resolveRelation(null, system.name);
      return visible !== null && visible.oid === oid
        ? quoteIdentifier(system.name)
        : `${system.schema}.${quoteIdentifier(system.name)}`;
    }
    const visible = this.resolveRelation(null, relation.name)?.oid === oid;
    if (visible) return quoteIdentifier(relation.name);
    const namespace = this.namespace(relation.namespaceOid);
    return `${quoteIdentifier(namespace?.name ?? '?')}.${quoteIdentifier(relation.name)}`;
  }

  regResolver(): CatalogResolver {
    this.resolver ??= catalogResolverFor(this);
    return this.resolver;
  }

  callCatalogFunction(name: string, args: readonly Value[]): Value {
    return callCatalogFunction(this, name, args);
  }

  /** The engine and session behind this reader, for system views that show live state. */
  get context(): { engine: Engine; session: Session } {
    return { engine: this.engine, session: this.session };
  }

  private relationIn(namespace: Namespace, name: string): Relation | VirtualTable | null {
    if (
      namespace.oid === WellKnownOid.pgCatalogNamespace ||
      namespace.oid === WellKnownOid.informationSchemaNamespace
    ) {
      return systemView(namespace.name, name, this);
    }
    return this.view.relationByName(namespace.oid, name);
  }

  private pgCatalog(): Namespace {
    const namespace = systemNamespaces().find((n) => n.oid === WellKnownOid.pgCatalogNamespace);
    if (namespace === undefined) throw new KeelError(SqlState.InternalError, 'pg_catalog namespace missing');
    return namespace;
  }
}

/** search_path's text form ('"$user", public') to its entries, quotes removed. */
export function parseSearchPath(text: string): string[] {
  const entries: string[] = [];
  for (const raw of text.split(',')) {
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    entries.push(trimmed.startsWith('"') ? trimmed.slice(1, -1).replace(/""/g, '"') : trimmed.toLowerCase());
  }
  return entries;
}

/** "a.b", "\"A\".b" -> ['a', 'b'], ['A', 'b']: identifiers folded to lower case unless quoted. */
/**
 * database.schema.name lists (ORMs write them, TypeORM among them): the database part must be
 * the current one, as PostgreSQL requires, and is dropped. PostgreSQL words the errors for
 * relation names (regclass) and other qualified names (regproc) differently; both are kept.
 */
export function withoutOwnDatabase(parts: string[], database: string, kind: 'relation' | 'name'): string[] {
  const text = parts.join('.');
  if (parts.length > 3) {
    const what = kind === 'relation' ? 'relation name' : 'qualified name';
    throw new KeelError(SqlState.SyntaxError, `improper ${what} (too many dotted names): ${text}`);
  }
  if (parts.length < 3) return parts;
  if (parts[0] !== database) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `cross-database references are not implemented: ${kind === 'relation' ? `"${text}"` : text}`,
    );
  }
  return parts.slice(1);
}

export function splitQualifiedName(name: string): string[] {
  const parts: string[] = [];
  const pattern = /\s*("((?:[^"]|"")*)"|[^."]+)\s*(\.|$)/gy;
  for (let match = pattern.exec(name); match !== null && match[0] !== ''; match = pattern.exec(name)) {
    parts.push(match[2] !== undefined ? match[2].replace(/""/g, '"') : (match[1] ?? '').trim().toLowerCase());
  }
  return parts;
}

export function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
