/**
 * Catalog objects: the schema of one database (namespaces, relations, columns, indexes,
 * constraints, sequences, views, comments) and the cluster-wide objects (roles, databases).
 * These are plain immutable records; the catalog store persists them as MVCC tuples, so DDL is
 * transactional, and the pg_catalog/information_schema views are computed from them.
 *
 * Two rules keep stored rows readable forever:
 * - A column keeps its attnum for life. DROP COLUMN marks it `dropped` (rows still carry its slot),
 *   ADD COLUMN appends; a row shorter than the descriptor reads the missing columns as NULL or
 *   the column's `missingValue` (PostgreSQL's "fast default").
 * - A relation's `relFile` (its storage) can change (TRUNCATE, rewrite) while its oid stays.
 * Exports: Oid, Namespace, Relation (TableRelation | IndexRelation | ViewRelation |
 * SequenceRelation), Column, Constraint, Role, DatabaseInfo, Comment and well-known oids.
 */

export type Oid = number;

/** Storage identifier of a relation's file (allocated by the storage engine). */
export type RelFileNumber = number;

/** PostgreSQL's fixed oids for the objects clients look for by oid. */
export const WellKnownOid = {
  pgCatalogNamespace: 11,
  pgToastNamespace: 99,
  publicNamespace: 2200,
  informationSchemaNamespace: 13_000,
  bootstrapSuperuser: 10,
  /** pg_class's own oid: classid of pg_description rows about relations. */
  pgClass: 1259,
  pgNamespace: 2615,
  pgType: 1247,
  pgProc: 1255,
  pgConstraint: 2606,
  pgDatabase: 1262,
  pgAuthid: 1260,
  heapAm: 2,
  btreeAm: 403,
  /** The first oid handed to user objects, as in PostgreSQL. */
  firstNormalObject: 16_384,
} as const;

export interface Namespace {
  kind: 'namespace';
  oid: Oid;
  name: string;
  ownerOid: Oid;
}

export interface Column {
  /** 1-based position in the row layout; never reused. */
  attnum: number;
  name: string;
  typeOid: Oid;
  /** Type modifier as PostgreSQL encodes it (varchar(n) -> n + 4, numeric(p,s) -> ((p << 16) | s) + 4), or -1. */
  typmod: number;
  notNull: boolean;
  /** The DEFAULT expression as SQL text (re-parsed and bound when used), or null. */
  defaultExpr: string | null;
  /** 'a' GENERATED ALWAYS AS IDENTITY, 'd' BY DEFAULT, or null. */
  identity: 'a' | 'd' | null;
  /** Sequence backing a serial or identity column. */
  identitySequenceOid: Oid | null;
  /** Value of rows written before ADD COLUMN ... DEFAULT <constant> (text form), or null. */
  missingValue: string | null;
  dropped: boolean;
}

export type ForeignKeyAction = 'a' | 'r' | 'c' | 'n' | 'd'; // no action, restrict, cascade, set null, set default

export type Constraint =
  | {
      kind: 'primary' | 'unique';
      oid: Oid;
      name: string;
      columns: number[];
      indexOid: Oid;
    }
  | {
      kind: 'check';
      oid: Oid;
      name: string;
      columns: number[];
      /** The CHECK expression as SQL text. */
      expr: string;
      noInherit: boolean;
    }
  | {
      kind: 'foreign';
      oid: Oid;
      name: string;
      columns: number[];
      refTableOid: Oid;
      refColumns: number[];
      onDelete: ForeignKeyAction;
      onUpdate: ForeignKeyAction;
      matchFull: boolean;
      deferrable: boolean;
      initiallyDeferred: boolean;
    };

interface RelationBase {
  oid: Oid;
  name: string;
  namespaceOid: Oid;
  ownerOid: Oid;
}

