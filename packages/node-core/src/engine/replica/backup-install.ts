/**
 * The replica's side of a base backup or rewind, in two steps so the old data keeps serving
 * reads while the new arrives:
 *   receive: pieces are written into `replication/incoming/` (files at their offsets, WAL into
 *     segment files at its LSNs), then fsynced; paths are checked (only keel.json, xact/ and
 *     base/ files, nothing climbing out);
 *   apply (engine closed): a marker file says an install is under way; a full backup replaces
 *     keel.json, xact/, base/ and wal/ wholesale; a rewind writes the fetched pages into the
 *     relation files, replaces whole files, removes the ones the primary does not have, and
 *     replaces xact/, keel.json and the WAL; then the control file points recovery at the
 *     backup's checkpoint and the term history becomes the primary's; the marker goes last.
 * A node that finds the marker at start lost an install halfway: its data cannot be trusted, so
 * it is cleared and the node bootstraps again (clearInterruptedInstall).
 * Exports: receiveBackup, applyBackup, clearInterruptedInstall, ReceivedBackup.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';
import { NodeDisk } from '../../storage/index.js';
import { PAGE_SIZE } from '../../storage/page/page-layout.js';
import { writeControlFile } from '../../wal/control-file.js';
import { WalSegments } from '../../wal/wal-segments.js';
import type { BackupPiece, RewindPlan, TermStart } from './port-types.js';
import { ReplicationStateFile } from './replication-state.js';

export interface ReceivedBackup {
  mode: 'full' | 'rewind';
  systemId: string;
  history: TermStart[];
  walSegmentBytes: number;
  checkpointLsn: number;
  redoLsn: number;
  endLsn: number;
  term: number;
  nextRelId: number;
  bytes: number;
  /** Rewind: pages written per file (page numbers), and files to replace whole. */
  pages: Map<string, number[]>;
  wholeFiles: Set<string>;
  removals: string[];
}

const INCOMING = 'replication/incoming';
const MARKER = 'replication/install-in-progress';

function checkPath(relative: string): string {
  const normal = path.posix.normalize(relative);
  const allowed =
    normal === 'keel.json' || /^xact\/[0-9A-Za-z_.-]+$/.test(normal) || /^base\/[0-9]+(\.fsm)?$/.test(normal);
  if (!allowed || normal.includes('..')) {
    throw new KeelError(
      SqlState.ProtocolViolation,
      `base backup names a file it may not write: "${relative}"`,
    );
  }
  return normal;
}

export async function receiveBackup(
  dataDir: string,
  pieces: AsyncIterable<BackupPiece>,
  plan: RewindPlan | null,
  onBytes: (done: number, total: number) => void,
): Promise<ReceivedBackup> {
  // A rewind's plan says which relation files come as single pages; everything else is whole.
  const pageFiles = new Set(
    (plan?.relations ?? []).filter((r) => r.pages !== 'whole').map((r) => `base/${r.relFile}`),
  );
  let done = 0;
  const incoming = path.join(dataDir, INCOMING);
  rmSync(incoming, { recursive: true, force: true });
  mkdirSync(incoming, { recursive: true });
  let received: ReceivedBackup | null = null;
  let segments: WalSegments | null = null;
  const open = new Map<string, number>();
  let ended = false;
  try {
    for await (const piece of pieces) {
      switch (piece.kind) {
        case 'begin':
          received = {
            mode: piece.mode,
            systemId: piece.systemId,
            history: piece.history,
            walSegmentBytes: piece.walSegmentBytes,
            checkpointLsn: piece.checkpointLsn,
            redoLsn: piece.redoLsn,
            endLsn: 0,
            term: 0,
            nextRelId: 1,
            bytes: piece.totalBytes,
            pages: new Map(),
            wholeFiles: new Set(),
            removals: [],
          };
          segments = new WalSegments(new NodeDisk(), incoming, piece.walSegmentBytes);
          break;
        case 'file': {
          const backup = expectBegun(received);
          const file = checkPath(piece.path);
          let fd = open.get(file);
          if (fd === undefined) {
            mkdirSync(path.dirname(path.join(incoming, file)), { recursive: true });
            fd = openSync(path.join(incoming, file), 'w+');
            open.set(file, fd);
          }
          writeAll(fd, piece.data, piece.offset);
          if (backup.mode === 'rewind' && pageFiles.has(file)) {
            const list = backup.pages.get(file) ?? [];
            list.push(Math.floor(piece.offset / PAGE_SIZE));
            backup.pages.set(file, list);
          } else {
            backup.wholeFiles.add(file);
          }
          done += piece.data.length;
          onBytes(done, backup.bytes);
          break;
        }
        case 'remove':
          expectBegun(received).removals.push(checkPath(piece.path));
          break;
        case 'wal': {
          if (segments === null)
            throw new KeelError(SqlState.ProtocolViolation, 'base backup WAL before its beginning');
          writeWal(segments, piece.lsn, piece.data);
          done += piece.data.length;
          onBytes(done, expectBegun(received).bytes);
          break;
        }
        case 'end': {
          const backup = expectBegun(received);
          backup.endLsn = piece.endLsn;
          backup.term = piece.term;
          backup.nextRelId = piece.nextRelId;
          ended = true;
          break;
        }
        default:
          piece satisfies never;
      }
    }
  } finally {
    for (const fd of open.values()) {
      fsyncSync(fd);
      closeSync(fd);
    }
  }
  const backup = expectBegun(received);
  if (!ended) throw new KeelError(SqlState.ConnectionFailure, 'base backup stream ended before its end');
  for (const name of segments?.list() ?? []) {
    const fd = openSync(segments?.pathOf(name) ?? '', 'r+');
    fsyncSync(fd);
    closeSync(fd);
  }
  return backup;
}

