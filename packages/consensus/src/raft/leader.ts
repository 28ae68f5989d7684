/**
 * The leader's side of log replication (Raft section 5.3) and its duties: the entry that
 * starts its term, heartbeats, commitment, check-quorum, and leadership transfer.
 *
 * Commitment (section 5.4.2): an index is committed once a majority of voters hold it AND its
 * entry is from the leader's current term; earlier terms' entries commit indirectly (figure 8).
 * The leader counts itself only up to its durable (`stable`) index.
 * Exports: becomeLeaderAndAnnounce, tickLeader, propose, maybeSendAppend, bcastAppend,
 * onAppendResponse, onHeartbeatResponse, maybeCommit, transferLeadership.
 */
import { assert } from '@keel/errors';
import { isVoter } from './cluster-config.js';
import type { AppendResponse } from './messages.js';
import type { Progress } from './progress.js';
import { committedIndex, hasQuorum } from './quorum.js';
import type { RaftState } from './raft-state.js';
import { type EntryBody, LogIndex, type NodeId } from './types.js';

type LeaderRole = Extract<RaftState['role'], { name: 'leader' }>;

function leaderRole(s: RaftState): LeaderRole | null {
  return s.role.name === 'leader' ? s.role : null;
}

/**
 * Wins the election: append an entry of the new term (so earlier entries can commit, section
 * 5.4.2) and replicate it. The very first leader of a cluster appends the bootstrap
 * configuration instead of a no-op: from then on membership lives in the replicated log, and a
 * server restarted with a different peer list cannot quietly disagree about who votes.
 */
export function becomeLeaderAndAnnounce(s: RaftState): void {
  s.becomeLeader();
  const body: EntryBody =
    s.log.configIndex() === 0 ? { type: 'config', config: s.log.config() } : { type: 'noop' };
  const entry = s.log.appendLocal(s.term, body);
  s.markLogChanged(entry.index);
  bcastAppend(s);
}

export function tickLeader(s: RaftState): void {
  const role = leaderRole(s);
  assert(role !== null, 'tickLeader on a non-leader');
  role.heartbeatElapsed++;
  s.electionElapsed++;
  if (role.transfer !== null && ++role.transfer.elapsedTicks >= s.opts.electionTimeoutTicks) {
    s.env.logger.info({ to: role.transfer.to }, 'leadership transfer timed out');
    role.transfer = null;
  }
  if (s.electionElapsed >= s.opts.electionTimeoutTicks) {
    s.electionElapsed = 0;
    if (s.opts.checkQuorum && !checkQuorum(s, role)) return;
  }
  // Appends whose answer has not come back within two heartbeats are presumed lost; snapshots get longer.
  for (const pr of role.progress.values()) {
    pr.tick(pr.state === 'snapshot' ? s.opts.electionTimeoutTicks : 2 * s.opts.heartbeatTicks);
  }
  if (role.heartbeatElapsed >= s.opts.heartbeatTicks) {
    role.heartbeatElapsed = 0;
    for (const [id, pr] of role.progress) {
      s.send(id, {
        type: 'heartbeat',
        term: s.term,
        commit: LogIndex(Math.min(s.log.commitIndex, pr.match)),
      });
    }
    bcastAppend(s);
  }
}

/** Steps down unless a majority of voters were heard from in the last election timeout. */
function checkQuorum(s: RaftState, role: LeaderRole): boolean {
  const active = (id: NodeId): boolean => id === s.id || role.progress.get(id)?.recentActive === true;
  const ok = hasQuorum(s.log.config().voters, active);
  for (const pr of role.progress.values()) pr.recentActive = false;
  if (!ok) {
    s.env.logger.warn({ term: s.term }, 'lost quorum, stepping down');
    s.becomeFollower(s.term, null);
  }
  return ok;
}

export function propose(s: RaftState, requestId: number, command: Uint8Array): void {
  const role = leaderRole(s);
  if (role === null || role.transfer !== null) {
    const reason = role === null ? 'notLeader' : 'transferring';
    s.emit({ kind: 'dropped', requestId, reason, leader: s.leader() });
    return;
  }
  const entry = s.log.appendLocal(s.term, { type: 'command', command });
  s.markLogChanged(entry.index);
  s.emit({ kind: 'accepted', requestId, index: entry.index, term: entry.term });
  bcastAppend(s);
}

export function bcastAppend(s: RaftState): void {
  const role = leaderRole(s);
  if (role === null) return;
  for (const [id, pr] of role.progress) maybeSendAppend(s, id, pr);
}

/** Sends the peer what it lacks, as far as its flow control allows (progress.ts). */
export function maybeSendAppend(s: RaftState, id: NodeId, pr: Progress): void {
  while (pr.canSend() && sendOne(s, id, pr)) {
    // Keep filling the pipeline while there are entries to send.
  }
}

