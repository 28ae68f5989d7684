/**
 * Routes PostgreSQL sessions to the primary (wire's SessionRouter), so that any node's
 * PostgreSQL port accepts writes. For each new session, after its StartupMessage:
 *   - this node is writable (leader, promoted, lease held): serve it here;
 *   - the current Raft term's leader has announced its promotion (committed primary
 *     announcement for exactly this term, by exactly that leader) and its PostgreSQL address is
 *     in the directory: forward the session there;
 *   - otherwise (an election or a promotion is under way): wait for one of the above, re-checked
 *     on every committed change and role change, up to `waitMs`; then serve it here, where it is
 *     read-only unless this node became primary meanwhile (libpq's target_session_attrs then
 *     moves on to the next host).
 * Forwarding only to a leader whose announcement carries the current term rules out cycles: a
 * node that forwards to X in term T believes X announced T, and X, if it no longer leads,
 * forwards only to an announcement of a later term, so any chain of hops climbs in term.
 * Sessions on `--pg-read-port` never pass through here: they are always local and read-only.
 * Exports: PrimaryRouter.
 */
import type { RaftNodeHandle } from '@keel/consensus';
import type { SessionRoute, SessionRouter, StartupRequest } from '@keel/wire';
import type { Logger } from '../logger.js';
import type { ClusterState } from './cluster-state.js';

export interface PrimaryRouterDeps {
  readonly raft: RaftNodeHandle;
  readonly state: ClusterState;
  readonly writable: () => boolean;
  /** A local override of a member's PostgreSQL address (tests, NAT); else the directory's. */
  readonly pgAddress: (nodeId: string) => { host: string; port: number } | null;
  readonly logger: Logger;
  readonly waitMs: number;
}

export class PrimaryRouter implements SessionRouter {
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly poll: NodeJS.Timeout;

  constructor(private readonly deps: PrimaryRouterDeps) {
    this.unsubscribe.push(deps.state.onChange(() => this.wake()));
    this.unsubscribe.push(deps.raft.onRoleChange(() => this.wake()));
    // Writability also turns on when a lease renews or a promotion finishes: look again soon.
    this.poll = setInterval(() => this.wake(), 50);
    this.poll.unref();
  }

  close(): void {
    clearInterval(this.poll);
    for (const off of this.unsubscribe) off();
    this.wake();
  }

  /** Where a session should go now, or null while no primary is usable. */
  decide(): SessionRoute | null {
    if (this.deps.writable()) return { kind: 'local' };
    const st = this.deps.raft.status();
    const announced = this.deps.state.primary();
    if (
      announced === null ||
      st.leaderId === null ||
      st.leaderId === st.nodeId ||
      announced.term !== st.term ||
      announced.nodeId !== st.leaderId
    )
      return null;
    const address = this.deps.pgAddress(st.leaderId);
    return address === null ? null : { kind: 'forward', host: address.host, port: address.port };
  }

  async route(request: StartupRequest): Promise<SessionRoute> {
    const deadline = performance.now() + this.deps.waitMs;
    for (;;) {
      const route = this.decide();
      if (route !== null) return route;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.deps.logger.info(
          { user: request.user, waitedMs: this.deps.waitMs },
          'no primary known: serving the session locally',
        );
        return { kind: 'local' };
      }
      // Woken by the next change (at the latest by the 50 ms poll), or by the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
