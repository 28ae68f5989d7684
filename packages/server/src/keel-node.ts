/**
 * One Keel node: the composition root. It opens the engine on the data directory (running
 * crash recovery), starts the PostgreSQL protocol listener and the HTTP endpoints, logs one
 * `ready` line once sessions are accepted, and shuts down cleanly on SIGTERM/SIGINT: stop
 * accepting, let running statements finish (then cancel them), flush the WAL with a final
 * checkpoint, exit 0.
 * Exports: startNode, RunningNode.
 */
import { mkdirSync } from 'node:fs';
import { Engine, type EngineOptions, ReplicatedEngine } from '@keel/node-core';
import type { ReplicationControl } from '@keel/replication';
import { makeScramVerifier, PgListener } from '@keel/wire';
import { resolveAdminPassword } from './admin-password.js';
import { startClusterControl } from './cluster/cluster-node.js';
import type { NodeConfig } from './config.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { type HttpServerHandle, startHttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { NodeMetrics } from './metrics.js';
import { NodeStatus } from './node-status.js';
import { readOnlyBackend } from './read-only-backend.js';
import { replicationEnabled, startNodeReplication } from './replication-setup.js';

export interface RunningNode {
  readonly pgPort: number;
  readonly httpPort: number;
  /** Resolves when the node has stopped (after shutdown). */
  readonly stopped: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

type Phase = 'starting' | 'ready' | 'stopping' | 'stopped';

export async function startNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  let phase: Phase = 'starting';
  mkdirSync(config.dataDir, { recursive: true });
  // Held until the clean stop; a crash leaves a stale lock that the next start takes over.
  const dataDirLock = acquireDataDirLock(config.dataDir);
  const fresh = !Engine.isInitialized(config.dataDir);
  const admin = fresh ? resolveAdminPassword(config.dataDir, process.env) : null;

  // The engine reports timings from its first statement on; metrics exist only once it is open.
  const observer: { target: NodeMetrics | null } = { target: null };
  const engineOptions = {
    observer: {
      statement: (kind, seconds, ok) => observer.target?.observeQuery(kind, seconds, ok ? 'ok' : 'error'),
      commit: (seconds) => observer.target?.observeCommit(seconds),
    },
    dataDir: config.dataDir,
    logger: logger.child({ component: 'sql' }),
    walLogger: logger.child({ component: 'wal' }),
    bufferPoolBytes: config.bufferPoolMb * 1024 * 1024,
    evictionPolicy: config.evictionPolicy,
    checkpointIntervalMs: config.checkpointIntervalS * 1000,
    checkpointWalBytes: config.checkpointWalMb * 1024 * 1024,
    maxConnections: config.maxConnections,
    hashPassword: (password: string) => makeScramVerifier(password),
  } satisfies Omit<EngineOptions, 'bootstrap'>;
  const bootstrap = (password: string) => ({
    superuser: 'keel',
    passwordVerifier: makeScramVerifier(password),
  });
  // With replication the engine always opens as a hot standby and is promoted by the replication
  // layer (replication-setup.ts); without it, it is a single node's engine.
  const replicated = replicationEnabled(config)
    ? await ReplicatedEngine.open({
        ...engineOptions,
        bootstrap: () => bootstrap((admin ?? resolveAdminPassword(config.dataDir, process.env)).password),
      })
    : null;
  const engine =
    replicated ??
    (await Engine.open({ ...engineOptions, bootstrap: admin === null ? null : bootstrap(admin.password) }));
  const replication: ReplicationControl | null =
    replicated === null ? null : await startNodeReplication(config, replicated, logger);
  if (admin !== null) {
    logger.info(
      { dataDir: config.dataDir, passwordGenerated: admin.generated },
      'initialized data directory',
    );
  }

  // The control half (Raft, failover, routing, health, hooks, DNS): cluster/cluster-node.ts.
  const cluster = await startClusterControl({
    config,
    logger,
    // Fixed roles (--replication-role primary|replica) are driven by replication-setup.ts alone.
    replication: config.replicationRole === 'auto' ? replication : null,
    fenceWrites: (fenced, reason) => {
      if (config.replicationRole === 'auto') replicated?.replicationStorage.setFenced(fenced, reason);
    },
    walPositions: () => {
      const wal = engine.stats().storage.wal;
      return { insertLsn: BigInt(wal.insertLsn), flushLsn: BigInt(wal.flushedLsn) };
    },
    adminVerifier: () => engine.lookupRole('keel')?.scramVerifier ?? null,
    phase: () => phase,
  });
  const metrics = new NodeMetrics(
    new NodeStatus(engine, cluster.raft, config.replicationRole === 'auto' ? replication : null),
  );
  observer.target = metrics;
  const listenerOptions = {
    host: config.pgHost,
    maxConnections: config.maxConnections,
    authMethod: config.authMethod,
  };
  const wireLogger = logger.child({ component: 'wire' });
  const pg = new PgListener(engine, wireLogger, {
    ...listenerOptions,
    port: config.pgPort,
    router: cluster.router,
  });
  const pgPort = (await pg.listen()).port;
  const readListener =
    config.pgReadPort === null
      ? null
      : new PgListener(readOnlyBackend(engine), wireLogger.child({ listener: 'read-only' }), {
          ...listenerOptions,
          port: config.pgReadPort,
        });
  const readPort = readListener === null ? null : (await readListener.listen()).port;
  let http: HttpServerHandle;
  try {
    http = await startHttpServer(
      config.httpHost,
      config.httpPort,
      {
        live: () => cluster.live(),
        ready: () => cluster.ready(),
        roleCheck: (path, query) => cluster.roleCheck(path, query),
        cluster: () => cluster.view(),
        metrics: () => metrics.render(),
        admin: (request) => cluster.adminRequest(request),
      },
      logger.child({ component: 'http' }),
    );
    await cluster.attach({ pgPort, readPort, httpPort: http.port });
  } catch (error) {
    await pg.close({ deadlineMs: 0 });
    await readListener?.close({ deadlineMs: 0 });
    await replication?.close();
    await engine.close();
    await cluster.close();
    throw error;
  }

  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let shuttingDown: Promise<void> | null = null;

  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      phase = 'stopping';
      logger.info({ reason }, 'shutting down');
      // Sessions get the grace period, then are cancelled; if one still does not end, the
      // listener is abandoned after a second grace: the engine rolls its transaction back.
      const graceMs = config.shutdownTimeoutS * 1000;
      const listenerClosed = await Promise.race([
        Promise.all([pg.close({ deadlineMs: graceMs }), readListener?.close({ deadlineMs: graceMs })]).then(
          () => true,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs + 5000).unref()),
      ]);
      if (!listenerClosed)
        logger.warn({ graceMs }, 'sessions did not end after cancellation; closing the engine anyway');
      await replication?.close();
      await engine.close();
      await cluster.close();
      await http.close();
      dataDirLock.release();
      phase = 'stopped';
      logger.info({}, 'shutdown complete');
      resolveStopped();
    })();
    return shuttingDown;
  };

  phase = 'ready';
  logger.info(
    {
      pgPort,
      httpPort: http.port,
      grpcPort: cluster.raft.grpcPort,
      nodeId: cluster.membership.nodeId,
      readPort,
      dnsPort: cluster.dnsPort,
      pgHost: config.pgHost,
      dataDir: config.dataDir,
    },
    'ready',
  );
  return { pgPort, httpPort: http.port, stopped, shutdown };
}
