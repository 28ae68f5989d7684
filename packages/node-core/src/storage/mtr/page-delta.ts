/**
 * Physical page redo, the payload of a mini-transaction's WAL record (rmgr Page):
 *
 *   u16 blockCount, then per block:
 *   u32 rel, u32 pageNo, u8 kind
 *   kind 1, full-page image: u16 lower, u16 upper, bytes [12, lower) and [upper, 8192)
 *           (the hole between lower and upper is zeros; bytes 0-12, LSN and checksum, are not logged)
 *   kind 2, delta: u16 rangeCount, then per range u16 offset, u16 length, bytes
 *
 * A delta is computed by diffing the page against its before-image a 32-bit word at a time,
 * outside the hole both images leave unused; ranges closer than 8 bytes merge. Redo restores
 * a full image unconditionally (the page on disk may be torn) and applies a delta only when
 * the page's LSN is below the record's end LSN.
 * Exports: BlockKind, encodeFullImage, encodeDelta, forEachBlock, applyBlock.
 */
import { assert } from '@keel/errors';
import type { PageNo, RelFileId } from '../ids.js';
import { OFF_LOWER, OFF_UPPER, PAGE_SIZE } from '../page/page-layout.js';

export const BlockKind = { FullImage: 1, Delta: 2 } as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];

/** First page byte covered by redo: bytes before it are the LSN and the checksum. */
const LOGGED_FROM = 12;
const MERGE_GAP = 8;
export const BLOCK_HEADER_SIZE = 9;
/** Worst-case encoded size of one page's block. */
export const MAX_BLOCK_BYTES = BLOCK_HEADER_SIZE + 4 + PAGE_SIZE;

function writeBlockHeader(out: Buffer, at: number, rel: RelFileId, pageNo: PageNo, kind: BlockKind): number {
  out.writeUInt32LE(rel, at);
  out.writeUInt32LE(pageNo, at + 4);
  out[at + 8] = kind;
  return at + BLOCK_HEADER_SIZE;
}

/** Writes a full-page image block at out[at]; returns the offset after it. */
export function encodeFullImage(
  out: Buffer,
  at: number,
  rel: RelFileId,
  pageNo: PageNo,
  page: Buffer,
): number {
  let pos = writeBlockHeader(out, at, rel, pageNo, BlockKind.FullImage);
  let lower = page.readUInt16LE(OFF_LOWER);
  let upper = page.readUInt16LE(OFF_UPPER);
  if (lower < LOGGED_FROM || upper > PAGE_SIZE || lower > upper) {
    lower = PAGE_SIZE; // not a formatted page: log every byte
    upper = PAGE_SIZE;
  }
  out.writeUInt16LE(lower, pos);
  out.writeUInt16LE(upper, pos + 2);
  pos += 4;
  pos += page.copy(out, pos, LOGGED_FROM, lower);
  pos += page.copy(out, pos, upper, PAGE_SIZE);
  return pos;
}

/**
 * Writes a delta block of `after` against `before` at out[at]; returns the offset after it,
 * or `at` itself when the page did not change. Pages are compared a 32-bit word at a time,
 * two words per step (both buffers must be 4-byte aligned, as pool frames and before-images
 * are), so ranges start and end on word boundaries.
 *
 * The unused hole of a slotted page, the bytes between `lower` and `upper` in both images, is
 * not compared: they belong to no slot and no item before or after the change, exactly the
 * bytes a full-page image leaves out, and whatever later takes them over writes them first.
 * This halves the work on a half-full page (the diff is the largest cost of a small change).
 */
export function encodeDelta(
  out: Buffer,
  at: number,
  rel: RelFileId,
  pageNo: PageNo,
  before: Buffer,
  after: Buffer,
): number {
  const countAt = writeBlockHeader(out, at, rel, pageNo, BlockKind.Delta);
  const a = wordsOf(after);
  const b = wordsOf(before);
  const ranges = collector.reset(out, countAt + 2, after);
  const holeFrom = sharedHoleStartWord(before, after);
  const holeTo = sharedHoleEndWord(before, after);
  if (holeFrom < holeTo) {
    scanWords(a, b, LOGGED_FROM / 4, holeFrom, ranges);
    scanWords(a, b, holeTo, WORDS, ranges);
  } else {
    scanWords(a, b, LOGGED_FROM / 4, WORDS, ranges);
  }
  const count = ranges.finish();
  if (count === 0) return at;
  out.writeUInt16LE(count, countAt);
  return ranges.pos;
}

const WORDS = PAGE_SIZE / 4;
const NO_BYTES = Buffer.alloc(0);

/** Collects differing words into merged ranges, written straight into the record. */
class RangeCollector {
  out: Buffer = NO_BYTES;
  page: Buffer = NO_BYTES;
  pos = 0;
  count = 0;
  private start = -1;
  private end = -1;

  reset(out: Buffer, pos: number, page: Buffer): this {
    this.out = out;
    this.page = page;
    this.pos = pos;
    this.count = 0;
    this.start = -1;
    this.end = -1;
    return this;
  }

