/**
 * The shapes the replication layer exchanges with the engine, declared here because node-core
 * does not depend on @keel/replication (the dependency points the other way: STYLE.md). They
 * mirror @keel/replication's storage-port.ts field for field; the server, which imports both,
 * passes ReplicatedEngine.replicationStorage where a ReplicationStorage is expected, so the
 * compiler checks that they still match.
 * Exports: TermStart, WalReadResult, RelationBlocks, RewindPlan, BackupRequest, BackupPiece,
 * XidHorizon, InstallOutcome.
 */
export type { TermStart } from './replication-state.js';

import type { TermStart } from './replication-state.js';

export type WalReadResult =
  | { kind: 'records'; lsn: number; data: Buffer; endLsn: number }
  | { kind: 'none' }
  | { kind: 'missing'; detail: string };

export interface RelationBlocks {
  relFile: number;
  pages: number[] | 'whole';
}

export interface RewindPlan {
  divergeLsn: number;
  checkpointLsn: number;
  redoLsn: number;
  relations: RelationBlocks[];
  transactions: number;
}

export type BackupRequest = { mode: 'full' } | { mode: 'rewind'; plan: RewindPlan };

export type BackupPiece =
  | {
      kind: 'begin';
      mode: 'full' | 'rewind';
      systemId: string;
      history: TermStart[];
      walSegmentBytes: number;
      checkpointLsn: number;
      redoLsn: number;
      totalBytes: number;
    }
  | { kind: 'file'; path: string; offset: number; data: Buffer; size: number }
  | { kind: 'remove'; path: string }
  | { kind: 'wal'; lsn: number; data: Buffer }
  | { kind: 'end'; endLsn: number; term: number; nextRelId: number };

export interface XidHorizon {
  oldestRunningXid: number;
  atLsn: number;
}

export interface InstallOutcome {
  bytes: number;
  endLsn: number;
  quarantined: number;
}
