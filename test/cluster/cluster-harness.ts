/**
 * A Keel cluster of real processes on loopback for tests: every directed path between two
 * nodes' gRPC ports (Raft) goes through its own FaultProxy, and, with `replication`, so does
 * every path to a node's replication port (passed as --replication-peers), so a test can cut any
 * node off (or one direction only) and heal it again. Each node also gets a DNS port and a
 * cluster name; extra flags per node come from `extraArgs`.
 */
import { FaultProxy, freePort, KeelProcess, waitFor } from '@keel/testkit';

export interface MemberView {
  nodeId: string;
  host: string;
  pgPort: number;
  readPort: number | null;
  httpPort: number;
}

export interface ClusterView {
  nodeId: string;
  role: string;
  term: number;
  leaderId: string | null;
  writable: boolean;
  writableReason?: string;
  primary: { term: number; nodeId: string } | null;
  members: MemberView[];
  voters: string[];
  learners: string[];
  peers: { id: string; matchIndex: number | null }[];
  replication: { role: string; upstream: { state: string } | null } | null;
}

export interface TestClusterOptions {
  ids?: string[];
  clusterName?: string;
  /** Also proxy replication ports (needs the replication layer's --replication-port). */
  replication?: boolean;
  extraArgs?: (id: string) => string[];
}

export class TestCluster {
  readonly nodes = new Map<string, KeelProcess>();
  private readonly proxies = new Map<string, FaultProxy>();
  private readonly grpcPorts = new Map<string, number>();
  private readonly replicationPorts = new Map<string, number>();
  readonly clusterName: string;

  private constructor(
    readonly ids: string[],
    private readonly options: TestClusterOptions,
  ) {
    this.clusterName = options.clusterName ?? 'test';
  }

