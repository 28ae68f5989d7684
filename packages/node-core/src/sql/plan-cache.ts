/**
 * Plan cache: prepared plans reused across executions and sessions, keyed by what planning
 * depends on: the query text, the parameter types, the catalog version, the role (privileges),
 * search_path (name resolution) and the settings that change how literals are read (TimeZone,
 * DateStyle, ...). A PreparedQuery is immutable once planned (each execution builds its own
 * operators and runtime state), so one cached plan serves any number of executions at once.
 * Literals that read the clock ('now') are evaluated at execution, never frozen into a plan.
 * Least recently used entries go first when the cache is full. EXPLAIN is not cached (its
 * output reports planning time).
 * Exports: PlanCache, PlanCacheStats.
 */
import type { Oid } from '../catalog/objects.js';
import type { PlanningContext } from './context.js';
import { type PreparedQuery, prepareQuery } from './index.js';
import type { ParsedStatement } from './parse/parser.js';
import { typeSettingKeys } from './type-settings.js';

export interface PlanCacheStats {
  hits: number;
  misses: number;
  entries: number;
}

const planningSettings = ['search_path', ...typeSettingKeys];

/** How a plan is made on a miss (the engine's QueryProcessor, or prepareQuery itself). */
export type PlanFn<P> = (statement: ParsedStatement, ctx: PlanningContext, paramTypeOids: Oid[]) => P;

export class PlanCache<P = PreparedQuery> {
  private readonly entries = new Map<string, P>();
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly capacity = 512,
    private readonly plan: PlanFn<P> = prepareQuery as unknown as PlanFn<P>,
  ) {}

  private key(
    statement: ParsedStatement,
    ctx: PlanningContext,
    paramTypeOids: readonly Oid[],
    version: number,
  ): string {
    const settings = planningSettings.map((name) => ctx.settings.get(name) ?? '').join('\u0001');
    return [
      version,
      ctx.database ?? '',
      ctx.currentUser,
      paramTypeOids.join(','),
      settings,
      statement.text,
    ].join('\u0002');
  }

  /**
   * The plan of `statement`, from the cache when an equal one was planned against the same
   * catalog version; `ctx.catalogVersion` null or absent plans without caching.
   */
  prepare(statement: ParsedStatement, ctx: PlanningContext, paramTypeOids: Oid[]): P {
    const version = ctx.catalogVersion;
    if (version === undefined || version === null || 'ExplainStmt' in statement.node)
      return this.plan(statement, ctx, paramTypeOids);
    const key = this.key(statement, ctx, paramTypeOids, version);
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    this.misses++;
    const prepared = this.plan(statement, ctx, paramTypeOids);
    this.entries.set(key, prepared);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return prepared;
  }

  /** Drops every plan (plans of older catalog versions also age out on their own). */
  clear(): void {
    this.entries.clear();
  }

  get stats(): PlanCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size };
  }
}
