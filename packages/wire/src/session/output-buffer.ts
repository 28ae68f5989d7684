/**
 * OutputBuffer: collects encoded backend messages and hands them to the transport in batches,
 * as PostgreSQL's pqcomm does. The session flushes at the protocol's sync points (ReadyForQuery,
 * Flush, CopyInResponse, errors, before waiting for a client response during authentication);
 * in between, frames are sent once `flushThresholdBytes` accumulate. Not flushing between
 * extended-protocol messages is the protocol's rule, not an optimisation: a client that sends
 * Parse/Bind/Execute without Sync or Flush must not rely on seeing replies.
 * Exports: OutputBuffer, DEFAULT_FLUSH_THRESHOLD_BYTES.
 */
import type { SessionTransport } from './session-transport.js';

export const DEFAULT_FLUSH_THRESHOLD_BYTES = 64 * 1024;

export class OutputBuffer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private congested = false;

  constructor(
    private readonly transport: SessionTransport,
    private readonly flushThresholdBytes = DEFAULT_FLUSH_THRESHOLD_BYTES,
  ) {}

  push(frame: Buffer): void {
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (this.pendingBytes >= this.flushThresholdBytes) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const frames = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.congested = !this.transport.write(frames);
  }

  /** A promise to await before producing more output, when the transport asked to slow down. */
  backpressure(): Promise<void> | undefined {
    if (!this.congested) return undefined;
    this.congested = false;
    return this.transport.drained();
  }
}
