/**
 * PgListener: accepts PostgreSQL client connections on a TCP port and runs one PgSession per
 * socket against the Backend. This is the package's only I/O; everything it runs is the sans-I/O
 * session over a SocketConnection.
 *
 * Rules:
 * 1. At most `maxConnections` sessions are admitted; the next ones are still read far enough to
 *    answer SSLRequest and serve a CancelRequest, then refused with FATAL 53300. Beyond twice
 *    the limit a socket is closed at once.
 * 2. A CancelRequest is checked against the registry (process id and secret key must match) and
 *    its own connection closes without a reply, as in PostgreSQL.
 * 3. A session must finish authentication within `authenticationTimeoutMs`.
 * 4. close() shuts down gracefully: stop accepting; idle sessions get FATAL 57P01 at once; busy
 *    ones finish their current message first; at `deadlineMs` the running statements are
 *    cancelled, and `lingerMs` later any socket still open is destroyed. It resolves when every
 *    session has ended (its BackendSession closed) and every socket is closed.
 * 5. An InvariantError escaping a session is a bug: it is handed to `onBug`, which by default
 *    rethrows it outside any promise so the process crashes.
 * 6. With a `router`, a session the router sends elsewhere is spliced to its target after the
 *    StartupMessage (session-splice.ts). It keeps its connection slot until it closes; close()
 *    cuts such connections at once (the target rolls their transaction back, as for any lost
 *    client). A CancelRequest whose process id is not local is passed on to every target that
 *    forwarded sessions currently run on, since the key the client holds is the target's.
 * Exports: PgListener, PgListenerOptions, PgListenerCloseOptions.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Backend } from '../backend.js';
import { encodeFrontendMessage } from '../codec/frontend-encoder.js';
import type { Logger } from '../logger.js';
import type { AuthMethod } from '../session/authentication.js';
import { PgSession, type SessionEnd } from '../session/pg-session.js';
import type { SessionRouter } from '../session/session-router.js';
import type { Admission } from '../session/startup-negotiation.js';
import { SessionRegistry } from './session-registry.js';
import { type SpliceHandle, spliceSession } from './session-splice.js';
import { SocketConnection } from './socket-connection.js';

export interface PgListenerOptions {
  port: number;
  /** Interface to bind; '127.0.0.1' unless given. */
  host?: string;
  /** Sessions admitted at once (PostgreSQL's max_connections); 100 unless given. */
  maxConnections?: number;
  /** 'scram-sha-256' (default) or 'md5'; see session/authentication.ts for the per-role choice. */
  authMethod?: AuthMethod;
  /** Cap on a Query/Parse/Bind/CopyData message; 1 GiB unless given. */
  maxMessageBytes?: number;
  /** Time allowed from connect to ReadyForQuery; 60 s unless given (authentication_timeout). */
  authenticationTimeoutMs?: number;
  /** How long a closing socket waits for the client to close its side; 5 s unless given. */
  lingerMs?: number;
  /** Source of secret keys, nonces and salts; node:crypto's randomBytes unless a test fixes it. */
  randomBytes?: (size: number) => Buffer;
  /** Receives a bug (InvariantError) from a session; the default crashes the process. */
  onBug?: (error: unknown) => void;
  /** Routes sessions to another server after their StartupMessage (rule 6); none: all local. */
  router?: SessionRouter;
  /** How long forwarding waits to connect to the target; 5 s unless given. */
  forwardConnectTimeoutMs?: number;
}

export interface PgListenerCloseOptions {
  /** How long running statements may continue before they are cancelled; 30 s unless given. */
  deadlineMs?: number;
}

interface Connection {
  processId: number;
  session: PgSession;
  socket: SocketConnection;
  done: Promise<void>;
  /** Set once the session was handed to another server. */
  splice: SpliceHandle | null;
}

type ListenerState = 'idle' | 'listening' | 'closing';

