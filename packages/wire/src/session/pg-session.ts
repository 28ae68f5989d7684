/**
 * PgSession: one client connection's protocol state machine, from the first byte to the close.
 *
 *   startup --SSLRequest/GSSENCRequest--> 'N' --> startup
 *   startup --CancelRequest--> events.cancelRequest(), close without a reply
 *   startup --StartupMessage--> [router says forward] --> run() resolves, `end` is 'forward', the
 *           connection left open for the listener to splice to the target (session-router.ts)
 *   startup --StartupMessage--> authentication (authentication.ts)
 *           --> AuthenticationOk, Backend.startSession(), ParameterStatus*, BackendKeyData
 *           --> query loop (query-loop.ts) --> Terminate or EOF --> close
 *   any state --FATAL error (protocol violation, failed login, shutdown)--> ErrorResponse, close
 *
 * The session owns no socket: it reads decoded messages from a MessageSource and writes frames
 * to a SessionTransport, so tests drive it with messages in memory. Invariants:
 * 1. Every path ends with the BackendSession closed (if one was started) and the transport ended.
 * 2. An InvariantError (or any non-KeelError escaping the session itself) is rethrown from run():
 *    it is a bug, and the caller crashes rather than continue.
 * 3. cancel() reaches the engine only while a statement runs; terminate() ends an idle session at
 *    once and a busy one when its current message is done (or, after a cancel, at once).
 * 4. A forwarded session has sent nothing after the startup phase's encryption answers, and its
 *    transport is not ended: the caller owns the connection from then on.
 * Exports: PgSession, SessionOptions, SessionEvents, SessionEnd.
 */
import { isKeelError, type KeelError, SqlState } from '@keel/errors';
import type { Backend, BackendSession } from '../backend.js';
import { encodeBackendKeyData, encodeParameterStatus } from '../codec/backend-encoder.js';
import { encodeErrorResponse } from '../codec/error-response.js';
import type { StartupMessage } from '../codec/frontend-message.js';
import type { Logger } from '../logger.js';
import { type AuthSettings, authenticate } from './authentication.js';
import { asErrorReport, callBackend, toReportableError } from './error-reporting.js';
import { QueryLoop } from './query-loop.js';
import { ConnectionClosed, SessionIo } from './session-io.js';
import type { RouteTarget, SessionRouter } from './session-router.js';
import type { MessageSource, SessionTransport } from './session-transport.js';
import { type Admission, negotiateStartup, type StartupRequest } from './startup-negotiation.js';

export interface SessionEvents {
  /** A CancelRequest arrived on this connection (which then closes). */
  cancelRequest(processId: number, secretKey: number): void;
  /** Authentication is done and the first ReadyForQuery is on its way. */
  ready(): void;
}

export interface SessionOptions {
  backend: Backend;
  source: MessageSource;
  transport: SessionTransport;
  logger: Logger;
  processId: number;
  secretKey: number;
  remoteAddress: string;
  admission: Admission;
  auth: AuthSettings;
  events: SessionEvents;
  /** Decides after the StartupMessage whether another server serves the session; none: local. */
  router?: SessionRouter;
  flushThresholdBytes?: number;
}

/** How run() ended: the connection is closed, or it must be spliced to `target`. */
export type SessionEnd =
  | { readonly kind: 'closed' }
  | { readonly kind: 'forward'; readonly target: RouteTarget; readonly startup: StartupMessage };

export class PgSession {
  private readonly io: SessionIo;
  private backendSession: BackendSession | null = null;
  private loop: QueryLoop | null = null;
  private forward: Extract<SessionEnd, { kind: 'forward' }> | null = null;

  constructor(private readonly options: SessionOptions) {
    this.io = new SessionIo(options.source, options.transport, options.flushThresholdBytes);
  }

  /** Serves the connection to its end, or to its hand-off (see `end`). Rejects only on a bug (invariant 2). */
  async run(): Promise<void> {
    try {
      await this.serve();
    } catch (error) {
      this.reportFatal(error);
    } finally {
      await this.cleanUp();
    }
  }

  /** After run(): whether the connection was closed or must be spliced to another server. */
  get end(): SessionEnd {
    return this.forward ?? { kind: 'closed' };
  }

  /** CancelRequest for this session: cancels the running statement, if there is one. */
  cancel(): void {
    if (this.loop?.busy) this.backendSession?.cancel();
  }

  /** Ends the session with a FATAL error (57P01 at shutdown, 57014 at authentication timeout). */
  terminate(error: KeelError): void {
    this.io.terminate(error);
  }

  /** True while the session waits for its client (between messages, or during startup). */
  get idle(): boolean {
    return this.io.waiting;
  }

  private async serve(): Promise<void> {
    const outcome = await negotiateStartup(this.io, this.options.admission);
    if (outcome.kind === 'cancelRequest') {
      this.options.events.cancelRequest(outcome.processId, outcome.secretKey);
      return;
    }
    const { backend, logger, auth, router } = this.options;
    const request = outcome.request;
    const route = router === undefined ? { kind: 'local' as const } : await router.route(request);
    if (route.kind === 'forward') {
      // Terminated (shutdown, timeout) while the router waited: end here, not at the target.
      const termination = this.io.termination;
      if (termination !== null) throw termination;
      this.forward = {
        kind: 'forward',
        target: { host: route.host, port: route.port },
        startup: outcome.packet,
      };
      return;
    }
    if (outcome.negotiation !== null) this.io.send(outcome.negotiation);
    const sessionLogger = logger.child({ user: request.user, database: request.database });
    await authenticate({ io: this.io, backend, settings: auth, logger: sessionLogger }, request);
    const session = this.startSession(request);
    this.loop = new QueryLoop(this.io, session, sessionLogger);
    this.options.events.ready();
    await this.loop.run();
  }

  private startSession(request: StartupRequest): BackendSession {
    const { backend, processId, secretKey, remoteAddress } = this.options;
    const started = callBackend(
      () => backend.startSession({ ...request, processId, remoteAddress }),
      this.options.logger,
    );
    this.backendSession = started.session;
    // The engine may end the session by itself (idle timeouts, pg_terminate_backend): the same
    // path as a shutdown, so an idle session ends at once with the FATAL error.
    started.session.onTerminate?.((error) => this.terminate(error));
    for (const [name, value] of started.parameters) this.io.send(encodeParameterStatus(name, value));
    this.io.send(encodeBackendKeyData(processId, secretKey));
    return started.session;
  }

  /** Before ReadyForQuery every error is FATAL; in the loop only FATAL ones get here. */
  private reportFatal(error: unknown): void {
    if (error instanceof ConnectionClosed) return;
    if (!isKeelError(error)) throw error;
    const fatal = error.severity === 'PANIC' ? error : error.withSeverity('FATAL');
    const fields = { sqlstate: fatal.sqlstate, message: fatal.message };
    if (fatal.sqlstate === SqlState.ProtocolViolation) this.options.logger.warn(fields, 'protocol violation');
    else this.options.logger.info(fields, 'session ended by an error');
    this.io.send(encodeErrorResponse(asErrorReport(fatal)));
  }

  /** Invariant 1. A failing close() is logged: the client is gone, there is no one to tell. */
  private async cleanUp(): Promise<void> {
    if (this.forward !== null) return;
    this.io.end();
    const session = this.backendSession;
    this.backendSession = null;
    if (session === null) return;
    try {
      await session.close();
    } catch (error) {
      const reported = toReportableError(error, this.options.logger);
      this.options.logger.error(
        { sqlstate: reported.sqlstate, message: reported.message },
        'closing the session failed',
      );
    }
  }
}
