/**
 * Background writer: every `delayMs` it looks at the frames the replacement policy would evict
 * next and writes the dirty, unpinned ones (flushing WAL first), so that a backend missing a
 * page finds a clean victim and does not have to write, let alone flush WAL, itself.
 * Exports: BackgroundWriter.
 */
import type { Lsn } from '../ids.js';
import type { Logger } from '../logger.js';
import type { BufferPool } from './buffer-pool.js';

export interface BackgroundWriterOptions {
  delayMs: number;
  /** Pages written per round at most (PostgreSQL's bgwriter_lru_maxpages). */
  maxPages: number;
}

interface WalFlusher {
  readonly flushedLsn: Lsn;
  flush(lsn: Lsn): Promise<void>;
}

export class BackgroundWriter {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  written = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly wal: WalFlusher,
    private readonly options: BackgroundWriterOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.options.delayMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.runOnce().catch((err) => this.logger.error({ err }, 'background writer round failed'));
    }, this.options.delayMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round; returns the number of pages written. */
  async runOnce(): Promise<number> {
    this.busy = true;
    try {
      const candidates = this.pool
        .evictionCandidates(this.options.maxPages * 2)
        .filter((f) => f.dirty && f.pinCount === 0)
        .slice(0, this.options.maxPages)
        .map((frame) => ({ frame, key: frame.key }));
      if (candidates.length === 0) return 0;
      let maxLsn = 0;
      for (const { frame } of candidates) maxLsn = Math.max(maxLsn, frame.lsn);
      await this.wal.flush(maxLsn as Lsn);
      let n = 0;
      for (const { frame, key } of candidates) {
        if (frame.key !== key || !frame.dirty || frame.pinCount > 0 || frame.lsn > this.wal.flushedLsn)
          continue;
        this.pool.writeFrame(frame);
        n++;
      }
      this.written += n;
      return n;
    } finally {
      this.busy = false;
    }
  }
}
