/**
 * A three-node Keel cluster of real processes on loopback for tests: every directed path
 * between two nodes' gRPC ports goes through its own FaultProxy, so a test can cut any node off
 * (or one direction only) and heal it again.
 */
import { FaultProxy, freePort, KeelProcess, waitFor } from '@keel/testkit';

export interface ClusterView {
  nodeId: string;
  role: string;
  term: number;
  leaderId: string | null;
  writable: boolean;
  peers: { id: string; matchIndex: number | null }[];
}

export class TestCluster {
  readonly nodes = new Map<string, KeelProcess>();
  private readonly proxies = new Map<string, FaultProxy>();
  private readonly grpcPorts = new Map<string, number>();

  private constructor(readonly ids: string[]) {}

  static async start(ids = ['n1', 'n2', 'n3']): Promise<TestCluster> {
    const cluster = new TestCluster(ids);
    for (const id of ids) cluster.grpcPorts.set(id, await freePort());
    for (const from of ids) {
      for (const to of ids) {
        if (from === to) continue;
        const proxy = new FaultProxy('127.0.0.1', cluster.grpcPort(to));
        await proxy.start();
        cluster.proxies.set(`${from}->${to}`, proxy);
      }
    }
    const started = await Promise.all(ids.map((id) => KeelProcess.start({ args: cluster.argsFor(id) })));
    ids.forEach((id, i) => {
      const node = started[i];
      if (node !== undefined) cluster.nodes.set(id, node);
    });
    return cluster;
  }

  grpcPort(id: string): number {
    const port = this.grpcPorts.get(id);
    if (port === undefined) throw new Error(`no node ${id}`);
    return port;
  }

  /** `keel start` flags of a node: its own address direct, every peer through its proxy. */
  argsFor(id: string): string[] {
    const peers = this.ids.map((other) =>
      other === id
        ? `${other}=127.0.0.1:${this.grpcPort(other)}`
        : `${other}=127.0.0.1:${this.proxy(id, other).port}`,
    );
    return ['--node-id', id, '--grpc-port', String(this.grpcPort(id)), '--peers', peers.join(',')];
  }

  proxy(from: string, to: string): FaultProxy {
    const proxy = this.proxies.get(`${from}->${to}`);
    if (proxy === undefined) throw new Error(`no proxy ${from}->${to}`);
    return proxy;
  }

  node(id: string): KeelProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Cuts a node off from all others, both directions. */
  isolate(id: string): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.proxy(id, other).partition();
      this.proxy(other, id).partition();
    }
  }

  heal(): void {
    for (const proxy of this.proxies.values()) proxy.heal();
  }

  async view(id: string): Promise<ClusterView> {
    const response = await fetch(`http://127.0.0.1:${this.node(id).httpPort}/cluster`);
    return (await response.json()) as ClusterView;
  }

  /** Waits until every listed node reports the same leader, which is one of them; returns it. */
  async agreedLeader(
    ids: string[] = [...this.nodes.keys()],
    timeoutMs = 20_000,
  ): Promise<{ leader: string; term: number }> {
    return waitFor(
      async () => {
        const views = await Promise.all(ids.map((id) => this.view(id)));
        const leaders = new Set(views.map((v) => v.leaderId));
        const [leader] = [...leaders];
        if (leaders.size !== 1 || leader === null || leader === undefined || !ids.includes(leader))
          return null;
        const leaderView = views.find((v) => v.nodeId === leader);
        if (leaderView?.role !== 'leader') return null;
        return { leader, term: leaderView.term };
      },
      { timeoutMs, what: `nodes ${ids.join(', ')} to agree on a leader` },
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
