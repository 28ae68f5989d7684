/**
 * Casts compiled once per expression: the path from src/sql/types' findCast is looked up at
 * compile time, so the per-row work is only the conversion (a conversion function, a relabel,
 * text I/O or per-element) and the typmod.
 * Exports: compileCast.
 */
import type { Value } from '../../access/table-access.js';
import type { Oid } from '../../catalog/objects.js';
import { castFunction } from '../types/cast-functions.js';
import { castValue, findCast } from '../types/casts.js';
import type { TypeSettings } from '../types/settings.js';
import { applyTypmod, type CoercionKind } from '../types/typmod.js';
import type { Value as TypedValue } from '../types/value.js';

/** A function converting a non-null value of `from` to `to` (then applying `typmod`). */
export function compileCast(
  from: Oid,
  to: Oid,
  typmod: number,
  kind: CoercionKind,
  settings: TypeSettings,
): (value: Value) => Value {
  const path = findCast(from, to, 'explicit');
  const method = path?.method;
  if (method === 'relabel' || method === 'typmod') {
    if (typmod < 0) return (v) => v;
    return (v) => applyTypmod(v as TypedValue, to, typmod, kind);
  }
  if (method === 'function') {
    const convert = castFunction(from, to);
    if (typmod < 0) return (v) => convert(v as TypedValue, settings);
    return (v) => applyTypmod(convert(v as TypedValue, settings), to, typmod, kind);
  }
  return (v) => castValue(v as TypedValue, from, to, typmod, settings, kind);
}
