/**
 * Autovacuum: a background task of the engine that VACUUMs and ANALYZEs tables by itself, with
 * PostgreSQL's trigger rule and setting names. Every `autovacuum_naptime` it visits each table
 * of each database and, from the counts in TableActivity (pg_stat_user_tables):
 * - vacuums when dead tuples > autovacuum_vacuum_threshold
 *   + autovacuum_vacuum_scale_factor * live tuples;
 * - analyzes when rows changed since the last ANALYZE > autovacuum_analyze_threshold
 *   + autovacuum_analyze_scale_factor * live tuples.
 * A table whose ShareUpdateExclusiveLock is not free right now (a manual VACUUM, DDL) is
 * skipped until the next round, as PostgreSQL's workers skip it. The work runs in an internal
 * session of the database (not visible to clients), one implicit transaction per table.
 *
 * Settings (PostgreSQL's defaults; the engine's `autovacuum` option overrides them, and so do
 * the environment variables KEEL_AUTOVACUUM=on|off, KEEL_AUTOVACUUM_NAPTIME_MS,
 * KEEL_AUTOVACUUM_VACUUM_THRESHOLD, KEEL_AUTOVACUUM_VACUUM_SCALE_FACTOR,
 * KEEL_AUTOVACUUM_ANALYZE_THRESHOLD, KEEL_AUTOVACUUM_ANALYZE_SCALE_FACTOR); SHOW reports them.
 * Exports: Autovacuum, AutovacuumSettings, autovacuumSettingsFrom, autovacuumShowValues.
 */
import { isKeelError } from '@keel/errors';
import type { TableCounters } from '../access/table-activity.js';
import { type DatabaseInfo, type TableRelation, WellKnownOid } from '../catalog/objects.js';
import type { Engine, EngineLogger } from './engine.js';
import { Session } from './session.js';
import { analyzeRelation, vacuumRelation } from './utility/vacuum.js';

export interface AutovacuumSettings {
  enabled: boolean;
  naptimeMs: number;
  vacuumThreshold: number;
  vacuumScaleFactor: number;
  analyzeThreshold: number;
  analyzeScaleFactor: number;
}

const defaults: AutovacuumSettings = {
  enabled: true,
  naptimeMs: 60_000,
  vacuumThreshold: 50,
  vacuumScaleFactor: 0.2,
  analyzeThreshold: 50,
  analyzeScaleFactor: 0.1,
};

/** Defaults, then the environment, then explicit options. */
export function autovacuumSettingsFrom(
  env: Record<string, string | undefined>,
  options: Partial<AutovacuumSettings> = {},
): AutovacuumSettings {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  const enabledRaw = env.KEEL_AUTOVACUUM?.trim().toLowerCase();
  return {
    enabled: enabledRaw === undefined ? defaults.enabled : !['off', 'false', '0', 'no'].includes(enabledRaw),
    naptimeMs: Math.max(1, number('KEEL_AUTOVACUUM_NAPTIME_MS', defaults.naptimeMs)),
    vacuumThreshold: number('KEEL_AUTOVACUUM_VACUUM_THRESHOLD', defaults.vacuumThreshold),
    vacuumScaleFactor: number('KEEL_AUTOVACUUM_VACUUM_SCALE_FACTOR', defaults.vacuumScaleFactor),
    analyzeThreshold: number('KEEL_AUTOVACUUM_ANALYZE_THRESHOLD', defaults.analyzeThreshold),
    analyzeScaleFactor: number('KEEL_AUTOVACUUM_ANALYZE_SCALE_FACTOR', defaults.analyzeScaleFactor),
    ...options,
  };
}

/** The settings as SHOW displays them (PostgreSQL's names). */
export function autovacuumShowValues(settings: AutovacuumSettings): [string, string][] {
  const naptime =
    settings.naptimeMs % 1000 === 0 ? `${settings.naptimeMs / 1000}s` : `${settings.naptimeMs}ms`;
  return [
    ['autovacuum', settings.enabled ? 'on' : 'off'],
    ['autovacuum_naptime', naptime],
    ['autovacuum_vacuum_threshold', String(settings.vacuumThreshold)],
    ['autovacuum_vacuum_scale_factor', String(settings.vacuumScaleFactor)],
    ['autovacuum_analyze_threshold', String(settings.analyzeThreshold)],
    ['autovacuum_analyze_scale_factor', String(settings.analyzeScaleFactor)],
  ];
}

