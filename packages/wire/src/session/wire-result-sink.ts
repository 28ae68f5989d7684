/**
 * WireResultSink: the ResultSink the engine writes one Query or Execute into; each call becomes
 * backend messages in the session's output. Rows are batch-encoded (one Buffer per dataRows call)
 * and the promise dataRows() returns is the socket's back-pressure: the engine awaits it before
 * producing more. Once the client is gone, dataRows() and copyData() throw 08006 so a statement
 * streaming into a dead connection stops.
 *
 * COPY FROM STDIN: copyIn() sends CopyInResponse, flushes (the client waits for it) and returns
 * an iterator that reads the client's messages: CopyData payloads are yielded, CopyDone ends the
 * stream, CopyFail throws 57014 "COPY from stdin failed: <message>", Flush and Sync are ignored
 * (as PostgreSQL does, for the convenience of client libraries), and anything else is ERROR 08P01.
 * Exports: WireResultSink, SinkMode.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { ColumnDescription, CopyDescription, EncodedRow, Notice, ResultSink } from '../backend.js';
import {
  encodeCommandComplete,
  encodeCopyData,
  encodeCopyDone,
  encodeCopyInResponse,
  encodeCopyOutResponse,
  encodeDataRows,
  encodeEmptyQueryResponse,
  encodeRowDescription,
} from '../codec/backend-encoder.js';
import { encodeNoticeResponse } from '../codec/error-response.js';
import { typeByteOf } from '../codec/typed-message.js';
import { ConnectionClosed, type SessionIo } from './session-io.js';

/** 'simple' for Query (which sends RowDescription itself), 'extended' for Execute. */
export type SinkMode = 'simple' | 'extended';

function connectionLost(): KeelError {
  return new KeelError(SqlState.ConnectionFailure, 'connection to client lost', { severity: 'FATAL' });
}

export class WireResultSink implements ResultSink {
  constructor(
    private readonly io: SessionIo,
    private readonly mode: SinkMode,
  ) {}

  rowDescription(columns: ColumnDescription[]): void {
    assert(
      this.mode === 'simple',
      'rowDescription during Execute: the extended protocol describes with Describe',
    );
    this.io.send(encodeRowDescription(columns));
  }

  dataRows(rows: EncodedRow[]): void | Promise<void> {
    if (this.io.closed) throw connectionLost();
    if (rows.length > 0) this.io.send(encodeDataRows(rows));
    return this.io.backpressure();
  }

  commandComplete(tag: string): void {
    this.io.send(encodeCommandComplete(tag));
  }

  emptyQuery(): void {
    this.io.send(encodeEmptyQueryResponse());
  }

  notice(notice: Notice): void {
    this.io.send(encodeNoticeResponse(notice));
  }

  copyIn(description: CopyDescription): AsyncIterable<Uint8Array> {
    this.io.send(encodeCopyInResponse(description));
    this.io.flush();
    return this.copyInStream();
  }

  copyOut(description: CopyDescription): void {
    this.io.send(encodeCopyOutResponse(description));
  }

  copyData(chunk: Uint8Array): void | Promise<void> {
    if (this.io.closed) throw connectionLost();
    this.io.send(encodeCopyData(chunk));
    return this.io.backpressure();
  }

  copyDone(): void {
    this.io.send(encodeCopyDone());
  }

  private async *copyInStream(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const message = await this.readDuringCopy();
      switch (message.kind) {
        case 'copyData':
          yield message.data;
          break;
        case 'copyDone':
          return;
        case 'copyFail':
          throw new KeelError(SqlState.QueryCanceled, `COPY from stdin failed: ${message.message}`);
        case 'flush':
        case 'sync':
          break;
        default: {
          const type = typeByteOf(message).toString(16).toUpperCase().padStart(2, '0');
          throw new KeelError(
            SqlState.ProtocolViolation,
            `unexpected message type 0x${type} during COPY from stdin`,
          );
        }
      }
    }
  }

  /** The engine sees a lost client as a KeelError it can pass up, never as a foreign exception. */
  private async readDuringCopy() {
    try {
      const message = await this.io.read();
      if (message.kind === 'terminate') throw connectionLost();
      return message;
    } catch (error) {
      if (error instanceof ConnectionClosed) throw connectionLost();
      throw error;
    }
  }
}
