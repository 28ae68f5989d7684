/**
 * The replication layer's view of a node's data (@keel/replication's ReplicationStorage, which
 * this class matches structurally): positions and identity, WAL reading and retention on a
 * primary, appending, flushing and replaying received WAL on a standby, base backups both ways,
 * rewind plans, and the role changes. Every call goes to the ReplicatedEngine's current engine,
 * so it stays valid across swaps.
 * Exports: EngineReplicationStorage.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Engine } from '../engine.js';
import { workSliceMs } from '../utility/work-yield.js';
import { applyBackup, receiveBackup } from './backup-install.js';
import { produceBackup } from './base-backup.js';
import type { EngineCommitGate } from './engine-replication.js';
import type {
  BackupPiece,
  BackupRequest,
  InstallOutcome,
  RewindPlan,
  TermStart,
  WalReadResult,
  XidHorizon,
} from './port-types.js';
import type { ReplicatedEngine } from './replicated-engine.js';
import { planRewind, quarantineDiverged } from './rewind.js';

/** WAL replayed per step of replayWal (its time budget is checked between steps). */
const REPLAY_STEP_BYTES = 64 * 1024;

/** Term of the WAL just before `end` (the last history entry starting below it). */
function termAt(history: readonly TermStart[], end: number): number {
  let term = history[0]?.term ?? 0;
  for (const entry of history) if (entry.lsn < end) term = entry.term;
  return term;
}

export class EngineReplicationStorage {
  constructor(private readonly slot: ReplicatedEngine) {}

  private get engine(): Engine {
    return this.slot.engine;
  }

  private history(): TermStart[] {
    return this.engine.replication.state?.history ?? [{ term: this.engine.storage.wal.currentTerm, lsn: 0 }];
  }

  // ---- both sides ----

  identity(): { systemId: string; history: TermStart[] } {
    return { systemId: this.engine.directory.readMeta().systemIdentifier, history: this.history() };
  }

  positions() {
    const { storage, replication } = this.engine;
    const flushLsn = storage.wal.flushedLsn as number;
    const standby = replication.standby;
    return {
      insertLsn: storage.wal.insertLsn as number,
      flushLsn,
      replayLsn: standby?.replayLsn ?? flushLsn,
      visibleLsn: standby?.visibleLsn ?? flushLsn,
      term: storage.wal.currentTerm,
      lastRecordTerm: termAt(this.history(), flushLsn),
    };
  }

  mode(): 'primary' | 'standby' {
    return this.engine.replication.standby === null ? 'primary' : 'standby';
  }

  // ---- primary side ----

  readWal(from: number, maxBytes: number): WalReadResult {
    const { storage } = this.engine;
    if (from >= storage.wal.flushedLsn) return { kind: 'none' };
    const reader = storage.walReader(from as never);
    try {
      const parts: Buffer[] = [];
      let bytes = 0;
      let end = from;
      for (let record = reader.next(); record !== null; record = reader.next()) {
        parts.push(Buffer.from(record.raw));
        bytes += record.raw.length;
        end = record.endLsn;
        if (bytes >= maxBytes) break;
      }
      if (parts.length > 0) return { kind: 'records', lsn: from, data: Buffer.concat(parts), endLsn: end };
      const stop = reader.stop;
      if (stop === null || stop.reason === 'limit' || stop.reason === 'end-of-wal') return { kind: 'none' };
      return { kind: 'missing', detail: `${stop.reason} at ${stop.lsn}` };
    } finally {
      reader.close();
    }
  }

  retainWal(name: string, lsn: number | null): void {
    this.engine.storage.wal.setRetentionFloor(name, lsn as never);
  }

  xidHorizon(): XidHorizon {
    const { txns, storage } = this.engine;
    let oldest: number = txns.nextXidValue;
    for (const txn of txns.activeTransactions()) {
      for (const xid of txn.committableXids) if (xid < oldest) oldest = xid;
      for (const xid of txn.ownXids) if (xid < oldest) oldest = xid;
    }
    return { oldestRunningXid: oldest, atLsn: storage.wal.insertLsn };
  }

