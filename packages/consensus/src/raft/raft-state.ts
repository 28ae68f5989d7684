/**
 * The state one Raft server keeps, and the transitions every handler shares: role changes,
 * the election timer, and the outbox that turns changes into ordered Outputs.
 *
 * The outbox is where "persist before send" is enforced: handlers only mark the hard state or
 * the log as changed; the first `send` (or `apply`/`restore`) after a change first emits one
 * `persist` with everything changed so far. A handler therefore cannot send a message that
 * depends on state the driver has not been told to make durable. The commit index alone never
 * forces a persist (it can be relearned from a quorum); it rides along with the next one.
 * Exports: RaftState, RaftOptions, Role.
 */
import { assert } from '@keel/errors';
import { isMember, isVoter, membersOf, sameConfig } from './cluster-config.js';
import type { Env, Output, RoleName } from './io.js';
import type { RaftMessage } from './messages.js';
import { Progress } from './progress.js';
import type { RaftLog } from './raft-log.js';
import { type ClusterConfig, type HardState, LogIndex, type NodeId, type Snapshot, Term } from './types.js';

export interface RaftOptions {
  /** Followers campaign after a random timeout in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  readonly electionTimeoutTicks: number;
  readonly heartbeatTicks: number;
  /** Ask "would you vote?" before bumping the term (thesis 9.6): a partitioned node cannot disrupt. */
  readonly preVote: boolean;
  /** A leader steps down without a quorum in an election timeout; followers honour a leader lease. */
  readonly checkQuorum: boolean;
  readonly maxEntriesPerAppend: number;
  /** Appends pipelined to a peer whose log is known to match (replicate state). */
  readonly maxInFlightAppends: number;
  /** A learner may be promoted once its match index is within this many entries of the leader's log. */
  readonly catchUpMarginEntries: number;
}

interface Transfer {
  readonly to: NodeId;
  elapsedTicks: number;
  timeoutNowSent: boolean;
}

export type Role =
  | { readonly name: 'follower'; leader: NodeId | null }
  | { readonly name: 'preCandidate'; readonly votes: Map<NodeId, boolean> }
  | { readonly name: 'candidate'; readonly votes: Map<NodeId, boolean> }
  | {
      readonly name: 'leader';
      readonly progress: Map<NodeId, Progress>;
      transfer: Transfer | null;
      heartbeatElapsed: number;
    };

interface Reported {
  role: RoleName;
  term: Term;
  leader: NodeId | null;
}

export class RaftState {
  term: Term;
  vote: NodeId | null;
  role: Role = { name: 'follower', leader: null };
  applied: LogIndex;
  electionElapsed = 0;
  randomizedElectionTimeout = 0;

  private outputs: Output[] = [];
  private dirtyFrom: LogIndex | null = null;
  private snapshotToPersist: Snapshot | null = null;
  private persistedHardState: HardState;
  private reported: Reported;
  private reportedConfig: ClusterConfig;

  constructor(
    readonly id: NodeId,
    readonly opts: RaftOptions,
    readonly env: Env,
    readonly log: RaftLog,
    hardState: HardState,
  ) {
    assert(opts.heartbeatTicks >= 1, 'heartbeatTicks must be at least 1');
    assert(
      opts.electionTimeoutTicks > opts.heartbeatTicks,
      'electionTimeoutTicks must exceed heartbeatTicks',
    );
    // A log entry's term was durable before the entry, so the term can never be below it.
    assert(hardState.term >= log.lastTerm(), 'hard state term below the last log term');
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.applied = log.snapshot.index;
    this.persistedHardState = { ...hardState, commit: log.commitIndex };
    this.reported = { role: 'follower', term: this.term, leader: null };
    this.reportedConfig = log.config();
    this.resetElectionTimer();
  }

  // --- queries ---------------------------------------------------------------------------

  leader(): NodeId | null {
    if (this.role.name === 'leader') return this.id;
    if (this.role.name === 'follower') return this.role.leader;
    return null;
  }

  /** Only a voter of the configuration in force may campaign. */
  isPromotable(): boolean {
    return isVoter(this.log.config(), this.id);
  }

