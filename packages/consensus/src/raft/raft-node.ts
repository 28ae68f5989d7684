/**
 * RaftNode: one Raft server as a pure state machine. `step(input)` is the only way in; it
 * returns the Outputs the driver must run in order (see io.ts for the contract). No clock,
 * timer, socket, file or global random number generator is touched here: time is `tick`
 * inputs, randomness and the data position come from Env, and the log arrives already loaded.
 *
 * step() first applies Raft's term rules, common to every message (section 5.1):
 *   - a message from a newer term makes this node a follower of that term, except that vote
 *     requests inside a leader lease are ignored (thesis 4.2.3) and pre-votes change no term;
 *   - a request from an older term is answered with our term, so its stale sender steps down;
 *     an older response is dropped.
 * Then the message goes to the handler for this role (election.ts, leader.ts, follower.ts).
 * Exports: RaftNode, RaftNodeInit, RaftStatus, PeerStatus, persistedInputFor.
 */
import { assertNever } from '@keel/errors';
import { campaign, onTimeoutNow, onVoteRequest, onVoteResponse, tickElection } from './election.js';
import { onAppendRequest, onHeartbeat, onSnapshotRequest } from './follower.js';
import type { Env, Input, Output, RoleName } from './io.js';
import {
  maybeCommit,
  onAppendResponse,
  onHeartbeatResponse,
  propose,
  tickLeader,
  transferLeadership,
} from './leader.js';
import { changeMembership } from './membership.js';
import type { RaftMessage } from './messages.js';
import { RaftLog } from './raft-log.js';
import { type RaftOptions, RaftState } from './raft-state.js';
import {
  type ClusterConfig,
  type Entry,
  type HardState,
  LogIndex,
  type NodeId,
  type Snapshot,
  Term,
} from './types.js';

export interface RaftNodeInit {
  readonly id: NodeId;
  readonly options: RaftOptions;
  readonly env: Env;
  /** As loaded from the store; null on first start. */
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  /** Used until the log or a snapshot holds a configuration. */
  readonly bootstrapConfig: ClusterConfig;
}

export interface PeerStatus {
  readonly id: NodeId;
  readonly voter: boolean;
  readonly matchIndex: LogIndex;
  readonly nextIndex: LogIndex;
  /** Heard from within the current check-quorum window. */
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: RoleName;
  readonly voter: boolean;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly commitIndex: LogIndex;
  readonly appliedIndex: LogIndex;
  readonly stableIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  readonly snapshotIndex: LogIndex;
  readonly config: ClusterConfig;
  /** The leader's view of every other member; empty on other roles. */
  readonly peers: readonly PeerStatus[];
  readonly transferringTo: NodeId | null;
}

export class RaftNode {
  private readonly s: RaftState;

  constructor(init: RaftNodeInit) {
    const hardState = init.hardState ?? { term: Term(0), vote: null, commit: LogIndex(0) };
    const log = new RaftLog({
      snapshot: init.snapshot,
      bootstrapConfig: init.bootstrapConfig,
      entries: init.entries,
      commit: hardState.commit,
    });
    this.s = new RaftState(init.id, init.options, init.env, log, hardState);
  }

  step(input: Input): Output[] {
    const s = this.s;
    switch (input.kind) {
      case 'tick':
        if (s.role.name === 'leader') tickLeader(s);
        else tickElection(s);
        break;
      case 'message':
        this.onMessage(input.from, input.msg);
        break;
      case 'propose':
        propose(s, input.requestId, input.command);
        break;
      case 'changeMembership':
        changeMembership(s, input.requestId, input.change);
        break;
      case 'transferLeadership':
        transferLeadership(s, input.to);
        break;
      case 'campaign':
        if (s.role.name !== 'leader') campaign(s, s.opts.preVote ? 'preVote' : 'vote', false);
        break;
      case 'compact':
        this.onCompact(input.index, input.data);
        break;
      case 'persisted':
        s.log.markStable(input.index, input.term);
        maybeCommit(s);
        break;
      default:
        assertNever(input, 'input');
    }
    return s.finishStep();
  }

  status(): RaftStatus {
    const s = this.s;
    const config = s.log.config();
    const role = s.role;
    const peers: PeerStatus[] = [];
    if (role.name === 'leader') {
      for (const [id, pr] of [...role.progress].sort(([a], [b]) => (a < b ? -1 : 1))) {
        peers.push({
          id,
          voter: config.voters.includes(id),
          matchIndex: pr.match,
          nextIndex: pr.next,
          recentActive: pr.recentActive,
        });
      }
    }
    return {
      id: s.id,
      role: role.name,
      voter: s.isPromotable(),
      term: s.term,
      vote: s.vote,
      leader: s.leader(),
      commitIndex: s.log.commitIndex,
      appliedIndex: s.applied,
      stableIndex: s.log.stableIndex,
      lastIndex: s.log.lastIndex(),
      lastTerm: s.log.lastTerm(),
      snapshotIndex: s.log.snapshot.index,
      config,
      peers,
      transferringTo: role.name === 'leader' ? (role.transfer?.to ?? null) : null,
    };
  }

