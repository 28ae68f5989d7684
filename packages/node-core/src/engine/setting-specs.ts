/**
 * The settings (GUCs) a session has, with PostgreSQL's names, defaults, accepted values and
 * display forms. Only settings clients and applications actually touch are here; SET of an
 * unknown name fails with 42704 as in PostgreSQL, except custom "a.b" names, which are free-form.
 * Exports: SettingSpec, settingSpecs, SERVER_VERSION, SERVER_VERSION_NUM.
 */
import { KeelError, SqlState } from '@keel/errors';

/** Keel speaks the protocol and SQL of PostgreSQL 16; clients key features off this. */
export const SERVER_VERSION = '16.4 (Keel 0.1.0)';
export const SERVER_VERSION_NUM = '160004';

/** How pg_settings describes a setting: its vartype, unit, range and enum values. */
export interface SettingKind {
  vartype: 'bool' | 'integer' | 'real' | 'string' | 'enum';
  /** 'ms' or 'kB': pg_settings.setting is then the value in this unit. */
  unit: 'ms' | 'kB' | null;
  min: string | null;
  max: string | null;
  enumvals: string[] | null;
}

type Normalizer = ((value: string, current?: string) => string) & { kind?: SettingKind };

function withKind<F extends (value: string, current?: string) => string>(
  fn: F,
  kind: Partial<SettingKind>,
): F {
  (fn as Normalizer).kind = { vartype: 'string', unit: null, min: null, max: null, enumvals: null, ...kind };
  return fn;
}

export interface SettingSpec {
  name: string;
  kind: SettingKind;
  defaultValue: string;
  /** Sent as ParameterStatus at startup and whenever it changes (GUC_REPORT). */
  report: boolean;
  /** Only the server sets it; SET fails with 55P02 (or 25001 for transaction settings via SET). */
  readOnly: boolean;
  /**
   * Validates and returns the canonical display form; throws 22023 for a bad value. `current`
   * is the value being replaced (DateStyle keeps the half a new value leaves out).
   */
  normalize(value: string, current?: string): string;
}

const badValue = (name: string, value: string, hint?: string): KeelError =>
  new KeelError(
    SqlState.InvalidParameterValue,
    `invalid value for parameter "${name}": "${value}"`,
    hint ? { hint } : {},
  );

const anyText = (value: string): string => value;

function oneOf(name: string, values: readonly string[]): (value: string) => string {
  return withKind(
    (value: string) => {
      const lower = value.trim().toLowerCase();
      const match = values.find((candidate) => candidate.toLowerCase() === lower);
      if (match === undefined) {
        throw badValue(name, value, `Available values: ${values.join(', ')}.`);
      }
      return match;
    },
    { vartype: 'enum', enumvals: [...values] },
  );
}

function booleanSetting(name: string): (value: string) => string {
  return withKind(
    (value: string) => {
      const lower = value.trim().toLowerCase();
      if (['on', 'true', 'yes', '1', 't', 'y'].includes(lower)) return 'on';
      if (['off', 'false', 'no', '0', 'f', 'n'].includes(lower)) return 'off';
      throw new KeelError(SqlState.InvalidParameterValue, `parameter "${name}" requires a Boolean value`);
    },
    { vartype: 'bool' },
  );
}

const timeUnits: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Round half to even, as PostgreSQL's rint() when it converts a value to the setting's unit. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Milliseconds settings: accepts "5000", "5s", "1min", "500us"; displays like PostgreSQL ("5s",
 * "0"); out of range fails with PostgreSQL's message.
 */
function durationSetting(name: string): (value: string) => string {
  return withKind(
    (value: string) => {
      const match = /^\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(value);
      if (match === null)
        throw badValue(
          name,
          value,
          'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".',
        );
      const unit = (match[2] ?? 'ms').toLowerCase();
      const factor = unit === 'us' ? 0.001 : (timeUnits.find(([u]) => u === unit)?.[1] ?? 1);
      const ms = roundHalfEven(Number(match[1]) * factor);
      if (ms < 0 || ms > 2_147_483_647) {
        throw new KeelError(
          SqlState.InvalidParameterValue,
          `${ms} ms is outside the valid range for parameter "${name}" (0 .. 2147483647)`,
        );
      }
      return formatDuration(ms);
    },
    { vartype: 'integer', unit: 'ms', min: '0', max: '2147483647' },
  );
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, factor] of timeUnits) if (ms % factor === 0) return `${ms / factor}${unit}`;
  return `${ms}ms`;
}