  /** Within an election timeout of hearing from a live leader (thesis 4.2.3), under check-quorum. */
  inLeaderLease(): boolean {
    if (!this.opts.checkQuorum) return false;
    if (this.role.name === 'leader') return true;
    return (
      this.role.name === 'follower' &&
      this.role.leader !== null &&
      this.electionElapsed < this.opts.electionTimeoutTicks
    );
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.commitIndex };
  }

  // --- transitions -----------------------------------------------------------------------

  becomeFollower(term: Term, leader: NodeId | null): void {
    assert(term >= this.term, 'becoming follower of an older term');
    if (term > this.term) {
      this.term = term;
      this.vote = null;
    }
    this.role = { name: 'follower', leader };
    this.resetElectionTimer();
  }

  becomePreCandidate(): void {
    assert(this.role.name !== 'leader', 'a leader cannot become pre-candidate');
    this.role = { name: 'preCandidate', votes: new Map([[this.id, true]]) };
    this.resetElectionTimer();
  }

  becomeCandidate(): void {
    assert(this.role.name !== 'leader', 'a leader cannot become candidate');
    this.term = Term(this.term + 1);
    this.vote = this.id;
    this.role = { name: 'candidate', votes: new Map([[this.id, true]]) };
    this.resetElectionTimer();
  }

  becomeLeader(): void {
    assert(this.role.name === 'candidate', 'only a candidate becomes leader');
    this.role = { name: 'leader', progress: new Map(), transfer: null, heartbeatElapsed: 0 };
    this.syncProgress();
    this.electionElapsed = 0;
  }

  resetElectionTimer(): void {
    this.electionElapsed = 0;
    const base = this.opts.electionTimeoutTicks;
    this.randomizedElectionTimeout = base + Math.floor(this.env.random() * base);
  }

  /** Keeps the leader's progress map equal to the members of the configuration in force. */
  syncProgress(): void {
    if (this.role.name !== 'leader') return;
    const config = this.log.config();
    const progress = this.role.progress;
    for (const id of [...progress.keys()]) if (!isMember(config, id)) progress.delete(id);
    for (const id of membersOf(config)) {
      if (id !== this.id && !progress.has(id))
        progress.set(id, new Progress(LogIndex(this.log.lastIndex() + 1), this.opts.maxInFlightAppends));
    }
  }

  // --- outbox ----------------------------------------------------------------------------

  /** Records that the log changed from `index` on: those entries must be persisted. */
  markLogChanged(index: LogIndex): void {
    this.dirtyFrom = this.dirtyFrom === null ? index : LogIndex(Math.min(this.dirtyFrom, index));
    this.noteConfig();
  }

  /** Records a snapshot that replaced the log; the persist carries it. */
  markSnapshot(snapshot: Snapshot): void {
    this.snapshotToPersist = snapshot;
    this.dirtyFrom = null;
    this.noteConfig();
  }

  send(to: NodeId, msg: RaftMessage): void {
    assert(to !== this.id, 'sending a message to self');
    this.flushPersist();
    this.outputs.push({ kind: 'send', to, msg });
  }

  /** Outputs that depend on durable state (apply, restore) flush first; notifications do not. */
  emit(output: Output): void {
    if (output.kind === 'apply' || output.kind === 'restore') this.flushPersist();
    this.outputs.push(output);
  }

  /** Ends a step: persists what is left, applies what is committed and durable, reports role changes. */
  finishStep(): Output[] {
    this.flushPersist();
    this.maybeApply();
    this.maybeReportRole();
    const outputs = this.outputs;
    this.outputs = [];
    return outputs;
  }

  private flushPersist(): void {
    const hs = this.hardState();
    const was = this.persistedHardState;
    const termOrVote = hs.term !== was.term || hs.vote !== was.vote;
    if (!termOrVote && this.dirtyFrom === null && this.snapshotToPersist === null) return;
    const entries =
      this.dirtyFrom === null
        ? []
        : this.log.slice(this.dirtyFrom, this.log.lastIndex(), Number.POSITIVE_INFINITY);
    const commitChanged = hs.commit !== was.commit;
    this.outputs.push({
      kind: 'persist',
      hardState: termOrVote || commitChanged ? hs : null,
      snapshot: this.snapshotToPersist,
      entries,
    });
    this.persistedHardState = hs;
    this.dirtyFrom = null;
    this.snapshotToPersist = null;
  }

  private maybeApply(): void {
    const upTo = Math.min(this.log.commitIndex, this.log.stableIndex);
    if (upTo <= this.applied) return;
    const entries = this.log.slice(this.applied + 1, upTo, Number.POSITIVE_INFINITY);
    this.applied = LogIndex(upTo);
    this.outputs.push({ kind: 'apply', entries });
  }

  private maybeReportRole(): void {
    const role = this.role.name;
    const leader = this.leader();
    const was = this.reported;
    if (role === was.role && this.term === was.term && leader === was.leader) return;
    this.reported = { role, term: this.term, leader };
    this.env.logger.info({ role, term: this.term, leader }, 'role changed');
    this.outputs.push({ kind: 'roleChanged', role, term: this.term, leader });
  }

  /** Emits configChanged at once (the transport must learn a new member's address before sends to it). */
  private noteConfig(): void {
    const config = this.log.config();
    if (config === this.reportedConfig) return;
    const changed = !sameConfig(config, this.reportedConfig);
    this.reportedConfig = config;
    this.syncProgress();
    if (!changed) return;
    this.env.logger.info({ voters: config.voters, learners: config.learners }, 'config changed');
    this.outputs.push({ kind: 'configChanged', config });
  }
}