/** Moves a received backup into place (the engine must be closed). */
export async function applyBackup(dataDir: string, backup: ReceivedBackup): Promise<void> {
  const incoming = path.join(dataDir, INCOMING);
  writeFileSync(path.join(dataDir, MARKER), backup.mode);
  fsyncDir(path.join(dataDir, 'replication'));
  if (backup.mode === 'full') {
    for (const name of ['base', 'xact', 'wal', 'keel.json', 'control'])
      rmSync(path.join(dataDir, name), { recursive: true, force: true });
    for (const name of ['base', 'xact', 'wal', 'keel.json']) {
      if (existsSync(path.join(incoming, name)))
        renameSync(path.join(incoming, name), path.join(dataDir, name));
    }
    mkdirSync(path.join(dataDir, 'base'), { recursive: true });
  } else {
    applyRewind(dataDir, incoming, backup);
  }
  const disk = new NodeDisk();
  await writeControlFile(disk, dataDir, {
    pageSize: PAGE_SIZE,
    walSegmentBytes: backup.walSegmentBytes,
    state: 'in-production',
    checkpointLsn: backup.checkpointLsn as never,
    redoLsn: backup.redoLsn as never,
    nextRelId: backup.nextRelId,
    term: termBefore(backup.history, backup.redoLsn),
  });
  new ReplicationStateFile(dataDir, 0).reset(backup.history);
  fsyncDir(dataDir);
  rmSync(incoming, { recursive: true, force: true });
  rmSync(path.join(dataDir, MARKER), { force: true });
  fsyncDir(path.join(dataDir, 'replication'));
}

/** At start: an install that did not finish leaves data that cannot be used; clear it. */
export function clearInterruptedInstall(dataDir: string): boolean {
  if (!existsSync(path.join(dataDir, MARKER))) return false;
  for (const name of ['base', 'xact', 'wal', 'keel.json', 'control', 'replication']) {
    rmSync(path.join(dataDir, name), { recursive: true, force: true });
  }
  fsyncDir(dataDir);
  return true;
}

function applyRewind(dataDir: string, incoming: string, backup: ReceivedBackup): void {
  for (const [file, pages] of backup.pages) {
    const from = openSync(path.join(incoming, file), 'r');
    const to = openSync(path.join(dataDir, file), existsSync(path.join(dataDir, file)) ? 'r+' : 'w+');
    try {
      const page = Buffer.alloc(PAGE_SIZE);
      for (const pageNo of pages) {
        const got = readPage(from, page, pageNo);
        writeAll(to, page.subarray(0, got), pageNo * PAGE_SIZE);
      }
      fsyncSync(to);
    } finally {
      closeSync(from);
      closeSync(to);
    }
    // The free space map is a hint about pages that just changed: drop it, it is rebuilt lazily.
    rmSync(path.join(dataDir, `${file}.fsm`), { force: true });
  }
  for (const file of backup.wholeFiles) {
    if (file.startsWith('base/')) rmSync(path.join(dataDir, `${file}.fsm`), { force: true });
    if (!file.startsWith('xact/') && file !== 'keel.json')
      renameSync(path.join(incoming, file), path.join(dataDir, file));
  }
  for (const file of backup.removals) {
    rmSync(path.join(dataDir, file), { force: true });
    rmSync(path.join(dataDir, `${file}.fsm`), { force: true });
  }
  rmSync(path.join(dataDir, 'xact'), { recursive: true, force: true });
  renameSync(path.join(incoming, 'xact'), path.join(dataDir, 'xact'));
  renameSync(path.join(incoming, 'keel.json'), path.join(dataDir, 'keel.json'));
  rmSync(path.join(dataDir, 'wal'), { recursive: true, force: true });
  renameSync(path.join(incoming, 'wal'), path.join(dataDir, 'wal'));
  fsyncDir(path.join(dataDir, 'base'));
}

function readPage(fd: number, page: Buffer, pageNo: number): number {
  let got = 0;
  for (;;) {
    const n = readSyncAt(fd, page, got, PAGE_SIZE - got, pageNo * PAGE_SIZE + got);
    if (n === 0) return got;
    got += n;
    if (got === PAGE_SIZE) return got;
  }
}

function readSyncAt(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  return readSync(fd, buf, offset, length, position);
}

function writeWal(segments: WalSegments, lsn: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const position = lsn + offset;
    const segNo = segments.segmentOf(position);
    const file = segments.openForWrite(segNo);
    try {
      const inSegment = position - segNo * segments.segmentBytes;
      const length = Math.min(data.length - offset, segments.segmentBytes - inSegment);
      file.write(data.subarray(offset, offset + length), inSegment);
      offset += length;
    } finally {
      file.close();
    }
  }
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let written = 0;
  while (written < data.length)
    written += writeSync(fd, data, written, data.length - written, position + written);
}

function fsyncDir(dir: string): void {
  if (!existsSync(dir)) return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function termBefore(history: readonly TermStart[], lsn: number): number {
  let term = history[0]?.term ?? 0;
  for (const entry of history) if (entry.lsn <= lsn) term = entry.term;
  return term;
}

function expectBegun(received: ReceivedBackup | null): ReceivedBackup {
  if (received === null)
    throw new KeelError(SqlState.ProtocolViolation, 'base backup piece before its beginning');
  return received;
}
