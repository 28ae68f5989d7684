/**
 * LISTEN / NOTIFY / UNLISTEN and pg_notify(), as PostgreSQL delivers them (async.c):
 * - NOTIFY queues a notification in its transaction; duplicates (same channel and payload)
 *   within one transaction are sent once. It reaches every session listening on the channel
 *   (the sender included) only when the transaction commits, and never after a rollback or a
 *   ROLLBACK TO a savepoint older than the NOTIFY.
 * - LISTEN and UNLISTEN take effect when their transaction commits, too.
 * - Delivery follows commit order: the hub is a TransactionObserver of the transaction manager,
 *   which reports a commit at the moment it becomes visible.
 * - A session hears its notifications between transactions: the wire layer holds them while
 *   the listener's own transaction block is open.
 * Channel and payload limits are PostgreSQL's (22023: empty or 64+ byte channel name, payload
 * of 8000 bytes or more).
 * Exports: NotificationHub.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Transaction } from '../../txn/transaction.js';
import type { TransactionObserver } from '../../txn/transaction-manager.js';
import type { Session } from '../session.js';

/** PostgreSQL's NAMEDATALEN - 1 and NOTIFY_PAYLOAD_MAX_LENGTH - 1. */
const MAX_CHANNEL_BYTES = 63;
const MAX_PAYLOAD_BYTES = 7999;

type Action =
  | { kind: 'notify'; channel: string; payload: string; pid: number; depth: number }
  | { kind: 'listen'; session: Session; channel: string; depth: number }
  | { kind: 'unlisten'; session: Session; channel: string | null; depth: number };

export class NotificationHub implements TransactionObserver {
  private readonly listeners = new Map<string, Set<Session>>();
  private readonly pending = new Map<Transaction, Action[]>();

  /** LISTEN channel: takes effect when `txn` commits. */
  listen(session: Session, txn: Transaction, channel: string): void {
    this.queue(txn, { kind: 'listen', session, channel, depth: depthOf(txn) });
  }

  /** UNLISTEN channel (null: UNLISTEN *): takes effect when `txn` commits. */
  unlisten(session: Session, txn: Transaction, channel: string | null): void {
    this.queue(txn, { kind: 'unlisten', session, channel, depth: depthOf(txn) });
  }

  /** NOTIFY channel, payload (and pg_notify): delivered when `txn` commits. */
  notify(txn: Transaction, pid: number, channel: string, payload: string): void {
    if (channel === '') throw new KeelError(SqlState.InvalidParameterValue, 'channel name cannot be empty');
    if (Buffer.byteLength(channel) > MAX_CHANNEL_BYTES)
      throw new KeelError(SqlState.InvalidParameterValue, 'channel name too long');
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
      throw new KeelError(SqlState.InvalidParameterValue, 'payload string too long');
    const queued = this.pending.get(txn);
    const duplicate = queued?.some(
      (a) => a.kind === 'notify' && a.channel === channel && a.payload === payload,
    );
    if (duplicate === true) return;
    this.queue(txn, { kind: 'notify', channel, payload, pid, depth: depthOf(txn) });
  }

  /** Channels `session` listens on (committed LISTENs), for pg_listening_channels(). */
  channelsOf(session: Session): string[] {
    return [...this.listeners].filter(([, set]) => set.has(session)).map(([channel]) => channel);
  }

  /** The session ended (or DISCARD ALL): it stops listening at once, as PostgreSQL does at exit. */
  forget(session: Session): void {
    for (const set of this.listeners.values()) set.delete(session);
  }

  // ---- TransactionObserver --------------------------------------------------------------

  savepointRolledBack(txn: Transaction, depth: number): void {
    const queued = this.pending.get(txn);
    if (queued === undefined) return;
    const kept = queued.filter((a) => a.depth < depth);
    this.pending.set(txn, kept);
  }

  savepointReleased(txn: Transaction, depth: number): void {
    for (const action of this.pending.get(txn) ?? []) {
      if (action.depth >= depth) action.depth = depth - 1;
    }
  }

  /** Commit (at the moment it becomes visible, in commit order) or abort of `txn`. */
  transactionEnded(txn: Transaction, committed: boolean): void {
    const queued = this.pending.get(txn);
    if (queued === undefined) return;
    this.pending.delete(txn);
    if (!committed) return;
    // LISTEN/UNLISTEN first: a transaction that listens and notifies hears itself, as in PostgreSQL.
    for (const action of queued) {
      if (action.kind === 'listen') this.addListener(action.session, action.channel);
      else if (action.kind === 'unlisten') this.removeListener(action.session, action.channel);
    }
    for (const action of queued) {
      if (action.kind !== 'notify') continue;
      const { channel, payload, pid } = action;
      for (const session of this.listeners.get(channel) ?? [])
        session.deliverNotification({ processId: pid, channel, payload });
    }
  }

  private queue(txn: Transaction, action: Action): void {
    const queued = this.pending.get(txn);
    if (queued === undefined) this.pending.set(txn, [action]);
    else queued.push(action);
  }

  private addListener(session: Session, channel: string): void {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(session);
  }

  private removeListener(session: Session, channel: string | null): void {
    if (channel === null) {
      this.forget(session);
      return;
    }
    const set = this.listeners.get(channel);
    set?.delete(session);
    if (set?.size === 0) this.listeners.delete(channel);
  }
}

/** The savepoint depth a statement of `txn` runs at (0: the top level). */
function depthOf(txn: Transaction): number {
  return txn.levels.length - 1;
}
