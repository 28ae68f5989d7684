/**
 * Miscellaneous functions: gen_random_uuid (from the session's injected random source),
 * pg_typeof and format_type, num_nulls/num_nonnulls, and the helpers the binder uses for the
 * syntax forms COALESCE, NULLIF, GREATEST and LEAST (which PostgreSQL evaluates without a
 * function call: GREATEST/LEAST ignore NULLs; NULLIF uses the type's equality).
 * Exports: registerMiscFunctions, greatestOf, leastOf, nullIf, coalesceOf.
 */
import { comparatorFor } from '../types/compare.js';
import { Oids, type TypeOid } from '../types/oids.js';
import { formatType } from '../types/type-registry.js';
import type { Value } from '../types/value.js';
import type { EvalContext } from './eval-context.js';
import { defineFunction } from './function-registry.js';
import { num } from './value-access.js';

function randomUuid(ctx: EvalContext): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(ctx.random.next() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** GREATEST: the largest non-null value, NULL when all are NULL. */
export function greatestOf(type: TypeOid, values: readonly Value[]): Value {
  const cmp = comparatorFor(type);
  let best: Value = null;
  for (const v of values) if (v !== null && (best === null || cmp(v, best) > 0)) best = v;
  return best;
}

/** LEAST: the smallest non-null value, NULL when all are NULL. */
export function leastOf(type: TypeOid, values: readonly Value[]): Value {
  const cmp = comparatorFor(type);
  let best: Value = null;
  for (const v of values) if (v !== null && (best === null || cmp(v, best) < 0)) best = v;
  return best;
}

/** NULLIF(a, b): NULL when a = b, else a. */
export function nullIf(type: TypeOid, a: Value, b: Value): Value {
  if (a === null || b === null) return a;
  return comparatorFor(type)(a, b) === 0 ? null : a;
}

/** COALESCE over already-evaluated values (the executor short-circuits lazily itself). */
export function coalesceOf(values: readonly Value[]): Value {
  for (const v of values) if (v !== null) return v;
  return null;
}

export function registerMiscFunctions(): void {
  defineFunction('gen_random_uuid', [], 'uuid', (_a, ctx) => randomUuid(ctx), { volatility: 'volatile' });
  defineFunction('pg_typeof', ['any'], 'regtype', () => null, {
    strict: false,
    volatility: 'stable',
    bind: (types) => () => types[0] ?? Oids.unknown,
  });
  defineFunction(
    'format_type',
    ['oid', 'int4'],
    'text',
    ([oid, typmod]) =>
      oid === null || oid === undefined
        ? null
        : formatType(num(oid), typmod === null || typmod === undefined ? -1 : num(typmod)),
    { strict: false, volatility: 'stable' },
  );
  defineFunction('num_nulls', ['any'], 'int4', (args) => args.filter((a) => a === null).length, {
    strict: false,
    variadic: true,
  });
  defineFunction('num_nonnulls', ['any'], 'int4', (args) => args.filter((a) => a !== null).length, {
    strict: false,
    variadic: true,
  });
}
