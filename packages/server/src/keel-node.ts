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
import type { NodeConfig } from './config.js';
import { type HttpServerHandle, startHttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { NodeMetrics } from './metrics.js';

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

  const engine = await Engine.open({
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

  const metrics = new NodeMetrics(engine);
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
            ? { ok: phase === 'ready', reason: 'single node is its own primary' }
            : path === '/replica'
              ? { ok: false, reason: 'not a replica' }
              : null,
        cluster: () => ({
          nodeId: config.nodeId ?? 'single',
          role: 'leader',
          term: 1,
          leaderId: config.nodeId ?? 'single',
          writable: phase === 'ready',
          peers: [],
        }),
        metrics: () => metrics.render(),
      },
      logger.child({ component: 'http' }),
    );
  } catch (error) {
    await pg.close({ deadlineMs: 0 });
    await engine.close();
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
      await pg.close({ deadlineMs: config.shutdownTimeoutS * 1000 });
      await engine.close();
      await http.close();
      phase = 'stopped';
      logger.info({}, 'shutdown complete');
      resolveStopped();
    })();
    return shuttingDown;
  };

  phase = 'ready';
  logger.info({ pgPort, httpPort: http.port, pgHost: config.pgHost, dataDir: config.dataDir }, 'ready');
  return { pgPort, httpPort: http.port, stopped, shutdown };
}
