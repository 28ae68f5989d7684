/**
 * ReplicatedEngine: the engine of a node in a replicated cluster, which the server hands to the
 * wire listener (as its Backend) and to the replication layer (as its storage). Unlike a single
 * node it always opens as a hot standby; it becomes a primary only when the replication layer
 * promotes it. Some changes need the engine closed and opened again: demotion (a primary becomes
 * a standby) and installing a base backup or rewind. `swap` does that: sessions of the old engine
 * end with 57P01, its storage is dropped as a crash would (no shutdown checkpoint, which would
 * add WAL the new primary does not have), the work runs on the closed data directory, and a new
 * standby engine opens on it; new sessions go to the new engine.
 * Exports: ReplicatedEngine, ReplicatedEngineOptions.
 */
import { rmSync } from 'node:fs';
import { KeelError, SqlState } from '@keel/errors';
import { NodeDisk } from '../../storage/index.js';
import { readControlFile } from '../../wal/control-file.js';
import type { Backend, SessionStartup } from '../backend-contract.js';
import { Engine, type EngineOptions, type EngineStats } from '../engine.js';
import type { Session } from '../session.js';
import { clearInterruptedInstall } from './backup-install.js';
import type { ReplicationViewSource } from './engine-replication.js';
import { EngineReplicationStorage } from './replication-storage.js';

export interface ReplicatedEngineOptions extends Omit<EngineOptions, 'bootstrap' | 'standby'> {
  /** Called only when the data directory needs a fresh database first (new node, or an install that did not finish). */
  bootstrap: () => NonNullable<EngineOptions['bootstrap']>;
}

export class ReplicatedEngine implements Backend {
  readonly replicationStorage: EngineReplicationStorage;
  private current: Engine;
  private viewSource: ReplicationViewSource | null = null;
  private closed = false;

  private constructor(
    private readonly options: ReplicatedEngineOptions,
    engine: Engine,
  ) {
    this.current = engine;
    this.replicationStorage = new EngineReplicationStorage(this);
  }

  static async open(options: ReplicatedEngineOptions): Promise<ReplicatedEngine> {
    if (clearInterruptedInstall(options.dataDir)) {
      options.logger.warn(
        { dataDir: options.dataDir },
        'an interrupted base backup install was found: the data is cleared, the node bootstraps again',
      );
    }
    if (!Engine.isInitialized(options.dataDir)) {
      const first = await Engine.open({ ...options, bootstrap: options.bootstrap() });
      await first.close();
    }
    return new ReplicatedEngine(options, await ReplicatedEngine.openStandby(options));
  }

  private static async openStandby(options: ReplicatedEngineOptions): Promise<Engine> {
    const engine = await Engine.open({ ...options, bootstrap: null, standby: true });
    // A rewind needs a checkpoint both timelines share: remember each completed one.
    engine.storage.onCheckpoint(() => {
      const control = readControlFile(new NodeDisk(), options.dataDir);
      if (control !== null)
        engine.replication.state?.noteCheckpoint({
          checkpointLsn: control.checkpointLsn,
          redoLsn: control.redoLsn,
        });
    });
    return engine;
  }

  /** The engine serving now (a swap replaces it). */
  get engine(): Engine {
    return this.current;
  }

  lookupRole(user: string): ReturnType<Engine['lookupRole']> {
    return this.current.lookupRole(user);
  }

  startSession(startup: SessionStartup): { session: Session; parameters: [string, string][] } {
    if (this.closed) throw new KeelError(SqlState.AdminShutdown, 'the database system is shutting down');
    return this.current.startSession(startup);
  }

  stats(): EngineStats {
    return this.current.stats();
  }

  /** pg_stat_replication and pg_stat_wal_receiver rows (the server installs the replication layer's). */
  setReplicationViews(source: ReplicationViewSource | null): void {
    this.viewSource = source;
    this.current.replication.views = source;
  }

  /**
   * Closes the engine (its sessions end with 57P01, its storage is dropped without a shutdown
   * checkpoint), runs `work` on the data directory, and opens a standby engine there.
   */
  async swap(reason: string, work: (() => Promise<void>) | null): Promise<void> {
    const old = this.current;
    const error = new KeelError(SqlState.AdminShutdown, `terminating connection: ${reason}`);
    for (const session of old.allSessions()) session.terminate(error);
    await old.autovacuum.stop();
    old.replication.standby?.endWaits(error);
    old.replication.gate = null;
    old.storage.abandon();
    rmSync(old.tempDir, { recursive: true, force: true });
    this.options.logger.info({ reason }, 'engine closed for a role change');
    if (work !== null) await work();
    const engine = await ReplicatedEngine.openStandby(this.options);
    engine.replication.views = this.viewSource;
    this.current = engine;
    this.options.logger.info(
      { replayLsn: engine.storage.wal.flushedLsn },
      'engine reopened as a hot standby',
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.current.replication.standby?.endWaits(
      new KeelError(SqlState.AdminShutdown, 'the database system is shutting down'),
    );
    await this.current.close();
  }
}
