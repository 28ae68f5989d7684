/**
 * What the replication driver needs from the node's data: the port node-core's engine glue
 * (packages/node-core/src/engine/replica/replication-storage.ts) implements, so that this package
 * depends on no database code (STYLE.md: replication needs only errors). Positions are LSNs: byte
 * positions in the WAL, JS numbers below 2^53 (storage README). WAL travels as whole framed
 * records, byte for byte as the primary wrote them.
 *
 * Primary side: read WAL, hold it for replicas (retention floors), install the commit gate that
 * makes commits wait for the quorum and become visible in commit-LSN order, stream base backups.
 * Replica side: append, flush and replay received WAL, publish commits up to the primary's
 * visible horizon, install a base backup or a rewind. Role changes: promote, demote, fence.
 * Exports: ReplicationStorage, TermStart, DataIdentity, StoragePositions, WalRead, CommitGate,
 * SyncLevel, XidHorizon, BackupRequest, BackupPiece, RewindPlan, RelationBlocks, InstallOutcome.
 */

/** WAL from `lsn` on was written in `term` (PostgreSQL's timeline history, one entry per term). */
export interface TermStart {
  term: number;
  lsn: number;
}

export interface DataIdentity {
  /** Fixed when a data directory is created or installed from a base backup. */
  systemId: string;
  /** Ascending by lsn (and term). */
  history: TermStart[];
}

export interface StoragePositions {
  insertLsn: number;
  flushLsn: number;
  replayLsn: number;
  /** Commits up to here are visible on this node. */
  visibleLsn: number;
  /** Term stamped on WAL written now (primary) or of the last durable record. */
  term: number;
  /** Term of the last durable record (the vote rule's term). */
  lastRecordTerm: number;
}

export type WalRead =
  | { kind: 'records'; lsn: number; data: Buffer; endLsn: number }
  | { kind: 'none' }
  | { kind: 'missing'; detail: string };

/** PostgreSQL's synchronous_commit levels. */
export type SyncLevel = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

/** The hooks the engine calls on every commit while the replication layer is primary. */
export interface CommitGate {
  /**
   * Before a write transaction writes its commit record. Resolves at once when the quorum is
   * available; waits while too few replicas stream; rejects (the transaction rolls back) after
   * the sync timeout.
   */
  beforeCommitRecord(pid: number, level: SyncLevel): Promise<void>;
  /** A commit record ending at `lsn` was appended; called synchronously, in WAL order. */
  commitAppended(lsn: number): void;
  /**
   * The commit at `lsn` is durable locally (or written, with synchronous_commit off). Resolves
   * when it may become visible: after every earlier commit, and after the quorum acknowledged it.
   */
  commitVisible(lsn: number, level: SyncLevel, pid: number): Promise<void>;
}

/** The primary's oldest running xid as of an LSN: standbys forget older unfinished xids there. */
export interface XidHorizon {
  oldestRunningXid: number;
  atLsn: number;
}

/** Pages of one relation file to fetch in a rewind ('whole': the file, or its removal). */
export interface RelationBlocks {
  relFile: number;
  pages: number[] | 'whole';
}

/** What a former primary needs from the new one to rewind (computed from its own WAL). */
export interface RewindPlan {
  /** Where its WAL left the new primary's timeline. */
  divergeLsn: number;
  /** A checkpoint both timelines share (at or before divergeLsn): redo restarts there. */
  checkpointLsn: number;
  redoLsn: number;
  relations: RelationBlocks[];
  /** Transactions with records past divergeLsn (quarantined). */
  transactions: number;
}

export type BackupRequest = { mode: 'full' } | { mode: 'rewind'; plan: RewindPlan };

/**
 * One piece of a base backup stream, in order: begin, files (and removals), wal, end. Paths are
 * relative to the data directory; `offset` places `data` in the file.
 */
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

export type InstallOutcome = { bytes: number; endLsn: number; quarantined: number };

export interface ReplicationStorage {
  // ---- both sides ----
  identity(): DataIdentity;
  positions(): StoragePositions;
  /** 'primary' after promote, 'standby' otherwise. */
  mode(): 'primary' | 'standby';

  // ---- primary side ----
  /** Whole records from `from` (a record boundary) up to the flush LSN, at most ~maxBytes. */
  readWal(from: number, maxBytes: number): WalRead;
  /** Holds WAL from `lsn` on for `name` (null releases). */
  retainWal(name: string, lsn: number | null): void;
  xidHorizon(): XidHorizon;
  setCommitGate(gate: CommitGate | null): void;
  /** New write transactions fail with 25006 while fenced (a commit already waiting keeps waiting). */
  setFenced(fenced: boolean, reason: string): void;
  /** Streams a base backup (full) or the pages a rewind needs. */
  backup(
    request: BackupRequest,
    log: (fields: Record<string, unknown>, msg: string) => void,
  ): AsyncIterable<BackupPiece>;

  // ---- replica side ----
  /** Appends received records at `lsn` (must be the current end); returns the write LSN. */
  appendWal(lsn: number, data: Buffer): number;
  /** Makes appended WAL durable; resolves with the flush LSN. */
  flushWal(): Promise<number>;
  /** Replays flushed records, about `maxBytes` at most per call; returns the replay LSN. */
  replayWal(maxBytes: number): number;
  /** Commits up to min(lsn, replay LSN) become visible (the primary's visible horizon). */
  setPrimaryVisible(lsn: number): void;
  applyXidHorizon(horizon: XidHorizon): void;
  /** Term history learned from the primary (entries past the local WAL may be included). */
  adoptHistory(history: TermStart[]): void;
  /** A rewind plan against divergence at `divergeLsn`, or why none is possible. */
  planRewind(divergeLsn: number): RewindPlan | { impossible: string };
  /** Replaces the data directory's content with a backup (reopening the engine as a standby). */
  installBackup(
    pieces: AsyncIterable<BackupPiece>,
    plan: RewindPlan | null,
    onBytes: (done: number, total: number) => void,
  ): Promise<InstallOutcome>;

  // ---- role changes ----
  /** Standby -> primary in place (or a primary into a new term): returns once writable. */
  promote(term: number): Promise<void>;
  /** Primary -> standby: the engine is reopened read-only; sessions end with 57P01. */
  demote(reason: string): Promise<void>;
}
