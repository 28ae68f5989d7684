/**
 * Proposals and membership changes waiting for their entry to apply. A request is accepted
 * (the leader appended it at index i in term t) or dropped (not leader, change not allowed);
 * an accepted request settles when index i applies locally: with success if the entry there is
 * still from term t, otherwise it was overwritten by a later leader and never committed. A
 * request that does not settle in time fails with "outcome unknown" (40003), because the entry
 * may still commit later; the caller must not assume either way.
 * Exports: PendingRequests, RequestKind, dropError.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { ProposalDropReason } from '../raft/io.js';
import type { Entry, NodeId } from '../raft/types.js';

export type RequestKind = 'command' | 'config';

export interface AppliedAt {
  readonly index: number;
  readonly term: number;
}

interface Pending {
  readonly requestId: number;
  readonly kind: RequestKind;
  readonly resolve: (at: AppliedAt) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  term: number;
  index: number | null;
}

/** The error for a refused request; `detail` carries the core's reason. */
export function dropError(reason: ProposalDropReason, leader: NodeId | null): KeelError {
  if (reason === 'notLeader' || reason === 'transferring') {
    return new KeelError(SqlState.ReadOnlySqlTransaction, 'this node is not the raft leader', {
      detail: reason,
      hint: leader === null ? 'no leader is known yet; retry shortly' : `the leader is ${leader}`,
    });
  }
  return new KeelError(SqlState.ObjectNotInPrerequisiteState, `raft refused the request: ${reason}`, {
    detail: reason,
  });
}

export class PendingRequests {
  private nextId = 1;
  private readonly byId = new Map<number, Pending>();
  private readonly byIndex = new Map<number, Pending>();

  constructor(private readonly timeoutMs: number) {}

  add(kind: RequestKind): { requestId: number; settled: Promise<AppliedAt> } {
    const requestId = this.nextId++;
    const settled = new Promise<AppliedAt>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(requestId);
        reject(
          new KeelError(
            SqlState.StatementCompletionUnknown,
            `raft ${kind} did not apply within ${this.timeoutMs} ms`,
            {
              hint: 'the entry may still commit; check before retrying',
            },
          ),
        );
      }, this.timeoutMs);
      this.byId.set(requestId, { requestId, kind, resolve, reject, timer, term: 0, index: null });
    });
    return { requestId, settled };
  }

  accepted(requestId: number, index: number, term: number): void {
    const p = this.byId.get(requestId);
    if (p === undefined) return;
    p.index = index;
    p.term = term;
    this.byIndex.set(index, p);
  }

  dropped(requestId: number, reason: ProposalDropReason, leader: NodeId | null): void {
    const p = this.byId.get(requestId);
    if (p === undefined) return;
    this.forget(requestId);
    p.reject(dropError(reason, leader));
  }

  applied(entry: Entry): void {
    const p = this.byIndex.get(entry.index);
    if (p === undefined) return;
    this.forget(p.requestId);
    const expected = p.kind === 'command' ? 'command' : 'config';
    if (entry.term === p.term && entry.body.type === expected) {
      p.resolve({ index: entry.index, term: entry.term });
    } else {
      p.reject(
        new KeelError(SqlState.ReadOnlySqlTransaction, 'raft leadership changed before the entry committed', {
          detail: `index ${entry.index} holds term ${entry.term}, not ${p.term}`,
          hint: 'the entry was not applied; retry at the new leader',
        }),
      );
    }
  }

  failAll(error: Error): void {
    for (const [id, p] of [...this.byId]) {
      this.forget(id);
      p.reject(error);
    }
  }

  private forget(requestId: number): void {
    const p = this.byId.get(requestId);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.byId.delete(requestId);
    if (p.index !== null && this.byIndex.get(p.index) === p) this.byIndex.delete(p.index);
  }
}
