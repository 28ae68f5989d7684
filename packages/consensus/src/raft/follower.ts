/**
 * The follower's side of replication: AppendEntries (Raft section 5.3), heartbeats, and
 * InstallSnapshot (section 7). Every handler runs after the dispatcher has made this node a
 * follower of the sender's term, so `from` is the current leader.
 *
 * A follower only ever answers after the entries it acknowledges are durable: the answer is a
 * `send`, and the outbox emits the `persist` in front of it.
 * Exports: onAppendRequest, onHeartbeat, onSnapshotRequest.
 */
import { assert } from '@keel/errors';
import type { AppendRequest, Heartbeat, SnapshotRequest } from './messages.js';
import type { RaftState } from './raft-state.js';
import { LogIndex, type NodeId, Term } from './types.js';

export function onAppendRequest(s: RaftState, from: NodeId, msg: AppendRequest): void {
  const commit = s.log.commitIndex;
  let prev = msg.prevLogIndex;
  let prevTerm = msg.prevLogTerm;
  let entries = msg.entries;
  if (prev < commit) {
    // Our prefix up to the commit index is the leader's (leader completeness); skip over it.
    const committedTerm = s.log.termAt(commit);
    assert(committedTerm !== null, 'no term at the commit index');
    entries = entries.filter((e) => e.index > commit);
    prev = commit;
    prevTerm = committedTerm;
  }
  if (!s.log.matches(prev, prevTerm)) {
    const hintIndex = s.log.lastIndexWithTermAtMost(prev, prevTerm);
    const hintTerm = s.log.termAt(hintIndex);
    assert(hintTerm !== null, 'no term at the rejection hint');
    s.env.logger.debug({ leader: from, prev, prevTerm, hintIndex, hintTerm }, 'rejected append');
    s.send(from, {
      type: 'appendResponse',
      term: s.term,
      success: false,
      index: msg.prevLogIndex,
      hintIndex,
      hintTerm,
    });
    return;
  }
  const changedFrom = s.log.appendFromLeader(entries);
  if (changedFrom !== null) s.markLogChanged(changedFrom);
  const lastNew = LogIndex(prev + entries.length);
  s.log.commitTo(LogIndex(Math.min(msg.leaderCommit, lastNew)));
  s.send(from, {
    type: 'appendResponse',
    term: s.term,
    success: true,
    index: lastNew,
    hintIndex: LogIndex(0),
    hintTerm: Term(0),
  });
}

export function onHeartbeat(s: RaftState, from: NodeId, msg: Heartbeat): void {
  // The leader never sends a commit index beyond what it knows we hold.
  assert(msg.commit <= s.log.lastIndex(), `heartbeat commit ${msg.commit} beyond last index`);
  s.log.commitTo(msg.commit);
  s.send(from, { type: 'heartbeatResponse', term: s.term });
}

export function onSnapshotRequest(s: RaftState, from: NodeId, msg: SnapshotRequest): void {
  const { snapshot } = msg;
  const meta = snapshot.meta;
  let index = meta.index;
  if (meta.index <= s.log.commitIndex) {
    index = s.log.commitIndex;
  } else if (s.log.matches(meta.index, meta.term)) {
    // We hold the snapshot's last entry: keep the log after it (thesis 5.1) and just commit.
    s.log.commitTo(meta.index);
  } else {
    s.env.logger.info({ leader: from, index: meta.index, term: meta.term }, 'installing snapshot');
    s.log.restore(snapshot);
    s.markSnapshot(snapshot);
    s.applied = meta.index;
    s.emit({ kind: 'restore', snapshot });
  }
  s.send(from, {
    type: 'appendResponse',
    term: s.term,
    success: true,
    index,
    hintIndex: LogIndex(0),
    hintTerm: Term(0),
  });
}
