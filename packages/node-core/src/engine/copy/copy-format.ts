/**
 * COPY's data formats, text and CSV, as PostgreSQL reads and writes them (copyfromparse.c,
 * copyto.c). Reading is incremental: CopyData messages split records anywhere (even inside a
 * UTF-8 character or a quoted CSV field), so CopyRecordReader keeps the unfinished tail and
 * hands out whole records, each with its line number for error context.
 *
 * Text format: one record per line, fields split by the delimiter, backslash escapes (\n, \t,
 * \\, octal \NNN, hex \xHH, \<delimiter>), NULL is a field whose raw text equals the NULL
 * string (\N by default), and a line "\." ends the data.
 * CSV format: fields optionally quoted, quotes doubled (or escaped with ESCAPE) inside quotes,
 * newlines allowed inside quotes; NULL is an unquoted field equal to the NULL string ('' by
 * default), FORCE_NOT_NULL and FORCE_NULL adjust that per column.
 * Exports: CopyRecord, CopyRecordReader, CsvNullRules, formatCopyRow, formatCopyHeader,
 * copyFormatError, lineContext.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CopyOptions } from './copy-options.js';

/** One record of input: its 1-based line number and fields (null for SQL NULL). */
export interface CopyRecord {
  line: number;
  fields: (string | null)[];
  /** The record's text, for error context (truncated by the caller). */
  text: string;
}

/** Per-column CSV null handling, by position in the COPY column list. */
export interface CsvNullRules {
  forceNotNull: boolean[];
  forceNull: boolean[];
}

export class CopyRecordReader {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private pending = '';
  private line = 0;
  /** True once the end marker "\." was read; later input is ignored. */
  ended = false;

  /** `relation` names the target in error context ("COPY t, line 3: ..."). */
  constructor(
    private readonly options: CopyOptions,
    private readonly nullRules: CsvNullRules,
    private readonly relation: string,
  ) {}

  /** The records completed by this chunk of bytes. */
  push(chunk: Uint8Array): CopyRecord[] {
    if (this.ended) return [];
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new KeelError(SqlState.CharacterNotInRepertoire, 'invalid byte sequence for encoding "UTF8"', {
        cause: error,
      });
    }
    this.pending += text;
    return this.takeRecords(false);
  }

  /** End of input: the last record, even without a final newline. */
  finish(): CopyRecord[] {
    if (this.ended) return [];
    this.pending += this.decoder.decode();
    return this.takeRecords(true);
  }

  /** The line number of the last record handed out. */
  get lineNumber(): number {
    return this.line;
  }

  private takeRecords(atEnd: boolean): CopyRecord[] {
    const out: CopyRecord[] = [];
    const csv = this.options.format === 'csv';
    let start = 0;
    const text = this.pending;
    for (;;) {
      const end = csv ? csvRecordEnd(text, start, this.options) : text.indexOf('\n', start);
      if (end < 0) break;
      const record = this.makeRecord(stripCr(text.slice(start, end)));
      start = end + 1;
      if (record === null) {
        this.ended = true;
        this.pending = '';
        return out;
      }
      out.push(record);
    }
    this.pending = text.slice(start);
    if (atEnd && this.pending !== '') {
      if (csv && csvRecordEnd(`${this.pending}\n`, 0, this.options) < 0) {
        this.line++;
        throw copyFormatError(
          'unterminated CSV quoted field',
          lineContext(this.relation, this.line, this.pending),
        );
      }
      const record = this.makeRecord(stripCr(this.pending));
      this.pending = '';
      if (record === null) this.ended = true;
      else out.push(record);
    }
    return out;
  }

  /** null for the end-of-data marker. */
  private makeRecord(text: string): CopyRecord | null {
    if (text === '\\.') return null;
    this.line++;
    const fields =
      this.options.format === 'csv'
        ? parseCsvFields(text, this.options, this.nullRules)
        : parseTextFields(text, this.options);
    return { line: this.line, fields, text };
  }
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** Index of the newline ending the CSV record that starts at `start`, or -1 if incomplete. */
function csvRecordEnd(text: string, start: number, options: CopyOptions): number {
  const { quote, escape: escapeChar } = options;
  let inQuote = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === escapeChar && escapeChar !== quote && (text[i + 1] === quote || text[i + 1] === escapeChar))
        i++;
      else if (c === quote) {
        if (escapeChar === quote && text[i + 1] === quote) i++;
        else inQuote = false;
      }
    } else if (c === quote) inQuote = true;
    else if (c === '\n') return i;
  }
  return -1;
}

