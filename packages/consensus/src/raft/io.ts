/**
 * The contract between the pure Raft core and its driver. The driver feeds Inputs to
 * RaftNode.step and runs the returned Outputs strictly in array order:
 *
 *   1. `persist` must be durable (written and fsynced) before any later output of the same step
 *      runs; this is how "persist term, vote and log before sending anything that depends on
 *      them" is enforced by construction rather than by prose. After a persist that carried
 *      entries or a snapshot, the driver steps `persisted` with the last entry's (or the
 *      snapshot's) index and term, before any other input.
 *   2. `send` may be delayed, dropped or duplicated by the network; Raft tolerates all three.
 *   3. `apply` hands committed entries to the state machine in log order, exactly once per
 *      node lifetime (after a restart, entries after the last snapshot are applied again);
 *      `restore` replaces the state machine with a snapshot's data.
 *   4. The remaining outputs are notifications and need no ordering beyond array order.
 *
 * A driver may run the outputs of several steps together if it keeps their order, and it may
 * hoist all persists of a batch ahead of the batch's other outputs (one fsync for the batch):
 * delaying a send or an apply is always safe, sending early never is.
 * Exports: Input, Output, Env, MembershipChange, ProposalDropReason, DataPositionComparator.
 */
import type { Logger } from '../logger.js';
import type { RaftMessage } from './messages.js';
import type {
  ClusterConfig,
  DataPosition,
  Entry,
  HardState,
  LogIndex,
  NodeId,
  Snapshot,
  Term,
} from './types.js';

/** One server at a time, as in the thesis (section 4.1). Voters are added as learners first. */
export type MembershipChange =
  | { readonly type: 'addLearner'; readonly node: NodeId; readonly address: string }
  | { readonly type: 'addVoter'; readonly node: NodeId }
  | { readonly type: 'removeServer'; readonly node: NodeId };

export type Input =
  | { readonly kind: 'tick' }
  | { readonly kind: 'message'; readonly from: NodeId; readonly msg: RaftMessage }
  | { readonly kind: 'propose'; readonly requestId: number; readonly command: Uint8Array }
  | { readonly kind: 'changeMembership'; readonly requestId: number; readonly change: MembershipChange }
  /** Hand leadership to `to`, or to the most up-to-date voter when null. */
  | { readonly kind: 'transferLeadership'; readonly to: NodeId | null }
  /** Start an election now instead of waiting for the timeout (pre-vote still applies). */
  | { readonly kind: 'campaign' }
  /** The host snapshotted its state machine at `index` (<= applied): compact the log up to it. */
  | { readonly kind: 'compact'; readonly index: LogIndex; readonly data: Uint8Array }
  | { readonly kind: 'persisted'; readonly index: LogIndex; readonly term: Term };

export type ProposalDropReason =
  | 'notLeader'
  | 'transferring'
  | 'configChangePending'
  | 'leaderNotReady'
  | 'invalidChange'
  | 'learnerBehind';

export type RoleName = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export type Output =
  | {
      /**
       * Made durable in this order: hard state, snapshot, entries. A torn write may keep any
       * prefix of that sequence, so an entry never outlives the term that produced it.
       */
      readonly kind: 'persist';
      /** Null when unchanged since the last persist. */
      readonly hardState: HardState | null;
      /** Saved before the entries; stored entries up to its index are dropped, and all of them if the stored entry at its index has another term. */
      readonly snapshot: Snapshot | null;
      /** The stored log is truncated after entries[0].index - 1, then these are appended. */
      readonly entries: readonly Entry[];
    }
  | { readonly kind: 'send'; readonly to: NodeId; readonly msg: RaftMessage }
  | { readonly kind: 'apply'; readonly entries: readonly Entry[] }
  | { readonly kind: 'restore'; readonly snapshot: Snapshot }
  | {
      readonly kind: 'roleChanged';
      readonly role: RoleName;
      readonly term: Term;
      readonly leader: NodeId | null;
    }
  | { readonly kind: 'configChanged'; readonly config: ClusterConfig }
  | { readonly kind: 'accepted'; readonly requestId: number; readonly index: LogIndex; readonly term: Term }
  | {
      readonly kind: 'dropped';
      readonly requestId: number;
      readonly reason: ProposalDropReason;
      readonly leader: NodeId | null;
    };

/**
 * Orders two data positions; negative when `candidate` is behind `own`. A voter grants its vote
 * only if this returns >= 0 (in addition to Raft's log rule). Either side is null when the host
 * supplies no data position.
 */
export type DataPositionComparator = (candidate: DataPosition | null, own: DataPosition | null) => number;

/** The world as the core sees it: injected, never global, so a seed replays a run exactly. */
export interface Env {
  /** Uniform in [0, 1); seeded in tests. */
  random(): number;
  logger: Logger;
  /** The node's current data position, read at campaign and at vote time. */
  dataPosition(): DataPosition | null;
  compareDataPosition: DataPositionComparator;
}