/** What a table needs, by PostgreSQL's rule (relation_needs_vacanalyze). */
export function autovacuumNeeds(
  counters: TableCounters,
  settings: AutovacuumSettings,
): { vacuum: boolean; analyze: boolean } {
  const reltuples = counters.liveTuples;
  return {
    vacuum: counters.deadTuples > settings.vacuumThreshold + settings.vacuumScaleFactor * reltuples,
    analyze: counters.modsSinceAnalyze > settings.analyzeThreshold + settings.analyzeScaleFactor * reltuples,
  };
}

/** Process id shown for autovacuum's work (lock waits, messages). */
const AUTOVACUUM_PID = 1;

export class Autovacuum {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly sessions = new Map<number, Session>();
  /** Completed rounds, for tests and status. */
  rounds = 0;

  constructor(
    private readonly engine: Engine,
    readonly settings: AutovacuumSettings,
    private readonly logger: EngineLogger,
  ) {}

  start(): void {
    if (!this.settings.enabled || this.stopped) return;
    this.schedule();
  }

  /** Stops scheduling and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    for (const session of this.sessions.values()) await session.close();
    this.sessions.clear();
  }

  /** One round over every table of every database. */
  async runOnce(): Promise<void> {
    for (const database of this.databases()) {
      if (this.stopped) return;
      const session = this.sessionFor(database);
      for (const table of this.engine.catalog.view(database.oid, null).relations()) {
        if (this.stopped) return;
        if (table.kind !== 'table') continue;
        const needs = autovacuumNeeds(this.engine.activity.counters(table.oid), this.settings);
        if (needs.vacuum || needs.analyze) await this.process(session, database, table, needs);
      }
    }
    this.rounds++;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce()
        .catch((error: unknown) => this.report(error))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule();
        });
    }, this.settings.naptimeMs);
    this.timer.unref();
  }

  private async process(
    session: Session,
    database: DatabaseInfo,
    table: TableRelation,
    needs: { vacuum: boolean; analyze: boolean },
  ): Promise<void> {
    const txn = session.block.current();
    try {
      const tag = `relation:${database.oid}:${table.oid}`;
      const current = this.engine.catalog.view(database.oid, null).table(table.oid);
      if (
        current?.relFile !== table.relFile ||
        !this.engine.locks.tryAcquire(txn, tag, 'ShareUpdateExclusiveLock')
      ) {
        // Busy, or dropped or rewritten since the round began: next round.
        session.block.fail();
        return;
      }
      if (needs.vacuum) {
        const result = await vacuumRelation(this.engine, table, {
          databaseOid: database.oid,
          checkInterrupts: () => session.checkInterrupts(),
          auto: true,
        });
        this.logger.debug(
          { table: table.name, removed: result.removed, pages: result.pages },
          'autovacuum: vacuumed',
        );
      }
      if (needs.analyze) await analyzeRelation(this.engine, session, txn, table, true);
      await session.block.finishImplicit(true);
    } catch (error) {
      session.block.fail();
      // A table dropped or a statement cancelled under us ends this table's turn, not the node.
      this.report(error);
    }
  }

  /** Background work has no caller to fail: a KeelError is logged; anything else is a bug. */
  private report(error: unknown): void {
    if (!isKeelError(error)) throw error;
    this.logger.warn({ sqlstate: error.sqlstate, message: error.message }, 'autovacuum: table skipped');
  }

  private databases(): DatabaseInfo[] {
    return this.engine.catalog
      .sharedObjects(null)
      .filter((o): o is DatabaseInfo => o.kind === 'database' && o.allowConnections);
  }

  private sessionFor(database: DatabaseInfo): Session {
    let session = this.sessions.get(database.oid);
    if (session === undefined) {
      const superuser = this.engine.catalog
        .sharedObjects(null)
        .find((o) => o.kind === 'role' && o.oid === WellKnownOid.bootstrapSuperuser);
      session = new Session(this.engine, {
        pid: AUTOVACUUM_PID,
        user: superuser?.kind === 'role' ? superuser.name : 'keel',
        userOid: WellKnownOid.bootstrapSuperuser,
        databaseOid: database.oid,
        databaseName: database.name,
        superuser: true,
        startupParameters: new Map(),
      });
      this.sessions.set(database.oid, session);
    }
    return session;
  }
}