  word(w: number): void {
    if (this.start >= 0 && w - this.end < MERGE_GAP / 4) {
      this.end = w + 1;
      return;
    }
    this.flush();
    this.start = w;
    this.end = w + 1;
  }

  finish(): number {
    this.flush();
    this.out = NO_BYTES;
    this.page = NO_BYTES;
    return this.count;
  }

  private flush(): void {
    if (this.start < 0) return;
    this.pos = writeRange(this.out, this.pos, this.page, this.start * 4, this.end * 4);
    this.count++;
    this.start = -1;
  }
}

const collector = new RangeCollector();

/** Reports every word in [from, to) where the images differ; equal word pairs are skipped fast. */
function scanWords(a: Int32Array, b: Int32Array, from: number, to: number, ranges: RangeCollector): void {
  let w = from;
  while (w < to) {
    while (w + 1 < to && a[w] === b[w] && a[w + 1] === b[w + 1]) w += 2;
    if (w >= to) return;
    if (a[w] !== b[w]) ranges.word(w);
    w++;
  }
}

/** lower of a formatted page, or -1 when the header does not describe a slotted layout. */
function validLower(page: Buffer): number {
  const lower = page.readUInt16LE(OFF_LOWER);
  const upper = page.readUInt16LE(OFF_UPPER);
  return lower >= LOGGED_FROM && lower <= upper && upper <= PAGE_SIZE ? lower : -1;
}

/** First word of the hole both images share (WORDS when there is none). */
function sharedHoleStartWord(before: Buffer, after: Buffer): number {
  const lowerBefore = validLower(before);
  const lowerAfter = validLower(after);
  if (lowerBefore < 0 || lowerAfter < 0) return WORDS;
  return Math.ceil(Math.max(lowerBefore, lowerAfter) / 4);
}

/** Word after the hole both images share (0 when there is none). */
function sharedHoleEndWord(before: Buffer, after: Buffer): number {
  if (validLower(before) < 0 || validLower(after) < 0) return 0;
  return Math.floor(Math.min(before.readUInt16LE(OFF_UPPER), after.readUInt16LE(OFF_UPPER)) / 4);
}

function wordsOf(page: Buffer): Int32Array {
  assert(page.byteOffset % 4 === 0 && page.length === PAGE_SIZE, 'page buffers must be 4-byte aligned');
  return new Int32Array(page.buffer, page.byteOffset, WORDS);
}

function writeRange(out: Buffer, pos: number, page: Buffer, start: number, end: number): number {
  out.writeUInt16LE(start, pos);
  out.writeUInt16LE(end - start, pos + 2);
  return pos + 4 + page.copy(out, pos + 4, start, end);
}

export interface BlockRef {
  rel: RelFileId;
  pageNo: PageNo;
  kind: BlockKind;
  /** Offset of the block body (after the header) in the payload. */
  body: number;
  /** Offset after the block. */
  end: number;
}

/** Calls `visit` for each block of a Page-rmgr payload, in order. */
export function forEachBlock(payload: Buffer, visit: (block: BlockRef) => void): void {
  const count = payload.readUInt16LE(0);
  let pos = 2;
  for (let i = 0; i < count; i++) {
    const rel = payload.readUInt32LE(pos) as RelFileId;
    const pageNo = payload.readUInt32LE(pos + 4);
    const kind = payload[pos + 8];
    assert(kind === BlockKind.FullImage || kind === BlockKind.Delta, `bad page block kind ${kind}`);
    const body = pos + BLOCK_HEADER_SIZE;
    const end = kind === BlockKind.FullImage ? fullImageEnd(payload, body) : deltaEnd(payload, body);
    visit({ rel, pageNo, kind, body, end });
    pos = end;
  }
}

function fullImageEnd(payload: Buffer, body: number): number {
  const lower = payload.readUInt16LE(body);
  const upper = payload.readUInt16LE(body + 2);
  return body + 4 + (lower - LOGGED_FROM) + (PAGE_SIZE - upper);
}

function deltaEnd(payload: Buffer, body: number): number {
  const ranges = payload.readUInt16LE(body);
  let pos = body + 2;
  for (let r = 0; r < ranges; r++) pos += 4 + payload.readUInt16LE(pos + 2);
  return pos;
}

/** Applies one block to a page image (the caller decides whether it should, and sets the LSN). */
export function applyBlock(payload: Buffer, block: BlockRef, page: Buffer): void {
  if (block.kind === BlockKind.FullImage) {
    const lower = payload.readUInt16LE(block.body);
    const upper = payload.readUInt16LE(block.body + 2);
    let pos = block.body + 4;
    pos += payload.copy(page, LOGGED_FROM, pos, pos + (lower - LOGGED_FROM));
    page.fill(0, lower, upper);
    payload.copy(page, upper, pos, pos + (PAGE_SIZE - upper));
    return;
  }
  const ranges = payload.readUInt16LE(block.body);
  let pos = block.body + 2;
  for (let r = 0; r < ranges; r++) {
    const offset = payload.readUInt16LE(pos);
    const length = payload.readUInt16LE(pos + 2);
    payload.copy(page, offset, pos + 4, pos + 4 + length);
    pos += 4 + length;
  }
}
