/**
 * docker-compose.yml, read as docker compose reads it (YAML merge keys, ${VAR} interpolation
 * from .env.example): three nodes whose ids, peers, ports, volumes and health checks agree with
 * each other and with the image, and a monitoring profile whose Prometheus scrapes those nodes
 * and whose Grafana is provisioned with the dashboard.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePeers } from '../../packages/server/src/config.js';
import { at, isRecord, list, record, text } from './json-access.js';
import {
  dockerfileInstructions,
  dotenv,
  keelEnvNames,
  readRepoFile,
  readYaml,
  repoPath,
} from './repo-files.js';

/** Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (match: string, name: string, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      const raw: string | undefined = env[name];
      const unset = op?.startsWith(':') ? raw === undefined || raw === '' : raw === undefined;
      if (op?.endsWith('-')) return unset ? (arg ?? '') : (raw ?? '');
      if (op?.endsWith('?')) {
        if (unset) throw new Error(`required variable ${name} is missing: ${arg}`);
        return raw ?? '';
      }
      return raw ?? '';
    },
  );
}

function interpolateDeep(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  return value;
}

const exampleEnv = dotenv(readRepoFile('.env.example'));
const raw = readYaml('docker-compose.yml');
const compose = interpolateDeep(raw, exampleEnv);
const services = record(compose, 'services');
const keelServices = Object.entries(services).filter(([, service]) => at(service, 'build') !== undefined);
const dockerfile = dockerfileInstructions(readRepoFile('Dockerfile'));
const runtimeStage = Math.max(...dockerfile.map((i) => i.stage));
const imageEnv = new Map(
  dockerfile
    .filter((i) => i.stage === runtimeStage && i.keyword === 'ENV')
    .flatMap((i) =>
      [...i.args.matchAll(/(KEEL_[A-Z_]+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? ''] as const),
    ),
);

function environment(service: unknown): Record<string, string> {
  const env = record(service, 'environment');
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** "HOST:HOSTPORT:CONTAINERPORT" entries of a service's ports. */
function ports(service: unknown): { host: string; hostPort: number; containerPort: number }[] {
  return list(service, 'ports').map((entry) => {
    const [host = '', hostPort = '', containerPort = ''] = String(entry).split(':');
    return { host, hostPort: Number(hostPort), containerPort: Number(containerPort) };
  });
}

