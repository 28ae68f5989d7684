/**
 * Typed access to argument values. Overload resolution guarantees each argument's type, so
 * implementations read values through these accessors instead of scattering casts; they are
 * the only place the function library narrows `Value`.
 * Exports: num, big, str, bool, numeric, bytes, arr, interval, jsonb.
 */
import type { Numeric } from '../types/numeric.js';
import type { Interval, Jsonb, PgArray, Value } from '../types/value.js';

export function num(v: Value | undefined): number {
  return v as number;
}

export function big(v: Value | undefined): bigint {
  return v as bigint;
}

export function str(v: Value | undefined): string {
  return v as string;
}

export function bool(v: Value | undefined): boolean {
  return v as boolean;
}

export function numeric(v: Value | undefined): Numeric {
  return v as Numeric;
}

export function bytes(v: Value | undefined): Uint8Array {
  return v as Uint8Array;
}

export function arr(v: Value | undefined): PgArray {
  return v as PgArray;
}

export function interval(v: Value | undefined): Interval {
  return v as Interval;
}

export function jsonb(v: Value | undefined): Jsonb {
  return v as Jsonb;
}
