/**
 * Array text I/O: '{1,2,NULL}', '{{1,2},{3,4}}', '[0:1]={a,b}', with PostgreSQL's quoting
 * (an element is double-quoted when it is empty, is NULL-like, or contains braces, quotes,
 * commas, backslashes or white space; inside quotes " and \ are backslash-escaped). Input
 * accepts the same, trims unquoted elements, reads unquoted NULL as SQL NULL, and requires
 * rectangular nesting; errors are 22P02 "malformed array literal" with PostgreSQL's details.
 * Exports: parseArrayText, formatArrayText, makeArray, arrayFromList.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TypeOid } from './oids.js';
import type { ArrayDim, PgArray, Value } from './value.js';

function malformed(text: string, detail: string): KeelError {
  return new KeelError(SqlState.InvalidTextRepresentation, `malformed array literal: "${text}"`, { detail });
}

/** A one-dimensional array with lower bound 1 (empty list -> empty array). */
export function arrayFromList(elementType: TypeOid, values: Value[]): PgArray {
  return makeArray(
    elementType,
    values.length === 0 ? [] : [{ length: values.length, lowerBound: 1 }],
    values,
  );
}

export function makeArray(elementType: TypeOid, dims: ArrayDim[], values: Value[]): PgArray {
  return { elementType, dims, values };
}

interface Element {
  text: string;
  quoted: boolean;
}

class ArrayTextParser {
  private pos = 0;
  readonly elements: Element[] = [];
  /** Lengths seen per nesting level; -1 until the first sub-array at that level closes. */
  readonly lengths: number[] = [];
  /** Whether each nesting level holds sub-arrays or scalars; all sub-arrays must agree. */
  private readonly kinds: ('sub' | 'scalar')[] = [];

  constructor(private readonly text: string) {}

