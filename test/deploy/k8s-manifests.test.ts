/**
 * deploy/k8s: renders the kustomization offline, validates every object against the Kubernetes
 * API schemas (scripts/validate-k8s.mjs), proves that validation catches broken manifests
 * (in-memory broken copies), and checks that the objects fit together the way Keel needs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parsePeers } from '../../packages/server/src/config.js';
import {
  type RenderedObject,
  renderKustomization,
  schemaVersion,
  validateKustomization,
  validateObjects,
} from '../../scripts/validate-k8s.mjs';
import { at, list, num, record, text } from './json-access.js';
import { dockerfileInstructions, keelEnvNames, readRepoFile, repoPath } from './repo-files.js';

const k8sDir = repoPath('deploy/k8s');

let rendered: RenderedObject[] = [];

beforeAll(() => {
  rendered = renderKustomization(k8sDir);
});

function find(kind: string, name: string): Record<string, unknown> {
  const found = rendered.find(
    ({ object }) => object.kind === kind && at(object, 'metadata', 'name') === name,
  );
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found.object;
}

function ofKind(kind: string): Record<string, unknown>[] {
  return rendered.filter(({ object }) => object.kind === kind).map(({ object }) => object);
}

/** A deep copy of the rendered objects with one object changed by `change`. */
function brokenCopy(kind: string, change: (object: Record<string, unknown>) => void): RenderedObject[] {
  const copy = structuredClone(rendered);
  const target = copy.find(({ object }) => object.kind === kind);
  if (target === undefined) throw new Error(`no ${kind} to break`);
  change(target.object);
  return copy;
}

describe('deploy/k8s schema validation', () => {
  it(`renders the kustomization and every object is valid against the ${schemaVersion}`, async () => {
    const { objects, problems } = await validateKustomization(k8sDir);
    expect(problems).toEqual([]);
    expect(objects.map(({ object }) => object.kind).sort()).toEqual([
      'ConfigMap',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Secret',
      'Service',
      'Service',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
  });

  it('reports a value of the wrong type, with the path to it', async () => {
    const broken = brokenCopy('StatefulSet', (sts) => {
      record(sts, 'spec').replicas = 'three';
    });
    const problems = await validateObjects(broken);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'StatefulSet', name: 'keel', path: '/spec/replicas' }),
    ]);
    expect(problems[0]?.message).toMatch(/integer/);
  });

  it('reports a missing required field', async () => {
    const broken = brokenCopy('StatefulSet', (sts) => {
      delete record(sts, 'spec', 'template', 'spec').containers;
    });
    const problems = await validateObjects(broken);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['/spec/template/spec', 'must have required property containers'],
    ]);
  });

  it('reports an unknown field, as the API server does, where the schemas alone would not', async () => {
    const broken = brokenCopy('StatefulSet', (sts) => {
      const container = record(sts, 'spec', 'template', 'spec', 'containers', 0);
      container.readinesProbe = container.readinessProbe;
      delete container.readinessProbe;
    });
    const problems = await validateObjects(broken);
    expect(problems).toEqual([
      expect.objectContaining({
        path: '/spec/template/spec/containers/0/readinesProbe',
        message: 'unknown field (not in the Kubernetes schema)',
      }),
    ]);
  });

  it('reports an enum value Kubernetes does not have', async () => {
    const broken = brokenCopy('StatefulSet', (sts) => {
      record(sts, 'spec').podManagementPolicy = 'AllAtOnce';
    });
    const problems = await validateObjects(broken);
    expect(problems.map((p) => p.path)).toEqual(['/spec/podManagementPolicy']);
  });

  it('reports a kind it has no schema for', async () => {
    const broken = brokenCopy('PodDisruptionBudget', (pdb) => {
      pdb.kind = 'PodDisruptionBudgets';
    });
    const problems = await validateObjects(broken);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'PodDisruptionBudgets', message: expect.stringMatching(/no schema/) }),
    ]);
  });

  it('reports an API version Kubernetes no longer serves, which the schema package still carries', async () => {
    const broken = brokenCopy('PodDisruptionBudget', (pdb) => {
      pdb.apiVersion = 'policy/v1beta1';
    });
    const problems = await validateObjects(broken);
    expect(problems).toEqual([
      expect.objectContaining({
        path: '/apiVersion',
        message: 'policy/v1beta1 is not a GA API version served by Kubernetes 1.33',
      }),
    ]);
  });

  it('leaves the objects it validates unchanged', async () => {
    const before = structuredClone(rendered);
    await validateObjects(rendered);
    expect(rendered).toEqual(before);
  });
});

