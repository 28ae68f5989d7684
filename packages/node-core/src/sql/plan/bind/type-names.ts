/**
 * TypeName -> (oid, typmod), as PostgreSQL's typenameTypeIdAndMod: SQL-standard names
 * (integer, character varying(10), numeric(10,2), timestamp with time zone), pg_catalog-qualified
 * names, array bounds. Unknown names raise 42704 "type "x" does not exist".
 * Exports: resolveTypeName.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TypeName } from '@pgsql/types';
import type { Oid } from '../../../catalog/objects.js';
import { arrayTypeOf, TypeOid, typeOidByName } from '../registry/registry.js';
import { intConst, strings } from './ast.js';

function typmodFor(oid: Oid, mods: number[], name: string): number {
  if (mods.length === 0) return oid === TypeOid.bpchar && name !== 'bpchar' ? 5 : -1;
  if (oid === TypeOid.varchar || oid === TypeOid.bpchar) return (mods[0] ?? 0) + 4;
  if (oid === TypeOid.numeric) {
    const precision = mods[0] ?? 0;
    const scale = mods[1] ?? 0;
    if (precision < 1 || precision > 1000) {
      throw new KeelError(
        SqlState.InvalidParameterValue,
        `NUMERIC precision ${precision} must be between 1 and 1000`,
      );
    }
    return ((precision << 16) | (scale & 0xffff)) + 4;
  }
  return -1;
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
    if (array === null)
      throw new KeelError(SqlState.UndefinedObject, `type "${name}[]" does not exist`, { position });
    return { type: array, typmod: -1 };
  }
  return { type: oid, typmod };
}