/** Milliseconds of a duration setting's display form. */
export function durationMs(display: string): number {
  const match = /^(\d+)(ms|s|min|h|d)?$/.exec(display);
  if (match === null) return 0;
  const factor = timeUnits.find(([u]) => u === (match[2] ?? 'ms'))?.[1] ?? 1;
  return Number(match[1]) * factor;
}

const memoryUnits: [string, number][] = [
  ['TB', 1024 ** 3],
  ['GB', 1024 ** 2],
  ['MB', 1024],
  ['kB', 1],
];

function memorySetting(name: string): (value: string) => string {
  return withKind(
    (value: string) => {
      const match = /^\s*(\d+)\s*(kB|MB|GB|TB)?\s*$/i.exec(value);
      if (match === null)
        throw badValue(name, value, 'Valid units for this parameter are "kB", "MB", "GB", and "TB".');
      const unit = memoryUnits.find(([u]) => u.toLowerCase() === (match[2] ?? 'kB').toLowerCase());
      const kb = Number(match[1]) * (unit?.[1] ?? 1);
      if (kb < 64) throw badValue(name, value);
      for (const [u, factor] of memoryUnits) if (kb % factor === 0) return `${kb / factor}${u}`;
      return `${kb}kB`;
    },
    { vartype: 'integer', unit: 'kB', min: '64', max: '2147483647' },
  );
}

/** Bytes of a memory setting's display form. */
export function memoryBytes(display: string): number {
  const match = /^(\d+)(kB|MB|GB|TB)$/.exec(display);
  if (match === null) return 4 * 1024 * 1024;
  return Number(match[1]) * (memoryUnits.find(([u]) => u === match[2])?.[1] ?? 1) * 1024;
}

function integerSetting(name: string, min: number, max: number): (value: string) => string {
  return withKind(
    (value: string) => {
      const n = Number(value.trim());
      if (!Number.isInteger(n)) {
        throw new KeelError(
          SqlState.InvalidParameterValue,
          `invalid value for parameter "${name}": "${value}"`,
        );
      }
      if (n < min || n > max) {
        throw new KeelError(
          SqlState.InvalidParameterValue,
          `${n} is outside the valid range for parameter "${name}" (${min} .. ${max})`,
        );
      }
      return String(n);
    },
    { vartype: 'integer', min: String(min), max: String(max) },
  );
}

/**
 * PostgreSQL's check_datestyle: a value may name the output style, the field order, or both;
 * the half it leaves out keeps its current value (German alone implies DMY).
 */
function dateStyle(value: string, current = 'ISO, MDY'): string {
  const [currentOutput = 'ISO', currentOrder = 'MDY'] = current.split(',').map((p) => p.trim());
  let output: string | null = null;
  let order: string | null = null;
  for (const part of value.split(',').map((p) => p.trim().toLowerCase())) {
    if (part === 'iso') output = 'ISO';
    else if (part === 'sql') output = 'SQL';
    else if (part === 'postgres') output = 'Postgres';
    else if (part === 'german') output = 'German';
    else if (part === 'mdy' || part === 'us' || part === 'noneuropean') order = 'MDY';
    else if (part === 'dmy' || part === 'euro' || part === 'european') order = 'DMY';
    else if (part === 'ymd') order = 'YMD';
    else if (part === 'default') {
      output ??= 'ISO';
      order ??= 'MDY';
    } else throw badValue('DateStyle', value);
  }
  if (output === 'German' && order === null) order = 'DMY';
  return `${output ?? currentOutput}, ${order ?? currentOrder}`;
}

