/**
 * Per-table activity counters, PostgreSQL's pg_stat_user_tables: rows inserted, updated and
 * deleted, the estimated live and dead tuples, changes since the last ANALYZE, and when VACUUM
 * and ANALYZE last ran (by hand or by autovacuum). Autovacuum decides from these counts which
 * tables need work (see engine/autovacuum.ts).
 *
 * Counts follow the transaction that made them, as pgstat's transactional counters do: a
 * transaction's counts are kept per savepoint level and applied at its end. A committed update
 * or delete leaves one dead version; an aborted insert or update leaves its new version dead
 * (so do the levels ROLLBACK TO SAVEPOINT undoes); a committed insert adds a live row.
 * In memory only: after a restart the counts start from zero, and the first VACUUM or ANALYZE
 * re-establishes live and dead estimates from the heap.
 * Exports: TableActivity, TableCounters.
 */
import type { Transaction } from '../txn/transaction.js';
import type { TransactionObserver } from '../txn/transaction-manager.js';

export interface TableCounters {
  inserted: number;
  updated: number;
  deleted: number;
  liveTuples: number;
  deadTuples: number;
  modsSinceAnalyze: number;
  lastVacuumMs: number | null;
  lastAutovacuumMs: number | null;
  lastAnalyzeMs: number | null;
  lastAutoanalyzeMs: number | null;
  vacuumCount: number;
  autovacuumCount: number;
  analyzeCount: number;
  autoanalyzeCount: number;
}

interface Pending {
  inserted: number;
  updated: number;
  deleted: number;
}

function zeroCounters(): TableCounters {
  return {
    inserted: 0,
    updated: 0,
    deleted: 0,
    liveTuples: 0,
    deadTuples: 0,
    modsSinceAnalyze: 0,
    lastVacuumMs: null,
    lastAutovacuumMs: null,
    lastAnalyzeMs: null,
    lastAutoanalyzeMs: null,
    vacuumCount: 0,
    autovacuumCount: 0,
    analyzeCount: 0,
    autoanalyzeCount: 0,
  };
}

export class TableActivity implements TransactionObserver {
  private readonly tables = new Map<number, TableCounters>();
  /** Per transaction, per savepoint depth: counts by table oid. */
  private readonly pending = new Map<Transaction, Map<number, Pending>[]>();

  recordInsert(txn: Transaction, tableOid: number): void {
    this.pendingFor(txn, tableOid).inserted++;
  }

  recordUpdate(txn: Transaction, tableOid: number): void {
    this.pendingFor(txn, tableOid).updated++;
  }

  recordDelete(txn: Transaction, tableOid: number): void {
    this.pendingFor(txn, tableOid).deleted++;
  }

  savepointRolledBack(txn: Transaction, depth: number): void {
    const levels = this.pending.get(txn);
    if (levels === undefined) return;
    for (const level of levels.splice(depth)) {
      for (const [oid, counts] of level ?? []) {
        const table = this.countersOf(oid);
        table.deadTuples += counts.inserted + counts.updated;
      }
    }
  }

  savepointReleased(txn: Transaction, depth: number): void {
    const levels = this.pending.get(txn);
    if (levels === undefined || levels.length <= depth) return;
    const parent = levels[depth - 1] ?? new Map<number, Pending>();
    levels[depth - 1] = parent;
    for (const level of levels.splice(depth)) {
      for (const [oid, counts] of level ?? []) {
        const into = parent.get(oid) ?? { inserted: 0, updated: 0, deleted: 0 };
        into.inserted += counts.inserted;
        into.updated += counts.updated;
        into.deleted += counts.deleted;
        parent.set(oid, into);
      }
    }
  }

  transactionEnded(txn: Transaction, committed: boolean): void {
    const levels = this.pending.get(txn);
    this.pending.delete(txn);
    for (const level of levels ?? []) {
      for (const [oid, counts] of level ?? []) {
        const table = this.countersOf(oid);
        table.inserted += counts.inserted;
        table.updated += counts.updated;
        table.deleted += counts.deleted;
        if (committed) {
          table.liveTuples = Math.max(0, table.liveTuples + counts.inserted - counts.deleted);
          table.deadTuples += counts.updated + counts.deleted;
          table.modsSinceAnalyze += counts.inserted + counts.updated + counts.deleted;
        } else {
          table.deadTuples += counts.inserted + counts.updated;
        }
      }
    }
  }

  /** VACUUM finished: the live and still-dead versions it counted replace the estimates. */
  vacuumed(
    tableOid: number,
    result: { liveTuples: number; deadTuples: number; auto: boolean; atMs: number },
  ): void {
    const table = this.countersOf(tableOid);
    table.liveTuples = result.liveTuples;
    table.deadTuples = result.deadTuples;
    if (result.auto) {
      table.lastAutovacuumMs = result.atMs;
      table.autovacuumCount++;
    } else {
      table.lastVacuumMs = result.atMs;
      table.vacuumCount++;
    }
  }

  analyzed(tableOid: number, result: { liveTuples: number | null; auto: boolean; atMs: number }): void {
    const table = this.countersOf(tableOid);
    if (result.liveTuples !== null) table.liveTuples = result.liveTuples;
    table.modsSinceAnalyze = 0;
    if (result.auto) {
      table.lastAutoanalyzeMs = result.atMs;
      table.autoanalyzeCount++;
    } else {
      table.lastAnalyzeMs = result.atMs;
      table.analyzeCount++;
    }
  }

  /** The counters of a table (zeros for a table never touched). */
  counters(tableOid: number): TableCounters {
    return { ...(this.tables.get(tableOid) ?? zeroCounters()) };
  }

  /** Tables with any recorded activity. */
  tableOids(): number[] {
    return [...this.tables.keys()];
  }

  /** A dropped table's counters go. */
  forget(tableOid: number): void {
    this.tables.delete(tableOid);
  }

  private countersOf(tableOid: number): TableCounters {
    let table = this.tables.get(tableOid);
    if (table === undefined) {
      table = zeroCounters();
      this.tables.set(tableOid, table);
    }
    return table;
  }

  private pendingFor(txn: Transaction, tableOid: number): Pending {
    let levels = this.pending.get(txn);
    if (levels === undefined) {
      levels = [];
      this.pending.set(txn, levels);
    }
    const depth = txn.levels.length - 1;
    let level = levels[depth];
    if (level === undefined) {
      level = new Map();
      levels[depth] = level;
    }
    let counts = level.get(tableOid);
    if (counts === undefined) {
      counts = { inserted: 0, updated: 0, deleted: 0 };
      level.set(tableOid, counts);
    }
    return counts;
  }
}
