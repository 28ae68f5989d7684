/**
 * CREATE DATABASE and DROP DATABASE. Each database has its own catalog heap (its own schemas
 * and tables); roles are shared by the cluster. Every database starts empty: TEMPLATE must name
 * an existing database (template1 and template0 exist as in PostgreSQL) but its contents are not
 * copied; IS_TEMPLATE and ALLOW_CONNECTIONS are kept, and a template cannot be dropped (42809). A database with connected sessions cannot be
 * dropped (55006), as in PostgreSQL, unless DROP DATABASE ... WITH (FORCE) first ends them
 * (FATAL 57P01, as pg_terminate_backend) and they leave within 5 seconds.
 * Exports: createDatabase, dropDatabase, DatabaseServices.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CreatedbStmt, DropdbStmt, Node } from '@pgsql/types';
import type { DatabaseInfo, Oid } from '../../catalog/objects.js';
import { constantValue, unwrap } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';

export interface DatabaseServices {
  /** A catalog heap for a new database, with its `public` schema in it. */
  initializeDatabase(database: DatabaseInfo): void;
  sessionsConnectedTo(databaseOid: Oid): number;
  /**
   * DROP DATABASE ... WITH (FORCE): ends every other session on the database and resolves when
   * they are gone, or after `timeoutMs`.
   */
  terminateSessionsOf(databaseOid: Oid, timeoutMs: number): Promise<void>;
  /** Removes every relation file of the database and its catalog once the transaction commits. */
  dropDatabaseStorageAtCommit(database: DatabaseInfo): void;
}

export function createDatabase(stmt: CreatedbStmt, context: DdlContext, services: DatabaseServices): string {
  const name = stmt.dbname ?? '';
  const catalog = context.catalog();
  if (catalog.databaseByName(name) !== null) {
    throw new KeelError(SqlState.DuplicateDatabase, `database "${name}" already exists`);
  }
  let ownerOid = context.currentUserOid;
  let isTemplate = false;
  let allowConnections = true;
  for (const node of stmt.options ?? []) {
    const def = unwrap(node, 'DefElem');
    if (def?.defname === 'owner') {
      const owner = catalog.roleByName(
        String(constantValue(def.arg) ?? unwrap(def.arg, 'RoleSpec')?.rolename ?? ''),
      );
      if (owner === null) throw new KeelError(SqlState.UndefinedObject, 'owner role does not exist');
      ownerOid = owner.oid;
    } else if (def?.defname === 'template') {
      // Every Keel database starts empty: the template must exist, its contents are not copied.
      const template = String(constantValue(def.arg) ?? '');
      if (catalog.databaseByName(template) === null) {
        throw new KeelError(SqlState.InvalidCatalogName, `template database "${template}" does not exist`);
      }
    } else if (def?.defname === 'is_template') {
      isTemplate = booleanOption(def.defname, def.arg);
    } else if (def?.defname === 'allow_connections') {
      allowConnections = booleanOption(def.defname, def.arg);
    } else if (
      def?.defname === 'encoding' ||
      def?.defname === 'locale' ||
      def?.defname === 'lc_collate' ||
      def?.defname === 'lc_ctype' ||
      def?.defname === 'connection_limit' ||
      def?.defname === 'strategy'
    ) {
      // Accepted for compatibility: every Keel database is UTF8 with C collation, created empty.
    } else if (def !== undefined) {
      throw new KeelError(SqlState.SyntaxError, `option "${def.defname ?? ''}" not recognized`);
    }
  }
  const database: DatabaseInfo = {
    kind: 'database',
    oid: context.manager.allocateOid(),
    name,
    ownerOid,
    catalogRelFile: context.storage.createRelFile(context.txn, 'heap'),
    allowConnections,
    connectionLimit: -1,
    isTemplate,
  };
  context.putShared(database);
  services.initializeDatabase(database);
  return 'CREATE DATABASE';
}

/** PostgreSQL's defGetBoolean: no value, true/false/on/off, 1/0. */
function booleanOption(name: string, arg: Node | undefined): boolean {
  if (arg === undefined) return true;
  const value = constantValue(arg);
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  const text = String(value).toLowerCase();
  if (text === 'true' || text === 'on') return true;
  if (text === 'false' || text === 'off') return false;
  throw new KeelError(SqlState.SyntaxError, `${name} requires a Boolean value`);
}

export async function dropDatabase(
  stmt: DropdbStmt,
  context: DdlContext,
  services: DatabaseServices,
): Promise<string> {
  const name = stmt.dbname ?? '';
  const database = context.catalog().databaseByName(name);
  if (database === null) {
    if (stmt.missing_ok) {
      context.notice(`database "${name}" does not exist, skipping`, SqlState.SuccessfulCompletion);
      return 'DROP DATABASE';
    }
    throw new KeelError(SqlState.InvalidCatalogName, `database "${name}" does not exist`);
  }
  if (database.isTemplate === true) {
    throw new KeelError(SqlState.WrongObjectType, 'cannot drop a template database');
  }
  if (database.oid === context.database.oid) {
    throw new KeelError(SqlState.ObjectInUse, 'cannot drop the currently open database');
  }
  let force = false;
  for (const node of stmt.options ?? []) {
    const def = unwrap(node, 'DefElem');
    if (def?.defname === 'force') force = true;
    else if (def !== undefined)
      throw new KeelError(SqlState.SyntaxError, `unrecognized DROP DATABASE option "${def.defname ?? ''}"`);
  }
  if (force) await services.terminateSessionsOf(database.oid, 5000);
  const others = services.sessionsConnectedTo(database.oid);
  if (others > 0) {
    throw new KeelError(SqlState.ObjectInUse, `database "${name}" is being accessed by other users`, {
      detail: `There ${others === 1 ? 'is 1 other session' : `are ${others} other sessions`} using the database.`,
    });
  }
  context.removeShared(database);
  services.dropDatabaseStorageAtCommit(database);
  return 'DROP DATABASE';
}
