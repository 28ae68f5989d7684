/**
 * Real keel processes replicating on loopback, in the fixed-role mode (`--replication-role
 * primary|replica`, `--replicate-from`): no Raft orchestration decides who leads, so a test
 * chooses every role change itself (kill -9, restart as primary or as replica). Each node gets
 * its own free replication port, kept across restarts.
 * Exports: ReplicationGroup, NodeHandle, query, queryRows.
 */
import { freePort, KeelProcess, waitFor } from '@keel/testkit';
import pg from 'pg';

export interface NodeHandle {
  id: string;
  process: KeelProcess;
  replicationPort: number;
}

export async function queryRows<T extends Record<string, unknown> = Record<string, unknown>>(
  node: KeelProcess,
  sql: string,
  params: unknown[] = [],
  settings: string[] = [],
): Promise<T[]> {
  const client = new pg.Client(node.clientConfig());
  await client.connect();
  try {
    for (const setting of settings) await client.query(setting);
    const result = await client.query<T>(sql, params);
    return result.rows;
  } finally {
    await client.end();
  }
}

export async function query(node: KeelProcess, sql: string, params: unknown[] = []): Promise<void> {
  await queryRows(node, sql, params);
}

export class ReplicationGroup {
  readonly nodes = new Map<string, NodeHandle>();
  /** Every process started, restarts included (the first of a node owns its data directory). */
  private readonly started: KeelProcess[] = [];

  constructor(readonly common: string[]) {}

  node(id: string): NodeHandle {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  async startPrimary(id: string, extra: string[] = [], dataDir?: string): Promise<NodeHandle> {
    const replicationPort = this.nodes.get(id)?.replicationPort ?? (await freePort());
    const args = [
      '--node-id',
      id,
      '--replication-port',
      String(replicationPort),
      '--replication-role',
      'primary',
      ...this.common,
      ...extra,
    ];
    const process = await KeelProcess.start({ args, ...(dataDir === undefined ? {} : { dataDir }) });
    this.started.push(process);
    const handle = { id, process, replicationPort };
    this.nodes.set(id, handle);
    return handle;
  }

  /** A replica of `primary`, reaching it at `primaryPort` (a proxy) or its replication port. */
  async startReplica(
    id: string,
    primary: string,
    extra: string[] = [],
    dataDir?: string,
    primaryPort?: number,
  ): Promise<NodeHandle> {
    const replicationPort = this.nodes.get(id)?.replicationPort ?? (await freePort());
    const from = { replicationPort: primaryPort ?? this.node(primary).replicationPort };
    const args = [
      '--node-id',
      id,
      '--replication-port',
      String(replicationPort),
      '--replication-role',
      'replica',
      '--replicate-from',
      `${primary}=127.0.0.1:${from.replicationPort}`,
      ...this.common,
      ...extra,
    ];
    const process = await KeelProcess.start({ args, ...(dataDir === undefined ? {} : { dataDir }) });
    this.started.push(process);
    const handle = { id, process, replicationPort };
    this.nodes.set(id, handle);
    return handle;
  }

  /** Waits until the replica shows exactly the rows `sql` returns on the primary. */
  async converged(primary: string, replica: string, sql: string, timeoutMs = 30_000): Promise<unknown[]> {
    const expected = JSON.stringify(await queryRows(this.node(primary).process, sql));
    try {
      return await waitFor(
        async () => {
          const rows = await queryRows(this.node(replica).process, sql);
          return JSON.stringify(rows) === expected ? rows : null;
        },
        { timeoutMs, what: `${replica} to show what ${primary} has for: ${sql}` },
      );
    } catch (error) {
      // The last log lines of both sides say why (in CI there is nothing else to look at).
      const tail = (id: string) => this.node(id).process.logs.slice(-40).join('\n');
      throw new Error(
        `${String(error)}\n--- ${primary} ---\n${tail(primary)}\n--- ${replica} ---\n${tail(replica)}`,
      );
    }
  }

  /** Log lines of a node whose msg matches. */
  logs(id: string, msg: string): Record<string, unknown>[] {
    return this.node(id)
      .process.jsonLogs()
      .filter((line) => line.msg === msg);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.started.map((process) => process.dispose()));
  }
}
