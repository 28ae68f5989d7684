/**
 * What DDL statements work with: the transaction, the catalog as it sees it, and the services
 * that change storage. Every handler reads the catalog through `catalog()` (fresh after each of
 * its own changes) and writes through `put`/`remove`, so DDL is transactional: nothing is
 * visible to other sessions until the transaction commits, and a rollback leaves no trace
 * (relation files created by the transaction are removed, drops happen only at commit).
 * Exports: DdlContext, DdlStorage, TypeResolver, ResolvedType, ExpressionChecker.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node, TypeName } from '@pgsql/types';
import type { CatalogManager } from '../../catalog/catalog-manager.js';
import type {
  DatabaseInfo,
  IndexRelation,
  Namespace,
  Oid,
  RelFileNumber,
  SchemaObject,
  SharedObject,
  TableRelation,
} from '../../catalog/objects.js';
import type { SchemaCatalog } from '../../catalog/schema-catalog.js';
import type { LockMode } from '../../txn/lock-modes.js';
import type { Transaction } from '../../txn/transaction.js';

export interface ResolvedType {
  typeOid: Oid;
  typmod: number;
  /** serial, bigserial, smallserial: the integer type plus an owned sequence and default. */
  serial: boolean;
}

/** TypeName (from the parser) to type oid and modifier; 42704 for an unknown type. */
export type TypeResolver = (typeName: TypeName) => ResolvedType;

export interface DdlStorage {
  /** A new, empty relation file; removed again if the transaction rolls back. */
  createRelFile(txn: Transaction, kind: 'heap' | 'btree'): RelFileNumber;
  /** Removes a relation file once (and only if) the transaction commits. */
  dropRelFileAtCommit(txn: Transaction, relFile: RelFileNumber): void;
  /** Fills a new index from its table's live rows, enforcing uniqueness (23505). */
  buildIndex(txn: Transaction, index: IndexRelation, table: TableRelation): Promise<void>;
  /** Removes sequence state of a dropped sequence at commit. */
  dropSequenceAtCommit(txn: Transaction, sequenceOid: Oid): void;
  /** Sets up a new sequence's state. */
  createSequence(txn: Transaction, sequenceOid: Oid, start: bigint): void;
  /** Whether some live row makes `predicate` (SQL text over the table's columns) true. */
  anyRowMatches(txn: Transaction, table: TableRelation, predicate: string): Promise<boolean>;
  /**
   * Rewrites every live row as a new version: rows are read with `before`'s layout, the
   * `columnExprs` (attnum -> SQL text over `before`'s columns) computed per row, and written
   * with `after`'s layout.
   */
  rewriteRows(
    txn: Transaction,
    before: TableRelation,
    after: TableRelation,
    columnExprs: ReadonlyMap<number, string>,
  ): Promise<void>;
  /** Whether some live row of `table` has no matching row in the referenced table (FOREIGN KEY validation). */
  foreignKeyViolated(txn: Transaction, table: TableRelation, constraintName: string): Promise<boolean>;
}

/**
 * Checks a DEFAULT or CHECK expression against the table's columns before it is stored
 * (undefined column 42703, type mismatch 42804, ...): the SQL layer binds it.
 */
export type ExpressionChecker = (
  expression: string,
  table: TableRelation,
  purpose: 'default' | 'check',
  targetType: { typeOid: Oid; typmod: number } | null,
) => void;

export interface DdlContext {
  readonly txn: Transaction;
  readonly database: DatabaseInfo;
  readonly currentUserOid: Oid;
  readonly manager: CatalogManager;
  readonly storage: DdlStorage;
  readonly resolveType: TypeResolver;
  readonly checkExpression: ExpressionChecker;
  /** The catalog as the transaction sees it now. */
  catalog(): SchemaCatalog;
  /** search_path as schema names, "$user" expanded; the first existing one receives new objects. */
  searchPath(): string[];
  put(object: SchemaObject): void;
  remove(object: SchemaObject): void;
  putShared(object: SharedObject): void;
  removeShared(object: SharedObject): void;
  lockRelation(oid: Oid, mode: LockMode, describe: string): Promise<void>;
  /** TRUNCATE: new empty storage for the table and its indexes; the old files go at commit. */
  truncateTable(table: TableRelation): void;
  notice(message: string, sqlstate: string): void;
  /** Raw parse-tree to SQL text. */
  deparse(node: Node): string;
}

/** The namespace that receives new objects: explicit schema, else the first existing search_path entry. */
export function creationNamespace(context: DdlContext, schemaName: string | undefined): Namespace {
  const catalog = context.catalog();
  if (schemaName !== undefined) {
    const namespace = catalog.namespaceByName(schemaName);
    if (namespace === null) throw schemaDoesNotExist(schemaName);
    return namespace;
  }
  for (const name of context.searchPath()) {
    const namespace = catalog.namespaceByName(name);
    if (namespace !== null) return namespace;
  }
  throw noSchemaSelected();
}

export function schemaDoesNotExist(name: string): KeelError {
  return new KeelError(SqlState.InvalidSchemaName, `schema "${name}" does not exist`);
}

function noSchemaSelected(): KeelError {
  return new KeelError(SqlState.InvalidSchemaName, 'no schema has been selected to create in');
}
