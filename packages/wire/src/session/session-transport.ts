/**
 * What a session needs from a connection, and nothing more: a source of decoded messages and a
 * sink for bytes. The net adapter implements both over a socket; tests implement them in memory.
 *
 * Back-pressure runs both ways through these two interfaces: the source is pulled, so a socket is
 * read only while the session asks for the next message, and write() reports when the socket's
 * buffer is over its high-water mark so the session waits on drained() before producing more.
 * Exports: ReadResult, MessageSource, SessionTransport.
 */
import type { KeelError } from '@keel/errors';
import type { FrontendMessage } from '../codec/frontend-message.js';

export type ReadResult =
  | { kind: 'message'; message: FrontendMessage }
  /** The client closed the connection between messages. */
  | { kind: 'end' }
  /** The byte stream could not be decoded: a FATAL protocol violation; nothing follows it. */
  | { kind: 'error'; error: KeelError };

export interface MessageSource {
  /** The next message; never rejects. After 'end' or 'error' it is not called again. */
  next(): Promise<ReadResult>;
}

export interface SessionTransport {
  /** Queues frames in order; false when the write buffer is over its high-water mark. */
  write(frames: readonly Buffer[]): boolean;
  /** Resolves once the write buffer has drained, or at once if the connection is gone. */
  drained(): Promise<void>;
  /** True once the peer is gone; writes are then dropped. */
  readonly closed: boolean;
  /** Sends what is queued, then closes the connection. */
  end(): void;
}
