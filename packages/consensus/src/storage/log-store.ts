/**
 * LogStore: the durable side of a Raft node, in a directory of three files:
 *
 *   hardstate   term, vote and commit (hard-state-file.ts)
 *   snapshot    the latest snapshot (snapshot-file.ts)
 *   log         the entries after the snapshot, as records `length u32 | crc32c u32 | entry`
 *
 * `persist` makes one core `persist` output durable, in the order the core's contract requires:
 *   1. a changed term or vote is written and fsynced first, so no durable entry or snapshot can
 *      carry a term the durable hard state has not reached;
 *   2. a snapshot replaces the old one atomically, then the log is rewritten without the entries
 *      it covers (all of them if the log disagrees with the snapshot at its index);
 *   3. entries: a truncation is made durable before anything is written over it (otherwise a
 *      crash could resurrect stale records after new ones), then records are appended with one
 *      fdatasync;
 *   4. a commit-only change is written last, unsynced.
 *
 * Loading reads records until the first one that is short, fails its checksum, or does not
 * continue the log (a stale record behind an unsynced truncation); that is a torn tail from a
 * crash during a write nobody was told had succeeded, and the file is cut back to the last good
 * record. Caveat: a checksum failure in the middle of acknowledged data (bit rot) looks the same
 * and is truncated too; the node then catches up from the leader.
 * Exports: LogStore, StoredState.
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { assert, KeelError, SqlState } from '@keel/errors';
import { crc32c } from '@node-rs/crc32';
import type { Logger } from '../logger.js';
import type { Output } from '../raft/io.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import { DecodeError, decodeEntry, encodeEntry } from './entry-codec.js';
import { HardStateFile } from './hard-state-file.js';
import { readSnapshotFile, syncDirectory, writeSnapshotFile } from './snapshot-file.js';

type Persist = Extract<Output, { kind: 'persist' }>;

export interface StoredState {
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

const recordHeaderBytes = 8;
/** Read-write, created if missing. Not append mode: Linux ignores write positions under O_APPEND. */
const readWriteCreate = constants.O_RDWR | constants.O_CREAT;

function encodeRecord(entry: Entry): Buffer {
  const payload = encodeEntry(entry);
  const out = Buffer.allocUnsafe(recordHeaderBytes + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload), 4);
  out.set(payload, recordHeaderBytes);
  return out;
}

interface ParsedLog {
  readonly entries: Entry[];
  readonly offsets: number[];
  /** Bytes of valid records; anything after is a torn tail. */
  readonly validBytes: number;
}

function parseLog(bytes: Buffer): ParsedLog {
  const entries: Entry[] = [];
  const offsets: number[] = [];
  let pos = 0;
  while (pos + recordHeaderBytes <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const end = pos + recordHeaderBytes + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(pos + recordHeaderBytes, end);
    if (crc32c(payload) !== bytes.readUInt32BE(pos + 4)) break;
    let entry: Entry;
    try {
      entry = decodeEntry(payload);
    } catch (cause) {
      if (cause instanceof DecodeError) break;
      throw cause;
    }
    const prev = entries[entries.length - 1];
    if (prev !== undefined && (entry.index !== prev.index + 1 || entry.term < prev.term)) break;
    entries.push(entry);
    offsets.push(pos);
    pos = end;
  }
  return { entries, offsets, validBytes: pos };
}

export class LogStore {
  private busy = false;
  /** Byte offset of each stored entry's record, and its term, by position after the snapshot. */
  private offsets: number[];
  private terms: number[];
  private firstIndex: number;
  private size: number;
  private durable: HardState | null;

  private constructor(
    private readonly dir: string,
    private logFile: FileHandle,
    private readonly hardStateFile: HardStateFile,
    private readonly hardStateHandle: FileHandle,
    private readonly loaded: StoredState,
    offsets: number[],
    size: number,
    private readonly logger: Logger,
  ) {
    this.offsets = offsets;
    this.terms = loaded.entries.map((e) => e.term);
    this.firstIndex = (loaded.snapshot?.meta.index ?? 0) + 1;
    this.size = size;
    this.durable = loaded.hardState;
  }

  /** Opens (creating if needed) the store in `dir`, repairing a torn log tail. */
  static async open(dir: string, logger: Logger): Promise<LogStore> {
    try {
      await mkdir(dir, { recursive: true });
      const hsHandle = await open(path.join(dir, 'hardstate'), readWriteCreate);
      const hardStateFile = await HardStateFile.open(hsHandle);
      const snapshot = await readSnapshotFile(path.join(dir, 'snapshot'));
      const logPath = path.join(dir, 'log');
      const bytes = await readFile(logPath).catch((error: unknown) => {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return Buffer.alloc(0);
        throw error;
      });
      const parsed = parseLog(bytes);
      let logFile = await open(logPath, readWriteCreate);
      if (parsed.validBytes < bytes.length) {
        logger.warn(
          { dir, validBytes: parsed.validBytes, tornBytes: bytes.length - parsed.validBytes },
          'truncating torn log tail',
        );
        await logFile.truncate(parsed.validBytes);
        await logFile.datasync();
      }
      let { entries, offsets } = parsed;
      let size = parsed.validBytes;
      if (snapshot !== null) {
        const kept = entriesAfterSnapshot(entries, snapshot);
        if (kept.length !== entries.length) {
          const from = kept.length === 0 ? size : (offsets[entries.length - kept.length] ?? size);
          logFile = await rewriteLog(dir, logFile, from, size);
          offsets = offsets.slice(entries.length - kept.length).map((o) => o - from);
          size -= from;
          entries = kept;
        }
      }
      checkLoaded(dir, hardStateFile.initial(), snapshot, entries);
      const loaded: StoredState = { hardState: hardStateFile.initial(), snapshot, entries };
      return new LogStore(dir, logFile, hardStateFile, hsHandle, loaded, offsets, size, logger);
    } catch (cause) {
      if (cause instanceof KeelError) throw cause;
      throw new KeelError(SqlState.IoError, `cannot open raft log store in ${dir}`, { cause });
    }
  }

