/**
 * Failover orchestration: makes the data follow Raft. The primary is the Raft leader; the
 * orchestrator turns Raft's roles into replication roles and keeps the cluster state (member
 * directory, primary announcement) up to date. It is level-triggered: every change (role, term,
 * committed state, lease) kicks one reconcile pass that compares what is with what should be and
 * does the next step, one at a time; a failed step is logged and retried on the next pass.
 *
 * Leader of term T:
 *   1. renew the leader lease (leader-lease.ts) every `renewEveryMs`; promote only once it holds,
 *      so a leader that was elected but is already cut off never opens for writes;
 *   2. promote: replication.startAsPrimary({ term: T }) (ends recovery, WAL term T);
 *   3. register its own member record, then announce "primary of term T" through Raft;
 *   4. while it leads, fence writes whenever the lease lapses and lift the fence when renewed.
 * Follower or candidate:
 *   1. a term change with a different (or unknown) leader stops following the old primary at
 *      once, synchronously in the role-change callback: a node that voted for a new leader must
 *      not go on acknowledging the old primary's WAL;
 *   2. a former primary is demoted (replication.stop(), then startAsReplica when the new leader
 *      is known: the replication layer rewinds or re-bootstraps it as needed);
 *   3. once the leader of the current term has announced its promotion, follow it
 *      (startAsReplica with its replication address).
 * Switchover: fence writes, wait until the target flushed everything written, then Raft
 * leadership transfer; the target wins at once (TimeoutNow) and promotes itself.
 * Exports: FailoverOrchestrator, OrchestratorDeps, OrchestratorStatus.
 */
import type { RaftNodeHandle, RaftNodeStatus, RoleChange } from '@keel/consensus';
import { KeelError, SqlState } from '@keel/errors';
import type { PrimaryAddress, ReplicationControl } from '@keel/replication';
import type { Logger } from '../logger.js';
import { type ClusterState, encodeCommand, type MemberRecord, sameMember } from './cluster-state.js';
import { LeaderLease } from './leader-lease.js';

export interface OrchestratorDeps {
  readonly raft: RaftNodeHandle;
  readonly state: ClusterState;
  readonly replication: ReplicationControl | null;
  /** Refuses (true) or allows new write transactions without changing the replication role. */
  readonly fenceWrites: (fenced: boolean, reason: string) => void;
  /** This node's record (ports filled in by setSelf once the listeners are bound). */
  readonly self: MemberRecord;
  /** Where this node reaches a peer's replication service (a local override, else the directory). */
  readonly replicationAddress: (nodeId: string) => { host: string; port: number } | null;
  /** Sends this node's member record to the leader, which proposes it (HTTP, member-registration.ts). */
  readonly registerWithLeader: (leader: MemberRecord, self: MemberRecord) => Promise<void>;
  readonly logger: Logger;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  readonly electionTimeoutMs: number;
  readonly renewEveryMs?: number;
  /**
   * Whether a lapsed lease fences the engine's writes (true) or only stops routing new sessions
   * here and turns /primary to 503 (false). Asynchronous mode needs the fence: nothing else stops
   * a cut-off primary from acknowledging. In synchronous mode a commit also waits for a replica's
   * flush, which a cut-off primary cannot get (replicas stop following it the moment they learn
   * of a newer term), so a lapse caused by a slow machine need not fail write transactions.
   */
  readonly fenceOnLeaseLapse: boolean;
}

export interface OrchestratorStatus {
  readonly promotedTerm: number | null;
  readonly following: { readonly leaderId: string; readonly term: number } | null;
  readonly transferring: boolean;
  readonly leaseValid: boolean;
  readonly leaseRemainingMs: number | null;
  readonly fenced: string | null;
  readonly lastError: string | null;
}

const maxRenewalsInFlight = 8;
const registerEveryMs = 1000;

export class FailoverOrchestrator {
  private readonly lease: LeaderLease;
  private promotedTerm: number | null = null;
  /** What the replication layer was last asked to be (a promotion may finish after leadership is lost). */
  private asked: 'primary' | 'replica' | 'stopped' = 'stopped';
  private following: { leaderId: string; term: number } | null = null;
  private transferring = false;
  private fenced: string | null = null;
  /** The lease lapsed while this node was the promoted primary (logged once per lapse). */
  private lapsed = false;
  private lastError: string | null = null;
  private renewalsInFlight = 0;
  private lastRegisterMs = Number.NEGATIVE_INFINITY;
  private dirty = false;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;
  private self: MemberRecord;

