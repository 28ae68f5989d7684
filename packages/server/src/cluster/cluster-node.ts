/**
 * The control half of a cluster node, composed in one place so that keel-node.ts stays small:
 * Raft with the cluster state as its state machine, the failover orchestrator, the session
 * router, the health monitor, the role-change hook, the DNS responder and the operator API.
 *
 * Order of life: `startClusterControl` starts Raft (it must be able to vote at once, with the
 * replication layer's data position); the listeners are started by keel-node with `router`;
 * once their ports are bound, `attach(ports)` builds this node's member record and starts the
 * orchestrator, the monitor, the hook and the DNS responder. `close()` stops them in reverse.
 * Exports: startClusterControl, ClusterControl, ClusterControlOptions, BoundPorts.
 */
import path from 'node:path';
import type { RaftNodeHandle } from '@keel/consensus';
import {
  type Assessment,
  type NodeFacts,
  type NodePhase,
  parseLagParameter,
  primaryVerdict,
  readyVerdict,
  replicaVerdict,
  type Verdict,
  liveVerdict as verdictLive,
  writableVerdict,
} from '@keel/health';
import type { ReplicationControl } from '@keel/replication';
import type { NodeConfig } from '../config.js';
import type { HealthVerdict } from '../http-server.js';
import type { Logger } from '../logger.js';
import { AdminApi, type AdminRequest, type AdminResponse } from './admin-api.js';
import { ClusterState, type MemberRecord } from './cluster-state.js';
import { type DnsResponderHandle, startDnsResponder } from './dns-responder.js';
import { FailoverOrchestrator } from './failover-orchestrator.js';
import { HealthMonitor } from './health-monitor.js';
import { registerWithLeader } from './member-registration.js';
import { kubernetesApiUrl, podLabelAction } from './pod-labeler.js';
import { PrimaryRouter } from './primary-router.js';
import { type ClusterMembership, ELECTION_TIMEOUT_MS, startCluster } from './raft-cluster.js';
import { RoleHookRunner } from './role-hook.js';

export interface ClusterControlOptions {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly replication: ReplicationControl | null;
  /** Refuses or allows new write transactions on this node's engine (lease, switchover). */
  readonly fenceWrites: (fenced: boolean, reason: string) => void;
  /** The engine's WAL positions, for the fsync-stall probe. */
  readonly walPositions: () => { insertLsn: bigint; flushLsn: bigint };
  /** The keel superuser's SCRAM verifier, for the operator API's Basic credentials. */
  readonly adminVerifier: () => string | null;
  readonly phase: () => NodePhase;
}

export interface BoundPorts {
  readonly pgPort: number;
  readonly readPort: number | null;
  readonly httpPort: number;
}

/** How long a new session waits for a primary during a failover before being served locally. */
const routeWaitMs = 10_000;

export class ClusterControl {
  readonly router: PrimaryRouter;
  readonly orchestrator: FailoverOrchestrator;
  private readonly admin: AdminApi;
  private self: MemberRecord | null = null;
  private monitor: HealthMonitor | null = null;
  private hook: RoleHookRunner | null = null;
  private podLabel: RoleHookRunner | null = null;
  private dns: DnsResponderHandle | null = null;
  private readonly replicationOverrides: Map<string, { host: string; port: number }>;

  constructor(
    private readonly options: ClusterControlOptions,
    readonly membership: ClusterMembership,
    readonly state: ClusterState,
  ) {
    const { config, logger, replication } = options;
    const raft = membership.handle;
    this.replicationOverrides = new Map(
      config.replicationPeers.map((p) => [p.id, { host: p.host, port: p.port }]),
    );
    this.orchestrator = new FailoverOrchestrator({
      raft,
      state,
      replication,
      fenceWrites: options.fenceWrites,
      self: this.selfRecord(),
      replicationAddress: (id) => this.replicationAddress(id),
      registerWithLeader: (leader, self) => registerWithLeader(leader, self, process.env.KEEL_ADMIN_PASSWORD),
      logger,
      now: () => performance.now(),
      electionTimeoutMs: ELECTION_TIMEOUT_MS,
      fenceOnLeaseLapse: replication === null || config.syncReplicas === 0,
    });
    this.router = new PrimaryRouter({
      raft,
      state,
      writable: () => this.orchestrator.writable(),
      pgAddress: (id) => {
        const member = state.member(id);
        return member === undefined ? null : { host: member.host, port: member.pgPort };
      },
      logger: logger.child({ component: 'router' }),
      waitMs: routeWaitMs,
    });
    this.admin = new AdminApi({
      raft,
      state,
      orchestrator: this.orchestrator,
      replication,
      adminVerifier: options.adminVerifier,
      logger,
    });
  }

