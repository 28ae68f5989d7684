/**
 * Leader election (Raft section 5.2), with the thesis's pre-vote (9.6), the leader lease that
 * keeps a removed or partitioned server from disrupting a healthy leader (4.2.3), and the
 * host's extension of the up-to-date rule.
 *
 * A voter grants a vote when all of these hold:
 *   1. it has not voted for someone else in this term (a pre-vote binds nothing);
 *   2. the candidate's log is at least as up to date as its own (5.4.1);
 *   3. the host's comparator says the candidate's data position is not behind its own
 *      (for Keel: the WAL position, so the new primary holds every quorum-acknowledged commit).
 * Exports: campaign, tickElection, onVoteRequest, onVoteResponse, onTimeoutNow.
 */

import { becomeLeaderAndAnnounce } from './leader.js';
import type { VoteRequest, VoteResponse } from './messages.js';
import { voteOutcome } from './quorum.js';
import type { RaftState } from './raft-state.js';
import { type NodeId, Term } from './types.js';

export type CampaignKind = 'preVote' | 'vote';

/** Starts a (pre-)election; `transfer` marks one the leader asked for, which skips leases. */
export function campaign(s: RaftState, kind: CampaignKind, transfer: boolean): void {
  if (!s.isPromotable()) {
    s.env.logger.debug({ term: s.term }, 'not a voter, not campaigning');
    return;
  }
  if (kind === 'preVote') s.becomePreCandidate();
  else s.becomeCandidate();
  const term = kind === 'preVote' ? Term(s.term + 1) : s.term;
  s.env.logger.info({ term, preVote: kind === 'preVote', transfer }, 'campaigning');
  if (tally(s)) return;
  const request: VoteRequest = {
    type: 'voteRequest',
    term,
    preVote: kind === 'preVote',
    lastLogIndex: s.log.lastIndex(),
    lastLogTerm: s.log.lastTerm(),
    dataPosition: s.env.dataPosition(),
    transfer,
  };
  for (const id of s.log.config().voters) if (id !== s.id) s.send(id, request);
}

/** Counts the votes so far; returns true once the election is decided. */
function tally(s: RaftState): boolean {
  if (s.role.name !== 'preCandidate' && s.role.name !== 'candidate') return true;
  const outcome = voteOutcome(s.log.config().voters, s.role.votes);
  if (outcome === 'pending') return false;
  if (outcome === 'lost') {
    s.env.logger.info({ term: s.term }, 'lost election');
    s.becomeFollower(s.term, null);
  } else if (s.role.name === 'preCandidate') {
    campaign(s, 'vote', false);
  } else {
    becomeLeaderAndAnnounce(s);
  }
  return true;
}

/** Follower, pre-candidate and candidate: campaign when the randomized election timeout expires. */
export function tickElection(s: RaftState): void {
  s.electionElapsed++;
  if (s.electionElapsed < s.randomizedElectionTimeout) return;
  if (!s.isPromotable()) {
    s.resetElectionTimer();
    return;
  }
  campaign(s, s.opts.preVote ? 'preVote' : 'vote', false);
}

export function onVoteRequest(s: RaftState, from: NodeId, msg: VoteRequest): void {
  const canVote =
    s.vote === from || (s.vote === null && s.leader() === null) || (msg.preVote && msg.term > s.term);
  const logOk = s.log.isUpToDate(msg.lastLogIndex, msg.lastLogTerm);
  const dataOk = s.env.compareDataPosition(msg.dataPosition, s.env.dataPosition()) >= 0;
  const granted = canVote && logOk && dataOk;
  s.env.logger.debug(
    { candidate: from, term: msg.term, preVote: msg.preVote, canVote, logOk, dataOk },
    granted ? 'granted vote' : 'rejected vote',
  );
  if (granted && !msg.preVote) {
    s.vote = from;
    s.resetElectionTimer();
  }
  // A granted pre-vote answers in the term it was asked about; everything else in our own term.
  const term = granted && msg.preVote ? msg.term : s.term;
  s.send(from, { type: 'voteResponse', term, preVote: msg.preVote, granted });
}

export function onVoteResponse(s: RaftState, from: NodeId, msg: VoteResponse): void {
  const role = s.role;
  if (role.name === 'preCandidate' && msg.preVote) {
    const expected = msg.granted ? s.term + 1 : s.term;
    if (msg.term !== expected) return;
    role.votes.set(from, msg.granted);
  } else if (role.name === 'candidate' && !msg.preVote) {
    if (msg.term !== s.term) return;
    role.votes.set(from, msg.granted);
  } else {
    return;
  }
  tally(s);
}

/** The leader asks this server to take over: campaign at once, without pre-vote. */
export function onTimeoutNow(s: RaftState, from: NodeId): void {
  if (s.role.name === 'leader') return;
  s.env.logger.info({ term: s.term, from }, 'leader asked us to campaign');
  campaign(s, 'vote', true);
}
