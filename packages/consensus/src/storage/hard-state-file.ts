/**
 * The hard state file: term, vote and commit index, in fixed-size checksummed slots.
 *
 *   slot 0, slot 1   term + vote + commit, written alternately (by sequence number) and fsynced;
 *                    a torn write can damage only the slot being written, so the other still
 *                    holds the previous durable hard state, which is all Raft may rely on;
 *   slot 2           commit index only, written without fsync: Raft can always relearn the commit
 *                    index from a quorum, so it is not worth an fsync per commit. On load the
 *                    larger valid commit wins (the caller clamps it to the durable log).
 * Each slot: crc32c u32 | magic u32 | seq u64 | term u64 | commit u64 | vote length u16 | vote.
 * Exports: HardStateFile.
 */
import type { FileHandle } from 'node:fs/promises';
import { KeelError, SqlState } from '@keel/errors';
import { crc32c } from '@node-rs/crc32';
import { type HardState, LogIndex, Term } from '../raft/types.js';

const slotBytes = 256;
const magicHardState = 0x4b485331; // "KHS1"
const magicCommit = 0x4b434d31; // "KCM1"
const voteBytesMax = slotBytes - 38;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface Slot {
  readonly seq: bigint;
  readonly term: number;
  readonly commit: number;
  readonly vote: string | null;
}

function sealSlot(slot: Uint8Array): Uint8Array {
  new DataView(slot.buffer, slot.byteOffset).setUint32(0, crc32c(slot.subarray(4)));
  return slot;
}

function parseSlot(bytes: Uint8Array, magic: number): Slot | null {
  if (bytes.length < slotBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, slotBytes);
  if (view.getUint32(0) !== crc32c(bytes.subarray(4, slotBytes)) || view.getUint32(4) !== magic) return null;
  const voteLength = view.getUint16(32);
  if (voteLength > voteBytesMax + 1) return null;
  let vote: string | null = null;
  if (voteLength > 0) vote = decoder.decode(bytes.subarray(34, 34 + voteLength - 1));
  return {
    seq: view.getBigUint64(8),
    term: Number(view.getBigUint64(16)),
    commit: Number(view.getBigUint64(24)),
    vote,
  };
}

export class HardStateFile {
  private seq: bigint;

  private constructor(
    private readonly fh: FileHandle,
    private readonly loaded: HardState | null,
    seq: bigint,
  ) {
    this.seq = seq;
  }

  static async open(fh: FileHandle): Promise<HardStateFile> {
    const bytes = new Uint8Array(3 * slotBytes);
    const { bytesRead } = await fh.read(bytes, 0, bytes.length, 0);
    const image = bytes.subarray(0, bytesRead);
    const slots = [0, 1]
      .map((k) => parseSlot(image.subarray(k * slotBytes, (k + 1) * slotBytes), magicHardState))
      .filter((s): s is Slot => s !== null)
      .sort((a, b) => (a.seq < b.seq ? 1 : -1));
    const best = slots[0];
    const commitSlot = parseSlot(image.subarray(2 * slotBytes, 3 * slotBytes), magicCommit);
    if (best === undefined) {
      if (bytesRead > 0 && image.some((b) => b !== 0) && commitSlot === null) {
        throw new KeelError(SqlState.DataCorrupted, 'raft hard state file has no valid slot');
      }
      return new HardStateFile(fh, null, 0n);
    }
    const commit = Math.max(best.commit, commitSlot?.commit ?? 0);
    const hardState: HardState = { term: Term(best.term), vote: best.vote, commit: LogIndex(commit) };
    return new HardStateFile(fh, hardState, best.seq);
  }

  /** What was durable when the file was opened; null if nothing was ever written. */
  initial(): HardState | null {
    return this.loaded;
  }

  /** Writes term, vote and commit to the older slot and fsyncs. */
  async save(hs: HardState): Promise<void> {
    const vote = hs.vote === null ? new Uint8Array(0) : encoder.encode(hs.vote);
    if (vote.length > voteBytesMax) {
      throw new KeelError(
        SqlState.InvalidParameterValue,
        `node id "${hs.vote}" is longer than ${voteBytesMax} bytes`,
      );
    }
    this.seq += 1n;
    const slot = new Uint8Array(slotBytes);
    const view = new DataView(slot.buffer);
    view.setUint32(4, magicHardState);
    view.setBigUint64(8, this.seq);
    view.setBigUint64(16, BigInt(hs.term));
    view.setBigUint64(24, BigInt(hs.commit));
    view.setUint16(32, hs.vote === null ? 0 : vote.length + 1);
    slot.set(vote, 34);
    await this.fh.write(sealSlot(slot), 0, slotBytes, Number(this.seq % 2n) * slotBytes);
    await this.fh.datasync();
  }

  /** Records a newer commit index without fsync (see the header). */
  async saveCommit(commit: LogIndex): Promise<void> {
    const slot = new Uint8Array(slotBytes);
    const view = new DataView(slot.buffer);
    view.setUint32(4, magicCommit);
    view.setBigUint64(8, this.seq);
    view.setBigUint64(24, BigInt(commit));
    await this.fh.write(sealSlot(slot), 0, slotBytes, 2 * slotBytes);
  }
}
