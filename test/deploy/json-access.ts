/**
 * Typed access to parsed YAML/JSON in tests: walk a path through unknown data and fail with
 * the path when a value is missing or of another type, instead of casting.
 * Exports: at, record, list, text, num, isRecord.
 */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `keys` (object keys or array indexes) inside `value`; undefined when absent. */
export function at(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

function describe(keys: (string | number)[]): string {
  return keys.length === 0 ? '(root)' : keys.join('.');
}

export function record(value: unknown, ...keys: (string | number)[]): Record<string, unknown> {
  const found = at(value, ...keys);
  if (!isRecord(found)) throw new Error(`${describe(keys)} is not a mapping: ${JSON.stringify(found)}`);
  return found;
}

export function list(value: unknown, ...keys: (string | number)[]): unknown[] {
  const found = at(value, ...keys);
  if (!Array.isArray(found)) throw new Error(`${describe(keys)} is not a list: ${JSON.stringify(found)}`);
  return found;
}

export function text(value: unknown, ...keys: (string | number)[]): string {
  const found = at(value, ...keys);
  if (typeof found !== 'string')
    throw new Error(`${describe(keys)} is not a string: ${JSON.stringify(found)}`);
  return found;
}

export function num(value: unknown, ...keys: (string | number)[]): number {
  const found = at(value, ...keys);
  if (typeof found !== 'number')
    throw new Error(`${describe(keys)} is not a number: ${JSON.stringify(found)}`);
  return found;
}
