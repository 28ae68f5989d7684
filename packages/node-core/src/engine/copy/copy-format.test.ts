/**
 * COPY's text and CSV readers are protocol decoders: CopyData messages split the stream
 * anywhere, so every input is fed split at every byte offset (inside escapes, quoted newlines
 * and multi-byte characters) and must give the same records; formatting then reading a row
 * gives the row back.
 */
import { describe, expect, it } from 'vitest';
import { type CopyRecord, CopyRecordReader, formatCopyRow } from './copy-format.js';
import { type CopyOptions, parseCopyOptions } from './copy-options.js';

const text: CopyOptions = parseCopyOptions([], true);
const csv: CopyOptions = parseCopyOptions(
  [{ DefElem: { defname: 'format', arg: { String: { sval: 'csv' } } } }],
  true,
);
const noRules = { forceNotNull: [], forceNull: [] };

function readAll(options: CopyOptions, chunks: Uint8Array[]): CopyRecord[] {
  const reader = new CopyRecordReader(options, noRules, 't');
  const out: CopyRecord[] = [];
  for (const chunk of chunks) out.push(...reader.push(chunk));
  out.push(...reader.finish());
  return out;
}

function everySplit(options: CopyOptions, input: string): void {
  const bytes = Buffer.from(input, 'utf8');
  const whole = readAll(options, [bytes]);
  for (let at = 0; at <= bytes.length; at++) {
    expect(readAll(options, [bytes.subarray(0, at), bytes.subarray(at)]), `split at byte ${at}`).toEqual(
      whole,
    );
  }
}

describe('COPY text format', () => {
  it('reads escapes, NULLs and the end marker', () => {
    const records = readAll(text, [Buffer.from('1\ta\\tb\\\\c\t\\N\n2\t\\x41\\101\tx\\\ty\n\\.\nignored\n')]);
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['1', 'a\tb\\c', null]],
      [2, ['2', 'AA', 'x\ty']],
    ]);
  });

  it('gives the same records for every split of the stream', () => {
    everySplit(text, '1\tgrüße\\n\t\\N\r\n2\t€\\\\\t\n3\tlast');
  });

  it('round-trips values with special characters through formatCopyRow', () => {
    const row = ['tab\there', 'new\nline', 'back\\slash', null, ''];
    const line = formatCopyRow(row, text, []);
    expect(readAll(text, [Buffer.from(line)])[0]?.fields).toEqual(row);
  });
});

describe('COPY CSV format', () => {
  it('reads quotes, doubled quotes, embedded newlines and NULL versus empty string', () => {
    const records = readAll(csv, [Buffer.from('1,"a,b","say ""hi""",\n2,"two\nlines","",x\n')]);
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['1', 'a,b', 'say "hi"', null]],
      [2, ['2', 'two\nlines', '', 'x']],
    ]);
  });

  it('gives the same records for every split of the stream', () => {
    everySplit(csv, 'id,name\n1,"quoted, ""x"" ✓"\r\n2,"multi\nline",\n3,plain');
  });

  it('reports an unterminated quoted field as 22P04 with its line', () => {
    expect(() => readAll(csv, [Buffer.from('1,ok\n2,"open\n')])).toThrow(
      expect.objectContaining({ sqlstate: '22P04', detail: 'COPY t, line 2: "2,"open\n"' }),
    );
  });

  it('round-trips values that need quoting', () => {
    const row = ['a,b', 'q"uote', 'new\nline', null, ''];
    const line = formatCopyRow(row, csv, []);
    expect(line).toBe('"a,b","q""uote","new\nline",,""\n');
    expect(readAll(csv, [Buffer.from(line)])[0]?.fields).toEqual(row);
  });
});

describe('COPY options', () => {
  it('refuses what PostgreSQL refuses', () => {
    const option = (defname: string, sval: string) => ({ DefElem: { defname, arg: { String: { sval } } } });
    expect(() => parseCopyOptions([option('format', 'binary')], true)).toThrow(
      expect.objectContaining({ sqlstate: '0A000' }),
    );
    expect(() => parseCopyOptions([option('delimiter', ',,')], true)).toThrow(
      expect.objectContaining({ sqlstate: '0A000' }),
    );
    expect(() => parseCopyOptions([option('format', 'csv'), option('format', 'text')], true)).toThrow(
      expect.objectContaining({ sqlstate: '42601' }),
    );
    expect(() => parseCopyOptions([option('format', 'csv'), option('delimiter', '"')], true)).toThrow(
      expect.objectContaining({ sqlstate: '22023' }),
    );
  });
});
