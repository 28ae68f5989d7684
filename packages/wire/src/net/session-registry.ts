/**
 * SessionRegistry: the live sessions of a listener by process id, for CancelRequest and
 * shutdown. A cancel names a process id and the secret key sent to that session in
 * BackendKeyData; both must match, so a client can cancel only its own statements. Process ids
 * are positive 31-bit integers, unique among live sessions, handed out in order.
 * Exports: SessionRegistry, RegisteredSession.
 */
import type { PgSession } from '../session/pg-session.js';

export interface RegisteredSession {
  processId: number;
  secretKey: number;
  session: PgSession;
}

const MAX_PROCESS_ID = 2 ** 31 - 1;

export class SessionRegistry {
  private readonly sessions = new Map<number, RegisteredSession>();
  private lastProcessId = 0;

  get size(): number {
    return this.sessions.size;
  }

  /** A process id no live session has. */
  allocateProcessId(): number {
    do {
      this.lastProcessId = this.lastProcessId >= MAX_PROCESS_ID ? 1 : this.lastProcessId + 1;
    } while (this.sessions.has(this.lastProcessId));
    return this.lastProcessId;
  }

  add(entry: RegisteredSession): void {
    this.sessions.set(entry.processId, entry);
  }

  remove(processId: number): void {
    this.sessions.delete(processId);
  }

  /** Cancels the running statement of the session with this key; false when none matches. */
  cancel(processId: number, secretKey: number): boolean {
    const entry = this.sessions.get(processId);
    if (entry === undefined || entry.secretKey !== secretKey) return false;
    entry.session.cancel();
    return true;
  }

  all(): RegisteredSession[] {
    return [...this.sessions.values()];
  }
}
