/**
 * One Keel node: the composition root. It opens the engine on the data directory (running
 * crash recovery), starts the PostgreSQL protocol listener and the HTTP endpoints, logs one
 * `ready` line once sessions are accepted, and shuts down cleanly on SIGTERM/SIGINT: stop
 * accepting, let running statements finish (then cancel them), flush the WAL with a final
 * checkpoint, exit 0.
 * Exports: startNode, RunningNode.
 */
import { mkdirSync } from 'node:fs';
import { Engine } from '@keel/node-core';
import { makeScramVerifier, PgListener } from '@keel/wire';
import { resolveAdminPassword } from './admin-password.js';
import { clusterView, startCluster } from './cluster/raft-cluster.js';
import type { NodeConfig } from './config.js';
import { type HttpServerHandle, startHttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { NodeMetrics } from './metrics.js';
import { NodeStatus } from './node-status.js';

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
  const fresh = !Engine.isInitialized(config.dataDir);
  const admin = fresh ? resolveAdminPassword(config.dataDir, process.env) : null;

  // The engine reports timings from its first statement on; metrics exist only once it is open.
  const observer: { target: NodeMetrics | null } = { target: null };
  const engine = await Engine.open({
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
    bootstrap:
      admin === null ? null : { superuser: 'keel', passwordVerifier: makeScramVerifier(admin.password) },
    hashPassword: (password) => makeScramVerifier(password),
  });
  if (admin !== null) {
    logger.info(
      { dataDir: config.dataDir, passwordGenerated: admin.generated },
      'initialized data directory',
    );
  }

  const cluster = await startCluster(config, logger);
  const metrics = new NodeMetrics(new NodeStatus(engine, cluster.handle));
  observer.target = metrics;
  const pg = new PgListener(engine, logger.child({ component: 'wire' }), {
    host: config.pgHost,
    port: config.pgPort,
    maxConnections: config.maxConnections,
    authMethod: config.authMethod,
  });
  const pgPort = (await pg.listen()).port;
  let http: HttpServerHandle;
  try {
    http = await startHttpServer(
      config.httpHost,
      config.httpPort,
      {
        live: () => ({ ok: phase !== 'stopped', reason: phase }),
        ready: () => ({ ok: phase === 'ready', reason: phase === 'ready' ? 'accepting connections' : phase }),
        roleCheck: (path) =>
          path === '/primary'
            ? { ok: phase === 'ready' && cluster.isLeader(), reason: `role ${cluster.handle.status().role}` }
            : path === '/replica'
              ? { ok: false, reason: 'replication is not built yet: no node is a streaming replica' }
              : null,
        cluster: () =>
          clusterView(cluster.handle.status(), {
            ok: phase === 'ready' && cluster.isLeader(),
            reason: phase !== 'ready' ? phase : 'not the leader',
          }),
        metrics: () => metrics.render(),
      },
      logger.child({ component: 'http' }),
    );
  } catch (error) {
    await pg.close({ deadlineMs: 0 });
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
        pg.close({ deadlineMs: graceMs }).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs + 5000).unref()),
      ]);
      if (!listenerClosed)
        logger.warn({ graceMs }, 'sessions did not end after cancellation; closing the engine anyway');
      await engine.close();
      await cluster.close();
      await http.close();
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
      grpcPort: cluster.handle.grpcPort,
      nodeId: cluster.nodeId,
      pgHost: config.pgHost,
      dataDir: config.dataDir,
    },
    'ready',
  );
  return { pgPort, httpPort: http.port, stopped, shutdown };
}
