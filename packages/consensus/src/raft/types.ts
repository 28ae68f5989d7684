/**
 * Raft's vocabulary: terms, log indexes, entries, the cluster configuration, hard state and
 * snapshots. Term and LogIndex are branded numbers so that one cannot be passed for the other;
 * they stay `number` (not bigint) because neither can approach 2^53 in the life of a cluster
 * (a term per microsecond would take 285 years), and plain numbers keep the core's arithmetic
 * and the wire format simple. The only casts into the brands live here, behind checks.
 * Exports: NodeId, Term, LogIndex, Entry, EntryBody, ClusterConfig, HardState, SnapshotMeta,
 * Snapshot, DataPosition.
 */
import { assert } from '@keel/errors';

declare const termBrand: unique symbol;
declare const logIndexBrand: unique symbol;

/** A server's stable name, e.g. "n1". Chosen by the operator; never reused for another server. */
export type NodeId = string;

/** A Raft term: a logical clock that only moves forward. */
export type Term = number & { readonly [termBrand]: true };

/** A position in the replicated log; the first entry is 1, 0 means "before the first entry". */
export type LogIndex = number & { readonly [logIndexBrand]: true };

/** Checks and brands a term. */
export function Term(value: number): Term {
  assert(Number.isSafeInteger(value) && value >= 0, `term must be a non-negative integer, got ${value}`);
  return value as Term;
}

/** Checks and brands a log index. */
export function LogIndex(value: number): LogIndex {
  assert(Number.isSafeInteger(value) && value >= 0, `log index must be a non-negative integer, got ${value}`);
  return value as LogIndex;
}

/**
 * The cluster's membership. Voters elect leaders and count toward commitment; learners receive
 * the log but do neither, so a new server can catch up before it affects quorums. Addresses are
 * opaque to the core ("host:port" for the gRPC transport); they travel with the configuration so
 * every member learns how to reach a server added at runtime.
 */
export interface ClusterConfig {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly addresses: Readonly<Record<NodeId, string>>;
}

/** What an entry carries: a host command, the leader's no-op for its term, or a new configuration. */
export type EntryBody =
  | { readonly type: 'command'; readonly command: Uint8Array }
  | { readonly type: 'noop' }
  | { readonly type: 'config'; readonly config: ClusterConfig };

export interface Entry {
  readonly index: LogIndex;
  readonly term: Term;
  readonly body: EntryBody;
}

/** State that must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

/** What a snapshot replaces: the log up to `index` (whose entry had `term`), and the config then. */
export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  readonly config: ClusterConfig;
}

/** A snapshot of the host's state machine; `data` is opaque to Raft. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/**
 * A host-defined position that extends the vote's up-to-date rule (see Env.compareDataPosition):
 * for Keel, the term and LSN of the last WAL record the node holds durably. LSNs are bigint like
 * every 64-bit counter in Keel.
 */
export interface DataPosition {
  readonly term: number;
  readonly lsn: bigint;
}
