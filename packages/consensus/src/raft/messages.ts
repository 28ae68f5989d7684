/**
 * The messages Raft servers exchange. Every message carries the sender's term, which is how
 * stale leaders and candidates learn they are stale. Raft's RPCs are modelled as one-way
 * messages (a response is just another message), so the transport needs no request/response
 * pairing and a lost or duplicated message is never more than a lost or repeated step.
 *
 *   voteRequest / voteResponse      RequestVote, and with preVote=true the thesis's pre-vote
 *                                   (section 9.6), which asks "would you vote?" without
 *                                   changing anyone's term
 *   appendRequest / appendResponse  AppendEntries; a rejection carries a hint so the leader
 *                                   can skip a whole conflicting term at once
 *   heartbeat / heartbeatResponse   keep followers from campaigning and carry the commit index
 *   snapshotRequest                 InstallSnapshot, in one message (answered by appendResponse)
 *   timeoutNow                      leadership transfer: "campaign now" (thesis section 3.10)
 * Exports: RaftMessage and one interface per message.
 */
import type { DataPosition, Entry, LogIndex, Snapshot, Term } from './types.js';

export interface VoteRequest {
  readonly type: 'voteRequest';
  /** For a pre-vote, the term the sender would campaign in (its own term + 1). */
  readonly term: Term;
  readonly preVote: boolean;
  readonly lastLogIndex: LogIndex;
  readonly lastLogTerm: Term;
  /** The host's data position at campaign time; null when the host supplies none. */
  readonly dataPosition: DataPosition | null;
  /** Set when the leader asked for this election (TimeoutNow): voters skip the leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponse {
  readonly type: 'voteResponse';
  readonly term: Term;
  readonly preVote: boolean;
  readonly granted: boolean;
}

export interface AppendRequest {
  readonly type: 'appendRequest';
  readonly term: Term;
  readonly prevLogIndex: LogIndex;
  readonly prevLogTerm: Term;
  readonly entries: readonly Entry[];
  readonly leaderCommit: LogIndex;
}

export interface AppendResponse {
  readonly type: 'appendResponse';
  readonly term: Term;
  readonly success: boolean;
  /**
   * On success, the last index the follower now shares with the leader. On rejection, the
   * prevLogIndex that did not match (so the leader can ignore stale rejections).
   */
  readonly index: LogIndex;
  /** On rejection, the follower's last entry at or before `index` whose term <= the leader's prevLogTerm. */
  readonly hintIndex: LogIndex;
  readonly hintTerm: Term;
}

export interface Heartbeat {
  readonly type: 'heartbeat';
  readonly term: Term;
  /** min(leader commit, follower's match index): never beyond what the follower is known to hold. */
  readonly commit: LogIndex;
}

export interface HeartbeatResponse {
  readonly type: 'heartbeatResponse';
  readonly term: Term;
}

export interface SnapshotRequest {
  readonly type: 'snapshotRequest';
  readonly term: Term;
  readonly snapshot: Snapshot;
}

export interface TimeoutNow {
  readonly type: 'timeoutNow';
  readonly term: Term;
}

export type RaftMessage =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNow;
