/**
 * The replication functions clients call: pg_is_in_recovery() (true on a hot standby, which is
 * how libpq's target_session_attrs tells a standby from the primary), the primary's WAL positions
 * (pg_current_wal_lsn and its flush and insert variants; 55000 on a standby, as PostgreSQL's
 * "recovery is in progress") and a standby's (pg_last_wal_receive_lsn, pg_last_wal_replay_lsn;
 * NULL on a primary). With keel.read_after_lsn set to pg_current_wal_lsn() read on the primary
 * after a commit, a replica's next query sees that commit.
 * Exports: replicationFunction.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Value } from '../../access/table-access.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { formatLsn } from './replication-views.js';

export function replicationFunction(reader: EngineCatalogReader, name: string): { value: Value } | null {
  const { engine } = reader.context;
  const standby = engine.replication.standby;
  const wal = engine.storage.wal;
  const primaryOnly = (lsn: number): { value: Value } => {
    if (standby !== null) {
      throw new KeelError(SqlState.ObjectNotInPrerequisiteState, 'recovery is in progress', {
        hint: 'WAL control functions cannot be executed during recovery.',
      });
    }
    return { value: formatLsn(lsn) };
  };
  switch (name) {
    case 'pg_is_in_recovery':
      return { value: standby !== null };
    case 'pg_current_wal_lsn':
    case 'pg_current_wal_flush_lsn':
      return primaryOnly(wal.flushedLsn);
    case 'pg_current_wal_insert_lsn':
      return primaryOnly(wal.insertLsn);
    case 'pg_last_wal_receive_lsn':
      return { value: standby === null ? null : formatLsn(wal.flushedLsn) };
    case 'pg_last_wal_replay_lsn':
      return { value: standby === null ? null : formatLsn(standby.replayLsn) };
    default:
      return null;
  }
}
