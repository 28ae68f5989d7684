/**
 * The engine's replication state and the hooks the engine calls for it, kept here so engine.ts
 * only wires them: whether the node is a hot standby (HotStandby) or a fenced primary (both make
 * every new transaction read-only, so writes fail with 25006), the commit gate the replication
 * layer installs on a primary (wait for the quorum before a commit record; register each commit
 * record in WAL order; wait for the quorum before a commit shows, showing in pg_stat_activity as
 * wait_event IPC/SyncRep), and promotion of a standby to primary in place.
 * Exports: EngineReplication, EngineCommitGate, SyncCommitLevel, ReplicationViewSource.
 */
import { KeelError, SqlState } from '@keel/errors';
import { InvalidXid, type RedoHandler } from '../../storage/index.js';
import type { Transaction } from '../../txn/transaction.js';
import { RmgrId, XlogInfo } from '../../wal/wal-record.js';
import type { Engine } from '../engine.js';
import { encodeEndOfRecovery } from './end-of-recovery.js';
import type { HotStandby } from './hot-standby.js';
import type { ReplicationStateFile } from './replication-state.js';
import { reloadCatalogs } from './standby-open.js';
import type { PendingCommit } from './standby-xacts.js';

export type SyncCommitLevel = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

/** The replication layer's commit gate (structurally @keel/replication's CommitGate). */
export interface EngineCommitGate {
  beforeCommitRecord(pid: number, level: SyncCommitLevel): Promise<void>;
  commitAppended(lsn: number): void;
  commitVisible(lsn: number, level: SyncCommitLevel, pid: number): Promise<void>;
}

/** Rows for pg_stat_replication and pg_stat_wal_receiver, from the replication layer's status. */
export interface ReplicationViewSource {
  replicas(): Record<string, unknown>[];
  receiver(): Record<string, unknown> | null;
}

const LEVELS: readonly SyncCommitLevel[] = ['off', 'local', 'remote_write', 'on', 'remote_apply'];

export class EngineReplication {
  standby: HotStandby | null = null;
  /** Why writes are refused on a primary that lost its role (null: not fenced). */
  fenced: string | null = null;
  gate: EngineCommitGate | null = null;
  state: ReplicationStateFile | null = null;
  views: ReplicationViewSource | null = null;
  private engineRef: Engine | null = null;
  private handlers: ReadonlyMap<number, RedoHandler> = new Map();

  attach(engine: Engine): void {
    this.engineRef = engine;
  }

  /** The engine's redo handlers (kept: a standby replays with them after open too). */
  redoHandlers(handlers: ReadonlyMap<number, RedoHandler>): ReadonlyMap<number, RedoHandler> {
    this.handlers = handlers;
    return handlers;
  }

  get handlerMap(): ReadonlyMap<number, RedoHandler> {
    return this.handlers;
  }

  readOnly(): boolean {
    return this.standby !== null || this.fenced !== null;
  }

  serverSettings(): [string, string][] {
    return [['in_hot_standby', this.standby !== null ? 'on' : 'off']];
  }

  // ---- the transaction manager's hooks -------------------------------------------------

  beforeCommitRecord(txn: Transaction): Promise<void> {
    if (this.fenced !== null) {
      return Promise.reject(new KeelError(SqlState.ReadOnlySqlTransaction, `cannot commit: ${this.fenced}`));
    }
    const gate = this.gate;
    const engine = this.engineRef;
    if (gate === null || engine === null) return Promise.resolve();
    return this.waiting(engine, txn.pid, gate.beforeCommitRecord(txn.pid, levelOf(engine, txn.pid)));
  }

  commitAppended(lsn: number): void {
    this.gate?.commitAppended(lsn);
  }

  beforeCommitVisible(lsn: number, txn: Transaction): Promise<void> {
    const gate = this.gate;
    const engine = this.engineRef;
    if (gate === null || engine === null) return Promise.resolve();
    return this.waiting(engine, txn.pid, gate.commitVisible(lsn, levelOf(engine, txn.pid), txn.pid));
  }

