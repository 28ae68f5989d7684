/**
 * CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role] and CREATE SCHEMA AUTHORIZATION role.
 * Exports: createSchema.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CreateSchemaStmt } from '@pgsql/types';
import type { DdlContext } from './ddl-context.js';

export function createSchema(stmt: CreateSchemaStmt, context: DdlContext): string {
  const owner = stmt.authrole?.rolename;
  const name = stmt.schemaname ?? owner ?? '';
  if ((stmt.schemaElts?.length ?? 0) > 0) {
    throw new KeelError(SqlState.FeatureNotSupported, 'CREATE SCHEMA with schema elements is not supported');
  }
  if (name.startsWith('pg_')) {
    throw new KeelError(SqlState.ReservedName, `unacceptable schema name "${name}"`, {
      detail: 'The prefix "pg_" is reserved for system schemas.',
    });
  }
  const catalog = context.catalog();
  if (catalog.namespaceByName(name) !== null) {
    if (stmt.if_not_exists) {
      context.notice(`schema "${name}" already exists, skipping`, SqlState.DuplicateSchema);
      return 'CREATE SCHEMA';
    }
    throw new KeelError(SqlState.DuplicateSchema, `schema "${name}" already exists`);
  }
  const ownerRole = owner === undefined ? null : catalog.roleByName(owner);
  if (owner !== undefined && ownerRole === null)
    throw new KeelError(SqlState.UndefinedObject, `role "${owner}" does not exist`);
  context.put({
    kind: 'namespace',
    oid: context.manager.allocateOid(),
    name,
    ownerOid: ownerRole?.oid ?? context.currentUserOid,
  });
  return 'CREATE SCHEMA';
}