describe('docker-compose.yml', () => {
  it('runs three Keel nodes built from the Dockerfile, named after their services', () => {
    expect(keelServices.map(([name]) => name)).toEqual(['keel-1', 'keel-2', 'keel-3']);
    for (const [name, service] of keelServices) {
      expect(at(service, 'build', 'context')).toBe('.');
      expect(at(service, 'hostname')).toBe(name);
      expect(environment(service).KEEL_NODE_ID).toBe(name);
      expect(at(service, 'profiles')).toBeUndefined();
    }
  });

  it('gives every node the same peers: each node id at its service name and gRPC port', () => {
    for (const [, service] of keelServices) {
      const env = environment(service);
      expect(parsePeers(env.KEEL_PEERS ?? '')).toEqual(
        keelServices.map(([name]) => ({ id: name, host: name, port: Number(env.KEEL_GRPC_PORT) })),
      );
    }
    // The default in docker-compose.yml and the value in .env.example say the same.
    const withoutPeers = { ...exampleEnv };
    delete withoutPeers.KEEL_PEERS;
    const defaults = interpolateDeep(raw, withoutPeers);
    expect(environment(at(defaults, 'services', 'keel-1')).KEEL_PEERS).toBe(exampleEnv.KEEL_PEERS);
  });

  it('replicates the WAL between the nodes with a synchronous quorum', () => {
    for (const [, service] of keelServices) {
      const env = environment(service);
      // Without a replication port each node would be its own database behind one Raft group.
      expect(Number(env.KEEL_REPLICATION_PORT)).toBeGreaterThan(0);
      expect(env.KEEL_REPLICATION_PORT).not.toBe(env.KEEL_GRPC_PORT);
      expect(Number(env.KEEL_SYNC_REPLICAS)).toBeGreaterThanOrEqual(1);
    }
  });

  it('requires the admin password from the environment and passes only keel start settings', () => {
    const withoutPassword = { ...exampleEnv };
    delete withoutPassword.KEEL_ADMIN_PASSWORD;
    expect(() => interpolateDeep(raw, withoutPassword)).toThrow(/KEEL_ADMIN_PASSWORD is missing/);
    for (const [name, service] of keelServices) {
      const env = environment(service);
      expect(env.KEEL_ADMIN_PASSWORD).toBe(exampleEnv.KEEL_ADMIN_PASSWORD);
      for (const key of Object.keys(env)) expect(keelEnvNames, `${name}: ${key}`).toContain(key);
    }
  });

  it('keeps each node on its own named volume at the image data directory', () => {
    const volumes = record(compose, 'volumes');
    const dataDir = imageEnv.get('KEEL_DATA_DIR');
    expect(dataDir).toBe('/var/lib/keel');
    expect(dockerfile.some((i) => i.keyword === 'VOLUME' && i.args.includes(`"${dataDir}"`))).toBe(true);
    const used = keelServices.map(([name, service]) => {
      const mounts = list(service, 'volumes').map(String);
      expect(mounts, name).toEqual([`${name}-data:${dataDir}`]);
      return `${name}-data`;
    });
    expect(new Set(used).size).toBe(3);
    for (const volume of used) expect(volumes).toHaveProperty(volume);
  });

  it('publishes each node on distinct host ports, on the address from the environment', () => {
    const hostPorts = new Set<number>();
    for (const [name, service] of keelServices) {
      const published = ports(service);
      expect(
        published.map((p) => p.containerPort),
        name,
      ).toEqual([Number(imageEnv.get('KEEL_PG_PORT')), Number(imageEnv.get('KEEL_HTTP_PORT'))]);
      for (const p of published) {
        expect(p.host).toBe(exampleEnv.KEEL_PUBLISH_HOST);
        hostPorts.add(p.hostPort);
      }
    }
    expect([...hostPorts].sort((a, b) => a - b)).toEqual([5433, 5434, 5435, 8081, 8082, 8083]);
    expect(exampleEnv.KEEL_PUBLISH_HOST).toBe('127.0.0.1');
  });

  it('checks health on /health/ready and gives the shutdown time to finish before SIGKILL', () => {
    const probe = dockerfile.find((i) => i.keyword === 'COPY' && i.args.includes('probe.mjs'));
    const probeInImage = probe?.args.split(/\s+/).at(-1);
    for (const [name, service] of keelServices) {
      expect(list(service, 'healthcheck', 'test'), name).toEqual([
        'CMD',
        'node',
        probeInImage,
        '/health/ready',
      ]);
      expect(at(service, 'stop_signal')).toBe('SIGTERM');
      const graceS = Number(/^(\d+)s$/.exec(text(service, 'stop_grace_period'))?.[1]);
      expect(graceS).toBeGreaterThanOrEqual(Number(environment(service).KEEL_SHUTDOWN_TIMEOUT_S) + 5);
    }
  });

  it('puts Prometheus and Grafana in the monitoring profile, scraping every node', () => {
    const prometheus = record(services, 'prometheus');
    const grafana = record(services, 'grafana');
    expect(at(prometheus, 'profiles')).toEqual(['monitoring']);
    expect(at(grafana, 'profiles')).toEqual(['monitoring']);

    const mounts = (service: unknown) =>
      list(service, 'volumes')
        .map(String)
        .map((m) => m.split(':'))
        .filter(([source]) => source?.startsWith('./'));
    const promConfig = mounts(prometheus).find(([, target]) => target === '/etc/prometheus/prometheus.yml');
    expect(promConfig?.[0]).toBe('./deploy/prometheus/prometheus.yml');
    const scrape = parse(readRepoFile('deploy/prometheus/prometheus.yml'));
    const targets = list(scrape, 'scrape_configs', 0, 'static_configs').flatMap((c) => list(c, 'targets'));
    const httpPort = imageEnv.get('KEEL_HTTP_PORT');
    expect(targets).toEqual(keelServices.map(([name]) => `${name}:${httpPort}`));
    expect(at(scrape, 'scrape_configs', 0, 'metrics_path')).toBe('/metrics');

    for (const [source] of mounts(grafana)) expect(existsSync(repoPath(source ?? '')), source).toBe(true);
    const dashboardMount = mounts(grafana).find(
      ([source]) => source === './deploy/grafana/keel-dashboard.json',
    );
    const provider = parse(readRepoFile('deploy/grafana/provisioning/dashboards/keel.yaml'));
    expect(dashboardMount?.[1]?.startsWith(`${text(provider, 'providers', 0, 'options', 'path')}/`)).toBe(
      true,
    );
    const datasource = parse(readRepoFile('deploy/grafana/provisioning/datasources/prometheus.yaml'));
    expect(at(datasource, 'datasources', 0, 'url')).toBe('http://prometheus:9090');
    const promPorts = ports(prometheus).map((p) => p.containerPort);
    expect(promPorts).toEqual([9090]);
  });
});
