/**
 * SessionIo: the session's only view of its connection. read() returns the next frontend
 * message or throws why there is none: ConnectionClosed (the client went away), the decoder's
 * FATAL protocol violation, or the FATAL error the session was terminated with (shutdown,
 * authentication timeout). A termination wakes a read that is waiting, so an idle session ends
 * at once; a busy one ends at its next read. Writes go through the OutputBuffer.
 * Exports: SessionIo, ConnectionClosed.
 */
import { assert, type KeelError } from '@keel/errors';
import type { FrontendMessage } from '../codec/frontend-message.js';
import { OutputBuffer } from './output-buffer.js';
import type { MessageSource, ReadResult, SessionTransport } from './session-transport.js';

/** The client closed the connection: the session ends without sending anything. */
export class ConnectionClosed extends Error {
  constructor() {
    super('connection closed by the client');
    this.name = 'ConnectionClosed';
  }
}

type Wakeup = ReadResult | { kind: 'terminate'; error: KeelError };

export class SessionIo {
  private readonly output: OutputBuffer;
  private terminationError: KeelError | null = null;
  private wake: ((result: Wakeup) => void) | null = null;
  private clientGone = false;

  constructor(
    private readonly source: MessageSource,
    private readonly transport: SessionTransport,
    flushThresholdBytes?: number,
  ) {
    this.output = new OutputBuffer(transport, flushThresholdBytes);
  }

  /** True while a read waits for the client: the session is idle. */
  get waiting(): boolean {
    return this.wake !== null;
  }

  get termination(): KeelError | null {
    return this.terminationError;
  }

  /** True once the client closed the connection (or it failed). */
  get closed(): boolean {
    return this.clientGone || this.transport.closed;
  }

  async read(): Promise<FrontendMessage> {
    if (this.clientGone) throw new ConnectionClosed();
    const result = await this.next();
    switch (result.kind) {
      case 'message':
        return result.message;
      case 'end':
        this.clientGone = true;
        throw new ConnectionClosed();
      case 'error':
        this.clientGone = true;
        throw result.error;
      case 'terminate':
        throw result.error;
    }
  }

  /** Ends the session with `error` (FATAL): now if it is idle, else at its next read. */
  terminate(error: KeelError): void {
    if (this.terminationError !== null) return;
    this.terminationError = error;
    const wake = this.wake;
    this.wake = null;
    wake?.({ kind: 'terminate', error });
  }

  send(frame: Buffer): void {
    this.output.push(frame);
  }

  flush(): void {
    this.output.flush();
  }

  backpressure(): Promise<void> | undefined {
    return this.output.backpressure();
  }

  /** Sends what is buffered and closes the connection. */
  end(): void {
    this.output.flush();
    this.transport.end();
  }

  private next(): Promise<Wakeup> {
    assert(this.wake === null, 'SessionIo.read while another read is pending');
    const termination = this.terminationError;
    if (termination !== null) return Promise.resolve({ kind: 'terminate', error: termination });
    return new Promise<Wakeup>((resolve, reject) => {
      this.wake = resolve;
      this.source.next().then((result) => {
        if (this.wake === resolve) this.wake = null;
        resolve(result);
      }, reject);
    });
  }
}
