/**
 * Roles: CREATE ROLE/USER/GROUP, ALTER ROLE (password, attributes, RENAME is in rename.ts),
 * DROP ROLE, GRANT role TO role. Passwords are stored as SCRAM-SHA-256 verifiers (or kept as
 * given when already hashed, as PostgreSQL does), never in clear text.
 * Exports: createRole, alterRole, dropRoles, grantRole, PasswordHasher.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { AlterRoleStmt, CreateRoleStmt, DropRoleStmt, GrantRoleStmt, Node } from '@pgsql/types';
import { type Role, WellKnownOid } from '../../catalog/objects.js';
import { constantValue, unwrap } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';

/** Turns a clear-text password into the stored verifier. */
export type PasswordHasher = (password: string) => string;

export function createRole(stmt: CreateRoleStmt, context: DdlContext, hash: PasswordHasher): string {
  const name = stmt.role ?? '';
  if (context.catalog().roleByName(name) !== null) {
    throw new KeelError(SqlState.DuplicateObject, `role "${name}" already exists`);
  }
  if (name.startsWith('pg_')) {
    throw new KeelError(SqlState.ReservedName, `role name "${name}" is reserved`, {
      detail: 'Role names starting with "pg_" are reserved.',
    });
  }
  const base: Role = {
    kind: 'role',
    oid: context.manager.allocateOid(),
    name,
    superuser: false,
    inherit: true,
    createRole: false,
    createDb: false,
    canLogin: stmt.stmt_type === 'ROLESTMT_USER',
    replication: false,
    bypassRls: false,
    connectionLimit: -1,
    password: null,
    validUntil: null,
    memberOf: [],
  };
  context.putShared(applyRoleOptions(base, stmt.options ?? [], hash));
  return 'CREATE ROLE';
}

export function alterRole(stmt: AlterRoleStmt, context: DdlContext, hash: PasswordHasher): string {
  const name =
    stmt.role?.rolename ??
    (stmt.role?.roletype === 'ROLESPEC_CURRENT_USER'
      ? context.catalog().role(context.currentUserOid)?.name
      : undefined) ??
    '';
  const role = context.catalog().roleByName(name);
  if (role === null) throw new KeelError(SqlState.UndefinedObject, `role "${name}" does not exist`);
  context.putShared(applyRoleOptions(role, stmt.options ?? [], hash));
  return 'ALTER ROLE';
}

export function dropRoles(stmt: DropRoleStmt, context: DdlContext): string {
  for (const node of stmt.roles ?? []) {
    const name = unwrap(node, 'RoleSpec')?.rolename ?? '';
    const catalog = context.catalog();
    const role = catalog.roleByName(name);
    if (role === null) {
      if (stmt.missing_ok) {
        context.notice(`role "${name}" does not exist, skipping`, SqlState.SuccessfulCompletion);
        continue;
      }
      throw new KeelError(SqlState.UndefinedObject, `role "${name}" does not exist`);
    }
    if (role.oid === context.currentUserOid)
      throw new KeelError(SqlState.ObjectInUse, 'current user cannot be dropped');
    if (role.oid === WellKnownOid.bootstrapSuperuser) {
      throw new KeelError(
        SqlState.ObjectInUse,
        `cannot drop role ${name} because it is required by the database system`,
      );
    }
    const owned = catalog.relations().filter((r) => r.ownerOid === role.oid);
    if (owned.length > 0) {
      throw new KeelError(
        SqlState.DependentObjectsStillExist,
        `role "${name}" cannot be dropped because some objects depend on it`,
        {
          detail: owned.map((r) => `owner of ${r.kind} ${r.name}`).join('\n'),
        },
      );
    }
    context.removeShared(role);
  }
  return 'DROP ROLE';
}

export function grantRole(stmt: GrantRoleStmt, context: DdlContext): string {
  const catalog = context.catalog();
  for (const grantedNode of stmt.granted_roles ?? []) {
    const grantedName = unwrap(grantedNode, 'AccessPriv')?.priv_name ?? '';
    const granted = catalog.roleByName(grantedName);
    if (granted === null)
      throw new KeelError(SqlState.UndefinedObject, `role "${grantedName}" does not exist`);
    for (const granteeNode of stmt.grantee_roles ?? []) {
      const granteeName = unwrap(granteeNode, 'RoleSpec')?.rolename ?? '';
      const grantee = context.catalog().roleByName(granteeName);
      if (grantee === null)
        throw new KeelError(SqlState.UndefinedObject, `role "${granteeName}" does not exist`);
      const memberOf = stmt.is_grant
        ? [...new Set([...grantee.memberOf, granted.oid])]
        : grantee.memberOf.filter((oid) => oid !== granted.oid);
      context.putShared({ ...grantee, memberOf });
    }
  }
  return stmt.is_grant ? 'GRANT ROLE' : 'REVOKE ROLE';
}

function applyRoleOptions(role: Role, options: Node[], hash: PasswordHasher): Role {
  const out = { ...role };
  for (const node of options) {
    const def = unwrap(node, 'DefElem');
    if (def === undefined) continue;
    const value = constantValue(def.arg);
    const flag = value === true || value === 1;
    switch (def.defname) {
      case 'password':
        out.password = value === null || value === undefined ? null : storedPassword(String(value), hash);
        break;
      case 'superuser':
        out.superuser = flag;
        break;
      case 'createdb':
        out.createDb = flag;
        break;
      case 'createrole':
        out.createRole = flag;
        break;
      case 'inherit':
        out.inherit = flag;
        break;
      case 'canlogin':
        out.canLogin = flag;
        break;
      case 'isreplication':
        out.replication = flag;
        break;
      case 'bypassrls':
        out.bypassRls = flag;
        break;
      case 'connectionlimit':
        out.connectionLimit = Number(value);
        break;
      case 'validUntil':
        out.validUntil = value === null || value === undefined ? null : String(value);
        break;
      case 'addroleto':
      case 'rolemembers':
      case 'adminmembers':
      case 'sysid':
        break;
      default:
        throw new KeelError(SqlState.SyntaxError, `option "${def.defname ?? ''}" not recognized`);
    }
  }
  return out;
}

function storedPassword(password: string, hash: PasswordHasher): string {
  if (/^SCRAM-SHA-256\$\d+:[^$]+\$[^:]+:.+$/.test(password) || /^md5[0-9a-f]{32}$/.test(password))
    return password;
  return hash(password);
}
