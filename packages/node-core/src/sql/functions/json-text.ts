/**
 * The json (not jsonb) type's structure over its original text: a parse that records where each
 * value starts and ends, so that `->`, `#>`, json_each and json_array_elements return the exact
 * text slice PostgreSQL returns (whitespace and duplicate keys preserved), `->` on a duplicated
 * key finds the last one, and json_strip_nulls rebuilds compact text as PostgreSQL does.
 * The input is already valid JSON (json input validates it).
 * Exports: JsonNode, parseJsonText, jsonField, jsonElement, jsonPath, jsonScalarText,
 * jsonTypeOf, stripJsonNulls.
 */
import { quoteJsonString } from '../types/json-io.js';

export interface JsonNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'true' | 'false' | 'null';
  start: number;
  end: number;
  /** Object keys (decoded), parallel to `items`; for arrays only `items`. */
  keys: string[];
  items: JsonNode[];
}

class SpanParser {
  pos = 0;
  constructor(readonly text: string) {}

  skip(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text.charAt(this.pos))) this.pos++;
  }

  value(): JsonNode {
    this.skip();
    const start = this.pos;
    const c = this.text.charAt(this.pos);
    if (c === '{') return this.object(start);
    if (c === '[') return this.array(start);
    if (c === '"') {
      this.string();
      return { kind: 'string', start, end: this.pos, keys: [], items: [] };
    }
    while (this.pos < this.text.length && !' \t\n\r,]}:'.includes(this.text.charAt(this.pos))) this.pos++;
    const word = this.text.slice(start, this.pos);
    const kind = word === 'true' || word === 'false' || word === 'null' ? word : 'number';
    return { kind, start, end: this.pos, keys: [], items: [] };
  }

  string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length && this.text.charAt(this.pos) !== '"') {
      this.pos += this.text.charAt(this.pos) === '\\' ? 2 : 1;
    }
    this.pos++;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  object(start: number): JsonNode {
    const node: JsonNode = { kind: 'object', start, end: start, keys: [], items: [] };
    this.pos++;
    this.skip();
    while (this.text.charAt(this.pos) !== '}') {
      this.skip();
      node.keys.push(this.string());
      this.skip();
      this.pos++;
      node.items.push(this.value());
      this.skip();
      if (this.text.charAt(this.pos) === ',') this.pos++;
      this.skip();
    }
    this.pos++;
    node.end = this.pos;
    return node;
  }

  array(start: number): JsonNode {
    const node: JsonNode = { kind: 'array', start, end: start, keys: [], items: [] };
    this.pos++;
    this.skip();
    while (this.text.charAt(this.pos) !== ']') {
      node.items.push(this.value());
      this.skip();
      if (this.text.charAt(this.pos) === ',') this.pos++;
      this.skip();
    }
    this.pos++;
    node.end = this.pos;
    return node;
  }
}

export function parseJsonText(text: string): JsonNode {
  return new SpanParser(text).value();
}

/** The value of the last `key` member, or null. */
export function jsonField(node: JsonNode, key: string): JsonNode | null {
  if (node.kind !== 'object') return null;
  for (let i = node.keys.length - 1; i >= 0; i--) if (node.keys[i] === key) return node.items[i] ?? null;
  return null;
}

export function jsonElement(node: JsonNode, index: number): JsonNode | null {
  if (node.kind !== 'array') return null;
  const i = index < 0 ? node.items.length + index : index;
  return node.items[i] ?? null;
}

export function jsonPath(node: JsonNode, path: readonly (string | null)[]): JsonNode | null {
  let cur: JsonNode | null = node;
  for (const key of path) {
    if (cur === null || key === null) return null;
    if (cur.kind === 'object') cur = jsonField(cur, key);
    else if (cur.kind === 'array' && /^\s*-?\d+\s*$/.test(key)) cur = jsonElement(cur, Number(key));
    else return null;
  }
  return cur;
}

/** ->> semantics: strings unquoted, null is SQL NULL, everything else its text. */
export function jsonScalarText(text: string, node: JsonNode): string | null {
  if (node.kind === 'null') return null;
  const slice = text.slice(node.start, node.end);
  return node.kind === 'string' ? (JSON.parse(slice) as string) : slice;
}

export function jsonTypeOf(node: JsonNode): string {
  if (node.kind === 'true' || node.kind === 'false') return 'boolean';
  return node.kind;
}

/** json_strip_nulls: compact text without object members whose value is null. */
export function stripJsonNulls(text: string, node: JsonNode): string {
  if (node.kind === 'object') {
    const parts: string[] = [];
    node.items.forEach((item, i) => {
      if (item.kind !== 'null')
        parts.push(`${quoteJsonString(node.keys[i] ?? '')}:${stripJsonNulls(text, item)}`);
    });
    return `{${parts.join(',')}}`;
  }
  if (node.kind === 'array') return `[${node.items.map((item) => stripJsonNulls(text, item)).join(',')}]`;
  return text.slice(node.start, node.end);
}
