/**
 * The node's membership in its Raft group. With `--peers`, the node joins the group those
 * members form (itself included); without it, the node is a single-node group and its own
 * leader. Raft's files live in <data-dir>/raft. The handle's status drives GET /cluster and
 * `keel cluster status`; role changes are logged as one line each with term and leader.
 * Exports: startCluster, ClusterMembership, clusterView.
 */
import path from 'node:path';
import { type RaftNodeHandle, type RaftNodeStatus, startRaftNode } from '@keel/consensus';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../logger.js';

export interface ClusterMembership {
  readonly handle: RaftNodeHandle;
  readonly nodeId: string;
  /** Whether this node is the group's leader, which is the primary that accepts writes. */
  isLeader(): boolean;
  close(): Promise<void>;
}

export async function startCluster(config: NodeConfig, logger: Logger): Promise<ClusterMembership> {
  const nodeId = config.nodeId ?? 'node1';
  const raftLogger = logger.child({ component: 'raft' });
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
    onFatal: (error) => {
      raftLogger.fatal({ err: error }, 'raft stopped: the node cannot continue');
      process.exit(70);
    },
  });
  handle.onRoleChange((change) => {
    raftLogger.info({ role: change.role, term: change.term, leaderId: change.leaderId }, 'role changed');
  });
  return {
    handle,
    nodeId,
    isLeader: () => handle.status().role === 'leader',
    close: () => handle.close(),
  };
}

/** GET /cluster's body: this node's view of the group. */
export function clusterView(
  status: RaftNodeStatus,
  writable: { ok: boolean; reason: string },
): Record<string, unknown> {
  return {
    nodeId: status.nodeId,
    role: status.role,
    term: status.term,
    leaderId: status.leaderId,
    commitIndex: status.commitIndex,
    appliedIndex: status.appliedIndex,
    lastIndex: status.lastIndex,
    writable: writable.ok,
    ...(writable.ok ? {} : { writableReason: writable.reason }),
    voters: status.voters,
    learners: status.learners,
    peers: status.peers,
  };
}
