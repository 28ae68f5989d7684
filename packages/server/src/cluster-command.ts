/**
 * `keel cluster ...`: operator commands that talk to a running node's HTTP endpoint.
 * `status` fetches GET /cluster and prints it as a table.
 * Exports: runClusterCommand.
 */
import type { Command } from './cli.js';
import { ConfigError } from './config.js';

type ClusterCommand = Extract<Command, { kind: 'cluster' }>;

interface ClusterView {
  nodeId?: string;
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

export async function runClusterCommand(command: ClusterCommand, env: NodeJS.ProcessEnv): Promise<number> {
  const endpoint = command.http ?? `127.0.0.1:${env.KEEL_HTTP_PORT ?? '8080'}`;
  if (command.action !== 'status')
    throw new ConfigError(`unknown cluster command "${command.action}"; run keel cluster --help`);
  let view: ClusterView;
  try {
    const response = await fetch(`http://${endpoint}/cluster`);
    view = (await response.json()) as ClusterView;
  } catch (error) {
    process.stderr.write(
      `keel: cannot reach http://${endpoint}/cluster (${error instanceof Error ? error.message : String(error)}); is the node running? pass --http HOST:PORT\n`,
    );
    return 1;
  }
  process.stdout.write(formatClusterTable(view));
  return 0;
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