const DEFAULTS = {
  host: '127.0.0.1',
  maxConnections: 100,
  authenticationTimeoutMs: 60_000,
  lingerMs: 5_000,
  deadlineMs: 30_000,
  forwardConnectTimeoutMs: 5_000,
};

function crash(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

function fatal(sqlstate: typeof SqlState.AdminShutdown | typeof SqlState.QueryCanceled, message: string) {
  return new KeelError(sqlstate, message, { severity: 'FATAL' });
}

export class PgListener {
  private readonly server: Server;
  private readonly registry = new SessionRegistry();
  private readonly connections = new Map<number, Connection>();
  private readonly random: (size: number) => Buffer;
  private readonly mockSecret: Buffer;
  private state: ListenerState = 'idle';
  private admitted = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly logger: Logger,
    private readonly options: PgListenerOptions,
  ) {
    this.random = options.randomBytes ?? randomBytes;
    this.mockSecret = this.random(32);
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket),
    );
    this.server.on('error', (error) => this.logger.error({ err: error }, 'listener error'));
  }

  /** Sessions currently running, admitted or not. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo> {
    assert(this.state === 'idle', 'PgListener.listen called twice');
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? DEFAULTS.host, () => {
        this.server.off('error', reject);
        this.state = 'listening';
        const address = this.server.address();
        assert(address !== null && typeof address !== 'string', 'TCP listener without an address');
        this.logger.info({ host: address.address, port: address.port }, 'accepting PostgreSQL connections');
        resolve(address);
      });
    });
  }

  /** Graceful shutdown (rule 4). Calling it again returns the same promise. */
  close(options: PgListenerCloseOptions = {}): Promise<void> {
    this.closing ??= this.shutDown(options.deadlineMs ?? DEFAULTS.deadlineMs);
    return this.closing;
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    const wasListening = this.state === 'listening';
    this.state = 'closing';
    const stopped = new Promise<void>((resolve) => {
      if (wasListening) this.server.close(() => resolve());
      else resolve();
    });
    const shutdown = fatal(SqlState.AdminShutdown, 'terminating connection due to administrator command');
    for (const connection of this.connections.values()) {
      connection.session.terminate(shutdown);
      connection.splice?.destroy();
    }
    const lingerMs = this.options.lingerMs ?? DEFAULTS.lingerMs;
    let forced: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      this.logger.warn(
        { sessions: this.connections.size },
        'shutdown deadline reached: cancelling statements',
      );
      for (const connection of this.connections.values()) connection.session.cancel();
      forced = setTimeout(() => this.destroyAll(), lingerMs);
    }, deadlineMs);
    await Promise.all([...this.connections.values()].map((connection) => connection.done));
    clearTimeout(deadline);
    clearTimeout(forced);
    await stopped;
    this.logger.info({}, 'PostgreSQL listener closed');
  }

  private destroyAll(): void {
    for (const connection of this.connections.values()) connection.socket.destroy();
  }

  private accept(socket: Socket): void {
    const maxConnections = this.options.maxConnections ?? DEFAULTS.maxConnections;
    if (this.state !== 'listening' || this.connections.size >= 2 * maxConnections) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const admission: Admission = this.admitted < maxConnections ? 'admitted' : 'tooManyConnections';
    if (admission === 'admitted') this.admitted += 1;
    const processId = this.registry.allocateProcessId();
    const secretKey = this.random(4).readInt32BE(0);
    const remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const logger = this.logger.child({ processId, remoteAddress });
    const connection = new SocketConnection(socket, {
      maxMessageBytes: this.options.maxMessageBytes,
      lingerMs: this.options.lingerMs ?? DEFAULTS.lingerMs,
      logger,
    });
    const identity = { processId, secretKey, remoteAddress, admission };
    const { session, authTimer } = this.openSession(connection, identity, logger);
    this.registry.add({ processId, secretKey, session });
    const entry: Connection = {
      processId,
      session,
      socket: connection,
      done: Promise.resolve(),
      splice: null,
    };
    entry.done = this.runSession(entry, logger, () => {
      clearTimeout(authTimer);
      this.registry.remove(processId);
      if (admission === 'admitted') this.admitted -= 1;
    }).then(() => {
      this.connections.delete(processId);
      logger.debug({}, 'connection closed');
    });
    this.connections.set(processId, entry);
    logger.debug({ admission }, 'connection accepted');
  }

  /** A session over the connection, with its authentication timer running (rule 3). */
  private openSession(
    connection: SocketConnection,
    identity: { processId: number; secretKey: number; remoteAddress: string; admission: Admission },
    logger: Logger,
  ): { session: PgSession; authTimer: NodeJS.Timeout } {
    const timeout: { timer?: NodeJS.Timeout } = {};
    const session = new PgSession({
      ...identity,
      ...(this.options.router === undefined ? {} : { router: this.options.router }),
      backend: this.backend,
      source: connection,
      transport: connection,
      logger,
      auth: {
        method: this.options.authMethod ?? 'scram-sha-256',
        randomBytes: this.random,
        mockSecret: this.mockSecret,
      },
      events: {
        cancelRequest: (target, key) => this.cancel(target, key, logger),
        ready: () => clearTimeout(timeout.timer),
      },
    });
    const authTimer = setTimeout(
      () => session.terminate(fatal(SqlState.QueryCanceled, 'canceling authentication due to timeout')),
      this.options.authenticationTimeoutMs ?? DEFAULTS.authenticationTimeoutMs,
    );
    timeout.timer = authTimer;
    return { session, authTimer };
  }

  /**
   * Runs the session, or its splice to another server; the slot is released when it ends, the
   * promise resolves when the socket closes.
   */
  private async runSession(entry: Connection, logger: Logger, release: () => void): Promise<void> {
    const connection = entry.socket;
    let end: SessionEnd = { kind: 'closed' };
    try {
      await entry.session.run();
      end = entry.session.end;
      if (end.kind === 'forward') await this.forward(entry, end, logger);
    } catch (error) {
      connection.destroy();
      (this.options.onBug ?? crash)(error);
    } finally {
      release();
    }
    await connection.whenClosed;
  }

  private async forward(
    entry: Connection,
    end: Extract<SessionEnd, { kind: 'forward' }>,
    logger: Logger,
  ): Promise<void> {
    const detached = this.state === 'listening' ? entry.socket.detach() : null;
    if (detached === null) {
      entry.socket.destroy();
      return;
    }
    entry.splice = spliceSession(
      detached.socket,
      end.target,
      { startup: end.startup, unread: detached.unread },
      {
        connectTimeoutMs: this.options.forwardConnectTimeoutMs ?? DEFAULTS.forwardConnectTimeoutMs,
        lingerMs: this.options.lingerMs ?? DEFAULTS.lingerMs,
        logger,
      },
    );
    await entry.splice.done;
  }

  private cancel(processId: number, secretKey: number, logger: Logger): void {
    const found = this.registry.cancel(processId, secretKey);
    if (found) {
      logger.info({ target: processId }, 'cancel request');
      return;
    }
    const targets = new Map<string, { host: string; port: number }>();
    for (const connection of this.connections.values()) {
      const target = connection.splice?.target;
      if (target !== undefined) targets.set(`${target.host}:${target.port}`, target);
    }
    if (targets.size === 0) {
      logger.warn({ target: processId }, 'cancel request with an unknown process id or a wrong key');
      return;
    }
    const packet = encodeFrontendMessage({ kind: 'cancelRequest', processId, secretKey });
    for (const [address, target] of targets) {
      logger.info({ target: processId, forwardedTo: address }, 'cancel request forwarded');
      const socket = connect({ host: target.host, port: target.port }, () => socket.end(packet));
      socket.on('error', (error) =>
        logger.warn({ forwardedTo: address, error: error.message }, 'forwarding a cancel request failed'),
      );
      socket.setTimeout(this.options.forwardConnectTimeoutMs ?? DEFAULTS.forwardConnectTimeoutMs, () =>
        socket.destroy(),
      );
    }
  }
}
