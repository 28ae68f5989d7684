/**
 * Statement-level binder state: ColumnId allocation, parameter types (with PostgreSQL's
 * inference of unknown parameters from context), the relations the statement depends on and
 * the table locks it needs, the CTE counter. Every bind-* function receives it.
 * Exports: Binder, AggCollector, WindowCollector, ExprContext.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Oid } from '../../../catalog/objects.js';
import type { LockRequest, PlanningContext } from '../../context.js';
import { typeSettingsFor } from '../../type-settings.js';
import type { ColumnId, Expr } from '../ir/expr.js';
import type { AggCall, CteDef, SortKey, WindowCall, WindowFrame } from '../ir/logical.js';
import { type EvalContext, makeEvalContext, TypeOid } from '../registry/registry.js';
import type { Scope } from './scope.js';

export class Binder {
  private nextId = 1;
  private nextCte = 1;
  readonly dependencies = new Set<Oid>();
  readonly locks: LockRequest[] = [];
  /** Every CTE of the statement in binding order (inner ones before the queries using them). */
  readonly ctes: CteDef[] = [];
  /** Column names and types for ids, used for EXPLAIN output and errors. */
  readonly columnNames = new Map<ColumnId, string>();
  /**
   * Settings for folding constants at bind time. Reading its transaction timestamp ('now',
   * 'today' literals) sets `readClock`: such values are left to the executor, which knows the
   * transaction's start, so a plan never freezes a point in time.
   */
  readonly evalContext: EvalContext;
  readClock = false;

  constructor(
    readonly ctx: PlanningContext,
    readonly paramTypes: Oid[],
    readonly sql: string,
  ) {
    const base = makeEvalContext(typeSettingsFor(ctx.settings, ctx.catalog));
    const binder = this;
    this.evalContext = Object.defineProperty(base, 'transactionTimestamp', {
      get(): bigint {
        binder.readClock = true;
        return 0n;
      },
    });
  }

  /** Runs a bind-time evaluation; null when it read the clock (then it must run at execution). */
  foldWithoutClock<T>(evaluate: () => T): { value: T } | null {
    const before = this.readClock;
    this.readClock = false;
    try {
      const value = evaluate();
      return this.readClock ? null : { value };
    } finally {
      this.readClock = before || this.readClock;
    }
  }

  newColumn(name: string): ColumnId {
    const id = this.nextId++;
    this.columnNames.set(id, name);
    return id;
  }

  newCteId(): number {
    return this.nextCte++;
  }

  lock(relationOid: Oid, mode: LockRequest['mode']): void {
    this.dependencies.add(relationOid);
    const existing = this.locks.find((l) => l.relationOid === relationOid);
    if (existing === undefined) this.locks.push({ relationOid, mode });
    else if (lockStrength(mode) > lockStrength(existing.mode)) existing.mode = mode;
  }

  paramType(index: number): Oid {
    return this.paramTypes[index] ?? TypeOid.unknown;
  }

  /** Fixes the type of a parameter whose type was unknown (PostgreSQL infers it from its first use). */
  setParamType(index: number, type: Oid): void {
    while (this.paramTypes.length <= index) this.paramTypes.push(TypeOid.unknown);
    this.paramTypes[index] = type;
  }

  /** After binding: every parameter must have a type (42P18 otherwise). */
  checkParamTypes(): void {
    this.paramTypes.forEach((t, i) => {
      if (t === TypeOid.unknown || t === 0) {
        throw new KeelError(
          SqlState.IndeterminateDatatype,
          `could not determine data type of parameter $${i + 1}`,
        );
      }
    });
  }
}

function lockStrength(mode: LockRequest['mode']): number {
  return [
    'AccessShareLock',
    'RowShareLock',
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ].indexOf(mode);
}

/** Aggregates found while binding one query level's target list, HAVING and ORDER BY. */
export interface AggCollector {
  calls: AggCall[];
  /** Keys of bound aggregate calls, so that count(*) twice is computed once. */
  byKey: Map<string, ColumnId>;
  /** The query level the aggregates belong to. */
  scope: Scope;
  /** GROUPING() appeared (it makes the query grouped, as an aggregate does). */
  groupingUsed?: boolean;
}

export interface WindowSpec {
  partitionBy: Expr[];
  orderBy: SortKey[];
  frame: WindowFrame;
  key: string;
}

export interface WindowCollector {
  windows: { spec: WindowSpec; calls: WindowCall[] }[];
  named: Map<string, import('@pgsql/types').WindowDef>;
}

/** Where an expression is being bound: the names it sees and which special calls it may contain. */
export interface ExprContext {
  binder: Binder;
  scope: Scope;
  aggs: AggCollector | null;
  windows: WindowCollector | null;
  /** Clause name for errors ("WHERE", "JOIN conditions", ...). */
  clause: string;
}