  setCommitGate(gate: EngineCommitGate | null): void {
    this.engine.replication.gate = gate;
  }

  setFenced(fenced: boolean, reason: string): void {
    this.engine.replication.fenced = fenced ? reason : null;
  }

  backup(
    request: BackupRequest,
    log: (fields: Record<string, unknown>, msg: string) => void,
  ): AsyncIterable<BackupPiece> {
    return produceBackup(this.engine, request, log);
  }

  // ---- replica side ----

  appendWal(lsn: number, data: Buffer): number {
    const { wal } = this.engine.storage;
    if (lsn !== wal.insertLsn) {
      throw new KeelError(
        SqlState.ProtocolViolation,
        `received WAL at ${lsn}, but this node's WAL ends at ${wal.insertLsn}`,
      );
    }
    return wal.appendReceived(data, lsn as never);
  }

  async flushWal(): Promise<number> {
    const { wal } = this.engine.storage;
    await wal.flush();
    return wal.flushedLsn;
  }

  /**
   * Replays up to `maxBytes` of flushed WAL, in steps, stopping early once WORK_SLICE_MS passed:
   * the driver yields to the event loop between calls, so Raft heartbeats and the replication
   * stream keep flowing while a large transaction (an index build's WAL) replays.
   */
  replayWal(maxBytes: number): number {
    const standby = this.engine.replication.standby;
    if (standby === null) return this.engine.storage.wal.flushedLsn;
    const started = performance.now();
    let lsn = standby.replayLsn;
    const end = lsn + maxBytes;
    for (;;) {
      const before = lsn;
      lsn = standby.replay(Math.min(REPLAY_STEP_BYTES, end - lsn));
      if (lsn <= before || lsn >= end || performance.now() - started >= workSliceMs()) return lsn;
    }
  }

  setPrimaryVisible(lsn: number): void {
    this.engine.replication.standby?.setPrimaryVisible(lsn);
  }

  applyXidHorizon(horizon: XidHorizon): void {
    this.engine.replication.standby?.applyXidHorizon(horizon.oldestRunningXid, horizon.atLsn);
  }

  adoptHistory(history: TermStart[]): void {
    this.engine.replication.state?.adopt(history, this.engine.storage.wal.insertLsn);
  }

  /**
   * Quarantines what this node wrote past `divergeLsn` (kept whatever happens next: a rewind, or
   * a full base backup when no rewind is possible), then plans the rewind.
   */
  planRewind(divergeLsn: number): RewindPlan | { impossible: string } {
    const log = this.engine.options.logger;
    const quarantine = quarantineDiverged(
      this.engine,
      divergeLsn,
      `the primary of term ${this.history().at(-1)?.term ?? 0}`,
    );
    if ('impossible' in quarantine) {
      log.error(
        { divergeLsn, reason: quarantine.impossible },
        'transactions past the divergence point could not be quarantined',
      );
    } else {
      log.warn(
        { transactions: quarantine.transactions, file: quarantine.file, divergeLsn },
        quarantine.transactions > 0
          ? 'transactions written past the divergence point were quarantined'
          : 'no transactions past the divergence point',
      );
    }
    return planRewind(this.engine, divergeLsn);
  }

  async installBackup(
    pieces: AsyncIterable<BackupPiece>,
    plan: RewindPlan | null,
    onBytes: (done: number, total: number) => void,
  ): Promise<InstallOutcome> {
    const dataDir = this.engine.options.dataDir;
    const received = await receiveBackup(dataDir, pieces, plan, onBytes);
    const quarantined = plan?.transactions ?? 0;
    await this.slot.swap(plan === null ? 'installing a base backup' : 'rewinding to the new primary', () =>
      applyBackup(dataDir, received),
    );
    return { bytes: received.bytes, endLsn: received.endLsn, quarantined };
  }

  // ---- role changes ----

  promote(term: number): Promise<void> {
    return this.engine.replication.promote(this.engine, term);
  }

  demote(reason: string): Promise<void> {
    return this.slot.swap(reason, null);
  }
}
