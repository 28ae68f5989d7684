/**
 * What the SQL layer (bind -> plan -> optimize -> execute) needs from the rest of the engine,
 * as interfaces, so that the query processor depends on no concrete catalog, storage or
 * transaction code. The engine's session builds one PlanningContext per statement and one
 * ExecutionContext per execution.
 * Exports: CatalogReader, VirtualTable, SequenceAccess, SessionSettings, PlanningContext,
 * ExecutionContext, LockRequest.
 */

import type { Row, TableAccess, Value } from '../access/table-access.js';
import type {
  Constraint,
  IndexRelation,
  Namespace,
  Oid,
  Relation,
  TableRelation,
} from '../catalog/objects.js';
import type { CatalogResolver } from './types/settings.js';

/** A foreign key of `table` (the referencing side) and the constraint itself. */
export interface ReferencingForeignKey {
  table: TableRelation;
  constraint: Extract<Constraint, { kind: 'foreign' }>;
}

/** A system view computed from the catalog (pg_class, information_schema.columns, ...). */
export interface VirtualTable {
  oid: Oid;
  schema: string;
  name: string;
  columns: { name: string; typeOid: Oid; typmod: number }[];
  /** Rows as of the statement's catalog snapshot. */
  rows(): Row[];
}

/** Catalog lookups as of the statement's catalog snapshot (the transaction's own DDL included). */
export interface CatalogReader {
  readonly databaseName: string;
  readonly databaseOid: Oid;
  /** The effective search_path: existing schemas, pg_catalog first unless listed. */
  searchPath(): Namespace[];
  /** Resolves a possibly schema-qualified name through search_path; user tables and virtual tables. */
  resolveRelation(schema: string | null, name: string): Relation | VirtualTable | null;
  relation(oid: Oid): Relation | null;
  namespace(oid: Oid): Namespace | null;
  namespaceByName(name: string): Namespace | null;
  indexesOf(table: TableRelation): IndexRelation[];
  /**
   * The FOREIGN KEY constraints of other tables (or this one) that reference `table`, for the
   * referenced side's ON DELETE / ON UPDATE actions and checks.
   */
  referencingForeignKeys(table: TableRelation): ReferencingForeignKey[];
  /** Name lookups for regclass/regtype/regproc input and output. */
  regclassIn(name: string): Oid | null;
  regclassOut(oid: Oid): string;
  /**
   * The catalog's own reg* input and output (regproc, regprocedure, regrole, ... with
   * PostgreSQL's errors), when it has them; type-settings.ts falls back to simpler lookups.
   */
  regResolver?(): CatalogResolver;
  /**
   * Catalog functions (pg_get_indexdef, obj_description, has_table_privilege, ...) with their
   * evaluated, non-null arguments; see exec/catalog-calls.ts for the list and signatures.
   */
  callCatalogFunction(name: string, args: readonly Value[]): Value;
}

/** Sequence operations; nextval is not transactional, as in PostgreSQL. */
export interface SequenceAccess {
  nextval(sequenceOid: Oid): bigint;
  currval(sequenceOid: Oid): bigint;
  setval(sequenceOid: Oid, value: bigint, isCalled: boolean): bigint;
  lastval(): bigint;
}

/** Session settings (GUCs) as PostgreSQL's SHOW/current_setting/set_config see them. */
export interface SessionSettings {
  get(name: string): string | undefined;
  /** set_config(name, value, isLocal). Throws 42704 for an unknown setting, 22023 for a bad value. */
  set(name: string, value: string, isLocal: boolean): void;
}

/** A table-level lock the statement needs before it runs (PostgreSQL's lock modes). */
export interface LockRequest {
  relationOid: Oid;
  mode:
    | 'AccessShareLock'
    | 'RowShareLock'
    | 'RowExclusiveLock'
    | 'ShareUpdateExclusiveLock'
    | 'ShareLock'
    | 'ShareRowExclusiveLock'
    | 'ExclusiveLock'
    | 'AccessExclusiveLock';
}

export interface PlanningContext {
  catalog: CatalogReader;
  settings: SessionSettings;
  /** Current user (role name) and session user, for current_user, RLS and privilege checks. */
  currentUser: string;
  sessionUser: string;
  /**
   * The version of the catalog this statement plans against, when plans made against it may be
   * reused (PlanCache). Leave it out (or null) when the transaction sees uncommitted DDL of its
   * own: its catalog then differs from every other session's at the same version.
   */
  catalogVersion?: number | null;
  /** The database the statement plans in: each has its own catalog, so plans are per database. */
  database?: string;
}

export interface ExecutionContext extends PlanningContext {
  access: TableAccess;
  sequences: SequenceAccess;
  /** Bound parameter values ($1 is params[0]), already converted to the parameter types. */
  params: Value[];
  /** Statement and transaction start times (microseconds since 2000-01-01 UTC) for now() etc. */
  statementTimestamp: bigint;
  transactionTimestamp: bigint;
  /** The current time for clock_timestamp(); statement_timestamp() when the engine gives none. */
  clockTimestamp?(): bigint;
  /** Throws 57014 when the statement was cancelled or timed out; call at least once per batch. */
  checkInterrupts(): void;
  /** Lets other sessions run (and cancel requests arrive); await it every few batches of a long loop. */
  yieldToOthers(): Promise<void>;
  notice(severity: 'NOTICE' | 'WARNING' | 'INFO', message: string, sqlstate?: string): void;
  /** pg_backend_pid() and friends. */
  backendPid: number;
  /** Temporary files for sorts and hash tables that exceed work_mem (deleted at statement end). */
  tempDir: string;
}
