/**
 * Files the engine keeps in the data directory beside the storage engine's (which owns
 * `wal/`, `base/` and the control file):
 * - `keel.json`: written once, last, by initialization; its absence means "not initialized".
 *   It names the cluster-wide catalog heap.
 * - `xact/<segment>`: the commit log, one file per 64 Ki xids, written by checkpoints.
 * - `xact/state.json`: next xid and sequence positions at the last checkpoint.
 * Every write is crash-safe: temporary file, fsync, rename, fsync of the directory.
 * Exports: DataDirectory, EngineMeta, XactState.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';
import type { CommitLog } from '../txn/commit-log.js';

export interface EngineMeta {
  format: 1;
  systemIdentifier: string;
  sharedCatalogRelFile: number;
  createdAt: string;
}

export interface XactState {
  nextXid: number;
  sequences: { oid: number; last: string; isCalled: boolean }[];
}

const META = 'keel.json';

export class DataDirectory {
  constructor(readonly root: string) {}

  isInitialized(): boolean {
    return existsSync(path.join(this.root, META));
  }

  /**
   * Whether the directory holds anything besides files a first start may leave (the admin
   * password, the server's lock file keel.pid) and the cluster's own state (raft/, replication/, quarantine/), which a node that
   * must bootstrap its database again (an interrupted base backup) keeps.
   */
  hasOtherContent(): boolean {
    if (!existsSync(this.root)) return false;
    const kept = new Set([
      'admin-password',
      'keel.pid',
      'lost+found',
      'pgsql_tmp',
      'raft',
      'replication',
      'quarantine',
    ]);
    return readdirSync(this.root).some((name) => !kept.has(name) && !name.startsWith('.'));
  }

  readMeta(): EngineMeta {
    const file = path.join(this.root, META);
    try {
      const meta = JSON.parse(readFileSync(file, 'utf8')) as EngineMeta;
      if (meta.format !== 1) throw new Error(`unknown format ${String(meta.format)}`);
      return meta;
    } catch (error) {
      throw new KeelError(
        SqlState.DataCorrupted,
        `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
        {
          hint: 'The data directory is damaged; restore it from a backup.',
        },
      );
    }
  }

  writeMeta(meta: EngineMeta): void {
    this.writeAtomically(path.join(this.root, META), Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
  }

  loadCommitLog(commitLog: CommitLog): void {
    const dir = path.join(this.root, 'xact');
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (!/^[0-9A-F]{8}$/.test(name)) continue;
      commitLog.loadSegment(Number.parseInt(name, 16), readFileSync(path.join(dir, name)));
    }
  }

  readXactState(): XactState {
    const file = path.join(this.root, 'xact', 'state.json');
    if (!existsSync(file)) return { nextXid: 3, sequences: [] };
    return JSON.parse(readFileSync(file, 'utf8')) as XactState;
  }

  /** Checkpoint: changed commit log segments and the transaction state, each durable. */
  saveTransactionState(segments: { segmentNo: number; bytes: Uint8Array }[], state: XactState): void {
    const dir = path.join(this.root, 'xact');
    mkdirSync(dir, { recursive: true });
    for (const { segmentNo, bytes } of segments) {
      this.writeAtomically(path.join(dir, segmentNo.toString(16).toUpperCase().padStart(8, '0')), bytes);
    }
    this.writeAtomically(path.join(dir, 'state.json'), Buffer.from(JSON.stringify(state)));
  }

  private writeAtomically(file: string, bytes: Uint8Array): void {
    const temporary = `${file}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    const dirFd = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
