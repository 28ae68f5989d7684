/**
 * TypeName -> (oid, typmod), as PostgreSQL's typenameTypeIdAndMod: SQL-standard names
 * (integer, character varying(10), numeric(10,2), timestamp with time zone), pg_catalog-qualified
 * names, array bounds. Unknown names raise 42704 "type "x" does not exist".
 * Exports: resolveTypeName.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TypeName } from '@pgsql/types';
import type { Oid } from '../../../catalog/objects.js';
import { typmodFromArgs } from '../../types/typmod.js';
import { arrayTypeOf, TypeOid, typeOidByName } from '../registry/registry.js';
import { intConst, strings } from './ast.js';

function typmodFor(oid: Oid, mods: number[], name: string): number {
  // char without a length is char(1), as PostgreSQL's grammar makes it.
  if (mods.length === 0) return oid === TypeOid.bpchar && name !== 'bpchar' ? 5 : -1;
  // interval typmods (fields, precision) are not applied (see src/sql/types/README.md).
  if (oid === TypeOid.interval) return -1;
  return typmodFromArgs(oid, mods);
}

export function resolveTypeName(typeName: TypeName, position?: number): { type: Oid; typmod: number } {
  const names = strings(typeName.names);
  const schema = names.length > 1 ? names[0] : null;
  const name = names[names.length - 1] ?? '';
  if (schema !== null && schema !== 'pg_catalog') {
    throw new KeelError(SqlState.UndefinedObject, `type "${names.join('.')}" does not exist`, { position });
  }
  const oid = typeOidByName(name);
  if (oid === null)
    throw new KeelError(SqlState.UndefinedObject, `type "${name}" does not exist`, { position });
  const mods = (typeName.typmods ?? []).map((m) => intConst(m) ?? 0);
  const typmod = typmodFor(oid, mods, name);
  if ((typeName.arrayBounds ?? []).length > 0) {
    const array = arrayTypeOf(oid);
    if (array === 0)
      throw new KeelError(SqlState.UndefinedObject, `type "${name}[]" does not exist`, { position });
    return { type: array, typmod };
  }
  return { type: oid, typmod };
}
