/**
 * Membership changes, one server at a time (thesis chapter 4). A new configuration takes
 * effect on every server as soon as its entry is in the log, committed or not, so the leader
 * allows a change only when:
 *   1. no earlier change is still uncommitted (two in flight could form disjoint majorities);
 *   2. it has committed an entry of its own term (the fix for the single-server change bug
 *      Ongaro described on raft-dev in 2015: without it, a new leader could append a change
 *      whose majority does not overlap a change from an older term);
 *   3. no leadership transfer is under way.
 * A voter is always added as a learner first, and promoted only once its log is within
 * catchUpMarginEntries of the leader's, so adding it does not stall commitment while it
 * catches up (thesis 4.2.1).
 * Exports: changeMembership.
 */
import { applyChange } from './cluster-config.js';
import type { MembershipChange, ProposalDropReason } from './io.js';
import { bcastAppend } from './leader.js';
import type { RaftState } from './raft-state.js';

export function changeMembership(s: RaftState, requestId: number, change: MembershipChange): void {
  const reason = whyNot(s, change);
  if (reason !== null) {
    s.env.logger.info({ change, reason }, 'membership change refused');
    s.emit({ kind: 'dropped', requestId, reason, leader: s.leader() });
    return;
  }
  const next = applyChange(s.log.config(), change);
  if (typeof next === 'string') {
    s.env.logger.info({ change, reason: next }, 'membership change refused');
    s.emit({ kind: 'dropped', requestId, reason: 'invalidChange', leader: s.leader() });
    return;
  }
  const entry = s.log.appendLocal(s.term, { type: 'config', config: next });
  s.markLogChanged(entry.index);
  s.emit({ kind: 'accepted', requestId, index: entry.index, term: entry.term });
  bcastAppend(s);
}

function whyNot(s: RaftState, change: MembershipChange): ProposalDropReason | null {
  const role = s.role;
  if (role.name !== 'leader') return 'notLeader';
  if (role.transfer !== null) return 'transferring';
  if (s.log.termAt(s.log.commitIndex) !== s.term) return 'leaderNotReady';
  if (s.log.configIndex() > s.log.commitIndex) return 'configChangePending';
  if (change.type === 'addVoter') {
    const pr = role.progress.get(change.node);
    if (pr !== undefined && pr.match + s.opts.catchUpMarginEntries < s.log.lastIndex())
      return 'learnerBehind';
  }
  return null;
}