export interface TableRelation extends RelationBase {
  kind: 'table';
  relFile: RelFileNumber;
  columns: Column[];
  constraints: Constraint[];
  /** Oids of the table's indexes (their IndexRelation records). */
  indexOids: Oid[];
  /** Planner statistics from ANALYZE, or null before the first ANALYZE. */
  stats: TableStats | null;
  /** Row-level security enabled (ALTER TABLE ... ENABLE ROW LEVEL SECURITY). */
  rowSecurity: boolean;
  /** Access privileges, PostgreSQL aclitem text form ("role=arwdDxt/grantor"), or null for owner-only defaults. */
  acl: string[] | null;
}

export interface IndexKey {
  /** attnum of the indexed column, or 0 for an expression. */
  attnum: number;
  /** SQL text of the key expression when attnum is 0. */
  expr: string | null;
  descending: boolean;
  nullsFirst: boolean;
}

export interface IndexRelation extends RelationBase {
  kind: 'index';
  relFile: RelFileNumber;
  tableOid: Oid;
  keys: IndexKey[];
  /** Non-key columns stored in the leaf (INCLUDE). */
  includeAttnums: number[];
  unique: boolean;
  primary: boolean;
  /** NULLS NOT DISTINCT unique index. */
  nullsNotDistinct: boolean;
  /** Partial index predicate as SQL text, or null. */
  predicate: string | null;
  /** False while CREATE INDEX has not finished building it. */
  valid: boolean;
}

export interface ViewRelation extends RelationBase {
  kind: 'view';
  /** The view's defining query as SQL text. */
  query: string;
  columns: { name: string; typeOid: Oid; typmod: number }[];
  acl: string[] | null;
}

export interface SequenceRelation extends RelationBase {
  kind: 'sequence';
  typeOid: Oid;
  start: bigint;
  increment: bigint;
  min: bigint;
  max: bigint;
  cache: bigint;
  cycle: boolean;
  /** The column that owns the sequence (serial/identity), dropped with it. */
  ownedBy: { tableOid: Oid; attnum: number } | null;
  acl: string[] | null;
}

export type Relation = TableRelation | IndexRelation | ViewRelation | SequenceRelation;

export interface ColumnStats {
  attnum: number;
  nullFraction: number;
  /** Distinct values: positive = count, negative = fraction of rows (as PostgreSQL's stadistinct). */
  distinct: number;
  averageWidth: number;
  /** Most common values in text form with their frequencies. */
  mostCommon: { value: string; frequency: number }[];
  /** Equal-height histogram bounds in text form (excluding the most common values). */
  histogram: string[];
  /** Correlation between physical and logical order, -1..1. */
  correlation: number;
}

export interface TableStats {
  rowCount: number;
  pageCount: number;
  columns: ColumnStats[];
  analyzedAt: string;
}

export interface Comment {
  kind: 'comment';
  /** pg_description's (objoid, classoid, objsubid). */
  objectOid: Oid;
  classOid: Oid;
  subId: number;
  text: string;
}

export interface Role {
  kind: 'role';
  oid: Oid;
  name: string;
  superuser: boolean;
  inherit: boolean;
  createRole: boolean;
  createDb: boolean;
  canLogin: boolean;
  replication: boolean;
  bypassRls: boolean;
  connectionLimit: number;
  /** SCRAM verifier or md5 hash, in PostgreSQL's pg_authid.rolpassword format. */
  password: string | null;
  validUntil: string | null;
  /** Oids of roles this role is a member of. */
  memberOf: Oid[];
}

export interface DatabaseInfo {
  kind: 'database';
  oid: Oid;
  name: string;
  ownerOid: Oid;
  /** Storage of this database's catalog heap. */
  catalogRelFile: RelFileNumber;
  allowConnections: boolean;
  connectionLimit: number;
  /** pg_database.datistemplate: template0 and template1 (absent in catalogs written before them). */
  isTemplate?: boolean;
}

/** Everything a database's catalog heap stores. */
export type SchemaObject = Namespace | Relation | Comment;
/** Everything the cluster-wide catalog heap stores. */
export type SharedObject = Role | DatabaseInfo;
