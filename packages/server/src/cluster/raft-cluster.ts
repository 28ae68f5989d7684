/**
 * The node's membership in its Raft group. With `--peers`, the node joins the group those
 * members form (itself included); without it, the node is a single-node group and its own
 * leader; with `--join` it waits to be added by the leader (keel cluster add). Raft's files live
 * in <data-dir>/raft. The replicated state machine is the cluster state (cluster-state.ts):
 * committed entries are applied to it, and it is what Raft snapshots when it compacts. With a
 * replication layer, votes also compare WAL positions (term, LSN) with compareTermLsn, so a new
 * leader holds every commit a quorum acknowledged (the vote rule of issue 9, point 5).
 * Exports: startCluster, ClusterMembership, ClusterHooks, ELECTION_TIMEOUT_MS.
 */
import path from 'node:path';
import { compareTermLsn, type DataPosition, type RaftNodeHandle, startRaftNode } from '@keel/consensus';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClusterState } from './cluster-state.js';

/** Raft's defaults (consensus README): 10 ms ticks, 25-tick election timeout. */
export const ELECTION_TIMEOUT_MS = 500;

export interface ClusterHooks {
  readonly state: ClusterState;
  /** The durable WAL's (term, LSN) for the vote rule; null without a replication layer. */
  readonly dataPosition: (() => DataPosition) | null;
}

export interface ClusterMembership {
  readonly handle: RaftNodeHandle;
  readonly nodeId: string;
  /** Whether this node is the group's leader, which is the primary that accepts writes. */
  isLeader(): boolean;
  close(): Promise<void>;
}

export async function startCluster(
  config: NodeConfig,
  logger: Logger,
  hooks: ClusterHooks,
): Promise<ClusterMembership> {
  const nodeId = config.nodeId ?? 'node1';
  // The consensus package tags its own lines with component "raft"; tagging here too would
  // write the key twice into every JSON line.
  const raftLogger = logger;
  const peers = config.peers.filter((peer) => peer.id !== nodeId);
  const self = config.peers.find((peer) => peer.id === nodeId);
  const handle = await startRaftNode({
    nodeId,
    dataDir: path.join(config.dataDir, 'raft'),
    listenHost: config.grpcHost,
    grpcPort: config.grpcPort ?? self?.port ?? 0,
    ...(self === undefined ? {} : { advertiseHost: self.host }),
    peers: config.peers.length === 0 ? [] : [...(self === undefined ? [] : [self]), ...peers],
    logger: raftLogger,
    join: config.join,
    tickMs: 10,
    electionTimeoutTicks: ELECTION_TIMEOUT_MS / 10,
    ...(hooks.dataPosition === null
      ? {}
      : { dataPosition: hooks.dataPosition, compareDataPosition: compareTermLsn }),
    stateMachine: {
      snapshot: () => hooks.state.snapshot(),
      restore: (data) => hooks.state.restore(data),
    },
    onApply: (applied) => {
      hooks.state.apply(applied.command, applied.index);
    },
    onFatal: (error) => {
      raftLogger.fatal({ component: 'raft', err: error }, 'raft stopped: the node cannot continue');
      process.exit(70);
    },
  });
  return {
    handle,
    nodeId,
    isLeader: () => handle.status().role === 'leader',
    close: () => handle.close(),
  };
}