  /** The state found on disk when the store was opened. */
  initialState(): StoredState {
    return this.loaded;
  }

  lastIndex(): number {
    return this.firstIndex + this.terms.length - 1;
  }

  /** Makes one persist output durable (see the header for the order of operations). */
  async persist(p: Persist): Promise<void> {
    assert(!this.busy, 'concurrent persist on one log store');
    this.busy = true;
    try {
      const hs = p.hardState;
      const was = this.durable;
      const termOrVote = hs !== null && (was === null || hs.term !== was.term || hs.vote !== was.vote);
      if (hs !== null && termOrVote) {
        await this.hardStateFile.save(hs);
        this.durable = hs;
      }
      if (p.snapshot !== null) await this.saveSnapshot(p.snapshot);
      if (p.entries.length > 0) await this.append(p.entries);
      if (hs !== null && !termOrVote) await this.hardStateFile.saveCommit(hs.commit);
    } catch (cause) {
      if (cause instanceof KeelError) throw cause;
      throw new KeelError(SqlState.IoError, `raft log store write failed in ${this.dir}`, { cause });
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    await this.logFile.close();
    await this.hardStateHandle.close();
  }

  private async append(entries: readonly Entry[]): Promise<void> {
    const first = entries[0];
    assert(first !== undefined, 'append of no entries');
    assert(first.index >= this.firstIndex, `append at ${first.index} reaches into the snapshot`);
    if (first.index <= this.lastIndex()) {
      const k = first.index - this.firstIndex;
      this.size = this.offsets[k] ?? this.size;
      this.offsets.length = k;
      this.terms.length = k;
      await this.logFile.truncate(this.size);
      await this.logFile.datasync();
    }
    assert(
      first.index === this.lastIndex() + 1,
      `append at ${first.index} leaves a gap after ${this.lastIndex()}`,
    );
    const records = entries.map(encodeRecord);
    const bytes = Buffer.concat(records);
    await this.logFile.write(bytes, 0, bytes.length, this.size);
    await this.logFile.datasync();
    for (let k = 0; k < records.length; k++) {
      this.offsets.push(this.size);
      this.terms.push(entries[k]?.term ?? 0);
      this.size += records[k]?.length ?? 0;
    }
  }

  private async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await writeSnapshotFile(this.dir, path.join(this.dir, 'snapshot'), snapshot);
    const { index, term } = snapshot.meta;
    const k = index - this.firstIndex;
    const matches = k >= 0 && k < this.terms.length && this.terms[k] === term;
    const keepFrom = matches ? k + 1 : this.terms.length;
    const from = this.offsets[keepFrom] ?? this.size;
    this.logFile = await rewriteLog(this.dir, this.logFile, from, this.size);
    this.offsets = this.offsets.slice(keepFrom).map((o) => o - from);
    this.terms = this.terms.slice(keepFrom);
    this.size -= from;
    this.firstIndex = index + 1;
    this.logger.debug({ index, term, keptEntries: this.terms.length }, 'snapshot saved, log compacted');
  }
}

/** The entries a snapshot leaves: those after it, if the log agrees with it at its index. */
function entriesAfterSnapshot(entries: Entry[], snapshot: Snapshot): Entry[] {
  const { index, term } = snapshot.meta;
  const at = entries.find((e) => e.index === index);
  if (at !== undefined && at.term !== term) return [];
  const kept = entries.filter((e) => e.index > index);
  return kept[0] === undefined || kept[0].index === index + 1 ? kept : [];
}

/** Replaces the log file with its bytes [from, size), atomically; returns the new handle. */
async function rewriteLog(dir: string, old: FileHandle, from: number, size: number): Promise<FileHandle> {
  const logPath = path.join(dir, 'log');
  const tmp = `${logPath}.tmp`;
  const keep = Buffer.alloc(size - from);
  if (keep.length > 0) await old.read(keep, 0, keep.length, from);
  const fh = await open(tmp, 'w');
  try {
    await fh.write(keep, 0, keep.length, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, logPath);
  await syncDirectory(dir);
  await old.close();
  return open(logPath, readWriteCreate);
}

function checkLoaded(dir: string, hs: HardState | null, snapshot: Snapshot | null, entries: Entry[]): void {
  const first = entries[0];
  const expectedFirst = (snapshot?.meta.index ?? 0) + 1;
  if (first !== undefined && first.index !== expectedFirst) {
    throw new KeelError(
      SqlState.DataCorrupted,
      `raft log in ${dir} starts at ${first.index}, expected ${expectedFirst}`,
    );
  }
  const lastTerm = entries[entries.length - 1]?.term ?? snapshot?.meta.term ?? 0;
  if ((hs?.term ?? 0) < lastTerm) {
    throw new KeelError(
      SqlState.DataCorrupted,
      `raft hard state term ${hs?.term ?? 0} in ${dir} is below log term ${lastTerm}`,
    );
  }
}
