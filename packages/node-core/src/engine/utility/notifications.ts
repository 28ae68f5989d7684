/**
 * LISTEN / NOTIFY / UNLISTEN, as PostgreSQL delivers them: a NOTIFY is queued in its
 * transaction and delivered to every session listening on the channel (the sender included)
 * only when the transaction commits; duplicates within one transaction are sent once.
 * Exports: NotificationHub.
 */
import type { Transaction } from '../../txn/transaction.js';
import type { Session } from '../session.js';

export class NotificationHub {
  private readonly listeners = new Map<string, Set<Session>>();
  private readonly pending = new Map<Transaction, { channel: string; payload: string; pid: number }[]>();

  listen(session: Session, channel: string): void {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(session);
  }

  unlisten(session: Session, channel: string | null): void {
    if (channel !== null) {
      this.listeners.get(channel)?.delete(session);
      return;
    }
    for (const set of this.listeners.values()) set.delete(session);
  }

  notify(txn: Transaction, pid: number, channel: string, payload: string): void {
    let queued = this.pending.get(txn);
    if (queued === undefined) {
      queued = [];
      this.pending.set(txn, queued);
    }
    if (!queued.some((n) => n.channel === channel && n.payload === payload))
      queued.push({ channel, payload, pid });
  }

  transactionEnded(txn: Transaction, committed: boolean): void {
    const queued = this.pending.get(txn);
    this.pending.delete(txn);
    if (!committed || queued === undefined) return;
    for (const { channel, payload, pid } of queued) {
      for (const session of this.listeners.get(channel) ?? [])
        session.deliverNotification({ processId: pid, channel, payload });
    }
  }
}