describe('the kustomization resolver', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function scratch(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'keel-k8s-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    return dir;
  }
  const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  K: v\n';

  it('rejects a kustomize field it cannot render instead of ignoring it', () => {
    const dir = scratch({
      'kustomization.yaml': 'resources: [a.yaml]\npatches:\n  - path: p.yaml\n',
      'a.yaml': configMap,
    });
    expect(() => renderKustomization(dir)).toThrow(/patches not supported/);
  });

  it('rejects a missing resource file, invalid YAML and an object defined twice', () => {
    expect(() => renderKustomization(scratch({ 'kustomization.yaml': 'resources: [gone.yaml]\n' }))).toThrow(
      /gone\.yaml does not exist/,
    );
    expect(() =>
      renderKustomization(scratch({ 'kustomization.yaml': 'resources: [a.yaml]\n', 'a.yaml': 'kind: [\n' })),
    ).toThrow(/YAML document 1/);
    expect(() =>
      renderKustomization(
        scratch({ 'kustomization.yaml': 'resources: [a.yaml]\n', 'a.yaml': `${configMap}---\n${configMap}` }),
      ),
    ).toThrow(/defined twice/);
  });

  it('applies `images` as kustomize edit set image writes it', () => {
    const dir = scratch({
      'kustomization.yaml':
        'resources: [pod.yaml]\nimages:\n  - name: keel\n    newName: registry.example.com/keel\n    newTag: "0.1.0"\n',
      'pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: keel:local\n    - name: b\n      image: other:1\n',
    });
    const [pod] = renderKustomization(dir);
    expect(list(pod?.object, 'spec', 'containers').map((c) => text(c, 'image'))).toEqual([
      'registry.example.com/keel:0.1.0',
      'other:1',
    ]);
  });
});

