/**
 * SocketConnection: a node:net socket seen as a session's MessageSource and SessionTransport.
 *
 * Reading is pulled: the socket is paused whenever decoded messages wait to be taken, and resumed
 * only when the session asks for the next one, so a client cannot queue unbounded work while the
 * engine is busy (TCP flow control pushes back on it). Bytes go through one FrontendDecoder; when
 * it throws, the error is the last thing read and the decoder is never fed again.
 *
 * Closing: end() flushes what was written, sends FIN, and keeps reading (and discarding) until the
 * client closes too, so unread client bytes do not turn the close into a reset that could destroy
 * the final ErrorResponse before the client reads it. A client that never closes is cut off after
 * `lingerMs`.
 *
 * Hand-off: detach() gives the socket up for a session routed to another server. It stops
 * decoding and returns the socket, paused, with the messages decoded but not yet read (they are
 * re-encoded for the target); a partly received frame cannot be handed on, so detach() then
 * refuses. Only the close tracking stays attached, so `whenClosed` still resolves.
 * Exports: SocketConnection, SocketConnectionOptions, Detached.
 */
import type { Socket } from 'node:net';
import { isKeelError } from '@keel/errors';
import { FrontendDecoder } from '../codec/frontend-decoder.js';
import type { FrontendMessage } from '../codec/frontend-message.js';
import type { Logger } from '../logger.js';
import type { MessageSource, ReadResult, SessionTransport } from '../session/session-transport.js';

export interface SocketConnectionOptions {
  maxMessageBytes?: number;
  lingerMs: number;
  logger: Logger;
}

/** A socket given up by detach(), with what the client sent that the session did not read. */
export interface Detached {
  readonly socket: Socket;
  readonly unread: readonly FrontendMessage[];
}

export class SocketConnection implements MessageSource, SessionTransport {
  private readonly decoder: FrontendDecoder;
  private readonly queue: ReadResult[] = [];
  private waiter: ((result: ReadResult) => void) | null = null;
  private drainWaiters: (() => void)[] = [];
  private inputDone = false;
  private socketClosed = false;
  private ending = false;
  private detached = false;
  private resolveClosed: () => void = () => {};
  /** Resolves when the socket is fully closed. */
  readonly whenClosed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    private readonly socket: Socket,
    private readonly options: SocketConnectionOptions,
  ) {
    this.decoder = new FrontendDecoder({ maxMessageBytes: options.maxMessageBytes });
    socket.on('data', this.handlers.data);
    socket.on('end', this.handlers.end);
    socket.on('error', this.handlers.error);
    socket.on('drain', this.handlers.drain);
    socket.on('close', this.handlers.close);
    socket.pause();
  }

  private readonly handlers = {
    data: (chunk: Buffer) => this.onData(chunk),
    end: () => this.onEnd(),
    error: (error: Error) => this.onSocketError(error),
    drain: () => this.releaseDrainWaiters(),
    close: () => this.onClose(),
  };

  /**
   * Gives the socket up (see the header). Null when it cannot be handed on: the client closed,
   * sent bytes that do not decode, or sent part of a frame; the caller then destroys it.
   */
  detach(): Detached | null {
    if (this.detached || this.ending || this.closed) return null;
    this.detached = true;
    this.socket.pause();
    // 'close' and 'error' stay attached: whenClosed still tells when the spliced socket closed.
    this.socket.off('data', this.handlers.data);
    this.socket.off('end', this.handlers.end);
    this.socket.off('drain', this.handlers.drain);
    this.releaseDrainWaiters();
    const unread: FrontendMessage[] = [];
    for (const result of this.queue.splice(0)) {
      if (result.kind !== 'message') return null;
      unread.push(result.message);
    }
    if (this.inputDone || this.decoder.bufferedBytes > 0) return null;
    this.inputDone = true;
    return { socket: this.socket, unread };
  }

  next(): Promise<ReadResult> {
    const queued = this.queue.shift();
    if (queued !== undefined) {
      if (this.queue.length === 0 && !this.inputDone) this.socket.resume();
      return Promise.resolve(queued);
    }
    if (this.inputDone) return Promise.resolve({ kind: 'end' });
    this.socket.resume();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  get closed(): boolean {
    return this.socketClosed || this.socket.destroyed || !this.socket.writable;
  }

  write(frames: readonly Buffer[]): boolean {
    if (this.closed || this.ending) return true;
    let belowMark = true;
    this.socket.cork();
    for (const frame of frames) belowMark = this.socket.write(frame);
    this.socket.uncork();
    return belowMark;
  }

  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
    });
  }

  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.inputDone = true;
    this.queue.length = 0;
    if (this.socket.destroyed) return;
    this.socket.resume();
    this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), this.options.lingerMs);
    linger.unref();
    this.socket.once('close', () => clearTimeout(linger));
  }

  /** Closes at once, dropping unsent output: the last step of a shutdown past its deadline. */
  destroy(): void {
    this.socket.destroy();
  }

  private deliver(result: ReadResult): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) waiter(result);
    else this.queue.push(result);
  }

  private onData(chunk: Buffer): void {
    if (this.inputDone) return;
    try {
      this.decoder.pushEach(chunk, (message) => this.deliver({ kind: 'message', message }));
    } catch (error) {
      if (!isKeelError(error)) throw error;
      this.finishInput({ kind: 'error', error });
      return;
    }
    if (this.queue.length > 0) this.socket.pause();
  }

  private onEnd(): void {
    if (this.inputDone) return;
    try {
      this.decoder.finish();
    } catch (error) {
      if (!isKeelError(error)) throw error;
      this.finishInput({ kind: 'error', error });
      return;
    }
    this.finishInput({ kind: 'end' });
  }

  private onSocketError(error: Error): void {
    this.options.logger.debug({ err: error }, 'socket error');
    this.finishInput({ kind: 'end' });
  }

  private onClose(): void {
    this.socketClosed = true;
    this.finishInput({ kind: 'end' });
    this.releaseDrainWaiters();
    this.resolveClosed();
  }

  private finishInput(result: ReadResult): void {
    if (this.inputDone) return;
    this.inputDone = true;
    this.deliver(result);
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
