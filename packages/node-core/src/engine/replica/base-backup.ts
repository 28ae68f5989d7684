/**
 * The primary's side of a base backup (PostgreSQL's pg_basebackup with WAL streamed alongside):
 *   1. hold WAL, run a checkpoint: its redo LSN R is where the copy's recovery starts (a rewind
 *      starts at the shared checkpoint its plan names instead, which must still be held here);
 *   2. copy files while the primary keeps running (a "fuzzy" copy): keel.json, the commit log
 *      and transaction state (saved by that checkpoint, so they cover everything before R), and
 *      the relation files (a rewind: only the pages and files its plan lists). Reads are
 *      synchronous, so no page is read half-written by this process; pages changed during the
 *      copy are repaired by replay, because their first change after R is a full-page image;
 *   3. ship the WAL from R to the flush LSN at the end of the copy: replaying it makes the copy
 *      consistent (PostgreSQL's minimum recovery point);
 *   4. `end` carries what the replica's control file needs.
 * Progress goes to the log about every 10% of the bytes.
 * Exports: produceBackup.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';
import { PAGE_SIZE } from '../../storage/page/page-layout.js';
import { RmgrId, XlogInfo } from '../../wal/wal-record.js';
import type { Engine } from '../engine.js';
import type { BackupPiece, BackupRequest } from './port-types.js';

const CHUNK_BYTES = 1024 * 1024;

type Log = (fields: Record<string, unknown>, msg: string) => void;

interface FileJob {
  path: string;
  /** Page ranges to copy; null: the whole file. */
  pages: number[] | null;
}

let backupSerial = 0;

export async function* produceBackup(
  engine: Engine,
  request: BackupRequest,
  log: Log,
): AsyncGenerator<BackupPiece> {
  const { storage } = engine;
  const floor = `backup:${++backupSerial}`;
  storage.wal.setRetentionFloor(floor, storage.wal.insertLsn);
  try {
    const checkpoint = await storage.checkpoint();
    const start =
      request.mode === 'full'
        ? { redoLsn: checkpoint.redoLsn as number, checkpointLsn: checkpoint.checkpointLsn as number }
        : { redoLsn: request.plan.redoLsn, checkpointLsn: request.plan.checkpointLsn };
    storage.wal.setRetentionFloor(floor, start.redoLsn as never);
    checkStart(engine, start);
    const dataDir = engine.options.dataDir;
    const jobs = fileJobs(dataDir, request);
    const removals = request.mode === 'rewind' ? removedRelations(dataDir, request) : [];
    const fileBytes = jobs.reduce((sum, job) => sum + jobBytes(dataDir, job), 0);
    const walBytes = Math.max(0, storage.wal.flushedLsn - start.redoLsn);
    const totalBytes = fileBytes + walBytes;
    const state = engine.replication.state;
    log(
      { mode: request.mode, files: jobs.length, totalBytes, redoLsn: start.redoLsn },
      'base backup started',
    );
    yield {
      kind: 'begin',
      mode: request.mode,
      systemId: engine.directory.readMeta().systemIdentifier,
      history: state?.history ?? [{ term: storage.wal.currentTerm, lsn: 0 }],
      walSegmentBytes: storage.wal.segmentBytes,
      checkpointLsn: start.checkpointLsn,
      redoLsn: start.redoLsn,
      totalBytes,
    };
    const progress = progressLogger(totalBytes, log);
    for (const job of jobs) {
      for (const piece of readJob(dataDir, job)) {
        progress(piece.data.length);
        yield piece;
      }
    }
    for (const removed of removals) yield { kind: 'remove', path: removed };
    await storage.wal.flush();
    const endLsn = storage.wal.flushedLsn as number;
    for (const piece of readWal(engine, start.redoLsn, endLsn)) {
      progress(piece.data.length);
      yield piece;
    }
    log({ endLsn, bytes: totalBytes }, 'base backup finished');
    yield {
      kind: 'end',
      endLsn,
      term: storage.wal.currentTerm,
      nextRelId: maxRelId(storage.relationIds()) + 1,
    };
  } finally {
    storage.wal.setRetentionFloor(floor, null);
  }
}

/** The start's checkpoint record must be here, and the WAL from its redo LSN. */
function checkStart(engine: Engine, start: { redoLsn: number; checkpointLsn: number }): void {
  const reader = engine.storage.walReader(start.checkpointLsn as never);
  try {
    const record = reader.next();
    if (record === null || record.rmgr !== RmgrId.Xlog || record.info !== XlogInfo.Checkpoint) {
      throw new KeelError(
        SqlState.ObjectNotInPrerequisiteState,
        `no checkpoint record at ${start.checkpointLsn} here`,
        {
          detail:
            reader.stop === null ? 'another record is there' : `WAL reading stopped: ${reader.stop.reason}`,
        },
      );
    }
  } finally {
    reader.close();
  }
  const redo = engine.storage.walReader(start.redoLsn as never);
  try {
    if (redo.next() === null && redo.stop?.reason === 'missing-segment') {
      throw new KeelError(
        SqlState.ObjectNotInPrerequisiteState,
        `WAL at ${start.redoLsn} is no longer kept here`,
      );
    }
  } finally {
    redo.close();
  }
}

