/**
 * QueryLoop: the session after authentication, one frontend message at a time, in PostgreSQL's
 * order (postgres.c PostgresMain):
 *
 *   ready --Query--> run statements --> [ErrorResponse] --> ReadyForQuery --> ready
 *   ready --Parse/Bind/Describe/Execute/Close--> reply (ParseComplete, ..., PortalSuspended)
 *           \--error--> ErrorResponse, errorBeforeSync(), skip every message until Sync
 *   any --Sync--> sync() (ends the implicit transaction) --> ReadyForQuery --> ready
 *   any --Flush--> send what is buffered;  --Terminate or EOF--> end
 *
 * Before each ReadyForQuery the session sends changed ParameterStatus values and pending
 * notifications; while idle after one, a notification is sent as soon as the engine signals it.
 * Notifications wait while a transaction block is open (status T or E), as in PostgreSQL.
 * CopyData/CopyDone/CopyFail arriving here are leftovers of a COPY that already failed and are
 * ignored, as PostgreSQL does. Backend errors are reported by error-reporting.ts; a FATAL one
 * (or a termination request) ends the loop by throwing it to the session.
 * Exports: QueryLoop.
 */
import { assertNever, KeelError, SqlState } from '@keel/errors';
import type { BackendSession } from '../backend.js';
import {
  encodeBindComplete,
  encodeCloseComplete,
  encodeNoData,
  encodeNotificationResponse,
  encodeParameterDescription,
  encodeParameterStatus,
  encodeParseComplete,
  encodePortalSuspended,
  encodeReadyForQuery,
  encodeRowDescription,
} from '../codec/backend-encoder.js';
import { encodeErrorResponse } from '../codec/error-response.js';
import type { FrontendMessage } from '../codec/frontend-message.js';
import { protocolViolation } from '../codec/protocol-violation.js';
import { typeByteOf } from '../codec/typed-message.js';
import type { Logger } from '../logger.js';
import { asErrorReport, endsSession, toReportableError } from './error-reporting.js';
import { checkBindFormats, type ExtendedMessage } from './extended-checks.js';
import { ConnectionClosed, type SessionIo } from './session-io.js';
import { WireResultSink } from './wire-result-sink.js';

type Step = 'continue' | 'stop';

export class QueryLoop {
  private skipTillSync = false;
  private idleAfterReady = false;
  private running = false;

  constructor(
    private readonly io: SessionIo,
    private readonly session: BackendSession,
    private readonly logger: Logger,
  ) {
    session.onNotification(() => this.maybeSendNotifications());
  }

  /** True while a Query, Execute or Sync is inside the engine (what a CancelRequest cancels). */
  get busy(): boolean {
    return this.running;
  }

  /** Sends the first ReadyForQuery, then serves messages until Terminate or EOF. */
  async run(): Promise<void> {
    this.readyForQuery();
    for (;;) {
      const message = await this.io.read();
      this.idleAfterReady = false;
      if (this.skipTillSync && message.kind !== 'sync' && message.kind !== 'terminate') continue;
      if ((await this.handle(message)) === 'stop') return;
    }
  }

  private async handle(message: FrontendMessage): Promise<Step> {
    switch (message.kind) {
      case 'query':
        await this.simpleQuery(message.sql);
        return 'continue';
      case 'parse':
      case 'bind':
      case 'describe':
      case 'execute':
      case 'close':
        await this.extended(message);
        return 'continue';
      case 'sync':
        await this.sync();
        return 'continue';
      case 'flush':
        this.io.flush();
        return 'continue';
      case 'terminate':
        return 'stop';
      case 'copyData':
      case 'copyDone':
      case 'copyFail':
        return 'continue';
      case 'functionCall':
        this.report(
          new KeelError(
            SqlState.FeatureNotSupported,
            'the fast-path function call interface is not supported',
          ),
        );
        this.readyForQuery();
        return 'continue';
      case 'password':
      case 'startup':
      case 'sslRequest':
      case 'gssEncRequest':
      case 'cancelRequest':
        throw protocolViolation(`invalid frontend message type ${typeByteOf(message)}`);
      default:
        return assertNever(message, 'frontend message');
    }
  }