  /** Cheap reads for invariant checks, without building a status. */
  commitIndex(): LogIndex {
    return this.s.log.commitIndex;
  }

  currentTerm(): Term {
    return this.s.term;
  }

  isLeader(): boolean {
    return this.s.role.name === 'leader';
  }

  snapshotIndex(): LogIndex {
    return this.s.log.snapshot.index;
  }

  /** The term of the entry at `index`, or null (compacted or absent); for tests and invariant checks. */
  termAt(index: number): Term | null {
    return this.s.log.termAt(index);
  }

  private onMessage(from: NodeId, msg: RaftMessage): void {
    const s = this.s;
    if (msg.term > s.term) {
      if (msg.type === 'voteRequest' && !msg.transfer && s.inLeaderLease()) {
        s.env.logger.debug(
          { from, term: msg.term, preVote: msg.preVote },
          'ignored vote request in leader lease',
        );
        return;
      }
      const keepsTerm =
        (msg.type === 'voteRequest' && msg.preVote) ||
        (msg.type === 'voteResponse' && msg.preVote && msg.granted);
      if (!keepsTerm) s.becomeFollower(msg.term, leaderMessage(msg) ? from : null);
    } else if (msg.term < s.term) {
      this.answerStale(from, msg);
      return;
    }
    switch (msg.type) {
      case 'voteRequest':
        onVoteRequest(s, from, msg);
        break;
      case 'voteResponse':
        onVoteResponse(s, from, msg);
        break;
      case 'appendRequest':
        this.followLeader(from);
        onAppendRequest(s, from, msg);
        break;
      case 'heartbeat':
        this.followLeader(from);
        onHeartbeat(s, from, msg);
        break;
      case 'snapshotRequest':
        this.followLeader(from);
        onSnapshotRequest(s, from, msg);
        break;
      case 'appendResponse':
        onAppendResponse(s, from, msg);
        break;
      case 'heartbeatResponse':
        onHeartbeatResponse(s, from);
        break;
      case 'timeoutNow':
        onTimeoutNow(s, from);
        break;
      default:
        assertNever(msg, 'message');
    }
  }

  /** A leader's message in our term: whatever we were, we now follow it and restart the timer. */
  private followLeader(from: NodeId): void {
    const s = this.s;
    if (s.role.name === 'follower' && s.role.leader === from) {
      s.electionElapsed = 0;
      return;
    }
    s.becomeFollower(s.term, from);
  }

  /** Tells the sender of a stale request our term (it steps down); stale responses need nothing. */
  private answerStale(from: NodeId, msg: RaftMessage): void {
    const s = this.s;
    const term = s.term;
    switch (msg.type) {
      case 'appendRequest':
      case 'snapshotRequest':
      case 'heartbeat':
        s.send(from, { type: 'heartbeatResponse', term });
        break;
      case 'voteRequest':
        s.send(from, { type: 'voteResponse', term, preVote: msg.preVote, granted: false });
        break;
      default:
        s.env.logger.debug({ from, type: msg.type, term: msg.term }, 'dropped stale message');
    }
  }

  private onCompact(index: LogIndex, data: Uint8Array): void {
    const s = this.s;
    if (index <= s.log.snapshot.index || index > s.applied) {
      s.env.logger.debug({ index, applied: s.applied }, 'ignored compaction request');
      return;
    }
    const snapshot = s.log.compact(index, data);
    s.markSnapshot(snapshot);
    s.env.logger.info({ index, term: snapshot.meta.term }, 'compacted log');
  }
}

function leaderMessage(msg: RaftMessage): boolean {
  return (
    msg.type === 'appendRequest' ||
    msg.type === 'heartbeat' ||
    msg.type === 'snapshotRequest' ||
    msg.type === 'timeoutNow'
  );
}

/** The `persisted` input a driver steps after running a persist output, or null if none is due. */
export function persistedInputFor(output: Extract<Output, { kind: 'persist' }>): Input | null {
  const last = output.entries[output.entries.length - 1];
  if (last !== undefined) return { kind: 'persisted', index: last.index, term: last.term };
  if (output.snapshot !== null) {
    return { kind: 'persisted', index: output.snapshot.meta.index, term: output.snapshot.meta.term };
  }
  return null;
}
