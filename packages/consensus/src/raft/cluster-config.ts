/**
 * Membership arithmetic: who votes, who learns, and how one single-server change turns one
 * configuration into the next. Changing one server at a time means any majority of the old
 * configuration overlaps any majority of the new one, so no joint consensus is needed
 * (thesis section 4.2). Lists are kept sorted so that broadcasts happen in a stable order.
 * Exports: bootstrapConfig, emptyConfig, isVoter, isMember, membersOf, applyChange, sameConfig.
 */
import type { MembershipChange } from './io.js';
import type { ClusterConfig, NodeId } from './types.js';

const sorted = (ids: Iterable<NodeId>): NodeId[] => [...new Set(ids)].sort();

/** A configuration in which every listed server votes. */
export function bootstrapConfig(members: readonly { id: NodeId; address: string }[]): ClusterConfig {
  return {
    voters: sorted(members.map((m) => m.id)),
    learners: [],
    addresses: Object.fromEntries(members.map((m) => [m.id, m.address])),
  };
}

/** The configuration of a server that joins an existing cluster: it knows nothing until told. */
export function emptyConfig(): ClusterConfig {
  return { voters: [], learners: [], addresses: {} };
}

export function isVoter(config: ClusterConfig, id: NodeId): boolean {
  return config.voters.includes(id);
}

export function isMember(config: ClusterConfig, id: NodeId): boolean {
  return config.voters.includes(id) || config.learners.includes(id);
}

/** Voters and learners, sorted. */
export function membersOf(config: ClusterConfig): NodeId[] {
  return sorted([...config.voters, ...config.learners]);
}

/** The configuration after `change`, or a reason why the change is not allowed. */
export function applyChange(config: ClusterConfig, change: MembershipChange): ClusterConfig | string {
  const without = (ids: readonly NodeId[]): NodeId[] => ids.filter((id) => id !== change.node);
  switch (change.type) {
    case 'addLearner':
      if (isMember(config, change.node)) return `${change.node} is already a member`;
      return {
        voters: config.voters,
        learners: sorted([...config.learners, change.node]),
        addresses: { ...config.addresses, [change.node]: change.address },
      };
    case 'addVoter':
      if (!config.learners.includes(change.node)) return `${change.node} is not a learner`;
      return {
        voters: sorted([...config.voters, change.node]),
        learners: without(config.learners),
        addresses: config.addresses,
      };
    case 'removeServer': {
      if (!isMember(config, change.node)) return `${change.node} is not a member`;
      const voters = without(config.voters);
      if (voters.length === 0) return 'cannot remove the last voter';
      const addresses = Object.fromEntries(
        Object.entries(config.addresses).filter(([id]) => id !== change.node),
      );
      return { voters, learners: without(config.learners), addresses };
    }
  }
}

/** Structural equality (voters, learners, addresses). */
export function sameConfig(a: ClusterConfig, b: ClusterConfig): boolean {
  const sameList = (x: readonly NodeId[], y: readonly NodeId[]): boolean =>
    x.length === y.length && x.every((id, k) => id === y[k]);
  const ax = Object.entries(a.addresses).sort(([p], [q]) => (p < q ? -1 : 1));
  const bx = Object.entries(b.addresses).sort(([p], [q]) => (p < q ? -1 : 1));
  return (
    sameList(a.voters, b.voters) &&
    sameList(a.learners, b.learners) &&
    ax.length === bx.length &&
    ax.every(([id, address], k) => bx[k]?.[0] === id && bx[k]?.[1] === address)
  );
}
