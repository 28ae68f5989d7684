/**
 * Majority arithmetic over a set of voters: the commit index (the largest index held by a
 * majority), election outcomes and check-quorum. Kept apart from the node so it can be checked
 * against a naive model (quorum.test.ts), as etcd does in quorum/quick_test.go.
 * Exports: majority, committedIndex, voteOutcome, VoteOutcome, hasQuorum.
 */
import { LogIndex, type NodeId } from './types.js';

/** Votes needed out of `voterCount`; an empty voter set can never reach it. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The largest index that a majority of voters hold (0 if none). */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): LogIndex {
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return LogIndex(matches[majority(voters.length) - 1] ?? 0);
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/** Outcome of an election given the answers so far (true = granted). */
export function voteOutcome(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const needed = majority(voters.length);
  if (granted >= needed) return 'won';
  if (voters.length - rejected < needed) return 'lost';
  return 'pending';
}

/** Whether a majority of voters satisfy `isActive`. */
export function hasQuorum(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  return voters.filter(isActive).length >= majority(voters.length);
}
