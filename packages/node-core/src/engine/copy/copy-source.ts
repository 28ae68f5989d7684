/**
 * The relation COPY FROM inserts from. COPY binds one ordinary INSERT ... SELECT whose source is
 * a virtual table, pg_catalog."keel copy source", and runs it once per batch of parsed rows, so
 * defaults, assignment coercion (varchar(n), numeric(p,s)), NOT NULL, CHECK, foreign keys and
 * unique indexes all go through the executor's insert path (ModifyOp and the access layer)
 * instead of a second copy of that logic. The name has a space, so no unquoted identifier
 * reaches it, and it resolves only in the session whose COPY registered it.
 * Exports: COPY_SOURCE_NAME, CopySource, copySourceOf, registerCopySource.
 */
import type { Row } from '../../access/table-access.js';
import type { Oid } from '../../catalog/objects.js';
import type { VirtualTable } from '../../sql/context.js';

export const COPY_SOURCE_NAME = 'keel copy source';

/** A virtual table whose rows are the current batch. */
export class CopySource implements VirtualTable {
  readonly oid = 0;
  readonly schema = 'pg_catalog';
  readonly name = COPY_SOURCE_NAME;
  batch: Row[] = [];

  constructor(readonly columns: { name: string; typeOid: Oid; typmod: number }[]) {}

  rows(): Row[] {
    return this.batch;
  }
}

const sources = new WeakMap<object, CopySource>();

/** The COPY source of a session while its COPY FROM runs. */
export function copySourceOf(session: object): CopySource | null {
  return sources.get(session) ?? null;
}

/** Registers `source` for the session until the returned function is called. */
export function registerCopySource(session: object, source: CopySource): () => void {
  sources.set(session, source);
  return () => {
    if (sources.get(session) === source) sources.delete(session);
  };
}
