/**
 * The snapshot file: the latest snapshot's metadata and data in one checksummed file,
 * replaced atomically (write a temporary file, fsync it, rename it over the old one, fsync the
 * directory), so a crash leaves either the old snapshot or the new one, never a mix.
 * Layout: crc32c u32 | magic u32 | index u64 | term u64 | config length u32 | config JSON |
 * data length u64 | data. The checksum covers everything after itself.
 * Exports: writeSnapshotFile, readSnapshotFile, syncDirectory.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { KeelError, SqlState } from '@keel/errors';
import { crc32c } from '@node-rs/crc32';
import { LogIndex, type Snapshot, Term } from '../raft/types.js';
import { DecodeError, decodeConfig, encodeConfig } from './entry-codec.js';

const magic = 0x4b534e31; // "KSN1"

/** fsync a directory so that a rename or a new file in it is durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const config = encodeConfig(snapshot.meta.config);
  const out = new Uint8Array(4 + 4 + 8 + 8 + 4 + config.length + 8 + snapshot.data.length);
  const view = new DataView(out.buffer);
  view.setUint32(4, magic);
  view.setBigUint64(8, BigInt(snapshot.meta.index));
  view.setBigUint64(16, BigInt(snapshot.meta.term));
  view.setUint32(24, config.length);
  out.set(config, 28);
  view.setBigUint64(28 + config.length, BigInt(snapshot.data.length));
  out.set(snapshot.data, 36 + config.length);
  view.setUint32(0, crc32c(out.subarray(4)));
  return out;
}

function decodeSnapshot(bytes: Uint8Array): Snapshot {
  if (bytes.length < 36) throw new DecodeError('snapshot file too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== crc32c(bytes.subarray(4))) throw new DecodeError('snapshot checksum mismatch');
  if (view.getUint32(4) !== magic) throw new DecodeError('not a snapshot file');
  const configLength = view.getUint32(24);
  if (36 + configLength > bytes.length) throw new DecodeError('snapshot config length out of range');
  const config = decodeConfig(bytes.subarray(28, 28 + configLength));
  const dataLength = Number(view.getBigUint64(28 + configLength));
  if (36 + configLength + dataLength !== bytes.length) throw new DecodeError('snapshot data length mismatch');
  return {
    meta: {
      index: LogIndex(Number(view.getBigUint64(8))),
      term: Term(Number(view.getBigUint64(16))),
      config,
    },
    data: new Uint8Array(bytes.subarray(36 + configLength)),
  };
}

export async function writeSnapshotFile(dir: string, path: string, snapshot: Snapshot): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    const bytes = encodeSnapshot(snapshot);
    await fh.write(bytes, 0, bytes.length, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDirectory(dir);
}

/** The snapshot at `path`, or null if there is none. A damaged snapshot is corruption, not a torn write. */
export async function readSnapshotFile(path: string): Promise<Snapshot | null> {
  await rm(`${path}.tmp`, { force: true });
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
  try {
    return decodeSnapshot(bytes);
  } catch (cause) {
    throw new KeelError(SqlState.DataCorrupted, `raft snapshot ${path} is damaged`, { cause });
  }
}