  constructor(private readonly deps: OrchestratorDeps) {
    this.self = deps.self;
    this.lease = new LeaderLease(Math.floor(deps.electionTimeoutMs * 0.8));
    this.log = deps.logger.child({ component: 'failover' });
  }

  /** This node's member record, once its listeners' ports are known (before start()). */
  setSelf(self: MemberRecord): void {
    this.self = self;
  }

  start(): void {
    this.unsubscribe.push(this.deps.raft.onRoleChange((change) => this.onRoleChange(change)));
    this.unsubscribe.push(this.deps.state.onChange(() => this.kick()));
    const renewEveryMs = this.deps.renewEveryMs ?? 50;
    this.timers.push(setInterval(() => this.renewLease(), renewEveryMs));
    // A slow safety net: retries a failed step even when nothing else changes.
    this.timers.push(setInterval(() => this.kick(), 250));
    const st = this.deps.raft.status();
    if (st.role === 'leader') this.lease.reset(st.term);
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const off of this.unsubscribe) off();
    await this.running;
  }

  /** Whether this node may accept writes now (the rule /primary and routing use). */
  writable(): boolean {
    const st = this.deps.raft.status();
    return (
      st.role === 'leader' &&
      this.promotedTerm === st.term &&
      !this.transferring &&
      this.fenced === null &&
      this.leaseHolds(st)
    );
  }

  leaseValid(): boolean {
    const st = this.deps.raft.status();
    return st.role === 'leader' && this.leaseHolds(st);
  }

  /** A lone voter needs no lease: no other node can be elected. */
  private leaseHolds(st: RaftNodeStatus): boolean {
    const sole = st.voters.length === 1 && st.voters[0] === st.nodeId;
    return sole || this.lease.valid(this.deps.now());
  }

  status(): OrchestratorStatus {
    const st = this.deps.raft.status();
    const leader = st.role === 'leader';
    return {
      promotedTerm: this.promotedTerm,
      following: this.following,
      transferring: this.transferring,
      leaseValid: leader && this.leaseHolds(st),
      leaseRemainingMs: leader ? Math.round(this.lease.remainingMs(this.deps.now())) : null,
      fenced: this.fenced,
      lastError: this.lastError,
    };
  }

  /**
   * Moves the primary role to `to` (default: the most caught-up voter). `force` skips waiting for
   * the target to catch up (keel cluster failover): in asynchronous mode that may lose what the
   * target had not received; in synchronous mode the vote rule still refuses a target that lacks
   * an acknowledged commit, and the transfer then fails.
   */
  async switchover(options: {
    to?: string;
    force: boolean;
    timeoutMs: number;
  }): Promise<{ from: string; to: string }> {
    const st = this.deps.raft.status();
    if (st.role !== 'leader')
      throw new KeelError(SqlState.ObjectNotInPrerequisiteState, 'this node is not the primary', {
        hint: st.leaderId === null ? 'no leader is known' : `send it to the leader, ${st.leaderId}`,
      });
    if (this.transferring) throw new KeelError(SqlState.ObjectInUse, 'a switchover is already running');
    const target = options.to ?? this.bestTarget(st);
    if (target === null || !st.voters.includes(target) || target === st.nodeId)
      throw new KeelError(SqlState.InvalidParameterValue, `no eligible target ${target ?? ''}`.trim(), {
        hint: `voters: ${st.voters.filter((v) => v !== st.nodeId).join(', ')}`,
      });
    const log = this.log.child({ term: st.term, to: target, force: options.force });
    log.info({ lsn: this.lsn() }, 'switchover: fencing writes');
    this.transferring = true;
    this.fence('switchover');
    try {
      if (!options.force) await this.waitForTarget(target, options.timeoutMs, log);
      log.info({ lsn: this.lsn() }, 'switchover: transferring leadership');
      await this.transfer(target, options.timeoutMs);
      log.info({ lsn: this.lsn() }, 'switchover: leadership moved');
      return { from: st.nodeId, to: target };
    } catch (error) {
      log.warn({ err: error }, 'switchover failed: writes resume here');
      this.unfence();
      throw error;
    } finally {
      this.transferring = false;
      this.kick();
    }
  }

  // --- reactions -----------------------------------------------------------------------------

  private onRoleChange(change: RoleChange): void {
    this.log.info(
      { role: change.role, term: change.term, leaderId: change.leaderId, lsn: this.lsn() },
      'raft role changed',
    );
    if (change.role === 'leader') {
      this.lease.reset(change.term);
      this.renewLease();
    } else {
      // A leader cut off from its quorum may step down (check-quorum) before a reconcile saw its
      // lease lapse; the lapse is logged all the same, with the instant it happened, so the log
      // always shows when this node stopped being allowed to write. (A switchover fenced first.)
      if (this.promotedTerm !== null && !this.lapsed && !this.transferring)
        this.logLeaseLapse(this.promotedTerm);
      // Promotion ended with the leadership (once: later role changes must not log it again).
      this.promotedTerm = null;
      this.lease.reset(-1);
      this.lapsed = false;
      const old = this.following;
      // Rule 1: a newer term whose leader is not the one we stream from ends the stream now.
      if (old !== null && change.term > old.term && change.leaderId !== old.leaderId) {
        this.following = null;
        this.asked = 'stopped';
        this.log.info(
          { term: change.term, was: old.leaderId, lsn: this.lsn() },
          'stopped following the old primary',
        );
        this.deps.replication?.stop().catch((error: unknown) => this.fail('stop following', error));
      }
    }
    this.kick();
  }

  private renewLease(): void {
    if (this.closed) return;
    const st = this.deps.raft.status();
    if (st.role !== 'leader' || (st.voters.length === 1 && st.voters[0] === st.nodeId)) return;
    // A lapsed lease must fence now, not at the next slow tick.
    if (!this.lease.valid(this.deps.now()) && this.promotedTerm === st.term && !this.lapsed) this.kick();
    if (this.renewalsInFlight >= maxRenewalsInFlight) return;
    const startedAt = this.deps.now();
    const term = st.term;
    this.renewalsInFlight++;
    this.deps.raft
      .propose(encodeCommand({ type: 'lease', term }))
      .then(
        () => {
          const wasValid = this.lease.valid(this.deps.now());
          this.lease.renewed(term, startedAt);
          if (!wasValid) this.kick();
        },
        (error: unknown) => this.log.debug({ err: error, term }, 'lease renewal not committed'),
      )
      .finally(() => {
        this.renewalsInFlight--;
      });
  }

  private kick(): void {
    if (this.closed) return;
    this.dirty = true;
    this.running ??= this.loop().finally(() => {
      this.running = null;
      if (this.dirty && !this.closed) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      try {
        await this.reconcile();
      } catch (error) {
        this.fail('reconcile', error);
      }
    }
  }

  private async reconcile(): Promise<void> {
    const st = this.deps.raft.status();
    if (st.role === 'leader') await this.asLeader(st);
    else await this.asFollower(st);
    await this.maybeRegister(this.deps.raft.status());
  }

  private async asLeader(st: RaftNodeStatus): Promise<void> {
    const term = st.term;
    this.following = null;
    if (this.transferring) return;
    if (!this.leaseHolds(st)) {
      if (this.promotedTerm === term && !this.lapsed) {
        this.logLeaseLapse(term);
        if (this.deps.fenceOnLeaseLapse) this.fence('leader lease expired');
      }
      return;
    }
    if (this.lapsed) {
      this.lapsed = false;
      this.log.info({ term, lsn: this.lsn() }, 'leader lease renewed');
    }
    if (this.promotedTerm !== term) {
      this.log.info({ term, lsn: this.lsn() }, 'promoting to primary');
      this.asked = 'primary';
      await this.deps.replication?.startAsPrimary({ term });
      if (this.deps.raft.status().term !== term) return;
      this.promotedTerm = term;
      this.log.info({ term, lsn: this.lsn() }, 'promoted to primary');
    }
    this.unfence();
    if (!sameMember(this.deps.state.member(this.self.nodeId), this.self))
      await this.deps.raft.propose(encodeCommand({ type: 'member', member: this.self }));
    const announced = this.deps.state.primary();
    if (announced === null || announced.term !== term || announced.nodeId !== st.nodeId) {
      await this.deps.raft.propose(encodeCommand({ type: 'primary', term, nodeId: st.nodeId }));
      this.log.info({ term, lsn: this.lsn() }, 'announced as primary');
    }
  }

  private async asFollower(st: RaftNodeStatus): Promise<void> {
    this.promotedTerm = null;
    if (this.asked === 'primary') {
      this.log.info({ term: st.term, lsn: this.lsn() }, 'demoting: no longer the leader, writes fenced');
      this.fence('not the leader');
      this.asked = 'stopped';
      await this.deps.replication?.stop();
    }
    const leader = st.leaderId;
    const announced = this.deps.state.primary();
    if (leader === null || leader === st.nodeId) return;
    if (announced === null || announced.term !== st.term || announced.nodeId !== leader) return;
    if (this.following?.leaderId === leader) {
      this.following = { leaderId: leader, term: st.term };
      return;
    }
    const address = this.deps.replicationAddress(leader);
    if (address === null) {
      this.log.warn({ term: st.term, leaderId: leader }, 'primary has no known replication address yet');
      return;
    }
    const primary: PrimaryAddress = { id: leader, host: address.host, port: address.port };
    this.log.info({ term: st.term, leaderId: leader, lsn: this.lsn(), primary }, 'following the new primary');
    this.asked = 'replica';
    await this.deps.replication?.startAsReplica({ primary });
    this.following = { leaderId: leader, term: st.term };
  }

  private async maybeRegister(st: RaftNodeStatus): Promise<void> {
    const self = this.self;
    if (sameMember(this.deps.state.member(self.nodeId), self) || st.role === 'leader') return;
    if (st.leaderId === null) return;
    const leader = this.deps.state.member(st.leaderId);
    const now = this.deps.now();
    if (leader === undefined || now - this.lastRegisterMs < registerEveryMs) return;
    this.lastRegisterMs = now;
    await this.deps.registerWithLeader(leader, self);
  }

  // --- helpers -------------------------------------------------------------------------------

  private logLeaseLapse(term: number): void {
    this.lapsed = true;
    // When the lease ran out, in wall-clock time: the instant no write could be allowed after.
    // (A leader deposed by a newer term while its lease still ran stops writing now.)
    const remainingMs = this.lease.remainingMs(this.deps.now());
    const remaining = Number.isFinite(remainingMs) ? Math.min(0, remainingMs) : 0;
    const leaseExpiredAt = new Date(Date.now() + remaining).toISOString();
    const fencing = this.deps.fenceOnLeaseLapse;
    this.log.warn(
      { term, lsn: this.lsn(), leaseExpiredAt, fencing },
      fencing ? 'leader lease expired: writes fenced' : 'leader lease expired: not routing sessions here',
    );
  }

  private fence(reason: string): void {
    this.fenced = reason;
    this.deps.fenceWrites(true, reason);
  }

  private unfence(): void {
    if (this.fenced === null) return;
    this.fenced = null;
    this.deps.fenceWrites(false, '');
  }

  /**
   * Raft's transfer gives up after three election timeouts; on a starved machine the target may
   * still win a little later. Leadership that moved within our own timeout counts as done.
   */
  private async transfer(target: string, timeoutMs: number): Promise<void> {
    const deadline = this.deps.now() + timeoutMs;
    try {
      await this.deps.raft.transferLeadership(target);
    } catch (error) {
      while (this.deps.now() < deadline) {
        const st = this.deps.raft.status();
        if (st.leaderId !== null && st.leaderId !== st.nodeId) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw error;
    }
  }

  private async waitForTarget(target: string, timeoutMs: number, log: Logger): Promise<void> {
    const replication = this.deps.replication;
    if (replication === null) return;
    const deadline = this.deps.now() + timeoutMs;
    // Transactions that began before the fence may still commit; wait until the WAL stands still.
    for (;;) {
      const lsn = replication.status().insertLsn;
      const left = Math.max(1, deadline - this.deps.now());
      log.info({ lsn }, 'switchover: waiting for the target to flush');
      await replication.waitForReplicaCatchUp(target, lsn, { timeoutMs: left });
      if (replication.status().insertLsn === lsn) return;
    }
  }

  private bestTarget(st: RaftNodeStatus): string | null {
    const voters = st.voters.filter((id) => id !== st.nodeId);
    const replicas = this.deps.replication?.status().replicas ?? [];
    const byFlush = replicas
      .filter((r) => voters.includes(r.nodeId) && r.state === 'streaming')
      .sort((a, b) => b.flushLsn - a.flushLsn);
    if (byFlush[0] !== undefined) return byFlush[0].nodeId;
    const byMatch = st.peers
      .filter((p) => voters.includes(p.id))
      .sort((a, b) => (b.matchIndex ?? -1) - (a.matchIndex ?? -1));
    return byMatch[0]?.id ?? null;
  }

  private lsn(): string | null {
    const position = this.deps.replication?.dataPosition();
    return position === undefined ? null : position.lsn.toString();
  }

  private fail(step: string, error: unknown): void {
    this.lastError = `${step}: ${error instanceof Error ? error.message : String(error)}`;
    this.log.warn({ err: error, step, term: this.deps.raft.status().term }, 'failover step failed; retrying');
  }
}