  private fail(detail: string): never {
    throw malformed(this.text, detail);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  /** Parses '[lo:hi][lo:hi]=' if present. */
  parseDecoration(): ArrayDim[] | null {
    this.skipSpace();
    if (this.text.charAt(this.pos) !== '[') return null;
    const dims: ArrayDim[] = [];
    while (this.text.charAt(this.pos) === '[') {
      const m = /^\[\s*([+-]?\d+)\s*(?::\s*([+-]?\d+)\s*)?\]/.exec(this.text.slice(this.pos));
      if (m === null) this.fail('"[" must introduce explicitly-specified array dimensions.');
      const lo = m[2] === undefined ? 1 : Number(m[1]);
      const hi = Number(m[2] ?? m[1]);
      if (hi < lo) this.fail('Upper bound cannot be less than lower bound.');
      dims.push({ length: hi - lo + 1, lowerBound: lo });
      this.pos += m[0].length;
      this.skipSpace();
    }
    if (this.text.charAt(this.pos) !== '=') this.fail('Missing "=" after array dimensions.');
    this.pos++;
    return dims;
  }

  parseBody(): void {
    this.skipSpace();
    if (this.text.charAt(this.pos) !== '{')
      this.fail('Array value must start with "{" or dimension information.');
    this.parseLevel(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('Junk after closing right brace.');
  }

  private parseLevel(level: number): void {
    this.pos++;
    let count = 0;
    let kind: 'none' | 'sub' | 'scalar' = 'none';
    this.skipSpace();
    if (this.text.charAt(this.pos) === '}') {
      this.pos++;
      this.closeLevel(level, 0, true);
      return;
    }
    for (;;) {
      this.skipSpace();
      const c = this.text.charAt(this.pos);
      if (c === '{') {
        if (kind === 'scalar') this.fail('Unexpected "{" character.');
        kind = 'sub';
        this.checkKind(level, kind);
        this.parseLevel(level + 1);
      } else if (c === '') {
        this.fail('Unexpected end of input.');
      } else if (c === '}' || c === ',') {
        this.fail(`Unexpected "${c}" character.`);
      } else {
        if (kind === 'sub') this.fail('Unexpected array element.');
        kind = 'scalar';
        this.checkKind(level, kind);
        this.elements.push(this.parseElement());
      }
      count++;
      this.skipSpace();
      const d = this.text.charAt(this.pos);
      if (d === ',') {
        this.pos++;
      } else if (d === '}') {
        this.pos++;
        this.closeLevel(level, count, false);
        return;
      } else if (d === '') {
        this.fail('Unexpected end of input.');
      } else {
        this.fail(`Unexpected "${d}" character.`);
      }
    }
  }

  private checkKind(level: number, kind: 'sub' | 'scalar'): void {
    const seen = this.kinds[level];
    if (seen === undefined) this.kinds[level] = kind;
    else if (seen !== kind)
      this.fail('Multidimensional arrays must have sub-arrays with matching dimensions.');
  }

  private closeLevel(level: number, count: number, empty: boolean): void {
    if (empty && level > 0)
      this.fail('Multidimensional arrays must have sub-arrays with matching dimensions.');
    const seen = this.lengths[level];
    if (seen === undefined) {
      this.lengths[level] = count;
    } else if (seen !== count) {
      this.fail('Multidimensional arrays must have sub-arrays with matching dimensions.');
    }
  }

  private parseElement(): Element {
    let out = '';
    let quoted = false;
    let trailingSpace = 0;
    for (;;) {
      const c = this.text.charAt(this.pos);
      if (c === '') this.fail('Unexpected end of input.');
      if (c === '"') {
        quoted = true;
        this.pos++;
        out += this.readQuoted();
        trailingSpace = 0;
        continue;
      }
      if (c === '\\') {
        const next = this.text.charAt(this.pos + 1);
        if (next === '') this.fail('Unexpected end of input.');
        out += next;
        this.pos += 2;
        trailingSpace = 0;
        quoted = true;
        continue;
      }
      if (c === ',' || c === '}') break;
      if (c === '{') this.fail('Unexpected "{" character.');
      if (/\s/.test(c)) trailingSpace++;
      else trailingSpace = 0;
      out += c;
      this.pos++;
    }
    return { text: trailingSpace > 0 ? out.slice(0, out.length - trailingSpace) : out, quoted };
  }

  private readQuoted(): string {
    let out = '';
    for (;;) {
      const c = this.text.charAt(this.pos);
      if (c === '') this.fail('Unexpected end of input.');
      this.pos++;
      if (c === '"') return out;
      if (c === '\\') {
        const next = this.text.charAt(this.pos);
        if (next === '') this.fail('Unexpected end of input.');
        out += next;
        this.pos++;
      } else {
        out += c;
      }
    }
  }
}

/** Parses array text; `parseElement` reads one element's text with the element type's input. */
export function parseArrayText(
  text: string,
  elementType: TypeOid,
  parseElement: (s: string) => Value,
): PgArray {
  const parser = new ArrayTextParser(text);
  const decorated = parser.parseDecoration();
  parser.parseBody();
  const values = parser.elements.map((e) =>
    !e.quoted && e.text.toUpperCase() === 'NULL' ? null : parseElement(e.text),
  );
  if (values.length === 0) {
    if (decorated?.some((d) => d.length !== 0)) {
      throw malformed(text, 'Specified array dimensions do not match array contents.');
    }
    return makeArray(elementType, [], []);
  }
  const lengths = parser.lengths;
  if (decorated !== null) {
    if (decorated.length !== lengths.length || decorated.some((d, i) => d.length !== lengths[i])) {
      throw malformed(text, 'Specified array dimensions do not match array contents.');
    }
    return makeArray(elementType, decorated, values);
  }
  return makeArray(
    elementType,
    lengths.map((length) => ({ length, lowerBound: 1 })),
    values,
  );
}

function quoteElement(s: string): string {
  if (s === '' || s.toUpperCase() === 'NULL' || /[{}",\\\s]/.test(s)) {
    return `"${s.replace(/["\\]/g, '\\$&')}"`;
  }
  return s;
}

/** Prints an array; `formatElement` gives one element's text. */
export function formatArrayText(array: PgArray, formatElement: (v: Value) => string): string {
  const { dims, values } = array;
  if (dims.length === 0) return '{}';
  let prefix = '';
  if (dims.some((d) => d.lowerBound !== 1)) {
    prefix = `${dims.map((d) => `[${d.lowerBound}:${d.lowerBound + d.length - 1}]`).join('')}=`;
  }
  let index = 0;
  const level = (depth: number): string => {
    const dim = dims[depth];
    if (dim === undefined) return '';
    const parts: string[] = [];
    for (let i = 0; i < dim.length; i++) {
      if (depth === dims.length - 1) {
        const v = values[index++] ?? null;
        parts.push(v === null ? 'NULL' : quoteElement(formatElement(v)));
      } else {
        parts.push(level(depth + 1));
      }
    }
    return `{${parts.join(',')}}`;
  };
  return prefix + level(0);
}
