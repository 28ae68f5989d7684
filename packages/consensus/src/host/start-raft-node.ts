/**
 * startRaftNode: opens the node's durable log, starts its gRPC server and its driver loop, and
 * returns the handle the server drives. On first start the initial configuration is every
 * listed peer plus this node, all voters (or, with `join`, no configuration at all: the node
 * waits for a leader to add it); after that the configuration comes from the log and
 * snapshot, and `peers` only supplies addresses. With no other peer the node is a single-node
 * group and elects itself at once.
 * Exports: startRaftNode.
 */
import { GrpcTransport } from '../grpc/grpc-transport.js';
import { bootstrapConfig, emptyConfig } from '../raft/cluster-config.js';
import { RaftNode } from '../raft/raft-node.js';
import { LogStore } from '../storage/log-store.js';
import { RaftHost, type RaftNodeHandle } from './raft-host.js';
import { type RaftNodeConfig, resolveRaftNodeConfig } from './raft-node-config.js';

export async function startRaftNode(config: RaftNodeConfig): Promise<RaftNodeHandle> {
  const cfg = resolveRaftNodeConfig(config);
  const store = await LogStore.open(cfg.dataDir, cfg.logger);
  let host: RaftHost | null = null;
  let transport: GrpcTransport;
  try {
    transport = await GrpcTransport.start({
      nodeId: cfg.nodeId,
      listenHost: cfg.listenHost,
      port: cfg.grpcPort,
      logger: cfg.logger,
      onMessage: (from, msg) => host?.enqueue({ kind: 'message', from, msg }),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const stored = store.initialState();
  if (stored.snapshot !== null && cfg.stateMachine !== null) {
    cfg.stateMachine.restore(stored.snapshot.data, stored.snapshot.meta.index);
  }
  const self = { id: cfg.nodeId, address: `${cfg.advertiseHost}:${transport.port}` };
  const others = cfg.peers
    .filter((p) => p.id !== cfg.nodeId)
    .map((p) => ({ id: p.id, address: `${p.host}:${p.port}` }));
  const core = new RaftNode({
    id: cfg.nodeId,
    options: cfg.raft,
    env: {
      random: Math.random,
      logger: cfg.logger,
      dataPosition: cfg.dataPosition,
      compareDataPosition: cfg.compareDataPosition,
    },
    hardState: stored.hardState,
    snapshot: stored.snapshot,
    entries: stored.entries,
    bootstrapConfig: cfg.join ? emptyConfig() : bootstrapConfig([self, ...others]),
  });
  host = new RaftHost(cfg, core, store, transport);
  cfg.logger.info(
    { port: transport.port, peers: others.map((p) => p.id), join: cfg.join },
    'raft node started',
  );
  return host;
}
