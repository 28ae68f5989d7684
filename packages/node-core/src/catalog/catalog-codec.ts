/**
 * Serialization of catalog objects into catalog heap tuples. JSON keeps the format readable in
 * a hex dump and tolerant of added fields (an older row simply lacks them); bigints (sequence
 * bounds) are tagged so they round-trip exactly.
 * Exports: encodeCatalogObject, decodeCatalogObject.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { SchemaObject, SharedObject } from './objects.js';

const BIGINT_TAG = '$bigint';

export function encodeCatalogObject(object: SchemaObject | SharedObject): Uint8Array {
  const json = JSON.stringify(object, (_key, value: unknown) =>
    typeof value === 'bigint' ? { [BIGINT_TAG]: value.toString() } : value,
  );
  return Buffer.from(json, 'utf8');
}

export function decodeCatalogObject(bytes: Uint8Array): SchemaObject | SharedObject {
  try {
    return JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
      (_key, value: unknown) => {
        if (typeof value === 'object' && value !== null && BIGINT_TAG in value) {
          return BigInt(String((value as Record<string, unknown>)[BIGINT_TAG]));
        }
        return value;
      },
    ) as SchemaObject | SharedObject;
  } catch (error) {
    throw new KeelError(SqlState.DataCorrupted, 'catalog tuple is not valid', { cause: error });
  }
}
