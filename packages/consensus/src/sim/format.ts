/**
 * Compact, stable text for entries, messages and statuses, used by golden transcripts and by
 * simulation traces. `3@2` reads "index 3, term 2". Changing a format changes every golden
 * file, so it is kept terse and fixed.
 * Exports: formatEntry, formatMessage, formatStatus, entryKey, decodeText.
 */
import type { RaftMessage } from '../raft/messages.js';
import type { RaftStatus } from '../raft/raft-node.js';
import type { ClusterConfig, DataPosition, Entry } from '../raft/types.js';

const decoder = new TextDecoder();

export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function formatConfig(config: ClusterConfig): string {
  const learners = config.learners.length > 0 ? ` learners=${config.learners.join(',')}` : '';
  return `voters=${config.voters.join(',')}${learners}`;
}

/** What an entry carries, as text: the identity used by the state-machine safety check. */
export function entryKey(entry: Entry): string {
  switch (entry.body.type) {
    case 'command':
      return decodeText(entry.body.command);
    case 'noop':
      return '(noop)';
    case 'config':
      return `(config ${formatConfig(entry.body.config)})`;
  }
}

export function formatEntry(entry: Entry): string {
  return `${entry.index}@${entry.term} ${entryKey(entry)}`;
}

function formatPosition(position: DataPosition | null): string {
  return position === null ? '' : ` pos=${position.term}/${position.lsn}`;
}

export function formatMessage(msg: RaftMessage): string {
  switch (msg.type) {
    case 'voteRequest':
      return `${msg.preVote ? 'PreVote' : 'Vote'} term=${msg.term} last=${msg.lastLogIndex}@${msg.lastLogTerm}${formatPosition(msg.dataPosition)}${msg.transfer ? ' transfer' : ''}`;
    case 'voteResponse':
      return `${msg.preVote ? 'PreVote' : 'Vote'}${msg.granted ? 'Ok' : 'No'} term=${msg.term}`;
    case 'appendRequest': {
      const entries = msg.entries.map(formatEntry).join(', ');
      return `App term=${msg.term} prev=${msg.prevLogIndex}@${msg.prevLogTerm} commit=${msg.leaderCommit} [${entries}]`;
    }
    case 'appendResponse':
      return msg.success
        ? `AppOk term=${msg.term} index=${msg.index}`
        : `AppNo term=${msg.term} index=${msg.index} hint=${msg.hintIndex}@${msg.hintTerm}`;
    case 'heartbeat':
      return `Heartbeat term=${msg.term} commit=${msg.commit}`;
    case 'heartbeatResponse':
      return `HeartbeatOk term=${msg.term}`;
    case 'snapshotRequest':
      return `Snapshot term=${msg.term} last=${msg.snapshot.meta.index}@${msg.snapshot.meta.term} ${formatConfig(msg.snapshot.meta.config)}`;
    case 'timeoutNow':
      return `TimeoutNow term=${msg.term}`;
  }
}

export function formatStatus(st: RaftStatus): string {
  const leader = st.leader ?? '-';
  const head = `${st.id} ${st.role} term=${st.term} leader=${leader} last=${st.lastIndex}@${st.lastTerm} commit=${st.commitIndex} applied=${st.appliedIndex}`;
  const snap = st.snapshotIndex > 0 ? ` snapshot=${st.snapshotIndex}` : '';
  const peers = st.peers.map((p) => ` ${p.id}:match=${p.matchIndex}${p.voter ? '' : '(learner)'}`).join('');
  return `${head}${snap} ${formatConfig(st.config)}${peers}`;
}
