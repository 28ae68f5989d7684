/**
 * Name scopes of the binder: which tables and columns a name can refer to at one query level,
 * and the enclosing levels for correlated references. Resolution follows PostgreSQL: a
 * qualified name must match one range-table entry; an unqualified name must match exactly one
 * column across the level's entries (42702 otherwise), trying inner levels before outer ones.
 * Exports: ScopeColumn, ScopeItem, Scope, CteBinding.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Oid, TableRelation } from '../../../catalog/objects.js';
import type { ColumnId } from '../ir/expr.js';
import type { CteDef } from '../ir/logical.js';

export interface ScopeColumn {
  id: ColumnId;
  name: string;
  type: Oid;
  typmod: number;
  /** Source table and attnum (for RowDescription), 0 when computed. */
  tableOid: Oid;
  attnum: number;
  /** Not part of `*` (system columns, and the per-side copies of JOIN USING columns). */
  hidden: boolean;
}

export interface ScopeItem {
  /** Alias or table name; null for an unaliased join (its columns are reachable unqualified only). */
  alias: string | null;
  schema: string | null;
  columns: ScopeColumn[];
  table: TableRelation | null;
  /** A USING/NATURAL join item: its merged columns, the only ones it offers unqualified. */
  usingNames?: Set<string>;
  /** Names whose unqualified use resolves to a join's merged column instead of this item's. */
  shadowed?: Set<string>;
  /** Column ids left out of `*` (a side's copy of a USING column). */
  starExcluded?: Set<number>;
  /** Hidden by an enclosing join's alias: its columns stay reachable unqualified only. */
  aliasHidden?: boolean;
}

export interface CteBinding {
  def: CteDef;
  names: string[];
  types: { type: Oid; typmod: number }[];
  /** While binding a recursive CTE's own recursive term. */
  workTable: boolean;
  /** A data-modifying CTE without RETURNING has no rows to read. */
  returning?: boolean;
}

export type Resolved = { column: ScopeColumn; levelsUp: number };

export class Scope {
  readonly items: ScopeItem[] = [];
  /** Outer ColumnIds referenced from this level or below (the correlation of a subquery). */
  readonly outerRefs = new Set<ColumnId>();
  readonly ctes = new Map<string, CteBinding>();
  /** The columns `*` expands to, in FROM order. */
  readonly starColumns: ScopeColumn[] = [];
  /**
   * A set operation's branch: an untyped literal in its SELECT list stays unknown, so that the
   * set operation chooses the column type (SELECT 1 UNION SELECT 'a' reads 'a' as an integer).
   */
  keepUnknownOutputs = false;
  /** Ids owned by this level (columns of its items), to tell local from outer references. */
  private readonly own = new Set<ColumnId>();

  constructor(readonly parent: Scope | null) {}

  add(item: ScopeItem): void {
    this.items.push(item);
    for (const c of item.columns) this.own.add(c.id);
  }

  owns(id: ColumnId): boolean {
    return this.own.has(id);
  }

  findCte(name: string): CteBinding | null {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      const c = s.ctes.get(name);
      if (c !== undefined) return c;
    }
    return null;
  }

  /** Resolves a column reference `[qualifier.]name`; null when nothing matches at any level. */
  resolve(
    qualifier: string | null,
    schema: string | null,
    name: string,
    position: number | undefined,
  ): Resolved | null {
    let levelsUp = 0;
    for (let s: Scope | null = this; s !== null; s = s.parent, levelsUp++) {
      const found =
        qualifier === null
          ? s.findUnqualified(name, position)
          : s.findQualified(schema, qualifier, name, position);
      if (found !== null) {
        if (levelsUp > 0) {
          for (let t: Scope | null = this; t !== null && t !== s; t = t.parent) t.outerRefs.add(found.id);
        }
        return { column: found, levelsUp };
      }
    }
    return null;
  }

  /** Whether a table alias is visible (for 42P01 vs 42703 when a qualified column is missing). */
  hasItem(schema: string | null, qualifier: string): boolean {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      if (s.items.some((i) => matches(i, schema, qualifier))) return true;
    }
    return false;
  }

  findItem(schema: string | null, qualifier: string, position: number | undefined): ScopeItem | null {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      const items = s.items.filter((i) => matches(i, schema, qualifier));
      if (items.length > 1) {
        throw new KeelError(SqlState.AmbiguousAlias, `table reference "${qualifier}" is ambiguous`, {
          position,
        });
      }
      if (items[0] !== undefined) return items[0];
    }
    return null;
  }

  private findQualified(
    schema: string | null,
    qualifier: string,
    name: string,
    position: number | undefined,
  ): ScopeColumn | null {
    const items = this.items.filter((i) => matches(i, schema, qualifier));
    if (items.length > 1) {
      throw new KeelError(SqlState.AmbiguousAlias, `table reference "${qualifier}" is ambiguous`, {
        position,
      });
    }
    const item = items[0];
    if (item === undefined) return null;
    const cols = item.columns.filter((c) => c.name === name);
    return cols[0] ?? null;
  }

  private findUnqualified(name: string, position: number | undefined): ScopeColumn | null {
    const hits: ScopeColumn[] = [];
    for (const item of this.items) {
      for (const c of item.columns) {
        if (c.name !== name) continue;
        if (item.alias === null && !item.usingNames?.has(name)) continue;
        if (item.shadowed?.has(name)) continue;
        if (!hits.some((h) => h.id === c.id)) hits.push(c);
      }
    }
    if (hits.length > 1) {
      throw new KeelError(SqlState.AmbiguousColumn, `column reference "${name}" is ambiguous`, { position });
    }
    return hits[0] ?? null;
  }
}

function matches(item: ScopeItem, schema: string | null, qualifier: string): boolean {
  if (item.alias !== qualifier || item.aliasHidden) return false;
  return schema === null || item.schema === schema;
}
