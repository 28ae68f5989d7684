/**
 * Node configuration: every option of `keel start`, resolved from command-line flags, then
 * `KEEL_*` environment variables, then defaults. Each option is declared once in `optionSpecs`,
 * which also drives the `--help` text, so help and behaviour cannot drift apart.
 * Exports: NodeConfig, optionSpecs, resolveConfig, ConfigError.
 */
import path from 'node:path';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type EvictionPolicyName = 'clock' | 'lru' | '2q' | 'arc';
export type AuthMethod = 'scram-sha-256' | 'md5';

export interface PeerAddress {
  id: string;
  host: string;
  port: number;
}

export interface NodeConfig {
  dataDir: string;
  pgHost: string;
  pgPort: number;
  httpHost: string;
  httpPort: number;
  logLevel: LogLevel;
  bufferPoolMb: number;
  evictionPolicy: EvictionPolicyName;
  maxConnections: number;
  authMethod: AuthMethod;
  checkpointIntervalS: number;
  checkpointWalMb: number;
  shutdownTimeoutS: number;
  nodeId: string | null;
  grpcHost: string;
  grpcPort: number | null;
  peers: PeerAddress[];
  join: boolean;
  clusterName: string;
  advertiseHost: string | null;
  pgReadPort: number | null;
  dnsPort: number | null;
  onRoleChange: string | null;
  healthIntervalMs: number;
  replicationPeers: PeerAddress[];
  /** Replication (packages/replication): its gRPC port, roles, synchronous quorum, WAL kept. */
  replicationPort: number | null;
  replicationRole: 'auto' | 'primary' | 'replica';
  replicateFrom: PeerAddress | null;
  syncReplicas: number;
  syncTimeoutMs: number;
  walKeepMb: number;
  /** Kubernetes role label (cluster/pod-labeler.ts): on when pod and namespace are set. */
  k8sPodName: string | null;
  k8sNamespace: string | null;
  k8sApiUrl: string | null;
  k8sTokenFile: string;
}

/** A bad flag or environment value; the CLI prints it with the option's help and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string, name: string) => T;

interface OptionSpec<K extends keyof NodeConfig> {
  key: K;
  flag: string;
  env: string;
  valueName: string;
  description: string;
  defaultValue: NodeConfig[K];
  parse: Parser<NodeConfig[K]>;
  /** A flag without a value (`--join`); its environment variable takes true/false. */
  boolean?: true;
}

/** A duration: milliseconds, or a number with ms, s or min. */
const duration: Parser<number> = (raw, name) => {
  const match = /^\s*(\d+)\s*(ms|s|min)?\s*$/.exec(raw);
  if (match === null)
    throw new ConfigError(`${name} must be a duration such as 500ms, 5s or 1min, got "${raw}"`);
  const unit = match[2] === 'min' ? 60_000 : match[2] === 's' ? 1000 : 1;
  return Number(match[1]) * unit;
};

const bool: Parser<boolean> = (raw, name) => {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
};

const integer =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    }
    return value;
  };

const port = integer(0, 65535);

const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw, name) => {
    const value = raw.trim().toLowerCase();
    const match = values.find((candidate) => candidate === value);
    if (match === undefined)
      throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return match;
  };

const text: Parser<string> = (raw, name) => {
  if (raw.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return raw.trim();
};

/** `ID=HOST:PORT,ID=HOST:PORT`; the node's own entry may be included and is ignored later. */
export function parsePeers(raw: string, name = '--peers'): PeerAddress[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const match = /^\s*([A-Za-z0-9_.-]+)=([^:\s]+):(\d+)\s*$/.exec(entry);
    if (match === null) throw new ConfigError(`${name}: expected ID=HOST:PORT, got "${entry.trim()}"`);
    const [, id = '', host = '', portText = ''] = match;
    return { id, host, port: port(portText, name) };
  });
}

function spec<K extends keyof NodeConfig>(s: OptionSpec<K>): OptionSpec<K> {
  return s;
}

