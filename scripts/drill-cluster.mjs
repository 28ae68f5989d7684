// The clusters the failover drill (scripts/drill.mjs) runs against, behind one small interface:
//   nodes(): ids; pgPort(id), readPort(id), httpPort(id); view(id) (GET /cluster);
//   kill(id) (kill -9 / docker kill), restart(id), isolate(id) / heal() (partition), close().
//
// LocalCluster: three keel processes on loopback (testkit's KeelProcess, no Docker), every
// directed path between nodes' Raft ports (and replication ports, with replication) through its
// own fault-injecting proxy, as test/cluster/cluster-harness.ts does, so `isolate` cuts a node off.
// ComposeCluster: the docker-compose cluster (docker-compose.yml); nodes are given by
// KEEL_DRILL_NODES="ID=CONTAINER:HOST:PGPORT:HTTPPORT,..."; kill is `docker kill`, restart is
// `docker start`; a partition needs `docker network disconnect`, which it does on the container.
import { execFileSync } from 'node:child_process';
import { FaultProxy, freePort, KeelProcess } from '../packages/testkit/dist/index.js';

export async function startLocalCluster({ ids = ['n1', 'n2', 'n3'], replication, extraArgs = [] }) {
  const grpc = new Map();
  const repl = new Map();
  const proxies = new Map();
  for (const id of ids) {
    grpc.set(id, await freePort());
    if (replication) repl.set(id, await freePort());
  }
  // A proxy bound to port 0 may get a port picked for a node that has not started yet: retry.
  const reserved = new Set([...grpc.values(), ...repl.values()]);
  const proxyTo = async (port) => {
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
      proxies.set(`${from}->${to}`, await proxyTo(grpc.get(to)));
      if (replication) proxies.set(`${from}->${to}:replication`, await proxyTo(repl.get(to)));
    }
  }
  const argsFor = (id) => {
    const peers = ids.map((o) =>
      o === id ? `${o}=127.0.0.1:${grpc.get(o)}` : `${o}=127.0.0.1:${proxies.get(`${id}->${o}`).port}`,
    );
    const args = [
      '--node-id',
      id,
      '--grpc-port',
      String(grpc.get(id)),
      '--peers',
      peers.join(','),
      '--pg-read-port',
      '0',
    ];
    if (replication) {
      const others = ids.filter((o) => o !== id);
      args.push(
        '--replication-port',
        String(repl.get(id)),
        '--replication-peers',
        others.map((o) => `${o}=127.0.0.1:${proxies.get(`${id}->${o}:replication`).port}`).join(','),
      );
    }
    return [...args, ...extraArgs];
  };
  const nodes = new Map();
  const started = await Promise.all(ids.map((id) => KeelProcess.start({ args: argsFor(id) })));
  for (const [i, id] of ids.entries()) nodes.set(id, started[i]);
  const readPortOf = (node) => {
    const ready = node.jsonLogs().find((l) => l.msg === 'ready');
    return typeof ready?.readPort === 'number' ? ready.readPort : null;
  };
  return {
    kind: 'local',
    password: started[0].adminPassword,
    nodes: () => ids,
    pgPort: (id) => nodes.get(id).pgPort,
    readPort: (id) => readPortOf(nodes.get(id)),
    httpPort: (id) => nodes.get(id).httpPort,
    host: () => '127.0.0.1',
    async view(id) {
      const response = await fetch(`http://127.0.0.1:${nodes.get(id).httpPort}/cluster`, {
        signal: AbortSignal.timeout(1000),
      });
      return response.json();
    },
    async kill(id) {
      await nodes.get(id).kill9();
    },
    async restart(id) {
      nodes.set(id, await nodes.get(id).restart({ args: argsFor(id) }));
    },
    isolate(id) {
      for (const [path, proxy] of proxies) {
        const [from, to] = path.replace(':replication', '').split('->');
        if (from === id || to === id) proxy.partition();
      }
    },
    heal() {
      for (const proxy of proxies.values()) proxy.heal();
    },
    logs(id, n = 30) {
      return nodes
        .get(id)
        .jsonLogs()
        .filter((l) => ['raft', 'failover', 'replication', 'admin'].includes(l.component))
        .slice(-n)
        .map(
          (l) =>
            `${l.time} ${l.component} ${l.msg} ${JSON.stringify({ term: l.term, role: l.role, err: l.err?.message ?? l.error })}`,
        );
    },
    cli(args) {
      return ['node', [new URL('../packages/server/dist/main.js', import.meta.url).pathname, ...args]];
    },
    async close() {
      await Promise.all([...nodes.values()].map((n) => n.dispose()));
      await Promise.all([...proxies.values()].map((p) => p.close()));
    },
  };
}

export function composeCluster() {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
  } catch {
    throw new Error('no Docker engine is reachable: run the drill with --local (local processes, no Docker)');
  }
  const spec = process.env.KEEL_DRILL_NODES ?? '';
  const nodes = new Map(
    spec
      .split(',')
      .filter((entry) => entry !== '')
      .map((entry) => {
        const [id, rest] = entry.split('=');
        const [container, host, pgPort, httpPort] = rest.split(':');
        return [id, { container, host, pgPort: Number(pgPort), httpPort: Number(httpPort) }];
      }),
  );
  if (nodes.size === 0)
    throw new Error('set KEEL_DRILL_NODES=ID=CONTAINER:HOST:PGPORT:HTTPPORT,... for the compose drill');
  const get = (id) => nodes.get(id);
  return {
    kind: 'compose',
    password: process.env.KEEL_ADMIN_PASSWORD ?? '',
    nodes: () => [...nodes.keys()],
    pgPort: (id) => get(id).pgPort,
    readPort: () => null,
    httpPort: (id) => get(id).httpPort,
    host: (id) => get(id).host,
    async view(id) {
      const n = get(id);
      const response = await fetch(`http://${n.host}:${n.httpPort}/cluster`, {
        signal: AbortSignal.timeout(1000),
      });
      return response.json();
    },
    async kill(id) {
      execFileSync('docker', ['kill', get(id).container]);
    },
    async restart(id) {
      execFileSync('docker', ['start', get(id).container]);
    },
    isolate(id) {
      const network = process.env.KEEL_DRILL_NETWORK ?? 'keel_default';
      execFileSync('docker', ['network', 'disconnect', network, get(id).container]);
      this.isolated = id;
    },
    heal() {
      const network = process.env.KEEL_DRILL_NETWORK ?? 'keel_default';
      if (this.isolated !== undefined)
        execFileSync('docker', ['network', 'connect', network, get(this.isolated).container]);
      this.isolated = undefined;
    },
    cli(args) {
      const first = [...nodes.values()][0];
      return ['docker', ['exec', first.container, 'keel', ...args]];
    },
    async close() {},
  };
}
