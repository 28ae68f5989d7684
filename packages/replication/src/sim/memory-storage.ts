/**
 * An in-memory ReplicationStorage for the driver's tests: WAL is a byte string of fixed-size
 * "records" (the driver treats WAL as opaque whole records), flushes and replays are immediate,
 * and a commit runs the engine's side of the CommitGate contract (wait before the record, append,
 * register, wait until it may show). Base backups copy the whole WAL; rewinds are impossible, so a
 * diverged node bootstraps. Not for production: it keeps nothing on disk.
 * Exports: MemoryStorage, RECORD_BYTES.
 */
import type {
  BackupPiece,
  CommitGate,
  DataIdentity,
  InstallOutcome,
  ReplicationStorage,
  RewindPlan,
  StoragePositions,
  SyncLevel,
  TermStart,
  WalRead,
  XidHorizon,
} from '../storage-port.js';

export const RECORD_BYTES = 64;

export class MemoryStorage implements ReplicationStorage {
  wal = Buffer.alloc(0);
  flushed = 0;
  replayed = 0;
  visible = 0;
  term = 0;
  history: TermStart[] = [{ term: 0, lsn: 0 }];
  systemId: string;
  standby = true;
  fenced: string | null = null;
  gate: CommitGate | null = null;
  readonly floors = new Map<string, number>();
  readonly calls: string[] = [];

  constructor(systemId: string) {
    this.systemId = systemId;
  }

  /** Appends one local record (a primary's write); returns its end LSN. */
  write(tag: number): number {
    const record = Buffer.alloc(RECORD_BYTES, tag & 0xff);
    this.wal = Buffer.concat([this.wal, record]);
    return this.wal.length;
  }

  /** A commit as the engine runs it. */
  async commit(level: SyncLevel = 'on'): Promise<number> {
    if (this.fenced !== null) throw new Error(this.fenced);
    await this.gate?.beforeCommitRecord(1, level);
    const lsn = this.write(0xcc);
    this.gate?.commitAppended(lsn);
    if (level !== 'off') this.flushed = this.wal.length;
    // synchronous_commit off: the engine's WAL writer flushes a moment later.
    else
      setTimeout(() => {
        this.flushed = Math.max(this.flushed, lsn);
      }, 5);
    await this.gate?.commitVisible(lsn, level, 1);
    return lsn;
  }

  identity(): DataIdentity {
    return { systemId: this.systemId, history: this.history.map((e) => ({ ...e })) };
  }

  positions(): StoragePositions {
    let lastTerm = this.history[0]?.term ?? 0;
    for (const entry of this.history) if (entry.lsn < this.flushed) lastTerm = entry.term;
    return {
      insertLsn: this.wal.length,
      flushLsn: this.flushed,
      replayLsn: this.standby ? this.replayed : this.flushed,
      visibleLsn: this.standby ? this.visible : this.flushed,
      term: this.term,
      lastRecordTerm: lastTerm,
    };
  }

  mode(): 'primary' | 'standby' {
    return this.standby ? 'standby' : 'primary';
  }

  readWal(from: number, maxBytes: number): WalRead {
    if (from >= this.flushed) return { kind: 'none' };
    const floor = Math.min(...this.floors.values(), this.flushed);
    if (from < this.retiredBelow && from < floor) return { kind: 'missing', detail: 'retired' };
    const end = Math.min(this.flushed, from + Math.max(RECORD_BYTES, maxBytes - (maxBytes % RECORD_BYTES)));
    return { kind: 'records', lsn: from, data: Buffer.from(this.wal.subarray(from, end)), endLsn: end };
  }

  /** WAL below this is gone (a checkpoint retired it). */
  retiredBelow = 0;

  retainWal(name: string, lsn: number | null): void {
    if (lsn === null) this.floors.delete(name);
    else this.floors.set(name, lsn);
  }

  xidHorizon(): XidHorizon {
    return { oldestRunningXid: 100, atLsn: this.wal.length };
  }

  setCommitGate(gate: CommitGate | null): void {
    this.gate = gate;
  }

  setFenced(fenced: boolean, reason: string): void {
    this.fenced = fenced ? reason : null;
  }

  async *backup(): AsyncIterable<BackupPiece> {
    this.calls.push('backup');
    yield {
      kind: 'begin',
      mode: 'full',
      systemId: this.systemId,
      history: this.history,
      walSegmentBytes: 1 << 24,
      checkpointLsn: 0,
      redoLsn: 0,
      totalBytes: this.flushed,
    };
    yield { kind: 'wal', lsn: 0, data: Buffer.from(this.wal.subarray(0, this.flushed)) };
    yield { kind: 'end', endLsn: this.flushed, term: this.term, nextRelId: 1 };
  }

  appendWal(lsn: number, data: Buffer): number {
    if (lsn !== this.wal.length) throw new Error(`WAL at ${lsn}, end is ${this.wal.length}`);
    this.wal = Buffer.concat([this.wal, data]);
    return this.wal.length;
  }

  async flushWal(): Promise<number> {
    this.flushed = this.wal.length;
    return this.flushed;
  }

  replayWal(): number {
    this.replayed = this.flushed;
    this.visible = Math.max(this.visible, Math.min(this.primaryVisible, this.replayed));
    return this.replayed;
  }

  /** The primary's visible horizon as last told. */
  primaryVisible = 0;

  setPrimaryVisible(lsn: number): void {
    this.primaryVisible = Math.max(this.primaryVisible, lsn);
    this.visible = Math.max(this.visible, Math.min(lsn, this.replayed));
  }

  applyXidHorizon(): void {}

  adoptHistory(history: TermStart[]): void {
    this.history = history.map((e) => ({ ...e }));
  }

  planRewind(): RewindPlan | { impossible: string } {
    this.calls.push('planRewind');
    return { impossible: 'memory storage cannot rewind' };
  }

  async installBackup(pieces: AsyncIterable<BackupPiece>): Promise<InstallOutcome> {
    this.calls.push('install');
    let wal = Buffer.alloc(0);
    let end = 0;
    for await (const piece of pieces) {
      if (piece.kind === 'begin') {
        this.systemId = piece.systemId;
        this.history = piece.history;
      } else if (piece.kind === 'wal') wal = Buffer.concat([wal, piece.data]);
      else if (piece.kind === 'end') end = piece.endLsn;
    }
    this.wal = wal;
    this.flushed = end;
    this.replayed = end;
    this.visible = 0;
    return { bytes: end, endLsn: end, quarantined: 0 };
  }

  async promote(term: number): Promise<void> {
    this.calls.push(`promote ${term}`);
    this.standby = false;
    if (term > this.term) {
      this.history.push({ term, lsn: this.wal.length });
      this.term = term;
      this.write(0xee);
      this.flushed = this.wal.length;
    }
  }

  async demote(reason: string): Promise<void> {
    this.calls.push(`demote ${reason}`);
    this.standby = true;
    this.replayed = this.flushed;
    this.wal = Buffer.from(this.wal.subarray(0, this.flushed));
  }
}
