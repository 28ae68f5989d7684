/**
 * The replication state a data directory keeps in `replication/state.json`: the term history
 * (PostgreSQL's timeline history: the LSN where each term's WAL begins) and the last checkpoints
 * of this node's WAL, which a rewind needs to find one both timelines share. Written atomically
 * (temporary file, fsync, rename, directory fsync); the history is saved before the WAL it
 * describes is written, so it never lags the WAL.
 * Exports: ReplicationStateFile, TermStart, CheckpointRef.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';

export interface TermStart {
  term: number;
  lsn: number;
}

export interface CheckpointRef {
  checkpointLsn: number;
  redoLsn: number;
}

interface StateFile {
  history: TermStart[];
  checkpoints: CheckpointRef[];
}

/** Checkpoints remembered for rewinds (older ones' WAL is usually gone anyway). */
const CHECKPOINTS_KEPT = 64;

function numberField(value: unknown, key: string): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const field: unknown = Reflect.get(value, key);
  return typeof field === 'number' && Number.isSafeInteger(field) ? field : null;
}

function parse(text: string, file: string): StateFile {
  const raw: unknown = JSON.parse(text);
  const history: unknown = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'history') : undefined;
  const checkpoints: unknown =
    typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'checkpoints') : undefined;
  if (!Array.isArray(history) || !Array.isArray(checkpoints)) {
    throw new KeelError(SqlState.DataCorrupted, `replication state ${file} is malformed`);
  }
  const out: StateFile = { history: [], checkpoints: [] };
  for (const entry of history) {
    const term = numberField(entry, 'term');
    const lsn = numberField(entry, 'lsn');
    if (term === null || lsn === null)
      throw new KeelError(SqlState.DataCorrupted, `replication state ${file}: bad history entry`);
    out.history.push({ term, lsn });
  }
  for (const entry of checkpoints) {
    const checkpointLsn = numberField(entry, 'checkpointLsn');
    const redoLsn = numberField(entry, 'redoLsn');
    if (checkpointLsn !== null && redoLsn !== null) out.checkpoints.push({ checkpointLsn, redoLsn });
  }
  return out;
}

export class ReplicationStateFile {
  private state: StateFile;
  private readonly file: string;

  constructor(dataDir: string, initialTerm: number) {
    this.file = path.join(dataDir, 'replication', 'state.json');
    this.state = existsSync(this.file)
      ? parse(readFileSync(this.file, 'utf8'), this.file)
      : { history: [{ term: initialTerm, lsn: 0 }], checkpoints: [] };
    if (this.state.history.length === 0) this.state.history.push({ term: initialTerm, lsn: 0 });
  }

  get history(): TermStart[] {
    return this.state.history.map((e) => ({ ...e }));
  }

  get checkpoints(): CheckpointRef[] {
    return this.state.checkpoints.map((c) => ({ ...c }));
  }

  /** This node starts writing `term` at `lsn` (promotion) or learned that the primary did. */
  addTerm(term: number, lsn: number): void {
    const last = this.state.history.at(-1);
    if (last !== undefined && last.term === term) return;
    if (last !== undefined && term < last.term) {
      throw new KeelError(SqlState.InternalError, `term ${term} after term ${last.term} in the history`);
    }
    this.state.history = [...this.state.history.filter((e) => e.lsn < lsn || e.term < term), { term, lsn }];
    this.save();
  }

  /** The primary's history, for WAL this node streams from it (its own entries past `keep` go). */
  adopt(history: TermStart[], keep: number): void {
    const mine = this.state.history.filter((e) => e.lsn < keep);
    const merged = [...mine];
    for (const entry of history) {
      const last = merged.at(-1);
      if (last === undefined || (entry.term > last.term && entry.lsn >= last.lsn)) merged.push({ ...entry });
    }
    if (JSON.stringify(merged) === JSON.stringify(this.state.history)) return;
    this.state.history = merged;
    this.save();
  }

  /** Replaces everything (a base backup brings the primary's history). */
  reset(history: TermStart[]): void {
    this.state = { history: history.map((e) => ({ ...e })), checkpoints: [] };
    this.save();
  }

  noteCheckpoint(checkpoint: CheckpointRef): void {
    const last = this.state.checkpoints.at(-1);
    if (last !== undefined && last.checkpointLsn >= checkpoint.checkpointLsn) return;
    this.state.checkpoints = [...this.state.checkpoints, checkpoint].slice(-CHECKPOINTS_KEPT);
    this.save();
  }

  private save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const bytes = Buffer.from(`${JSON.stringify(this.state)}\n`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dir = openSync(path.dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
