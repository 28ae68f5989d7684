/**
 * Arguments of a session script command: positional values and key=value pairs, where a value
 * is either a bare word or JSON (a "string" with escapes, or an [array]). Small on purpose: it
 * exists so scripts can hold SQL with spaces and parameters with NULLs.
 * Exports: parseArguments, ScriptArguments.
 */

export class ScriptArguments {
  constructor(
    readonly positional: unknown[],
    readonly named: Map<string, unknown>,
  ) {}

  string(index: number): string {
    const value = this.positional[index];
    if (value === undefined) throw new Error(`missing argument ${index + 1}`);
    return String(value);
  }

  text(name: string): string {
    return String(this.named.get(name) ?? '');
  }

  number(name: string): number {
    const value = Number(this.named.get(name));
    if (!Number.isFinite(value)) throw new Error(`argument ${name} must be a number`);
    return value;
  }

  numbers(name: string): number[] {
    const value = this.named.get(name) ?? [];
    if (!Array.isArray(value)) throw new Error(`argument ${name} must be an array`);
    return value.map(Number);
  }

  /** An array of strings and nulls, as parameter values. */
  values(name: string): (Buffer | null)[] {
    const value = this.named.get(name) ?? [];
    if (!Array.isArray(value)) throw new Error(`argument ${name} must be an array`);
    return value.map((item) => (item === null ? null : Buffer.from(String(item))));
  }
}

export function parseArguments(text: string): ScriptArguments {
  const positional: unknown[] = [];
  const named = new Map<string, unknown>();
  let at = 0;
  while (at < text.length) {
    if (text[at] === ' ') {
      at += 1;
      continue;
    }
    const key = /^([A-Za-z_][\w.]*)=/.exec(text.slice(at));
    if (key !== null) at += key[0].length;
    const end = valueEnd(text, at);
    const raw = text.slice(at, end);
    const value = raw.startsWith('"') || raw.startsWith('[') ? JSON.parse(raw) : raw;
    if (key?.[1] === undefined) positional.push(value);
    else named.set(key[1], value);
    at = end;
  }
  return new ScriptArguments(positional, named);
}

/** End of the value starting at `at`: a JSON string or array, or a word up to the next space. */
function valueEnd(text: string, at: number): number {
  const first = text[at];
  if (first !== '"' && first !== '[') {
    const space = text.indexOf(' ', at);
    return space < 0 ? text.length : space;
  }
  let depth = 0;
  let inString = false;
  for (let i = at; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
      if (!inString && depth === 0) return i + 1;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '[') depth += 1;
    else if (char === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error(`unterminated value in "${text}"`);
}