  get raft(): RaftNodeHandle {
    return this.membership.handle;
  }

  /** The listeners are bound: register, start orchestrating, probing, hooks and DNS. */
  async attach(ports: BoundPorts): Promise<void> {
    const { config, logger, replication } = this.options;
    const self: MemberRecord = {
      nodeId: this.membership.nodeId,
      host: advertisedHost(config),
      pgPort: ports.pgPort,
      readPort: ports.readPort,
      httpPort: ports.httpPort,
      replicationPort: replication?.port ?? null,
    };
    this.self = self;
    this.orchestrator.setSelf(self);
    this.orchestrator.start();
    this.monitor = new HealthMonitor({
      nodeId: self.nodeId,
      dataDir: config.dataDir,
      probeIntervalMs: config.healthIntervalMs,
      wal: () => this.options.walPositions(),
      replication,
      members: () => this.state.members(),
      logger,
    });
    if (config.onRoleChange !== null) {
      const hook = new RoleHookRunner({
        command: config.onRoleChange,
        nodeId: self.nodeId,
        cluster: config.clusterName,
        stateFile: path.join(config.dataDir, 'role-hook.json'),
        logger,
      });
      this.hook = hook;
      const fire = () => {
        const announced = this.state.primary();
        if (announced === null) return;
        hook.desire(announced.nodeId === self.nodeId ? 'primary' : 'replica', announced.term);
      };
      this.state.onChange(fire);
      fire();
    }
    if (config.k8sPodName !== null && config.k8sNamespace !== null) {
      const apiUrl = kubernetesApiUrl(config.k8sApiUrl);
      if (apiUrl === null)
        logger.warn(
          { component: 'health', pod: config.k8sPodName },
          'no Kubernetes API address (--k8s-api-url or KUBERNETES_SERVICE_HOST): the pod role label is not set',
        );
      else {
        const labeler = new RoleHookRunner({
          command: `PATCH pod ${config.k8sNamespace}/${config.k8sPodName} label keel/role`,
          nodeId: self.nodeId,
          cluster: config.clusterName,
          stateFile: null,
          logger,
          component: 'health',
          name: 'pod role label',
          action: podLabelAction({
            apiUrl,
            namespace: config.k8sNamespace,
            pod: config.k8sPodName,
            tokenFile: config.k8sTokenFile,
          }),
        });
        this.podLabel = labeler;
        const label = () => {
          const announced = this.state.primary();
          if (announced === null) return;
          labeler.desire(announced.nodeId === self.nodeId ? 'primary' : 'replica', announced.term);
        };
        this.state.onChange(label);
        label();
      }
    }
    if (config.dnsPort !== null) {
      this.dns = await startDnsResponder(
        config.pgHost,
        config.dnsPort,
        {
          cluster: config.clusterName,
          primary: () => {
            const announced = this.state.primary();
            return announced === null ? null : (this.state.member(announced.nodeId) ?? null);
          },
          replicas: () => {
            const primary = this.state.primary()?.nodeId;
            const st = this.raft.status();
            const members = new Set([...st.voters, ...st.learners]);
            return this.state.members().filter((m) => m.nodeId !== primary && members.has(m.nodeId));
          },
        },
        logger,
      );
    }
  }

  get dnsPort(): number | null {
    return this.dns?.port ?? null;
  }

  async close(): Promise<void> {
    this.router.close();
    this.hook?.close();
    this.podLabel?.close();
    this.monitor?.close();
    await this.dns?.close();
    await this.orchestrator.close();
    await this.membership.close();
  }

  // --- HTTP ----------------------------------------------------------------------------------

  facts(): NodeFacts {
    const st = this.raft.status();
    const o = this.orchestrator.status();
    return {
      phase: this.options.phase(),
      raftRole: st.role,
      term: st.term,
      leaderId: st.leaderId,
      promoted: o.promotedTerm === st.term,
      leaseValid: o.leaseValid,
      transferring: o.transferring,
    };
  }

  assessment(): Assessment | null {
    return this.monitor?.assessment() ?? null;
  }

  live(): HealthVerdict {
    const health = this.assessment();
    return health === null
      ? { ok: this.options.phase() !== 'stopped', reason: this.options.phase() }
      : verdictLive(this.facts(), health);
  }

  ready(): HealthVerdict {
    const health = this.assessment();
    return health === null ? { ok: false, reason: this.options.phase() } : readyVerdict(this.facts(), health);
  }