  private async simpleQuery(sql: string): Promise<void> {
    await this.guard(() => this.session.simpleQuery(sql, new WireResultSink(this.io, 'simple')), 'simple');
    this.readyForQuery();
  }

  private async sync(): Promise<void> {
    this.skipTillSync = false;
    await this.guard(() => this.session.sync(), 'simple');
    this.readyForQuery();
  }

  private async extended(message: ExtendedMessage): Promise<void> {
    await this.guard(() => this.runExtended(message), 'extended');
  }

  private async runExtended(message: ExtendedMessage): Promise<void> {
    const { io, session } = this;
    switch (message.kind) {
      case 'parse':
        session.parse(message.statementName, message.sql, message.paramTypeOids);
        io.send(encodeParseComplete());
        return;
      case 'bind':
        checkBindFormats(message);
        session.bind(
          message.portalName,
          message.statementName,
          message.params,
          message.paramFormats,
          message.resultFormats,
        );
        io.send(encodeBindComplete());
        return;
      case 'describe':
        this.describe(message.target, message.name);
        return;
      case 'execute': {
        const sink = new WireResultSink(io, 'extended');
        const outcome = await session.execute(message.portalName, Math.max(0, message.maxRows), sink);
        if (outcome === 'suspended') io.send(encodePortalSuspended());
        return;
      }
      case 'close':
        if (message.target === 'statement') session.closeStatement(message.name);
        else session.closePortal(message.name);
        io.send(encodeCloseComplete());
        return;
      default:
        assertNever(message, 'extended message');
    }
  }

  private describe(target: 'statement' | 'portal', name: string): void {
    if (target === 'statement') {
      const description = this.session.describeStatement(name);
      this.io.send(encodeParameterDescription(description.paramTypeOids));
      this.io.send(description.columns === null ? encodeNoData() : encodeRowDescription(description.columns));
      return;
    }
    const columns = this.session.describePortal(name);
    this.io.send(columns === null ? encodeNoData() : encodeRowDescription(columns));
  }

  /**
   * Runs one backend call. An ERROR is reported and, in the extended protocol, starts skipping
   * until Sync; a FATAL error, a lost client or a pending termination ends the session.
   */
  private async guard(work: () => Promise<unknown>, mode: 'simple' | 'extended'): Promise<void> {
    this.running = true;
    try {
      await work();
    } catch (error) {
      this.report(toReportableError(error, this.logger));
      if (mode === 'extended') {
        this.session.errorBeforeSync();
        this.skipTillSync = true;
      }
    } finally {
      this.running = false;
    }
  }

  private report(error: KeelError): void {
    if (this.io.closed) throw new ConnectionClosed();
    const termination = this.io.termination;
    if (termination !== null) throw termination;
    if (endsSession(error)) throw error;
    this.io.send(encodeErrorResponse(asErrorReport(error)));
    this.io.flush();
  }

  private readyForQuery(): void {
    for (const [name, value] of this.session.takeParameterChanges()) {
      this.io.send(encodeParameterStatus(name, value));
    }
    this.sendNotifications();
    this.io.send(encodeReadyForQuery(this.session.transactionStatus));
    this.io.flush();
    this.idleAfterReady = true;
  }

  /** Only between transactions: PostgreSQL holds notifications while a transaction block is open. */
  private sendNotifications(): void {
    if (this.session.transactionStatus !== 'I') return;
    for (const { processId, channel, payload } of this.session.takeNotifications()) {
      this.io.send(encodeNotificationResponse(processId, channel, payload));
    }
  }

  /** Engine callback: flush notifications now if the session sits idle after ReadyForQuery. */
  private maybeSendNotifications(): void {
    if (!this.idleAfterReady || !this.io.waiting || this.io.closed) return;
    this.sendNotifications();
    this.io.flush();
  }
}
