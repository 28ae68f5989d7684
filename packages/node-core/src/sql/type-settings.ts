/**
 * The session's type I/O settings as src/sql/types wants them (TimeZone, DateStyle,
 * IntervalStyle, extra_float_digits, bytea_output, and reg* name lookups through the
 * statement's catalog), and the EvalContext functions run with. The binder folds constants
 * with these settings; the executor builds one EvalContext per execution.
 * Exports: typeSettingsFor, catalogResolverFor, executionEvalContext, typeSettingKeys.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CatalogReader, ExecutionContext, SessionSettings } from './context.js';
import { type EvalContext, seededRandom } from './functions/eval-context.js';
import {
  type CatalogResolver,
  defaultTypeSettings,
  parseDateStyle,
  parseIntervalStyle,
  parseTimeZoneSetting,
  type TypeSettings,
} from './types/settings.js';

/** The settings that change how values are read and printed (part of a cached plan's key). */
export const typeSettingKeys = [
  'TimeZone',
  'DateStyle',
  'IntervalStyle',
  'extra_float_digits',
  'bytea_output',
];

export function catalogResolverFor(catalog: CatalogReader): CatalogResolver {
  const own = catalog.regResolver?.();
  if (own !== undefined) return own;
  const missing = (kind: string, name: string): never => {
    throw new KeelError(SqlState.UndefinedObject, `${kind} "${name}" does not exist`);
  };
  return {
    regclassIn: (name) => catalog.regclassIn(name) ?? missing('relation', name),
    regclassOut: (oid) => catalog.regclassOut(oid),
    regprocIn: (name) => missing('function', name),
    regprocOut: (oid) => String(oid),
    regnamespaceIn: (name) => catalog.namespaceByName(name)?.oid ?? missing('schema', name),
    regnamespaceOut: (oid) => catalog.namespace(oid)?.name ?? String(oid),
  };
}

/** Parsed settings by their text (TimeZone names are slow to resolve); bounded. */
const parsed = new Map<string, TypeSettings>();

export function typeSettingsFor(settings: SessionSettings, catalog: CatalogReader | null): TypeSettings {
  const key = typeSettingKeys.map((k) => settings.get(k) ?? '').join('\u0001');
  let base = parsed.get(key);
  if (base === undefined) {
    base = parseSettings(settings);
    if (parsed.size >= 64) parsed.clear();
    parsed.set(key, base);
  }
  return catalog === null ? base : { ...base, catalog: catalogResolverFor(catalog) };
}

function parseSettings(settings: SessionSettings): TypeSettings {
  const defaults = defaultTypeSettings();
  const value = (name: string) => settings.get(name);
  const zone = value('TimeZone');
  const dateStyle = value('DateStyle');
  const floatDigits = Number(value('extra_float_digits') ?? defaults.extraFloatDigits);
  return defaultTypeSettings({
    timeZone: zone === undefined ? defaults.timeZone : parseTimeZoneSetting(zone),
    dateStyle: dateStyle === undefined ? defaults.dateStyle : parseDateStyle(dateStyle, defaults.dateStyle),
    intervalStyle: parseIntervalStyle(value('IntervalStyle') ?? defaults.intervalStyle),
    extraFloatDigits: Number.isFinite(floatDigits) ? floatDigits : defaults.extraFloatDigits,
    byteaOutput: value('bytea_output') === 'escape' ? 'escape' : 'hex',
  });
}

/** The EvalContext of one execution: session settings, statement and transaction times, random(). */
export function executionEvalContext(ctx: ExecutionContext): EvalContext {
  const seed = Number(ctx.statementTimestamp % 2_147_483_647n) || 1;
  return {
    ...typeSettingsFor(ctx.settings, ctx.catalog),
    transactionTimestamp: ctx.transactionTimestamp,
    statementTimestamp: ctx.statementTimestamp,
    clockTimestamp: () => ctx.clockTimestamp?.() ?? ctx.statementTimestamp,
    random: seededRandom(seed),
  };
}