/** PostgreSQL 16's pg_clean_ascii: bytes outside printable ASCII become \xNN (application_name). */
function cleanAscii(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte < 32 || byte > 126 ? `\\x${byte.toString(16).padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

/**
 * PostgreSQL's name of a fixed-offset zone (pg_tzset_offset): `secondsWest` 18000 is "<-05>+05",
 * -19800 is "<+05:30>-05:30".
 */
export function offsetZoneName(secondsWest: number): string {
  let rest = Math.abs(secondsWest);
  let text = String(Math.floor(rest / 3600)).padStart(2, '0');
  rest %= 3600;
  if (rest !== 0) {
    text += `:${String(Math.floor(rest / 60)).padStart(2, '0')}`;
    rest %= 60;
    if (rest !== 0) text += `:${String(rest).padStart(2, '0')}`;
  }
  return secondsWest > 0 ? `<-${text}>+${text}` : `<+${text}>-${text}`;
}

/**
 * As PostgreSQL's check_timezone: a number is hours east of UTC (SQL convention) and shows as
 * the POSIX name of that offset; a zone name keeps the spelling the client used (Asia/Kolkata
 * stays Asia/Kolkata), with the database's case when it differs only in case.
 */
function timeZone(value: string): string {
  const trimmed = value.trim();
  if (/^(utc|gmt|z|zulu)$/i.test(trimmed)) return 'UTC';
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) {
    const hours = Number(trimmed);
    if (Math.abs(hours) > 24 * 7) throw badValue('TimeZone', value);
    return offsetZoneName(Math.round(-hours * 3600));
  }
  if (/^[+-]?\d{1,2}(:\d{2}){1,2}$/.test(trimmed) || /^<[^>]+>[+-]?\d/.test(trimmed)) return trimmed;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === trimmed.toLowerCase() ? resolved : trimmed;
  } catch {
    throw badValue('TimeZone', value);
  }
}

/** client_min_messages: PostgreSQL's levels; "debug" is debug2, "info" is accepted as in PostgreSQL. */
const clientMinMessages = withKind(clientMinMessagesOf, {
  vartype: 'enum',
  enumvals: ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'warning', 'error'],
});

function clientMinMessagesOf(value: string): string {
  const lower = value.trim().toLowerCase();
  if (lower === 'debug') return 'debug2';
  return oneOf('client_min_messages', [
    'debug5',
    'debug4',
    'debug3',
    'debug2',
    'debug1',
    'log',
    'notice',
    'warning',
    'error',
    'info',
  ])(lower);
}

const isolation = oneOf('default_transaction_isolation', [
  'serializable',
  'repeatable read',
  'read committed',
  'read uncommitted',
]);

function spec(
  name: string,
  defaultValue: string,
  normalize: (v: string) => string,
  flags: { report?: boolean; readOnly?: boolean } = {},
): SettingSpec {
  const kind: SettingKind = (normalize as Normalizer).kind ?? {
    vartype: 'string',
    unit: null,
    min: null,
    max: null,
    enumvals: null,
  };
  return {
    name,
    kind,
    defaultValue,
    normalize,
    report: flags.report ?? false,
    readOnly: flags.readOnly ?? false,
  };
}

export const settingSpecs: readonly SettingSpec[] = [
  spec('server_version', SERVER_VERSION, anyText, { report: true, readOnly: true }),
  spec('server_version_num', SERVER_VERSION_NUM, anyText, { readOnly: true }),
  spec('server_encoding', 'UTF8', anyText, { report: true, readOnly: true }),
  spec(
    'client_encoding',
    'UTF8',
    (v) => {
      const upper = v.trim().toUpperCase().replace(/[-_]/g, '');
      if (upper === 'UTF8' || upper === 'UNICODE') return 'UTF8';
      if (upper === 'SQLASCII') return 'SQL_ASCII';
      throw new KeelError(
        SqlState.InvalidParameterValue,
        `invalid value for parameter "client_encoding": "${v}"`,
        {
          detail: 'Keel supports only UTF8 client encoding.',
        },
      );
    },
    { report: true },
  ),
  spec('DateStyle', 'ISO, MDY', dateStyle, { report: true }),
  spec(
    'IntervalStyle',
    'postgres',
    oneOf('intervalstyle', ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601']),
    {
      report: true,
    },
  ),
  spec('TimeZone', 'UTC', timeZone, { report: true }),
  spec('integer_datetimes', 'on', anyText, { report: true, readOnly: true }),
  spec(
    'standard_conforming_strings',
    'on',
    (v) => {
      if (booleanSetting('standard_conforming_strings')(v) !== 'on') {
        throw new KeelError(
          SqlState.FeatureNotSupported,
          'standard_conforming_strings cannot be turned off in Keel',
        );
      }
      return 'on';
    },
    { report: true },
  ),
  spec('application_name', '', cleanAscii, { report: true }),
  spec('is_superuser', 'off', anyText, { report: true, readOnly: true }),
  spec('session_authorization', '', anyText, { report: true, readOnly: true }),
  spec('in_hot_standby', 'off', anyText, { report: true, readOnly: true }),
  spec('default_transaction_read_only', 'off', booleanSetting('default_transaction_read_only'), {
    report: true,
  }),
  spec('scram_iterations', '4096', integerSetting('scram_iterations', 1, 2_147_483_647), { report: true }),
  spec('search_path', '"$user", public', anyText),
  spec('statement_timeout', '0', durationSetting('statement_timeout')),
  spec('lock_timeout', '0', durationSetting('lock_timeout')),
  spec('idle_in_transaction_session_timeout', '0', durationSetting('idle_in_transaction_session_timeout')),
  spec('idle_session_timeout', '0', durationSetting('idle_session_timeout')),
  spec('deadlock_timeout', '1s', durationSetting('deadlock_timeout')),
  spec('client_min_messages', 'notice', clientMinMessages),
  spec('extra_float_digits', '1', integerSetting('extra_float_digits', -15, 3)),
  spec('default_transaction_isolation', 'read committed', isolation),
  spec('default_transaction_deferrable', 'off', booleanSetting('default_transaction_deferrable')),
  spec('transaction_isolation', 'read committed', isolation),
  spec('transaction_read_only', 'off', booleanSetting('transaction_read_only')),
  spec('transaction_deferrable', 'off', booleanSetting('transaction_deferrable')),
  spec('bytea_output', 'hex', oneOf('bytea_output', ['hex', 'escape'])),
  spec(
    'synchronous_commit',
    'on',
    oneOf('synchronous_commit', ['on', 'off', 'local', 'remote_write', 'remote_apply']),
  ),
  spec('work_mem', '4MB', memorySetting('work_mem')),
  spec('maintenance_work_mem', '64MB', memorySetting('maintenance_work_mem')),
  spec('max_connections', '100', anyText, { readOnly: true }),
  spec('max_identifier_length', '63', anyText, { readOnly: true }),
  spec('max_index_keys', '32', anyText, { readOnly: true }),
  spec('block_size', '8192', anyText, { readOnly: true }),
  spec('lc_collate', 'C', anyText, { readOnly: true }),
  spec('lc_ctype', 'C', anyText, { readOnly: true }),
  spec('lc_messages', 'C', anyText),
  spec('lc_monetary', 'C', anyText),
  spec('lc_numeric', 'C', anyText),
  spec('lc_time', 'C', anyText),
  spec('row_security', 'on', booleanSetting('row_security')),
  spec('check_function_bodies', 'on', booleanSetting('check_function_bodies')),
  spec('xmloption', 'content', oneOf('xmloption', ['content', 'document'])),
  spec('jit', 'off', booleanSetting('jit')),
  spec('enable_seqscan', 'on', booleanSetting('enable_seqscan')),
  spec('enable_indexscan', 'on', booleanSetting('enable_indexscan')),
  spec('enable_hashjoin', 'on', booleanSetting('enable_hashjoin')),
  spec('enable_mergejoin', 'on', booleanSetting('enable_mergejoin')),
  spec('enable_nestloop', 'on', booleanSetting('enable_nestloop')),
  spec('enable_sort', 'on', booleanSetting('enable_sort')),
  spec('enable_hashagg', 'on', booleanSetting('enable_hashagg')),
  spec('random_page_cost', '4', anyText),
  spec('seq_page_cost', '1', anyText),
  spec('default_statistics_target', '100', integerSetting('default_statistics_target', 1, 10_000)),
  spec('timezone_abbreviations', 'Default', anyText),
  spec('default_tablespace', '', anyText),
  spec('temp_tablespaces', '', anyText),
  spec(
    'session_replication_role',
    'origin',
    oneOf('session_replication_role', ['origin', 'replica', 'local']),
  ),
  spec('escape_string_warning', 'on', booleanSetting('escape_string_warning')),
  // Read by drivers, ORMs and monitoring tools; Keel reports PostgreSQL's defaults.
  spec('password_encryption', 'scram-sha-256', oneOf('password_encryption', ['scram-sha-256', 'md5'])),
  spec('shared_buffers', '128MB', anyText, { readOnly: true }),
  spec('effective_cache_size', '4GB', memorySetting('effective_cache_size')),
  spec('max_parallel_workers_per_gather', '0', integerSetting('max_parallel_workers_per_gather', 0, 1024)),
  spec('wal_level', 'replica', anyText, { readOnly: true }),
  spec('ssl', 'off', anyText, { readOnly: true }),
  spec('log_min_duration_statement', '-1', anyText),
  spec('log_statement', 'none', oneOf('log_statement', ['none', 'ddl', 'mod', 'all'])),
  spec('track_activities', 'on', booleanSetting('track_activities')),
  spec(
    'plan_cache_mode',
    'auto',
    oneOf('plan_cache_mode', ['auto', 'force_generic_plan', 'force_custom_plan']),
  ),
  spec('geqo', 'on', booleanSetting('geqo')),
  spec('constraint_exclusion', 'partition', oneOf('constraint_exclusion', ['partition', 'on', 'off'])),
  spec('default_toast_compression', 'pglz', oneOf('default_toast_compression', ['pglz', 'lz4'])),
  spec('array_nulls', 'on', booleanSetting('array_nulls')),
];