  /**
   * Starts the nodes. Their gRPC and replication ports are picked before the processes start
   * (every peer must know them), so another test's process may take one in between; a start that
   * fails with EADDRINUSE is retried on fresh ports.
   */
  static async start(idsOrOptions: string[] | TestClusterOptions = {}): Promise<TestCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestCluster.startOnce(idsOrOptions);
      } catch (error) {
        if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
      }
    }
  }

  private static async startOnce(idsOrOptions: string[] | TestClusterOptions): Promise<TestCluster> {
    const options = Array.isArray(idsOrOptions) ? { ids: idsOrOptions } : idsOrOptions;
    const ids = options.ids ?? ['n1', 'n2', 'n3'];
    const cluster = new TestCluster(ids, options);
    for (const id of ids) {
      cluster.grpcPorts.set(id, await freePort());
      if (options.replication === true) cluster.replicationPorts.set(id, await freePort());
    }
    // A proxy bound to port 0 may get a port picked for a node not started yet: pick again.
    const reserved = new Set([...cluster.grpcPorts.values(), ...cluster.replicationPorts.values()]);
    const proxyTo = async (port: number): Promise<FaultProxy> => {
      for (;;) {
        const proxy = new FaultProxy('127.0.0.1', port);
        await proxy.start();
        if (!reserved.has(proxy.port)) return proxy;
        await proxy.close();
      }
    };
    for (const from of ids) {
      for (const to of ids) {
        if (from === to) continue;
        cluster.proxies.set(`${from}->${to}`, await proxyTo(cluster.grpcPort(to)));
        const replicationPort = cluster.replicationPorts.get(to);
        if (replicationPort !== undefined)
          cluster.proxies.set(`${from}->${to}:replication`, await proxyTo(replicationPort));
      }
    }
    const started = await Promise.allSettled(
      ids.map((id) => KeelProcess.start({ args: cluster.argsFor(id) })),
    );
    ids.forEach((id, i) => {
      const outcome = started[i];
      if (outcome?.status === 'fulfilled') cluster.nodes.set(id, outcome.value);
    });
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) {
      await cluster.dispose();
      throw failed.reason;
    }
    return cluster;
  }

  grpcPort(id: string): number {
    const port = this.grpcPorts.get(id);
    if (port === undefined) throw new Error(`no node ${id}`);
    return port;
  }

  /** `keel start` flags of a node: its own address direct, every peer through its proxy. */
  argsFor(id: string): string[] {
    const others = this.ids.filter((other) => other !== id);
    const peers = this.ids.map((other) =>
      other === id
        ? `${other}=127.0.0.1:${this.grpcPort(other)}`
        : `${other}=127.0.0.1:${this.proxy(id, other).port}`,
    );
    const args = [
      '--node-id',
      id,
      '--grpc-port',
      String(this.grpcPort(id)),
      '--peers',
      peers.join(','),
      '--cluster-name',
      this.clusterName,
      '--dns-port',
      '0',
    ];
    const replicationPort = this.replicationPorts.get(id);
    if (replicationPort !== undefined) {
      const replicationPeers = others.map((o) => `${o}=127.0.0.1:${this.proxy(id, o, 'replication').port}`);
      args.push(
        '--replication-port',
        String(replicationPort),
        '--replication-peers',
        replicationPeers.join(','),
      );
    }
    return [...args, ...(this.options.extraArgs?.(id) ?? [])];
  }

  proxy(from: string, to: string, service: 'raft' | 'replication' = 'raft'): FaultProxy {
    const proxy = this.proxies.get(service === 'raft' ? `${from}->${to}` : `${from}->${to}:replication`);
    if (proxy === undefined) throw new Error(`no ${service} proxy ${from}->${to}`);
    return proxy;
  }

  node(id: string): KeelProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** The node's DNS port, from its ready line. */
  dnsPort(id: string): number {
    const ready = this.node(id)
      .jsonLogs()
      .find((line) => line.msg === 'ready');
    const port = ready?.dnsPort;
    if (typeof port !== 'number') throw new Error(`node ${id} has no DNS port`);
    return port;
  }

  /** Cuts a node off from all others, both directions, Raft and replication alike. */
  isolate(id: string): void {
    for (const [path, proxy] of this.proxies) {
      const [from = '', to = ''] = path.replace(':replication', '').split('->');
      if (from === id || to === id) proxy.partition();
    }
  }

  heal(): void {
    for (const proxy of this.proxies.values()) proxy.heal();
  }

  async view(id: string): Promise<ClusterView> {
    const response = await fetch(`http://127.0.0.1:${this.node(id).httpPort}/cluster`);
    return (await response.json()) as ClusterView;
  }

  /**
   * Waits until every listed node reports the same leader, which is one of them and writable
   * (promoted, holding its lease); returns it.
   */
  async agreedLeader(
    ids: string[] = [...this.nodes.keys()],
    timeoutMs = 20_000,
  ): Promise<{ leader: string; term: number }> {
    return waitFor(
      async () => {
        for (const id of ids) {
          const child = this.node(id).child;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(
              `node ${id} exited (${child.exitCode ?? child.signalCode}); last log lines:\n${this.node(id).logs.slice(-15).join('\n')}`,
            );
        }
        const views = await Promise.all(ids.map((id) => this.view(id)));
        const leaders = new Set(views.map((v) => v.leaderId));
        const [leader] = [...leaders];
        if (leaders.size !== 1 || leader === null || leader === undefined || !ids.includes(leader))
          return null;
        const leaderView = views.find((v) => v.nodeId === leader);
        if (leaderView?.role !== 'leader' || !leaderView.writable) return null;
        return { leader, term: leaderView.term };
      },
      { timeoutMs, what: `nodes ${ids.join(', ')} to agree on a writable leader` },
    );
  }

  async restart(id: string): Promise<KeelProcess> {
    const node = await this.node(id).restart({ args: this.argsFor(id) });
    this.nodes.set(id, node);
    return node;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.dispose()));
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }
}
