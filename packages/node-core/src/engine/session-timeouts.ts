/**
 * The timeouts of a session waiting for its client between messages, PostgreSQL's
 * idle_in_transaction_session_timeout (inside a transaction block, failed or not) and
 * idle_session_timeout (outside one). When one expires the session is terminated with
 * PostgreSQL's FATAL error (25P03 or 57P05): its transaction rolls back at once, releasing
 * its locks and snapshot, and the connection is to be closed (Session.onTerminate).
 * Exports: IdleTimeouts.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Settings } from './session-settings.js';
import { durationMs } from './setting-specs.js';
import type { BlockState } from './transaction-block.js';

export class IdleTimeouts {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly expire: (error: KeelError) => void) {}

  /** The session now waits for its client in `state`: start the matching timeout, if set. */
  arm(state: BlockState, settings: Settings): void {
    this.disarm();
    const inBlock = state === 'block' || state === 'failed';
    const ms = durationMs(
      settings.value(inBlock ? 'idle_in_transaction_session_timeout' : 'idle_session_timeout'),
    );
    if (ms <= 0) return;
    const error = inBlock
      ? new KeelError(
          SqlState.IdleInTransactionSessionTimeout,
          'terminating connection due to idle-in-transaction timeout',
          { severity: 'FATAL' },
        )
      : new KeelError(SqlState.IdleSessionTimeout, 'terminating connection due to idle-session timeout', {
          severity: 'FATAL',
        });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.expire(error);
    }, ms);
    // An idle session must not keep the process alive at shutdown.
    this.timer.unref();
  }

  /** A message arrived (or the session closes). */
  disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