function parseTextFields(line: string, options: CopyOptions): (string | null)[] {
  const { delimiter, nullString } = options;
  if (!line.includes('\\')) {
    return line.split(delimiter).map((field) => (field === nullString ? null : field));
  }
  const fields: (string | null)[] = [];
  let value = '';
  let rawStart = 0;
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (c === undefined || c === delimiter) {
      fields.push(line.slice(rawStart, i) === nullString ? null : value);
      value = '';
      rawStart = i + 1;
      continue;
    }
    if (c !== '\\' || i + 1 >= line.length) {
      value += c;
      continue;
    }
    const next = line[++i] ?? '';
    switch (next) {
      case 'b':
        value += '\b';
        break;
      case 'f':
        value += '\f';
        break;
      case 'n':
        value += '\n';
        break;
      case 'r':
        value += '\r';
        break;
      case 't':
        value += '\t';
        break;
      case 'v':
        value += '\v';
        break;
      case 'x': {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(line.slice(i + 1, i + 3));
        if (hex === null) value += 'x';
        else {
          value += String.fromCharCode(Number.parseInt(hex[0], 16));
          i += hex[0].length;
        }
        break;
      }
      default:
        if (next >= '0' && next <= '7') {
          const octal = /^[0-7]{1,3}/.exec(line.slice(i, i + 3))?.[0] ?? next;
          value += String.fromCharCode(Number.parseInt(octal, 8) & 0xff);
          i += octal.length - 1;
        } else value += next;
    }
  }
  return fields;
}

function parseCsvFields(record: string, options: CopyOptions, rules: CsvNullRules): (string | null)[] {
  const { delimiter, quote, escape: escapeChar, nullString } = options;
  const fields: (string | null)[] = [];
  let i = 0;
  for (;;) {
    const column = fields.length;
    let value = '';
    let quoted = false;
    let inQuote = false;
    for (; i < record.length; i++) {
      const c = record[i] as string;
      if (inQuote) {
        const next = record[i + 1];
        if (c === escapeChar && (next === quote || next === escapeChar)) {
          value += next;
          i++;
        } else if (c === quote) inQuote = false;
        else value += c;
      } else if (c === delimiter) break;
      else if (c === quote) {
        inQuote = true;
        quoted = true;
      } else value += c;
    }
    const matchesNull = value === nullString;
    const isNull = quoted
      ? matchesNull && rules.forceNull[column] === true
      : matchesNull && rules.forceNotNull[column] !== true;
    fields.push(isNull ? null : value);
    if (i >= record.length) return fields;
    i++; // the delimiter
  }
}

/**
 * 22P04 with the line context PostgreSQL reports as CONTEXT. The wire layer has no CONTEXT
 * (where) field yet, so Keel sends the context as DETAIL.
 */
export function copyFormatError(message: string, context: string): KeelError {
  return new KeelError(SqlState.BadCopyFileFormat, message, { detail: context });
}

/** 'COPY t, line 3: "1,2,3"', long records cut like PostgreSQL's limit_printout_length. */
export function lineContext(relation: string, line: number, text?: string): string {
  if (text === undefined) return `COPY ${relation}, line ${line}`;
  const shown = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  return `COPY ${relation}, line ${line}: "${shown}"`;
}

// ---- output -------------------------------------------------------------------------------

const textSpecial = /[\\\n\r\t\b\f\v]/;

function escapeText(value: string, delimiter: string): string {
  if (!textSpecial.test(value) && !value.includes(delimiter)) return value;
  let out = '';
  for (const c of value) {
    switch (c) {
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        out += c === delimiter ? `\\${c}` : c;
    }
  }
  return out;
}

function quoteCsv(value: string, options: CopyOptions, force: boolean, single: boolean): string {
  const { delimiter, quote, escape: escapeChar, nullString } = options;
  const needs =
    force ||
    value === nullString ||
    value.includes(delimiter) ||
    value.includes(quote) ||
    value.includes('\n') ||
    value.includes('\r') ||
    (single && value === '\\.');
  if (!needs) return value;
  let out = quote;
  for (const c of value) out += c === quote || c === escapeChar ? `${escapeChar}${c}` : c;
  return out + quote;
}

/** One output line (with its newline) from text forms of the values (null for NULL). */
export function formatCopyRow(
  values: (string | null)[],
  options: CopyOptions,
  forceQuote: boolean[],
): string {
  const parts: string[] = new Array(values.length);
  const single = values.length === 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    if (v === null) parts[i] = options.nullString;
    else if (options.format === 'csv') parts[i] = quoteCsv(v, options, forceQuote[i] === true, single);
    else parts[i] = escapeText(v, options.delimiter);
  }
  return `${parts.join(options.delimiter)}\n`;
}

/** The HEADER line of COPY TO: the column names. */
export function formatCopyHeader(names: string[], options: CopyOptions): string {
  if (options.format === 'text')
    return `${names.map((n) => escapeText(n, options.delimiter)).join(options.delimiter)}\n`;
  return `${names.map((n) => quoteCsv(n, options, false, false)).join(options.delimiter)}\n`;
}
