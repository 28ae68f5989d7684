/**
 * Comparators for the host's extension of the vote rule (see Env.compareDataPosition). The
 * default accepts every candidate, leaving Raft's own log rule alone. `compareTermLsn` is the
 * rule the replication layer needs: a candidate must hold WAL at least as far as the voter, by
 * (term, LSN) in that order, so a new primary has every commit a quorum acknowledged. A side
 * that reports no position counts as the lowest possible position.
 * Exports: acceptAnyDataPosition, compareTermLsn.
 */
import type { DataPositionComparator } from './io.js';

export const acceptAnyDataPosition: DataPositionComparator = () => 0;

export const compareTermLsn: DataPositionComparator = (candidate, own) => {
  if (own === null) return candidate === null ? 0 : 1;
  if (candidate === null) return -1;
  if (candidate.term !== own.term) return candidate.term < own.term ? -1 : 1;
  if (candidate.lsn === own.lsn) return 0;
  return candidate.lsn < own.lsn ? -1 : 1;
};
