/**
 * json and jsonb text I/O. json keeps the input text verbatim once it is valid JSON; jsonb is
 * parsed into Keel's Jsonb value: numbers become Numeric (exact, keeping their scale: 2.50 stays
 * 2.50), object keys are sorted in PostgreSQL's storage order (shorter first, then bytewise) and
 * the last of duplicate keys wins. Output follows PostgreSQL's spacing (`{"a": 1, "b": [1, 2]}`)
 * and jsonb_pretty's four-space layout. Bad JSON is 22P02 "invalid input syntax for type json".
 * Exports: parseJsonb, validateJson, formatJsonb, prettyJsonb, quoteJsonString, jsonbObject.
 */
import { KeelError, SqlState } from '@keel/errors';
import { Numeric } from './numeric.js';
import { compareJsonbKeys, type Jsonb, JsonbObject, JsonNull } from './value.js';

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class JsonParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly forJsonb: boolean,
  ) {}

  parseDocument(): Jsonb {
    this.skipSpace();
    const value = this.parseValue();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`Token "${this.tokenAt(this.pos)}" is invalid.`);
    return value;
  }

  private fail(detail: string): never {
    throw new KeelError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type json', { detail });
  }

  private tokenAt(start: number): string {
    let end = start;
    const c = this.text.charAt(start);
    if (/[{}[\],:"]/.test(c)) return c;
    while (end < this.text.length && /[^\s{}[\],:"]/.test(this.text.charAt(end))) end++;
    return this.text.slice(start, Math.max(end, start + 1));
  }

  private skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private parseValue(): Jsonb {
    if (this.pos >= this.text.length) this.fail('The input string ended unexpectedly.');
    const c = this.text.charAt(this.pos);
    if (c === '{') return this.parseObject();
    if (c === '[') return this.parseArray();
    if (c === '"') return this.parseString();
    if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
    const token = this.tokenAt(this.pos);
    this.pos += token.length;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return JsonNull;
    this.fail(`Token "${token}" is invalid.`);
  }

  private parseNumber(): Jsonb {
    numberPattern.lastIndex = this.pos;
    const m = numberPattern.exec(this.text);
    const token = this.tokenAt(this.pos);
    if (m === null || m[0].length !== token.length) this.fail(`Token "${token}" is invalid.`);
    this.pos += m[0].length;
    return this.forJsonb ? Numeric.parse(m[0]) : Numeric.Zero;
  }

  private parseString(): string {
    const start = ++this.pos;
    let out = '';
    let chunk = start;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        out += this.text.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail(`Character with value 0x${c.toString(16).padStart(2, '0')} must be escaped.`);
      }
      if (c === 0x5c) {
        out += this.text.slice(chunk, this.pos);
        out += this.parseEscape();
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail('The input string ended unexpectedly.');
  }

  private parseEscape(): string {
    const e = this.text.charAt(this.pos + 1);
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u':
        return this.parseUnicodeEscape();
      default:
        this.fail(`Escape sequence "\\${e}" is invalid.`);
    }
  }

  private parseUnicodeEscape(): string {
    const hex = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('"\\u" must be followed by four hexadecimal digits.');
    this.pos += 4;
    const code = Number.parseInt(hex, 16);
    if (code === 0 && this.forJsonb) {
      throw new KeelError(SqlState.UntranslatableCharacter, 'unsupported Unicode escape sequence', {
        detail: '\\u0000 cannot be converted to text.',
      });
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(this.text.slice(this.pos, this.pos + 6));
      if (low === null) this.fail('Unicode high surrogate must not follow a high surrogate.');
      this.pos += 6;
      return String.fromCharCode(code, Number.parseInt(low[1] ?? '0', 16));
    }
    if (code >= 0xdc00 && code <= 0xdfff) this.fail('Unicode low surrogate must follow a high surrogate.');
    return String.fromCharCode(code);
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('The input string ended unexpectedly.');
    if (this.text.charAt(this.pos) !== ch) {
      this.fail(`Expected "${ch}", but found "${this.tokenAt(this.pos)}".`);
    }
    this.pos++;
  }

  private parseArray(): Jsonb[] {
    this.pos++;
    const items: Jsonb[] = [];
    this.skipSpace();
    if (this.text.charAt(this.pos) === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.parseValue());
      this.skipSpace();
      const c = this.text.charAt(this.pos);
      if (c === ',') this.pos++;
      else if (c === ']') {
        this.pos++;
        return items;
      } else if (c === '') this.fail('The input string ended unexpectedly.');
      else this.fail(`Expected "," or "]", but found "${this.tokenAt(this.pos)}".`);
    }
  }

  private parseObject(): Jsonb {
    this.pos++;
    const keys: string[] = [];
    const values: Jsonb[] = [];
    this.skipSpace();
    if (this.text.charAt(this.pos) === '}') {
      this.pos++;
      return jsonbObject(keys, values);
    }
    for (;;) {
      this.skipSpace();
      if (this.text.charAt(this.pos) !== '"') {
        if (this.pos >= this.text.length) this.fail('The input string ended unexpectedly.');
        this.fail(`Expected string, but found "${this.tokenAt(this.pos)}".`);
      }
      keys.push(this.parseString());
      this.expect(':');
      this.skipSpace();
      values.push(this.parseValue());
      this.skipSpace();
      const c = this.text.charAt(this.pos);
      if (c === ',') this.pos++;
      else if (c === '}') {
        this.pos++;
        return jsonbObject(keys, values);
      } else if (c === '') this.fail('The input string ended unexpectedly.');
      else this.fail(`Expected "," or "}", but found "${this.tokenAt(this.pos)}".`);
    }
  }
}

/** Builds a jsonb object from pairs in input order: sorted, the last duplicate wins. */
export function jsonbObject(keys: string[], values: Jsonb[]): JsonbObject {
  const order = keys.map((_, i) => i);
  order.sort((a, b) => compareJsonbKeys(keys[a] ?? '', keys[b] ?? '') || b - a);
  const outKeys: string[] = [];
  const outValues: Jsonb[] = [];
  for (const i of order) {
    const k = keys[i] ?? '';
    if (outKeys.length > 0 && outKeys[outKeys.length - 1] === k) continue;
    outKeys.push(k);
    outValues.push(values[i] ?? JsonNull);
  }
  return new JsonbObject(outKeys, outValues);
}

export function parseJsonb(text: string): Jsonb {
  return new JsonParser(text, true).parseDocument();
}

/** json input: validates and returns the text unchanged. */
export function validateJson(text: string): string {
  new JsonParser(text, false).parseDocument();
  return text;
}

/** escape_json: quotes and escapes a string as PostgreSQL prints it. */
export function quoteJsonString(s: string): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(chunk, i);
    chunk = i + 1;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out + s.slice(chunk)}"`;
}

export function formatJsonb(value: Jsonb): string {
  if (value === JsonNull) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quoteJsonString(value);
  if (value instanceof Numeric) return value.toString();
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ', ';
      out += formatJsonb(value[i] ?? JsonNull);
    }
    return `${out}]`;
  }
  let out = '{';
  for (let i = 0; i < value.keys.length; i++) {
    if (i > 0) out += ', ';
    out += `${quoteJsonString(value.keys[i] ?? '')}: ${formatJsonb(value.values[i] ?? JsonNull)}`;
  }
  return `${out}}`;
}

/** jsonb_pretty: one element per line, four spaces per level. */
export function prettyJsonb(value: Jsonb, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `[\n${indent}]`;
    const inner = `${indent}    `;
    return `[\n${value.map((v) => inner + prettyJsonb(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value instanceof JsonbObject) {
    if (value.keys.length === 0) return `{\n${indent}}`;
    const inner = `${indent}    `;
    const lines = value.keys.map(
      (k, i) => `${inner}${quoteJsonString(k)}: ${prettyJsonb(value.values[i] ?? JsonNull, inner)}`,
    );
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return formatJsonb(value);
}
