/**
 * The pieces of Engine.open that make it a hot standby, and the catalog reload replayed DDL
 * needs. Order matters: the WAL refuses local appends (and checkpoints become restart points)
 * the moment the storage engine is open, before any timer can fire; the HotStandby starts once
 * the engine and its catalogs exist, and shows at once what the standby showed before a restart
 * (the horizon it saved, replayed by crash recovery from the local WAL).
 * Exports: holdStandbyWal, enterStandby, isCommitRecord, reloadCatalogs, catalogRelFiles.
 */
import { NodeDisk, type RelFileId, type StorageEngine } from '../../storage/index.js';
import type { Xid } from '../../txn/xid.js';
import { readControlFile } from '../../wal/control-file.js';
import type { Engine } from '../engine.js';
import { HotStandby, StandbyHorizonFile } from './hot-standby.js';
import { ReplicationStateFile } from './replication-state.js';
import type { StandbyXacts } from './standby-xacts.js';

/** Right after the storage engine opened: nothing may write WAL, no checkpoint record either. */
export function holdStandbyWal(storage: StorageEngine): void {
  storage.wal.refuseLocalAppends('this node is a hot standby');
  storage.setRestartPointSource(() => null);
}

/** Once the engine and its catalogs are loaded: the HotStandby takes over. */
export function enterStandby(engine: Engine, xacts: StandbyXacts): HotStandby {
  const { storage, replication } = engine;
  xacts.attach(engine.txns);
  const state =
    replication.state ?? new ReplicationStateFile(engine.options.dataDir, storage.wal.currentTerm);
  replication.state = state;
  const redoLsn = storage.stats().checkpoints.lastRedoLsn;
  const checkpointLsn = readControlFile(new NodeDisk(), engine.options.dataDir)?.checkpointLsn ?? redoLsn;
  const standby = new HotStandby(
    {
      storage,
      redoHandlers: replication.handlerMap,
      logger: engine.options.logger,
      catalogRelFiles: () => catalogRelFiles(engine),
      isRunning: (xid) => engine.txns.isRunning(xid as Xid),
      reloadCatalogs: () => reloadCatalogs(engine),
    },
    xacts,
    state,
    new StandbyHorizonFile(engine.options.dataDir, engine.directory.readMeta().systemIdentifier),
    {
      replayLsn: storage.recovery.endLsn,
      checkpoint: { checkpointLsn, redoLsn },
    },
  );
  replication.standby = standby;
  standby.scanRecovered(redoLsn);
  return standby;
}

/** Whether an xact record's payload is a commit (encodeXactRecord's first byte). */
export function isCommitRecord(payload: Uint8Array): boolean {
  return payload[0] === 1;
}

export function catalogRelFiles(engine: Engine): ReadonlySet<number> {
  const files = new Set<number>([engine.directory.readMeta().sharedCatalogRelFile]);
  for (const object of engine.catalog.sharedObjects(null)) {
    if (object.kind === 'database') files.add(object.catalogRelFile);
  }
  return files;
}

/** Replaces the in-memory catalogs with what the catalog heaps hold (replayed DDL became visible). */
export function reloadCatalogs(engine: Engine): void {
  const meta = engine.directory.readMeta();
  engine.catalogHeaps.setShared(meta.sharedCatalogRelFile as RelFileId);
  engine.catalog.reload('shared', engine.catalogHeaps.readCommitted('shared'));
  for (const object of engine.catalog.sharedObjects(null)) {
    if (object.kind !== 'database') continue;
    engine.catalogHeaps.setDatabase(object.oid, object.catalogRelFile as RelFileId);
    engine.catalog.reload(object.oid, engine.catalogHeaps.readCommitted(object.oid));
  }
  engine.options.logger.info({ version: engine.catalog.version }, 'catalog reloaded after replayed DDL');
}
