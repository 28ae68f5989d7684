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
  peers?: { id: string; role?: string; matchIndex?: number; address?: string }[];
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
  const rows: string[][] = [['NODE', 'ROLE', 'TERM', 'LEADER', 'MATCH INDEX']];
  rows.push([view.nodeId ?? '?', view.role ?? '?', String(view.term ?? '?'), view.leaderId ?? '-', '-']);
  for (const peer of view.peers ?? []) {
    rows.push([
      peer.id,
      peer.role ?? '?',
      '',
      '',
      peer.matchIndex === undefined ? '-' : String(peer.matchIndex),
    ]);
  }
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\nwritable: ${view.writable ?? 'unknown'}\n`;
}
