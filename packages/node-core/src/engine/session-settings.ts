/**
 * A session's settings with PostgreSQL's transactional behaviour: SET inside a transaction is
 * undone if the transaction (or the savepoint around it) rolls back; SET LOCAL lasts until the
 * end of the transaction; RESET returns to the session default (the value given at startup, or
 * the built-in default). Changed values of GUC_REPORT settings are queued for ParameterStatus.
 * Exports: Settings.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { SessionSettings } from '../sql/context.js';
import { type SettingSpec, settingSpecs } from './setting-specs.js';

const specsByName = new Map(settingSpecs.map((s) => [s.name.toLowerCase(), s]));

interface UndoEntry {
  key: string;
  previous: string | undefined;
  level: number;
}

export class Settings implements SessionSettings {
  private readonly values = new Map<string, string>();
  private readonly sessionDefaults = new Map<string, string>();
  /** Values to restore at transaction end (SET LOCAL) or on rollback (SET), innermost last. */
  private undo: UndoEntry[] = [];
  private readonly changedReported = new Set<string>();
  private inTransaction = false;
  private level = 0;
  /** Bumped on every change, so derived state (type I/O settings) can be cached. */
  version = 0;

  /** Startup parameters become the session defaults (RESET returns to them). */
  constructor(
    startupOverrides: ReadonlyMap<string, string> = new Map(),
    serverOverrides: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const spec of settingSpecs) this.values.set(spec.name.toLowerCase(), spec.defaultValue);
    for (const [name, value] of serverOverrides) this.values.set(name.toLowerCase(), value);
    for (const [name, value] of expandStartupOptions(startupOverrides)) {
      const spec = specsByName.get(name.toLowerCase());
      if (spec === undefined || spec.readOnly) continue;
      this.values.set(
        spec.name.toLowerCase(),
        spec.normalize(value, this.values.get(spec.name.toLowerCase())),
      );
    }
    for (const [key, value] of this.values) this.sessionDefaults.set(key, value);
  }

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase());
  }

  /** Like get, but for settings the engine itself defines (never undefined). */
  value(name: string): string {
    const value = this.values.get(name.toLowerCase());
    if (value === undefined)
      throw new KeelError(SqlState.UndefinedObject, `unrecognized configuration parameter "${name}"`);
    return value;
  }

  /** The spec's display name ("TimeZone", not "timezone"), for SHOW's column title. */
  displayName(name: string): string {
    return specsByName.get(name.toLowerCase())?.name ?? name.toLowerCase();
  }

  set(name: string, value: string, isLocal: boolean): void {
    const key = name.toLowerCase();
    const spec = this.specFor(key);
    if (spec?.readOnly) {
      throw new KeelError(SqlState.CantChangeRuntimeParam, `parameter "${spec.name}" cannot be changed`);
    }
    const normalized = spec === undefined ? value : spec.normalize(value, this.values.get(key));
    if (isLocal && !this.inTransaction) return; // PostgreSQL warns and ignores SET LOCAL outside a block.
    if (this.inTransaction)
      this.undo.push({ key, previous: this.values.get(key), level: isLocal ? -1 : this.level });
    this.assign(key, normalized, spec);
  }

  /** Server-side changes (is_superuser at startup, in_hot_standby on promotion); never undone. */
  setInternal(name: string, value: string): void {
    const key = name.toLowerCase();
    this.assign(key, value, specsByName.get(key));
    this.sessionDefaults.set(key, value);
  }

  reset(name: string): void {
    const key = name.toLowerCase();
    const spec = this.specFor(key);
    if (spec?.readOnly)
      throw new KeelError(SqlState.CantChangeRuntimeParam, `parameter "${spec.name}" cannot be changed`);
    this.set(name, this.sessionDefaults.get(key) ?? spec?.defaultValue ?? '', false);
  }

  resetAll(): void {
    for (const spec of settingSpecs) if (!spec.readOnly) this.reset(spec.name);
  }

  /** Every setting, for pg_settings and SHOW ALL. */
  all(): { name: string; value: string; spec: SettingSpec | undefined }[] {
    return [...this.values].map(([key, value]) => ({
      name: specsByName.get(key)?.name ?? key,
      value,
      spec: specsByName.get(key),
    }));
  }

  beginTransaction(): void {
    this.inTransaction = true;
    this.level = 0;
    this.undo = [];
  }

  savepoint(): void {
    this.level++;
  }

  /** ROLLBACK TO: undo SETs made at deeper levels. */
  rollbackToSavepoint(level: number): void {
    this.unwind((entry) => entry.level >= level);
    this.level = level;
  }

  releaseSavepoint(level: number): void {
    for (const entry of this.undo) if (entry.level >= level) entry.level = level - 1;
    this.level = level - 1;
  }

  /** COMMIT keeps SETs and undoes SET LOCALs; ROLLBACK undoes both. */
  endTransaction(committed: boolean): void {
    this.unwind((entry) => !committed || entry.level === -1);
    this.undo = [];
    this.inTransaction = false;
    this.level = 0;
  }

  /** ParameterStatus messages owed to the client. */
  takeReportedChanges(): [string, string][] {
    const out: [string, string][] = [];
    for (const key of this.changedReported) {
      const spec = specsByName.get(key);
      if (spec !== undefined) out.push([spec.name, this.values.get(key) ?? '']);
    }
    this.changedReported.clear();
    return out;
  }

  /** The settings sent at startup as ParameterStatus. */
  reportedAtStartup(): [string, string][] {
    return settingSpecs
      .filter((s) => s.report)
      .map((s) => [s.name, this.values.get(s.name.toLowerCase()) ?? '']);
  }

  private specFor(key: string): SettingSpec | undefined {
    const spec = specsByName.get(key);
    if (spec === undefined && !key.includes('.')) {
      throw new KeelError(SqlState.UndefinedObject, `unrecognized configuration parameter "${key}"`);
    }
    return spec;
  }

  private assign(key: string, value: string, spec: SettingSpec | undefined): void {
    const previous = this.values.get(key);
    this.values.set(key, value);
    this.version++;
    if (spec?.report && previous !== value) this.changedReported.add(key);
  }

  private unwind(shouldUndo: (entry: UndoEntry) => boolean): void {
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const entry = this.undo[i];
      if (entry === undefined || !shouldUndo(entry)) continue;
      if (entry.previous === undefined) this.values.delete(entry.key);
      else this.assign(entry.key, entry.previous, specsByName.get(entry.key));
      this.undo.splice(i, 1);
    }
  }
}

/**
 * The startup packet's `options` parameter (libpq's PGOPTIONS), "-c name=value --name=value",
 * as settings; its entries come before the packet's own named parameters, as in PostgreSQL.
 */
function expandStartupOptions(parameters: ReadonlyMap<string, string>): [string, string][] {
  const out: [string, string][] = [];
  const words = (parameters.get('options') ?? '').match(/(?:\\.|[^\s])+/g) ?? [];
  for (let i = 0; i < words.length; i++) {
    const word = unescapeOption(words[i] ?? '');
    let assignment = '';
    if (word === '-c') assignment = unescapeOption(words[++i] ?? '');
    else if (word.startsWith('--') || word.startsWith('-c')) assignment = word.slice(2);
    const equals = assignment.indexOf('=');
    if (equals > 0) out.push([assignment.slice(0, equals).replace(/-/g, '_'), assignment.slice(equals + 1)]);
  }
  for (const entry of parameters) if (entry[0] !== 'options') out.push(entry);
  return out;
}

function unescapeOption(word: string): string {
  return word.replace(/\\(.)/g, '$1');
}
