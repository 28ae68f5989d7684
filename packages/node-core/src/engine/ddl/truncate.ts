/**
 * TRUNCATE [TABLE] name [, ...] [RESTART IDENTITY] [CASCADE | RESTRICT]: each table gets new,
 * empty storage in the current transaction (the old files are removed at commit, kept on
 * rollback), under an AccessExclusiveLock, as in PostgreSQL. A table referenced by a foreign
 * key of a table not truncated with it is refused unless CASCADE.
 * Exports: truncateTables.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TruncateStmt } from '@pgsql/types';
import type { SequenceRelation, TableRelation } from '../../catalog/objects.js';
import { unwrap } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';
import { requireTable } from './names.js';

export async function truncateTables(
  stmt: TruncateStmt,
  context: DdlContext,
  restartSequence: (sequence: SequenceRelation) => void,
): Promise<string> {
  const tables = new Map<number, TableRelation>();
  for (const node of stmt.relations ?? []) {
    const table = requireTable(context, unwrap(node, 'RangeVar'));
    tables.set(table.oid, table);
  }
  const cascade = stmt.behavior === 'DROP_CASCADE';
  const catalog = context.catalog();
  for (let grew = true; grew; ) {
    grew = false;
    for (const other of catalog.relations()) {
      if (other.kind !== 'table' || tables.has(other.oid)) continue;
      const reference = other.constraints.find((c) => c.kind === 'foreign' && tables.has(c.refTableOid));
      if (reference === undefined || reference.kind !== 'foreign') continue;
      if (!cascade) {
        const referenced = tables.get(reference.refTableOid);
        throw new KeelError(
          SqlState.FeatureNotSupported,
          'cannot truncate a table referenced in a foreign key constraint',
          {
            detail: `Table "${other.name}" references "${referenced?.name ?? ''}".`,
            hint: `Truncate table "${other.name}" at the same time, or use TRUNCATE ... CASCADE.`,
          },
        );
      }
      context.notice(`truncate cascades to table "${other.name}"`, SqlState.SuccessfulCompletion);
      tables.set(other.oid, other);
      grew = true;
    }
  }
  for (const table of tables.values()) {
    await context.lockRelation(table.oid, 'AccessExclusiveLock', `relation "${table.name}"`);
    const current = context.catalog().table(table.oid) ?? table;
    context.truncateTable(current);
    if (stmt.restart_seqs) {
      for (const relation of context.catalog().relations()) {
        if (relation.kind === 'sequence' && relation.ownedBy?.tableOid === table.oid)
          restartSequence(relation);
      }
    }
  }
  return 'TRUNCATE TABLE';
}
