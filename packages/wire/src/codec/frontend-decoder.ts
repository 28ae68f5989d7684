/**
 * FrontendDecoder: turns the bytes a client sends into frontend messages, incrementally and
 * without I/O. Bytes go in with push() in whatever pieces the network delivered; every complete
 * message comes out. It starts in the startup phase (packets without a type byte) and switches
 * to typed messages after the StartupMessage, as the protocol does.
 *
 * Rules:
 * 1. A length field is checked as soon as its four bytes arrive: negative, smaller than itself
 *    or over the cap for its message type is a protocol violation (FATAL 08P01). The announced
 *    size is never allocated in advance; bytes are kept as received until the frame is whole.
 * 2. An unknown type byte fails at once, so garbage is rejected without waiting for a length.
 * 3. A decoder that threw is finished: pushing into it again is a bug (InvariantError). The
 *    caller closes the connection instead, because framing can no longer be trusted.
 * 4. finish() at end of stream fails if part of a frame is still buffered (truncated message).
 * Exports: FrontendDecoder (push, pushEach, finish), FrontendDecoderOptions, DEFAULT_MAX_MESSAGE_BYTES.
 */
import { assert, isKeelError } from '@keel/errors';
import { ChunkQueue } from './chunk-queue.js';
import type { FrontendMessage } from './frontend-message.js';
import { protocolViolation } from './protocol-violation.js';
import { MAX_STARTUP_PACKET_BODY_BYTES, parseStartupPacket } from './startup-packet.js';
import { bodyLimitOf, invalidType, isFrontendType, parseTypedMessage } from './typed-message.js';

/** 1 GiB, PostgreSQL's limit for one message carrying data (MaxAllocSize). */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 ** 30 - 1;

export interface FrontendDecoderOptions {
  /** Largest body of a Query, Parse, Bind or CopyData message. Control messages stay capped lower. */
  maxMessageBytes?: number;
}

type Phase = 'startup' | 'typed' | 'failed';

const LENGTH_BYTES = 4;

export class FrontendDecoder {
  private readonly queue = new ChunkQueue();
  private readonly maxMessageBytes: number;
  private phase: Phase = 'startup';

  constructor(options: FrontendDecoderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    assert(this.maxMessageBytes >= LENGTH_BYTES, 'maxMessageBytes too small');
  }

  /** Bytes received that do not yet form a complete message. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** Adds received bytes; returns every message they complete, in order. Throws KeelError 08P01. */
  push(chunk: Uint8Array): FrontendMessage[] {
    const messages: FrontendMessage[] = [];
    this.pushEach(chunk, (message) => messages.push(message));
    return messages;
  }

  /**
   * Like push(), but hands each message over as soon as it is complete, so the messages before a
   * protocol violation in the same chunk are delivered before the violation is thrown.
   */
  pushEach(chunk: Uint8Array, onMessage: (message: FrontendMessage) => void): void {
    assert(this.phase !== 'failed', 'frontend decoder fed again after a protocol violation');
    this.guard(() => {
      this.queue.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
      );
      for (let next = this.nextMessage(); next !== null; next = this.nextMessage()) onMessage(next);
    });
  }

  /** End of stream: a partly received frame means the client sent a truncated message. */
  finish(): void {
    assert(this.phase !== 'failed', 'frontend decoder finished after a protocol violation');
    if (this.queue.length === 0) return;
    this.phase = 'failed';
    throw protocolViolation(
      'unexpected EOF within message',
      `${this.queue.length} bytes of a partial message`,
    );
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isKeelError(error)) this.phase = 'failed';
      throw error;
    }
  }

  private nextMessage(): FrontendMessage | null {
    return this.phase === 'startup' ? this.nextStartupPacket() : this.nextTypedMessage();
  }

  private nextStartupPacket(): FrontendMessage | null {
    if (this.queue.length < LENGTH_BYTES) return null;
    const length = this.queue.int32At(0);
    const bodyBytes = length - LENGTH_BYTES;
    if (bodyBytes < LENGTH_BYTES || bodyBytes > MAX_STARTUP_PACKET_BODY_BYTES) {
      throw protocolViolation('invalid length of startup packet', `length field ${length}`);
    }
    if (this.queue.length < length) return null;
    const packet = parseStartupPacket(this.queue.take(length).subarray(LENGTH_BYTES));
    if (packet.kind === 'startup') this.phase = 'typed';
    return packet;
  }

  private nextTypedMessage(): FrontendMessage | null {
    if (this.queue.length < 1) return null;
    const type = this.queue.byteAt(0);
    if (!isFrontendType(type)) throw invalidType(type);
    if (this.queue.length < 1 + LENGTH_BYTES) return null;
    const length = this.queue.int32At(1);
    const limit = bodyLimitOf(type, this.maxMessageBytes);
    if (length < LENGTH_BYTES || length - LENGTH_BYTES > limit) {
      throw protocolViolation(
        'invalid message length',
        `type ${type}, length field ${length}, limit ${limit}`,
      );
    }
    if (this.queue.length < 1 + length) return null;
    const frame = this.queue.take(1 + length);
    return parseTypedMessage(type, frame.subarray(1 + LENGTH_BYTES));
  }
}