  /** The node is the primary that takes writes (GET /primary): leader, promoted, lease, fsync. */
  primaryWritable(): Verdict {
    const health = this.assessment();
    const facts = this.facts();
    if (health === null) return { ok: false, reason: facts.phase };
    const verdict = writableVerdict(facts, health);
    if (!verdict.ok || this.orchestrator.writable()) return verdict;
    return { ok: false, reason: this.orchestrator.status().fenced ?? 'not writable' };
  }

  /**
   * `writable` of GET /cluster: the primary, and a commit would complete now. In synchronous
   * mode a primary with fewer than --sync-replicas streaming replicas is not writable: its
   * commits wait (issue 9, point 2), and the reason says for what.
   */
  writable(): Verdict {
    const verdict = this.primaryWritable();
    if (!verdict.ok) return verdict;
    const replication = this.options.replication?.status() ?? null;
    if (replication !== null && replication.role === 'primary' && !replication.writable)
      return { ok: false, reason: replication.writableReason };
    return verdict;
  }

  roleCheck(pathname: string, query: URLSearchParams): HealthVerdict | null {
    const health = this.assessment();
    if (
      pathname !== '/primary' &&
      pathname !== '/replica' &&
      pathname !== '/read-write' &&
      pathname !== '/standby'
    )
      return null;
    if (health === null) return { ok: false, reason: this.options.phase() };
    if (pathname === '/primary' || pathname === '/read-write') {
      const verdict = primaryVerdict(this.facts(), health);
      return verdict.ok ? this.primaryWritable() : verdict;
    }
    let lag: bigint | null;
    try {
      lag = parseLagParameter(query.get('lag'));
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    return replicaVerdict(this.facts(), health, lag);
  }

  adminRequest(request: AdminRequest): Promise<AdminResponse | null> {
    return this.admin.handle(request);
  }

  /** GET /cluster. */
  view(): Record<string, unknown> {
    const st = this.raft.status();
    const writable = this.writable();
    const health = this.assessment();
    const replication = this.options.replication?.status() ?? null;
    return {
      nodeId: st.nodeId,
      cluster: this.options.config.clusterName,
      role: st.role,
      term: st.term,
      leaderId: st.leaderId,
      commitIndex: st.commitIndex,
      appliedIndex: st.appliedIndex,
      lastIndex: st.lastIndex,
      writable: writable.ok,
      ...(writable.ok ? {} : { writableReason: writable.reason }),
      primary: this.state.primary(),
      voters: st.voters,
      learners: st.learners,
      peers: st.peers.map((peer) => ({
        ...peer,
        health: health?.peers.find((p) => p.id === peer.id)?.state ?? 'unknown',
      })),
      members: this.state.members(),
      failover: this.orchestrator.status(),
      health: health === null ? null : { problems: health.self.problems.map((p) => p.kind) },
      replication:
        replication === null
          ? null
          : {
              role: replication.role,
              term: replication.term,
              flushLsn: replication.flushLsn,
              replayLsn: replication.replayLsn,
              writable: replication.writable,
              writableReason: replication.writableReason,
              replicas: replication.replicas,
              upstream: replication.upstream,
            },
      self: this.self,
    };
  }

  private selfRecord(): MemberRecord {
    return {
      nodeId: this.membership.nodeId,
      host: advertisedHost(this.options.config),
      pgPort: 0,
      readPort: null,
      httpPort: 0,
      replicationPort: null,
    };
  }

  private replicationAddress(nodeId: string): { host: string; port: number } | null {
    const override = this.replicationOverrides.get(nodeId);
    if (override !== undefined) return override;
    const member = this.state.member(nodeId);
    if (member === undefined || member.replicationPort === null) return null;
    return { host: member.host, port: member.replicationPort };
  }
}

/** --advertise-host, else --pg-host unless that is a wildcard, else this node's --peers host. */
export function advertisedHost(config: NodeConfig): string {
  if (config.advertiseHost !== null) return config.advertiseHost;
  if (config.pgHost !== '0.0.0.0' && config.pgHost !== '::') return config.pgHost;
  const own = config.peers.find((peer) => peer.id === config.nodeId);
  return own?.host ?? '127.0.0.1';
}

export async function startClusterControl(options: ClusterControlOptions): Promise<ClusterControl> {
  const state = new ClusterState();
  const replication = options.replication;
  const membership = await startCluster(options.config, options.logger, {
    state,
    dataPosition: replication === null ? null : () => replication.dataPosition(),
  });
  return new ClusterControl(options, membership, state);
}