/** Sends one append (or the snapshot); false if there was nothing to send. */
function sendOne(s: RaftState, id: NodeId, pr: Progress): boolean {
  const prev = LogIndex(pr.next - 1);
  const prevTerm = s.log.termAt(prev);
  if (prevTerm === null) {
    // The entries this peer needs were compacted away: send the snapshot instead.
    const snapshot = s.log.currentSnapshot();
    assert(snapshot !== null, `peer ${id} needs index ${pr.next} but there is no snapshot`);
    s.env.logger.info({ peer: id, index: snapshot.meta.index }, 'sending snapshot');
    s.send(id, { type: 'snapshotRequest', term: s.term, snapshot });
    pr.sentSnapshot(snapshot.meta.index);
    return false;
  }
  const entries = s.log.slice(pr.next, s.log.lastIndex(), s.opts.maxEntriesPerAppend);
  const last = entries[entries.length - 1];
  if (last === undefined) {
    // Nothing new to send, but a peer in probe whose match is unknown (a server just added)
    // still needs an empty append to find where its log stands.
    if (pr.state !== 'probe' || pr.match >= s.log.lastIndex()) return false;
    s.send(id, {
      type: 'appendRequest',
      term: s.term,
      prevLogIndex: prev,
      prevLogTerm: prevTerm,
      entries: [],
      leaderCommit: s.log.commitIndex,
    });
    pr.sent(prev, prev);
    return false;
  }
  s.send(id, {
    type: 'appendRequest',
    term: s.term,
    prevLogIndex: prev,
    prevLogTerm: prevTerm,
    entries,
    leaderCommit: s.log.commitIndex,
  });
  pr.sent(prev, last.index);
  return true;
}

export function onAppendResponse(s: RaftState, from: NodeId, msg: AppendResponse): void {
  const role = leaderRole(s);
  const pr = role?.progress.get(from);
  if (role === null || pr === undefined) return;
  pr.recentActive = true;
  if (msg.success) {
    if (pr.acknowledge(msg.index)) maybeCommit(s);
    maybeSendTimeoutNow(s, role, from, pr);
  } else {
    const retryFrom = LogIndex(s.log.lastIndexWithTermAtMost(msg.hintIndex, msg.hintTerm) + 1);
    if (!pr.reject(msg.index, retryFrom)) return;
    s.env.logger.debug({ peer: from, rejected: msg.index, next: pr.next }, 'append rejected, backing up');
  }
  // maybeCommit may have ended our leadership (a leader removed from the config steps down).
  if (s.role === role) maybeSendAppend(s, from, pr);
}

export function onHeartbeatResponse(s: RaftState, from: NodeId): void {
  const pr = leaderRole(s)?.progress.get(from);
  if (pr !== undefined) pr.recentActive = true;
}

/** Advances the commit index to what a majority holds, if that entry is from this term. */
export function maybeCommit(s: RaftState): boolean {
  const role = leaderRole(s);
  if (role === null) return false;
  const matchOf = (id: NodeId): number =>
    id === s.id ? s.log.stableIndex : (role.progress.get(id)?.match ?? 0);
  const index = committedIndex(s.log.config().voters, matchOf);
  if (index <= s.log.commitIndex || s.log.termAt(index) !== s.term) return false;
  s.log.commitTo(index);
  if (s.log.configIndex() <= index && !isVoter(s.log.config(), s.id)) {
    // Thesis 4.2.2: a leader removed from the configuration steps down once the change commits.
    s.env.logger.info({ term: s.term }, 'removed from the configuration, stepping down');
    s.becomeFollower(s.term, null);
  }
  return true;
}

/** Starts a leadership transfer (thesis 3.10); `to` null picks the most up-to-date voter. */
export function transferLeadership(s: RaftState, to: NodeId | null): void {
  const role = leaderRole(s);
  if (role === null) {
    s.env.logger.info({ to }, 'not leader, ignoring leadership transfer');
    return;
  }
  const target = to ?? mostUpToDateVoter(s, role);
  if (target === null || target === s.id || !isVoter(s.log.config(), target)) {
    s.env.logger.info({ to: target }, 'no voter to transfer leadership to');
    return;
  }
  const pr = role.progress.get(target);
  assert(pr !== undefined, `no progress for voter ${target}`);
  s.env.logger.info({ to: target, match: pr.match }, 'transferring leadership');
  role.transfer = { to: target, elapsedTicks: 0, timeoutNowSent: false };
  maybeSendTimeoutNow(s, role, target, pr);
  maybeSendAppend(s, target, pr);
}

function mostUpToDateVoter(s: RaftState, role: LeaderRole): NodeId | null {
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const id of s.log.config().voters) {
    const pr = role.progress.get(id);
    if (id === s.id || pr === undefined || pr.match <= bestMatch) continue;
    best = id;
    bestMatch = pr.match;
  }
  return best;
}

function maybeSendTimeoutNow(s: RaftState, role: LeaderRole, id: NodeId, pr: Progress): void {
  const transfer = role.transfer;
  if (transfer === null || transfer.to !== id || transfer.timeoutNowSent) return;
  if (pr.match !== s.log.lastIndex()) return;
  transfer.timeoutNowSent = true;
  s.send(id, { type: 'timeoutNow', term: s.term });
}
