/**
 * SASLprep (RFC 4013) of a password before SCRAM hashing, to the extent that changes the bytes:
 * non-ASCII spaces become U+0020, characters "commonly mapped to nothing" are dropped, then NFKC.
 * When the result holds a prohibited character (controls, private use, non-characters, lone
 * surrogates, tagging) the password is used unchanged, as PostgreSQL does when SASLprep fails.
 * Pure ASCII is returned as is, also like PostgreSQL. Not implemented: the bidirectional-text and
 * unassigned-code-point checks; a password that fails only those is normalised here where
 * PostgreSQL would use it raw (node-postgres, the common client, skips them too).
 * Exports: saslPrep.
 */

type Range = readonly [number, number];

/** RFC 3454 table C.1.2. */
const nonAsciiSpace: readonly Range[] = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

/** RFC 3454 table B.1. */
const mappedToNothing: readonly Range[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200c, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/** RFC 3454 tables C.2 to C.9 (C.1.2 is mapped away before this check). */
const prohibited: readonly Range[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x0340, 0x0341],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200e, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0x2ff0, 0x2ffb],
  [0xd800, 0xdfff],
  [0xe000, 0xf8ff],
  [0xfdd0, 0xfdef],
  [0xfff9, 0xffff],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
  [0xf0000, 0x10ffff],
];

function inRanges(codePoint: number, ranges: readonly Range[]): boolean {
  return ranges.some(([low, high]) => codePoint >= low && codePoint <= high);
}

function mapCharacters(password: string): string {
  let mapped = '';
  for (const char of password) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (inRanges(codePoint, mappedToNothing)) continue;
    mapped += inRanges(codePoint, nonAsciiSpace) ? ' ' : char;
  }
  return mapped;
}

export function saslPrep(password: string): string {
  let ascii = true;
  for (let i = 0; i < password.length && ascii; i += 1) ascii = password.charCodeAt(i) < 0x80;
  if (ascii) return password;
  const prepared = mapCharacters(password).normalize('NFKC');
  for (const char of prepared) {
    if (inRanges(char.codePointAt(0) ?? 0, prohibited)) return password;
  }
  return prepared;
}
