/**
 * Splicing a routed session to its target server (see session/session-router.ts): connect to
 * the target, replay the client's StartupMessage (and anything it sent after it that was already
 * decoded), then copy bytes both ways until either side closes. The target authenticates the
 * client and runs the session; this node only moves bytes, with TCP back-pressure in both
 * directions (pipe).
 *
 * Rules:
 * 1. If the target cannot be reached within `connectTimeoutMs`, the client hears FATAL 08006
 *    naming the target, as libpq reports a failed connection; nothing else was sent to it yet.
 * 2. A half-close is passed on (the listener's sockets allow half-open connections), so the
 *    client's Terminate-then-FIN and the server's final ErrorResponse both arrive.
 * 3. Either side failing destroys both; the returned promise resolves once both are closed.
 * Exports: spliceSession, SpliceHandle.
 */
import { connect, type Socket } from 'node:net';
import { KeelError, SqlState } from '@keel/errors';
import { encodeErrorResponse } from '../codec/error-response.js';
import { encodeFrontendMessage } from '../codec/frontend-encoder.js';
import type { FrontendMessage, StartupMessage } from '../codec/frontend-message.js';
import type { Logger } from '../logger.js';
import { asErrorReport } from '../session/error-reporting.js';
import type { RouteTarget } from '../session/session-router.js';

export interface SpliceHandle {
  readonly target: RouteTarget;
  /** Resolves when both sockets are closed. */
  readonly done: Promise<void>;
  /** Cuts both connections at once (shutdown). */
  destroy(): void;
}

export function spliceSession(
  client: Socket,
  target: RouteTarget,
  replay: { startup: StartupMessage; unread: readonly FrontendMessage[] },
  options: { connectTimeoutMs: number; lingerMs: number; logger: Logger },
): SpliceHandle {
  const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
  upstream.setNoDelay(true);
  let connected = false;
  const closed = (socket: Socket) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed && socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
  const done = Promise.all([closed(client), closed(upstream)]).then(() => undefined);
  const destroy = () => {
    client.destroy();
    upstream.destroy();
  };
  const timer = setTimeout(
    () => upstream.destroy(new Error(`no connection within ${options.connectTimeoutMs} ms`)),
    options.connectTimeoutMs,
  );
  timer.unref();
  upstream.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    const frames = [replay.startup, ...replay.unread].map((message) => encodeFrontendMessage(message));
    upstream.write(Buffer.concat(frames));
    client.pipe(upstream);
    upstream.pipe(client);
    options.logger.debug({ target: `${target.host}:${target.port}` }, 'session forwarded');
  });
  upstream.on('error', (error) => {
    clearTimeout(timer);
    if (connected) {
      options.logger.debug({ err: error }, 'forwarded session: target connection failed');
      destroy();
      return;
    }
    const address = `${target.host}:${target.port}`;
    options.logger.warn(
      { target: address, error: error.message },
      'cannot forward session: target unreachable',
    );
    const refusal = new KeelError(
      SqlState.ConnectionFailure,
      `could not connect to the primary at ${address}`,
      {
        severity: 'FATAL',
        detail: error.message,
        hint: 'a failover may be in progress; retry the connection',
      },
    );
    client.end(encodeErrorResponse(asErrorReport(refusal)));
    client.resume();
    setTimeout(() => client.destroy(), options.lingerMs).unref();
  });
  client.on('error', (error) => {
    options.logger.debug({ err: error }, 'forwarded session: client connection failed');
    destroy();
  });
  client.once('close', () => upstream.destroy());
  // The target closed: let what it sent last reach the client, then close (pipe ended it already).
  upstream.once('close', () => {
    if (!connected) return;
    client.end();
    setTimeout(() => client.destroy(), options.lingerMs).unref();
  });
  return { target, done, destroy };
}
