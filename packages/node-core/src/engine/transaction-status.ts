/**
 * Live transaction state as PostgreSQL's monitoring views show it, for the system views to
 * use: what a session waits for (pg_stat_activity.wait_event_type/wait_event, so tests and
 * tools can see that a session is blocked on a lock), its xid and snapshot xmin
 * (backend_xid, backend_xmin), every held and awaited heavyweight lock (pg_locks), and the
 * per-table write counters (pg_stat_user_tables). Rows are plain objects keyed by PostgreSQL's
 * column names; xids are text, as the views' xid columns are.
 * Exports: sessionTransactionColumns, lockRows, tableStatColumns.
 */
import type { Value } from '../access/table-access.js';
import { modeLabel } from '../txn/lock-manager.js';
import type { Engine } from './engine.js';
import type { Session } from './session.js';

type RowObject = Record<string, Value>;

/** Microseconds since 2000-01-01 UTC (Keel's timestamptz) of an epoch-milliseconds instant. */
function timestampOfMs(ms: number): bigint {
  return BigInt(ms - Date.UTC(2000, 0, 1)) * 1000n;
}

/** PostgreSQL's pg_locks.locktype of a lock tag. */
function lockTypeOf(tag: string): string {
  const kind = tag.split(':')[0] ?? '';
  if (kind === 'transaction') return 'transactionid';
  if (kind === 'relation' || kind === 'tuple') return kind;
  return 'object';
}

/** pg_stat_activity columns of a session that come from its transaction and lock waits. */
export function sessionTransactionColumns(engine: Engine, session: Session): RowObject {
  const txn = session.block.txn;
  const waiting = txn === null ? null : engine.locks.waitingFor(txn);
  const wait =
    waiting !== null
      ? { wait_event_type: 'Lock', wait_event: lockTypeOf(waiting.tag) }
      : session.waitingForSafeSnapshot
        ? { wait_event_type: 'IPC', wait_event: 'SafeSnapshot' }
        : session.waitingForSyncRep
          ? { wait_event_type: 'IPC', wait_event: 'SyncRep' }
          : session.activity.state === 'active'
            ? { wait_event_type: null, wait_event: null }
            : { wait_event_type: 'Client', wait_event: 'ClientRead' };
  return {
    ...wait,
    backend_xid: txn?.topXid === null || txn === null ? null : String(txn.topXid),
    backend_xmin: txn?.snapshotXmin === null || txn === null ? null : String(txn.snapshotXmin),
  };
}

/** pg_locks: every held and awaited lock of the node. */
export function lockRows(engine: Engine): RowObject[] {
  return engine.locks.allLocks().map((lock) => {
    const parts = lock.tag.split(':');
    const locktype = lockTypeOf(lock.tag);
    const tid = locktype === 'tuple' ? Number(parts[2]) : null;
    return {
      locktype,
      database: locktype === 'relation' ? Number(parts[1]) : null,
      relation: locktype === 'relation' ? Number(parts[2]) : locktype === 'tuple' ? Number(parts[1]) : null,
      page: tid === null ? null : Math.floor(tid / 65_536),
      tuple: tid === null ? null : tid % 65_536,
      virtualxid: null,
      transactionid: locktype === 'transactionid' ? (parts[1] ?? null) : null,
      classid: null,
      objid: null,
      objsubid: null,
      virtualtransaction: `${lock.owner.pid}/${lock.owner.id}`,
      pid: lock.owner.pid,
      mode: modeLabel(lock.mode),
      granted: lock.granted,
      fastpath: false,
      waitstart: lock.waitStartMs === null ? null : timestampOfMs(lock.waitStartMs),
    };
  });
}

/** pg_stat_user_tables columns from the table's activity counters. */
export function tableStatColumns(engine: Engine, tableOid: number): RowObject {
  const c = engine.activity.counters(tableOid);
  const at = (ms: number | null) => (ms === null ? null : timestampOfMs(ms));
  return {
    n_tup_ins: BigInt(c.inserted),
    n_tup_upd: BigInt(c.updated),
    n_tup_del: BigInt(c.deleted),
    n_tup_hot_upd: 0n,
    n_live_tup: BigInt(c.liveTuples),
    n_dead_tup: BigInt(c.deadTuples),
    n_mod_since_analyze: BigInt(c.modsSinceAnalyze),
    last_vacuum: at(c.lastVacuumMs),
    last_autovacuum: at(c.lastAutovacuumMs),
    last_analyze: at(c.lastAnalyzeMs),
    last_autoanalyze: at(c.lastAutoanalyzeMs),
    vacuum_count: BigInt(c.vacuumCount),
    autovacuum_count: BigInt(c.autovacuumCount),
    analyze_count: BigInt(c.analyzeCount),
    autoanalyze_count: BigInt(c.autoanalyzeCount),
  };
}
