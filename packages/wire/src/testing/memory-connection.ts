/**
 * MemoryConnection: a MessageSource and SessionTransport in memory, so a PgSession runs in a test
 * without sockets. The test delivers read results and collects the bytes the session wrote;
 * untilIdle() resolves when the session next waits for input with nothing queued, which is how a
 * test knows a message has been fully handled (no sleeps). `congested` makes write() report a
 * full socket until relieve() is called, to test back-pressure.
 * Exports: MemoryConnection.
 */
import type { FrontendMessage } from '../codec/frontend-message.js';
import type { MessageSource, ReadResult, SessionTransport } from '../session/session-transport.js';

export class MemoryConnection implements MessageSource, SessionTransport {
  closed = false;
  ended = false;
  congested = false;
  writeCalls = 0;
  private readonly inbox: ReadResult[] = [];
  private waiter: ((result: ReadResult) => void) | null = null;
  private idleWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private drainRequestWaiters: (() => void)[] = [];
  private output: Buffer[] = [];

  next(): Promise<ReadResult> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const notify of idle) notify();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  deliver(result: ReadResult): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter === null) this.inbox.push(result);
    else waiter(result);
  }

  send(message: FrontendMessage): void {
    this.deliver({ kind: 'message', message });
  }

  /** Resolves the next time the session waits for input with an empty inbox. */
  untilIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  get waitingForInput(): boolean {
    return this.waiter !== null;
  }

  write(frames: readonly Buffer[]): boolean {
    this.writeCalls += 1;
    if (this.closed) return true;
    this.output.push(...frames);
    return !this.congested;
  }

  drained(): Promise<void> {
    const requested = this.drainRequestWaiters;
    this.drainRequestWaiters = [];
    for (const notify of requested) notify();
    if (!this.congested || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
    });
  }

  /** Resolves the next time the session waits for the transport to drain. */
  untilDrainRequested(): Promise<void> {
    return new Promise((resolve) => {
      this.drainRequestWaiters.push(resolve);
    });
  }

  relieve(): void {
    this.congested = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  end(): void {
    this.ended = true;
  }

  takeOutput(): Buffer {
    const bytes = Buffer.concat(this.output);
    this.output = [];
    return bytes;
  }
}