function fileJobs(dataDir: string, request: BackupRequest): FileJob[] {
  const jobs: FileJob[] = [{ path: 'keel.json', pages: null }];
  const xact = path.join(dataDir, 'xact');
  if (existsSync(xact)) {
    for (const name of readdirSync(xact).sort())
      if (!name.endsWith('.tmp')) jobs.push({ path: `xact/${name}`, pages: null });
  }
  if (request.mode === 'full') {
    const base = path.join(dataDir, 'base');
    if (existsSync(base)) {
      for (const name of readdirSync(base).sort())
        if (!name.endsWith('.tmp')) jobs.push({ path: `base/${name}`, pages: null });
    }
    return jobs;
  }
  for (const relation of request.plan.relations) {
    const file = `base/${relation.relFile}`;
    if (!existsSync(path.join(dataDir, file))) continue;
    jobs.push({ path: file, pages: relation.pages === 'whole' ? null : relation.pages });
  }
  return jobs;
}

/** Relations the plan names that this primary does not have: the replica removes them. */
function removedRelations(dataDir: string, request: Extract<BackupRequest, { mode: 'rewind' }>): string[] {
  return request.plan.relations
    .map((relation) => `base/${relation.relFile}`)
    .filter((file) => !existsSync(path.join(dataDir, file)));
}

function jobBytes(dataDir: string, job: FileJob): number {
  if (job.pages !== null) return job.pages.length * PAGE_SIZE;
  try {
    const fd = openSync(path.join(dataDir, job.path), 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** The file's pieces, read synchronously chunk by chunk. A file dropped meanwhile yields nothing. */
function* readJob(dataDir: string, job: FileJob): Generator<Extract<BackupPiece, { kind: 'file' }>> {
  let fd: number;
  try {
    fd = openSync(path.join(dataDir, job.path), 'r');
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const ranges =
      job.pages === null
        ? chunks(size)
        : job.pages
            .filter((page) => page * PAGE_SIZE < size)
            .map((page) => ({ offset: page * PAGE_SIZE, length: PAGE_SIZE }));
    for (const range of ranges) {
      const data = Buffer.alloc(range.length);
      const got = readSync(fd, data, 0, range.length, range.offset);
      yield { kind: 'file', path: job.path, offset: range.offset, data: data.subarray(0, got), size };
    }
    if (size === 0) yield { kind: 'file', path: job.path, offset: 0, data: Buffer.alloc(0), size: 0 };
  } finally {
    closeSync(fd);
  }
}

function chunks(size: number): { offset: number; length: number }[] {
  const out: { offset: number; length: number }[] = [];
  for (let offset = 0; offset < size; offset += CHUNK_BYTES)
    out.push({ offset, length: Math.min(CHUNK_BYTES, size - offset) });
  return out;
}

function* readWal(
  engine: Engine,
  from: number,
  end: number,
): Generator<Extract<BackupPiece, { kind: 'wal' }>> {
  let position = from;
  while (position < end) {
    const reader = engine.storage.walReader(position as never);
    const parts: Buffer[] = [];
    let bytes = 0;
    const chunkStart = position;
    try {
      for (let record = reader.next(); record !== null && record.lsn < end; record = reader.next()) {
        parts.push(Buffer.from(record.raw));
        bytes += record.raw.length;
        position = record.endLsn;
        if (bytes >= CHUNK_BYTES) break;
      }
    } finally {
      reader.close();
    }
    if (parts.length === 0) {
      throw new KeelError(
        SqlState.DataCorrupted,
        `WAL for the backup ends early at ${position}, expected ${end}`,
      );
    }
    yield { kind: 'wal', lsn: chunkStart, data: Buffer.concat(parts) };
  }
}

function progressLogger(total: number, log: Log): (bytes: number) => void {
  let done = 0;
  let nextTenth = 1;
  return (bytes) => {
    done += bytes;
    while (total > 0 && done >= (total * nextTenth) / 10 && nextTenth <= 10) {
      log({ bytesDone: done, bytesTotal: total, percent: nextTenth * 10 }, 'base backup progress');
      nextTenth++;
    }
  };
}

function maxRelId(ids: readonly number[]): number {
  return ids.reduce((max, id) => Math.max(max, id), 0);
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && Reflect.get(error, 'code') === 'ENOENT';
}
