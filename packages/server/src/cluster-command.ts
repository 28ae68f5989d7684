/**
 * `keel cluster ...`: operator commands that talk to a running node's HTTP endpoint.
 * `status` fetches GET /cluster and prints it as a table. `switchover`, `failover`, `add` and
 * `remove` find the leader through that node's /cluster (the member directory holds every
 * node's HTTP address) and send the command there (cluster/admin-api.ts), with Basic
 * credentials when KEEL_ADMIN_PASSWORD is set; a leader that moved meanwhile answers 409 with
 * its successor, which is tried once.
 * Exports: runClusterCommand, formatClusterTable.
 */
import type { Command } from './cli.js';
import { ConfigError } from './config.js';

type ClusterCommand = Extract<Command, { kind: 'cluster' }>;

interface ClusterView {
  nodeId?: string;
  members?: { nodeId: string; host: string; httpPort: number }[];
  role?: string;
  term?: number;
  leaderId?: string | null;
  writable?: boolean;
  peers?: {
    id: string;
    voter?: boolean;
    matchIndex?: number | null;
    address?: string | null;
    recentActive?: boolean | null;
  }[];
}

type Request = { method: 'POST' | 'DELETE'; path: string; body: Record<string, unknown> };

function requestFor(command: ClusterCommand): Request {
  const [first, ...extra] = command.args;
  const to = command.toNode === undefined ? {} : { to: command.toNode };
  switch (command.action) {
    case 'switchover':
    case 'failover':
      if (first !== undefined)
        throw new ConfigError(`keel cluster ${command.action} takes no argument; use --to ID`);
      return { method: 'POST', path: `/cluster/${command.action}`, body: to };
    case 'add': {
      const match = /^([A-Za-z0-9_.-]+)=([^:\s]+:\d+)$/.exec(first ?? '');
      if (match === null || extra.length > 0) throw new ConfigError('usage: keel cluster add ID=HOST:PORT');
      return { method: 'POST', path: '/cluster/members', body: { id: match[1], address: match[2] } };
    }
    case 'remove':
      if (first === undefined || extra.length > 0 || !/^[A-Za-z0-9_.-]+$/.test(first))
        throw new ConfigError('usage: keel cluster remove ID');
      return { method: 'DELETE', path: `/cluster/members/${first}`, body: {} };
    default:
      throw new ConfigError(`unknown cluster command "${command.action}"; run keel cluster --help`);
  }
}

async function fetchView(endpoint: string): Promise<ClusterView> {
  const response = await fetch(`http://${endpoint}/cluster`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as ClusterView;
}

function leaderEndpoint(view: ClusterView, asked: string): string | null {
  if (view.leaderId === null || view.leaderId === undefined) return null;
  if (view.leaderId === view.nodeId) return asked;
  const leader = view.members?.find((m) => m.nodeId === view.leaderId);
  if (leader === undefined) return null;
  return `${leader.host.includes(':') ? `[${leader.host}]` : leader.host}:${leader.httpPort}`;
}

async function send(endpoint: string, request: Request, env: NodeJS.ProcessEnv) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const password = env.KEEL_ADMIN_PASSWORD;
  if (password !== undefined && password !== '')
    headers.authorization = `Basic ${Buffer.from(`keel:${password}`).toString('base64')}`;
  const response = await fetch(`http://${endpoint}${request.path}`, {
    method: request.method,
    headers,
    body: JSON.stringify(request.body),
    signal: AbortSignal.timeout(15 * 60_000),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body };
}

export async function runClusterCommand(command: ClusterCommand, env: NodeJS.ProcessEnv): Promise<number> {
  const endpoint = command.http ?? `127.0.0.1:${env.KEEL_HTTP_PORT ?? '8080'}`;
  const request = command.action === 'status' ? null : requestFor(command);
  let view: ClusterView;
  try {
    view = await fetchView(endpoint);
  } catch (error) {
    process.stderr.write(
      `keel: cannot reach http://${endpoint}/cluster (${error instanceof Error ? error.message : String(error)}); is the node running? pass --http HOST:PORT\n`,
    );
    return 1;
  }
  if (request === null) {
    process.stdout.write(formatClusterTable(view));
    return 0;
  }
  // An election may be running: look for the leader again for up to 15 s before giving up.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const target = leaderEndpoint(view, endpoint);
    if (target !== null) {
      const answer = await send(target, request, env);
      if (answer.status >= 200 && answer.status < 300) {
        process.stdout.write(`${describe(command.action, answer.body)}\n`);
        return 0;
      }
      if (answer.status !== 409) {
        const hint = typeof answer.body.hint === 'string' ? ` (${answer.body.hint})` : '';
        process.stderr.write(
          `keel: ${command.action} failed: ${String(answer.body.error ?? answer.status)}${hint}\n`,
        );
        return 1;
      }
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
    view = await fetchView(endpoint).catch(() => view);
  }
  const leaderId = view.leaderId ?? null;
  process.stderr.write(
    leaderId === null
      ? `keel: no leader is known to ${endpoint} (it reports role ${view.role ?? '?'} in term ${view.term ?? '?'}); try again once the cluster has elected one\n`
      : `keel: the leader ${leaderId} cannot be reached through ${endpoint} (its HTTP address is not registered yet, or it moved); try again\n`,
  );
  return 1;
}

function describe(action: string, body: Record<string, unknown>): string {
  switch (action) {
    case 'switchover':
    case 'failover':
      return `${action}: primary moved from ${String(body.from)} to ${String(body.to)} (term ${String(body.term)})`;
    case 'add':
      return `added ${String(body.added)} as a voter`;
    default:
      return `removed ${String(body.removed)}`;
  }
}

export function formatClusterTable(view: ClusterView): string {
  const rows: string[][] = [['NODE', 'ROLE', 'ADDRESS', 'MATCH INDEX', 'ACTIVE']];
  rows.push([`${view.nodeId ?? '?'} (this node)`, view.role ?? '?', '-', '-', '-']);
  for (const peer of view.peers ?? []) {
    const role = peer.id === view.leaderId ? 'leader' : peer.voter === false ? 'learner' : 'voter';
    const match = peer.matchIndex === undefined || peer.matchIndex === null ? '-' : String(peer.matchIndex);
    const active =
      peer.recentActive === undefined || peer.recentActive === null ? '-' : peer.recentActive ? 'yes' : 'no';
    rows.push([peer.id, role, peer.address ?? '-', match, active]);
  }
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const table = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const header = `term ${view.term ?? '?'}, leader ${view.leaderId ?? 'none'}, writable here: ${view.writable ?? 'unknown'}`;
  return `${header}\n${table.join('\n')}\n`;
}