export const optionSpecs = [
  spec({
    key: 'dataDir',
    flag: 'data-dir',
    env: 'KEEL_DATA_DIR',
    valueName: 'DIR',
    description: 'data directory (created on first start)',
    defaultValue: './data',
    parse: text,
  }),
  spec({
    key: 'pgHost',
    flag: 'pg-host',
    env: 'KEEL_PG_HOST',
    valueName: 'HOST',
    description: 'address the PostgreSQL protocol listens on',
    defaultValue: '127.0.0.1',
    parse: text,
  }),
  spec({
    key: 'pgPort',
    flag: 'pg-port',
    env: 'KEEL_PG_PORT',
    valueName: 'N',
    description: 'PostgreSQL protocol port (0 picks a free port)',
    defaultValue: 5433,
    parse: port,
  }),
  spec({
    key: 'httpHost',
    flag: 'http-host',
    env: 'KEEL_HTTP_HOST',
    valueName: 'HOST',
    description: 'address the HTTP endpoints (health, metrics, cluster) listen on',
    defaultValue: '127.0.0.1',
    parse: text,
  }),
  spec({
    key: 'httpPort',
    flag: 'http-port',
    env: 'KEEL_HTTP_PORT',
    valueName: 'N',
    description: 'HTTP port for /health/live, /health/ready, /metrics, /cluster (0 picks a free port)',
    defaultValue: 8080,
    parse: port,
  }),
  spec({
    key: 'logLevel',
    flag: 'log-level',
    env: 'KEEL_LOG_LEVEL',
    valueName: 'LEVEL',
    description: 'trace, debug, info, warn, error, fatal or silent',
    defaultValue: 'info',
    parse: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const),
  }),
  spec({
    key: 'bufferPoolMb',
    flag: 'buffer-pool-mb',
    env: 'KEEL_BUFFER_POOL_MB',
    valueName: 'N',
    description: 'buffer pool size in MiB',
    defaultValue: 128,
    parse: integer(1, 1 << 20),
  }),
  spec({
    key: 'evictionPolicy',
    flag: 'eviction-policy',
    env: 'KEEL_EVICTION_POLICY',
    valueName: 'NAME',
    description: 'buffer pool replacement policy: clock, lru, 2q or arc',
    defaultValue: '2q',
    parse: oneOf(['clock', 'lru', '2q', 'arc'] as const),
  }),
  spec({
    key: 'maxConnections',
    flag: 'max-connections',
    env: 'KEEL_MAX_CONNECTIONS',
    valueName: 'N',
    description: 'maximum concurrent client connections',
    defaultValue: 100,
    parse: integer(1, 100_000),
  }),
  spec({
    key: 'authMethod',
    flag: 'auth-method',
    env: 'KEEL_AUTH_METHOD',
    valueName: 'METHOD',
    description: 'password authentication: scram-sha-256 or md5',
    defaultValue: 'scram-sha-256',
    parse: oneOf(['scram-sha-256', 'md5'] as const),
  }),
  spec({
    key: 'checkpointIntervalS',
    flag: 'checkpoint-interval-s',
    env: 'KEEL_CHECKPOINT_INTERVAL_S',
    valueName: 'N',
    description: 'seconds between automatic checkpoints',
    defaultValue: 60,
    parse: integer(1, 86_400),
  }),
  spec({
    key: 'checkpointWalMb',
    flag: 'checkpoint-wal-mb',
    env: 'KEEL_CHECKPOINT_WAL_MB',
    valueName: 'N',
    description: 'WAL volume in MiB that triggers a checkpoint before the interval ends',
    defaultValue: 256,
    parse: integer(16, 1 << 20),
  }),
  spec({
    key: 'shutdownTimeoutS',
    flag: 'shutdown-timeout-s',
    env: 'KEEL_SHUTDOWN_TIMEOUT_S',
    valueName: 'N',
    description: 'on SIGTERM/SIGINT, seconds running statements may finish before they are cancelled',
    defaultValue: 10,
    parse: integer(0, 3600),
  }),
  spec({
    key: 'nodeId',
    flag: 'node-id',
    env: 'KEEL_NODE_ID',
    valueName: 'ID',
    description: "this node's id in the cluster (cluster mode)",
    defaultValue: null,
    parse: text,
  }),
  spec({
    key: 'grpcHost',
    flag: 'grpc-host',
    env: 'KEEL_GRPC_HOST',
    valueName: 'HOST',
    description: 'address the cluster gRPC service listens on',
    defaultValue: '127.0.0.1',
    parse: text,
  }),
  spec({
    key: 'grpcPort',
    flag: 'grpc-port',
    env: 'KEEL_GRPC_PORT',
    valueName: 'N',
    description: 'cluster gRPC port (Raft and WAL shipping)',
    defaultValue: null,
    parse: port,
  }),
  spec({
    key: 'peers',
    flag: 'peers',
    env: 'KEEL_PEERS',
    valueName: 'ID=HOST:PORT,...',
    description: "the cluster's members, this node included; without it the node is a single-node group",
    defaultValue: [],
    parse: parsePeers,
  }),
  spec({
    key: 'join',
    flag: 'join',
    env: 'KEEL_JOIN',
    valueName: '',
    description: 'join a running cluster: wait to be added (keel cluster add) instead of bootstrapping',
    defaultValue: false,
    parse: bool,
    boolean: true,
  }),
  spec({
    key: 'clusterName',
    flag: 'cluster-name',
    env: 'KEEL_CLUSTER_NAME',
    valueName: 'NAME',
    description: 'cluster name: the DNS zone (primary.NAME, replicas.NAME) and the hook argument',
    defaultValue: 'keel',
    parse: text,
  }),
  spec({
    key: 'advertiseHost',
    flag: 'advertise-host',
    env: 'KEEL_ADVERTISE_HOST',
    valueName: 'HOST',
    description: 'address clients and peers reach this node at (DNS answers, routing); default --pg-host',
    defaultValue: null,
    parse: text,
  }),
  spec({
    key: 'pgReadPort',
    flag: 'pg-read-port',
    env: 'KEEL_PG_READ_PORT',
    valueName: 'N',
    description: 'extra PostgreSQL port for read-only sessions served by this node (0 picks a free port)',
    defaultValue: null,
    parse: port,
  }),
  spec({
    key: 'dnsPort',
    flag: 'dns-port',
    env: 'KEEL_DNS_PORT',
    valueName: 'N',
    description: 'UDP/TCP port of the DNS responder for primary.NAME and replicas.NAME (on --pg-host)',
    defaultValue: null,
    parse: port,
  }),
  spec({
    key: 'onRoleChange',
    flag: 'on-role-change',
    env: 'KEEL_ON_ROLE_CHANGE',
    valueName: 'CMD',
    description: 'shell command run on every role change with ROLE NODE_ID TERM CLUSTER ($1..$4)',
    defaultValue: null,
    parse: text,
  }),
  spec({
    key: 'healthIntervalMs',
    flag: 'health-interval-ms',
    env: 'KEEL_HEALTH_INTERVAL_MS',
    valueName: 'N',
    description: 'how often the health monitor probes this node and its peers',
    defaultValue: 500,
    parse: integer(50, 60_000),
  }),
  spec({
    key: 'replicationPeers',
    flag: 'replication-peers',
    env: 'KEEL_REPLICATION_PEERS',
    valueName: 'ID=HOST:PORT,...',
    description: "where this node reaches peers' replication ports, overriding the addresses they register",
    defaultValue: [],
    parse: (raw, name) => parsePeers(raw, name),
  }),
  spec({
    key: 'replicationPort',
    flag: 'replication-port',
    env: 'KEEL_REPLICATION_PORT',
    valueName: 'N',
    description: 'gRPC port of WAL shipping (0 picks a free port); enables replication',
    defaultValue: null,
    parse: port,
  }),
  spec({
    key: 'replicationRole',
    flag: 'replication-role',
    env: 'KEEL_REPLICATION_ROLE',
    valueName: 'ROLE',
    description:
      'auto (the cluster elects the primary), or a fixed primary or replica (tests, manual setups)',
    defaultValue: 'auto',
    parse: oneOf(['auto', 'primary', 'replica'] as const),
  }),
  spec({
    key: 'replicateFrom',
    flag: 'replicate-from',
    env: 'KEEL_REPLICATE_FROM',
    valueName: 'ID=HOST:PORT',
    description: 'with --replication-role replica: the primary to follow, at its --replication-port',
    defaultValue: null,
    parse: (raw, name) => {
      const [peer, ...more] = parsePeers(raw, name);
      if (peer === undefined || more.length > 0) throw new ConfigError(`${name}: expected one ID=HOST:PORT`);
      return peer;
    },
  }),
  spec({
    key: 'syncReplicas',
    flag: 'sync-replicas',
    env: 'KEEL_SYNC_REPLICAS',
    valueName: 'N',
    description:
      'a commit waits until N replicas flushed it (0: asynchronous); N >= half the other nodes for zero loss',
    defaultValue: 0,
    parse: integer(0, 64),
  }),
  spec({
    key: 'syncTimeoutMs',
    flag: 'sync-timeout',
    env: 'KEEL_SYNC_TIMEOUT',
    valueName: 'DURATION',
    description:
      'a commit waiting this long for enough synchronous replicas fails with 40000 (0: wait forever); 500ms, 5s, 1min',
    defaultValue: 0,
    parse: duration,
  }),
  spec({
    key: 'walKeepMb',
    flag: 'wal-keep-mb',
    env: 'KEEL_WAL_KEEP_MB',
    valueName: 'N',
    description: 'WAL the primary keeps for lagging replicas, in MiB; a replica further behind re-bootstraps',
    defaultValue: 1024,
    parse: integer(1, 1 << 20),
  }),
  spec({
    key: 'k8sPodName',
    flag: 'k8s-pod-name',
    env: 'KEEL_K8S_POD_NAME',
    valueName: 'NAME',
    description: 'with --k8s-namespace: label this pod keel/role=primary|replica on role changes',
    defaultValue: null,
    parse: text,
  }),
  spec({
    key: 'k8sNamespace',
    flag: 'k8s-namespace',
    env: 'KEEL_K8S_NAMESPACE',
    valueName: 'NAME',
    description: 'the namespace of --k8s-pod-name',
    defaultValue: null,
    parse: text,
  }),
  spec({
    key: 'k8sApiUrl',
    flag: 'k8s-api-url',
    env: 'KEEL_K8S_API_URL',
    valueName: 'URL',
    description: 'Kubernetes API server (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)',
    defaultValue: null,
    parse: text,
  }),
  spec({
    key: 'k8sTokenFile',
    flag: 'k8s-token-file',
    env: 'KEEL_K8S_TOKEN_FILE',
    valueName: 'FILE',
    description: 'bearer token for the Kubernetes API (the mounted ServiceAccount token)',
    defaultValue: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    parse: text,
  }),
] as const;

export type FlagValues = Readonly<Record<string, string | undefined>>;

/** Flags win over environment variables, which win over defaults. */
export function resolveConfig(flags: FlagValues, env: NodeJS.ProcessEnv): NodeConfig {
  const config: Record<string, unknown> = {};
  for (const option of optionSpecs) {
    const fromFlag = flags[option.flag];
    const fromEnv = env[option.env];
    if (fromFlag !== undefined) config[option.key] = option.parse(fromFlag, `--${option.flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') config[option.key] = option.parse(fromEnv, option.env);
    else config[option.key] = option.defaultValue;
  }
  const resolved = config as unknown as NodeConfig;
  resolved.dataDir = path.resolve(resolved.dataDir);
  return resolved;
}
