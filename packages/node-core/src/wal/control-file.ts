/**
 * The control file `<dataDir>/control`: where recovery starts. 64 bytes, CRC32C-protected,
 * replaced atomically (write control.tmp, fdatasync, rename over control, fsync the directory),
 * so a crash leaves either the old or the new version, never a mix.
 *
 *   0 magic u32, 4 version u32, 8 pageSize u32, 12 walSegmentBytes u32, 16 state u8,
 *   24 checkpointLsn 8, 32 redoLsn 8, 40 nextRelId u32, 48 term 8, 60 crc u32 (of bytes 0-60)
 * Exports: ControlData, ClusterState, readControlFile, writeControlFile.
 */
import { KeelError, SqlState } from '@keel/errors';
import { crc32c } from '@node-rs/crc32';
import type { Disk } from '../storage/disk/disk.js';
import type { Lsn } from '../storage/ids.js';
import { readU53, writeU53 } from '../storage/int53.js';

const MAGIC = 0x4b45_454c;
const VERSION = 1;
const SIZE = 64;

export type ClusterState = 'shut-down' | 'in-production';

export interface ControlData {
  pageSize: number;
  walSegmentBytes: number;
  state: ClusterState;
  /** Start of the latest checkpoint record. */
  checkpointLsn: Lsn;
  /** Where redo starts: the insert position when that checkpoint began. */
  redoLsn: Lsn;
  nextRelId: number;
  term: number;
}

export function controlPath(dataDir: string): string {
  return `${dataDir}/control`;
}

export function readControlFile(disk: Disk, dataDir: string): ControlData | null {
  const path = controlPath(dataDir);
  if (!disk.exists(path)) return null;
  const file = disk.open(path, 'existing');
  const buf = Buffer.alloc(SIZE);
  const got = file.read(buf, 0);
  file.close();
  if (got !== SIZE || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(60) !== crc32c(buf.subarray(0, 60))) {
    throw new KeelError(SqlState.DataCorrupted, `control file "${path}" is invalid`, {
      severity: 'PANIC',
      hint: 'the data directory is damaged; restore it from a backup or a replica',
    });
  }
  if (buf.readUInt32LE(4) !== VERSION) {
    throw new KeelError(
      SqlState.DataCorrupted,
      `control file version ${buf.readUInt32LE(4)} is not supported`,
    );
  }
  return {
    pageSize: buf.readUInt32LE(8),
    walSegmentBytes: buf.readUInt32LE(12),
    state: buf[16] === 1 ? 'shut-down' : 'in-production',
    checkpointLsn: readU53(buf, 24) as Lsn,
    redoLsn: readU53(buf, 32) as Lsn,
    nextRelId: buf.readUInt32LE(40),
    term: readU53(buf, 48),
  };
}

export async function writeControlFile(disk: Disk, dataDir: string, data: ControlData): Promise<void> {
  const buf = Buffer.alloc(SIZE);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(data.pageSize, 8);
  buf.writeUInt32LE(data.walSegmentBytes, 12);
  buf[16] = data.state === 'shut-down' ? 1 : 2;
  writeU53(buf, 24, data.checkpointLsn);
  writeU53(buf, 32, data.redoLsn);
  buf.writeUInt32LE(data.nextRelId, 40);
  writeU53(buf, 48, data.term);
  buf.writeUInt32LE(crc32c(buf.subarray(0, 60)), 60);
  const path = controlPath(dataDir);
  const tmp = `${path}.tmp`;
  const file = disk.open(tmp, 'create');
  try {
    file.write(buf, 0);
    await file.datasync();
  } finally {
    file.close();
  }
  disk.rename(tmp, path);
  await disk.fsyncDir(dataDir);
}