describe('deploy/k8s fits together', () => {
  const statefulSet = () => find('StatefulSet', 'keel');
  const podSpec = () => record(statefulSet(), 'spec', 'template', 'spec');
  const container = () => record(podSpec(), 'containers', 0);
  const config = () => record(find('ConfigMap', 'keel-config'), 'data');
  const podLabels = () => record(statefulSet(), 'spec', 'template', 'metadata', 'labels');
  const containerPort = (name: string): number => {
    const port = list(container(), 'ports').find((p) => at(p, 'name') === name);
    return num(port, 'containerPort');
  };
  const selects = (selector: Record<string, unknown>, labels: Record<string, unknown>): boolean =>
    Object.entries(selector).every(([key, value]) => labels[key] === value);

  it('passes only `keel start` options through the ConfigMap, matching the container ports', () => {
    for (const key of Object.keys(config())) expect(keelEnvNames, `ConfigMap key ${key}`).toContain(key);
    expect(Number(config().KEEL_PG_PORT)).toBe(containerPort('postgres'));
    expect(Number(config().KEEL_HTTP_PORT)).toBe(containerPort('http'));
    expect(Number(config().KEEL_GRPC_PORT)).toBe(containerPort('grpc'));
    // Replication is on (without its port each pod would be its own database behind one Raft
    // group), with a synchronous quorum that makes failover lossless in 3 members.
    expect(Number(config().KEEL_REPLICATION_PORT)).toBe(containerPort('replication'));
    expect(Number(config().KEEL_SYNC_REPLICAS)).toBeGreaterThanOrEqual(1);
    for (const host of ['KEEL_PG_HOST', 'KEEL_HTTP_HOST', 'KEEL_GRPC_HOST'])
      expect(config()[host]).toBe('0.0.0.0');
  });

  it('names each node after its pod and lists every pod as a peer through the headless Service', () => {
    const replicas = num(statefulSet(), 'spec', 'replicas');
    expect(replicas).toBe(3);
    const serviceName = text(statefulSet(), 'spec', 'serviceName');
    const peers = parsePeers(text(config(), 'KEEL_PEERS'));
    expect(peers).toEqual(
      Array.from({ length: replicas }, (_, ordinal) => ({
        id: `keel-${ordinal}`,
        host: `keel-${ordinal}.${serviceName}`,
        port: containerPort('grpc'),
      })),
    );
    const env = list(container(), 'env');
    const nodeId = env.find((e) => at(e, 'name') === 'KEEL_NODE_ID');
    expect(at(nodeId, 'valueFrom', 'fieldRef', 'fieldPath')).toBe('metadata.name');
    expect(text(statefulSet(), 'metadata', 'name')).toBe('keel');
  });

  it('has a headless Service that publishes not-ready pods and starts all pods together', () => {
    const headless = find('Service', text(statefulSet(), 'spec', 'serviceName'));
    expect(at(headless, 'spec', 'clusterIP')).toBe('None');
    expect(at(headless, 'spec', 'publishNotReadyAddresses')).toBe(true);
    expect(selects(record(headless, 'spec', 'selector'), podLabels())).toBe(true);
    expect(at(statefulSet(), 'spec', 'podManagementPolicy')).toBe('Parallel');
    expect(selects(record(statefulSet(), 'spec', 'selector', 'matchLabels'), podLabels())).toBe(true);
  });

  it('routes keel-primary and keel-replicas by the role label the nodes set, never set by the template', () => {
    const primary = record(find('Service', 'keel-primary'), 'spec', 'selector');
    const replicas = record(find('Service', 'keel-replicas'), 'spec', 'selector');
    expect(primary['keel/role']).toBe('primary');
    expect(replicas['keel/role']).toBe('replica');
    const withoutRole = (selector: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(selector).filter(([key]) => key !== 'keel/role'));
    expect(selects(withoutRole(primary), podLabels())).toBe(true);
    expect(selects(withoutRole(replicas), podLabels())).toBe(true);
    expect(podLabels()).not.toHaveProperty('keel/role');
    expect(record(statefulSet(), 'spec', 'selector', 'matchLabels')).not.toHaveProperty('keel/role');
  });

  it('lets each pod patch only the StatefulSet pods, through its own ServiceAccount', () => {
    const serviceAccount = text(podSpec(), 'serviceAccountName');
    find('ServiceAccount', serviceAccount);
    const [binding] = ofKind('RoleBinding');
    expect(list(binding, 'subjects')).toEqual([{ kind: 'ServiceAccount', name: serviceAccount }]);
    const role = find('Role', text(binding, 'roleRef', 'name'));
    expect(list(role, 'rules')).toEqual([
      {
        apiGroups: [''],
        resources: ['pods'],
        resourceNames: Array.from({ length: num(statefulSet(), 'spec', 'replicas') }, (_, i) => `keel-${i}`),
        verbs: ['get', 'patch'],
      },
    ]);
    expect(at(podSpec(), 'automountServiceAccountToken')).toBe(true);
  });

  it('probes readiness on /health/ready and liveness on /health/live, on the HTTP port', () => {
    for (const [probe, pathName] of [
      ['readinessProbe', '/health/ready'],
      ['livenessProbe', '/health/live'],
      ['startupProbe', '/health/live'],
    ] as const) {
      expect(at(container(), probe, 'httpGet', 'path'), probe).toBe(pathName);
      expect(at(container(), probe, 'httpGet', 'port'), probe).toBe('http');
    }
  });

  it('gives the preStop handover and the shutdown time to finish before the kill', () => {
    const command = list(container(), 'lifecycle', 'preStop', 'exec', 'command').join(' ');
    expect(command).toContain('keel cluster switchover');
    const handoverTimeoutS = Number(/timeout (\d+) keel cluster switchover/.exec(command)?.[1]);
    const shutdownS = Number(config().KEEL_SHUTDOWN_TIMEOUT_S);
    expect(num(podSpec(), 'terminationGracePeriodSeconds')).toBeGreaterThanOrEqual(
      handoverTimeoutS + shutdownS + 10,
    );
  });

  it('keeps data on the claim template volume and runs as the image user, without service links', () => {
    const claim = text(statefulSet(), 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name');
    const mount = list(container(), 'volumeMounts').find((m) => at(m, 'name') === claim);
    const mountPath = text(mount, 'mountPath');
    expect(text(config(), 'KEEL_DATA_DIR').startsWith(`${mountPath}/`)).toBe(true);
    const runtimeUser = dockerfileInstructions(readRepoFile('Dockerfile'))
      .filter((i) => i.keyword === 'USER')
      .at(-1)?.args;
    expect(runtimeUser).toBe(
      `${at(podSpec(), 'securityContext', 'runAsUser')}:${at(podSpec(), 'securityContext', 'runAsGroup')}`,
    );
    expect(at(podSpec(), 'securityContext', 'runAsNonRoot')).toBe(true);
    expect(at(podSpec(), 'enableServiceLinks')).toBe(false);
  });

  it('takes the admin password and settings from the Secret and ConfigMap it ships', () => {
    const env = list(container(), 'env');
    const password = env.find((e) => at(e, 'name') === 'KEEL_ADMIN_PASSWORD');
    const secret = find('Secret', text(password, 'valueFrom', 'secretKeyRef', 'name'));
    expect(record(secret, 'stringData')).toHaveProperty(text(password, 'valueFrom', 'secretKeyRef', 'key'));
    const envFrom = list(container(), 'envFrom');
    expect(envFrom.map((e) => find('ConfigMap', text(e, 'configMapRef', 'name')))).toHaveLength(1);
  });

  it('lets at most one pod be disrupted at a time', () => {
    const [pdb] = ofKind('PodDisruptionBudget');
    expect(at(pdb, 'spec', 'maxUnavailable')).toBe(1);
    expect(selects(record(pdb, 'spec', 'selector', 'matchLabels'), podLabels())).toBe(true);
  });
});
