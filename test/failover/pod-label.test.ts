/**
 * The Kubernetes role label (issue 10, point 4) with real keel processes: each node of a
 * three-node cluster labels "its pod" keel/role=primary|replica through a stand-in for the
 * Kubernetes API server on loopback, with the request the RBAC Role in deploy/k8s/rbac.yaml
 * allows (a JSON merge patch of pods/NAME, a bearer token from the token file). The stand-in
 * refuses each pod's first patch, so the retry is exercised; after kill -9 of the primary the new
 * primary's pod is relabelled, and the old primary's pod is relabelled replica once it restarts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster } from '../cluster/cluster-harness.js';

const TOKEN = 'sa-token-for-the-test';
const NAMESPACE = 'keel-test';

interface PatchSeen {
  pod: string;
  role: string | undefined;
  status: number;
}

/** The part of the Kubernetes API the node uses: PATCH /api/v1/namespaces/NS/pods/NAME. */
class FakeKubernetesApi {
  readonly labels = new Map<string, string>();
  readonly patches: PatchSeen[] = [];
  readonly problems: string[] = [];
  private readonly refusedOnce = new Set<string>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(req.url ?? '');
    if (req.method !== 'PATCH' || match === null || match[1] !== NAMESPACE) {
      this.problems.push(`${req.method} ${req.url}`);
      reply(404, { kind: 'Status', code: 404 });
      return;
    }
    const pod = match[2] ?? '';
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      this.problems.push(`authorization ${req.headers.authorization}`);
      reply(401, { kind: 'Status', code: 401 });
      return;
    }
    if (req.headers['content-type'] !== 'application/merge-patch+json') {
      this.problems.push(`content-type ${req.headers['content-type']}`);
      reply(415, { kind: 'Status', code: 415 });
      return;
    }
    const patch = JSON.parse(body) as { metadata?: { labels?: Record<string, string> } };
    const role = patch.metadata?.labels?.['keel/role'];
    if (!this.refusedOnce.has(pod)) {
      // The API server is briefly unavailable: the node must log it and try again.
      this.refusedOnce.add(pod);
      this.patches.push({ pod, role, status: 503 });
      reply(503, { kind: 'Status', code: 503 });
      return;
    }
    this.patches.push({ pod, role, status: 200 });
    if (role !== undefined) this.labels.set(pod, role);
    reply(200, { kind: 'Pod', metadata: { name: pod, namespace: NAMESPACE, labels: { 'keel/role': role } } });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

let cluster: TestCluster | null = null;
let api: FakeKubernetesApi | null = null;
let dir: string | null = null;

afterEach(async () => {
  await cluster?.dispose();
  await api?.close();
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  cluster = null;
  api = null;
  dir = null;
});

const pod = (id: string) => `keel-${id}`;

describe('the Kubernetes role label', () => {
  it('labels the primary pod and the replicas through the API, retries a refused patch, and follows a failover', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keel-k8s-'));
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const k8s = new FakeKubernetesApi();
    api = k8s;
    await k8s.start();
    cluster = await TestCluster.start({
      extraArgs: (id) => [
        '--k8s-pod-name',
        pod(id),
        '--k8s-namespace',
        NAMESPACE,
        '--k8s-api-url',
        `http://127.0.0.1:${k8s.port}`,
        '--k8s-token-file',
        tokenFile,
      ],
    });
    const c = cluster;
    const first = await c.agreedLeader();
    const expectLabels = async (primary: string, replicas: string[], what: string) =>
      waitFor(
        () =>
          k8s.labels.get(pod(primary)) === 'primary' &&
          replicas.every((id) => k8s.labels.get(pod(id)) === 'replica'),
        { what, timeoutMs: 20_000 },
      );
    const others = c.ids.filter((id) => id !== first.leader);
    await expectLabels(first.leader, others, 'every pod to carry its role label');
    expect(k8s.problems).toEqual([]);
    // Each pod's first patch was refused (503) and retried; the log says so, with the term.
    for (const id of c.ids) {
      expect(k8s.patches.filter((p) => p.pod === pod(id) && p.status === 503)).toHaveLength(1);
      const ran = await waitFor(
        () =>
          c
            .node(id)
            .jsonLogs()
            .find((l) => l.msg === 'pod role label ran' && l.term === first.term),
        { what: `${id} to log the label` },
      );
      expect(ran).toMatchObject({
        component: 'health',
        term: first.term,
        role: id === first.leader ? 'primary' : 'replica',
      });
      const failed = c
        .node(id)
        .jsonLogs()
        .find((l) => l.msg === 'pod role label failed; retrying');
      expect(failed).toMatchObject({ component: 'health', term: first.term });
      expect(String(failed?.error)).toContain('HTTP 503');
    }

    // kill -9 of the primary: the new primary's pod becomes the one keel-primary selects.
    await c.node(first.leader).kill9();
    const second = await c.agreedLeader(others);
    const survivor = others.filter((id) => id !== second.leader);
    await expectLabels(second.leader, survivor, 'the new primary pod to be labelled');
    // The dead node cannot relabel its pod (readiness takes it out of the Services meanwhile);
    // once it runs again it labels itself replica.
    expect(k8s.labels.get(pod(first.leader))).toBe('primary');
    await c.restart(first.leader);
    await expectLabels(
      second.leader,
      [...survivor, first.leader],
      'the restarted old primary to relabel itself',
    );
    expect(k8s.problems).toEqual([]);
    // Exactly one pod is labelled primary at the end.
    expect([...k8s.labels.values()].filter((role) => role === 'primary')).toHaveLength(1);
  }, 90_000);
});