  /** Marks the session as waiting for synchronous replication while `wait` runs. */
  private waiting(engine: Engine, pid: number, wait: Promise<void>): Promise<void> {
    const session = engine.allSessions().find((s) => s.pid === pid);
    if (session === undefined) return wait;
    let settled = false;
    void wait.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    // Only a wait that is still running after this tick is worth showing.
    queueMicrotask(() => {
      if (!settled) session.waitingForSyncRep = true;
    });
    return wait.finally(() => {
      session.waitingForSyncRep = false;
    });
  }

  // ---- promotion -------------------------------------------------------------------------

  /**
   * Ends standby mode (or moves a primary to a new term): replays what is flushed, aborts the old
   * primary's unfinished transactions, hands replayed commits not yet shown to the commit gate
   * (they show once the new quorum holds them), then starts WAL term `term` with an
   * end-of-recovery record whose start the term history records first.
   */
  async promote(engine: Engine, term: number): Promise<void> {
    const { storage } = engine;
    const standby = this.standby;
    const log = engine.options.logger;
    if (standby !== null) {
      while (standby.replay(64 * 1024 * 1024) < storage.wal.flushedLsn) {
        // replay to the end of the flushed WAL
      }
      const { pending, aborted } = standby.xacts.promote();
      this.standby = null;
      standby.endWaits(null);
      storage.wal.refuseLocalAppends(null);
      storage.setRestartPointSource(null);
      let left = pending.length;
      for (const commit of pending) {
        this.showWhenQuorate(engine, commit, () => {
          // Replayed DDL among them: the catalog follows once the last one shows.
          if (--left === 0) reloadCatalogs(engine);
        });
      }
      for (const session of engine.allSessions()) session.settings.setInternal('in_hot_standby', 'off');
      engine.autovacuum.start();
      log.info(
        { replayLsn: standby.replayLsn, commitsAwaitingQuorum: pending.length, abortedTransactions: aborted },
        'promoted: hot standby ended',
      );
    }
    const state = this.state;
    const previous = storage.wal.currentTerm;
    const last = state?.history.at(-1)?.term ?? previous;
    if (term > last || term > previous) {
      state?.addTerm(term, storage.wal.insertLsn);
      storage.wal.setTerm(Math.max(term, previous));
      const end = storage.wal.append({
        rmgr: RmgrId.Xlog,
        info: XlogInfo.EndOfRecovery,
        xid: InvalidXid,
        payload: encodeEndOfRecovery(term, previous),
      });
      await storage.wal.flush(end);
      log.info({ term, previousTerm: previous, lsn: end }, 'new WAL term started');
    }
    this.fenced = null;
    // PostgreSQL's end-of-recovery checkpoint, in the background: the redo point moves past the
    // replayed WAL, and pages first changed from now on are logged whole again.
    engine
      .checkpoint()
      .catch((error: unknown) => log.error({ err: error }, 'end-of-recovery checkpoint failed'));
  }

  private showWhenQuorate(engine: Engine, commit: PendingCommit, shown: () => void): void {
    const show = () => {
      engine.txns.commitLog.setCommitted(commit.xids);
      engine.txns.replayFinished(commit.xids);
      shown();
    };
    const gate = this.gate;
    if (gate === null) {
      show();
      return;
    }
    gate.commitAppended(commit.lsn);
    gate.commitVisible(commit.lsn, 'on', 0).then(show, (error: unknown) => {
      engine.options.logger.warn(
        { lsn: commit.lsn, err: error },
        'a replayed commit was not confirmed before demotion',
      );
    });
  }
}

function levelOf(engine: Engine, pid: number): SyncCommitLevel {
  const value =
    engine
      .allSessions()
      .find((s) => s.pid === pid)
      ?.settings.value('synchronous_commit') ?? 'on';
  return LEVELS.find((level) => level === value) ?? 'on';
}
