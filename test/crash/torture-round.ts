/**
 * One seeded round of the crash torture test, on one data directory:
 *
 *   cycle 1  start a node, create the tables, run the clients, SIGKILL it after a seeded
 *            number of acknowledged commits;
 *   cycle 2+ restart it (for fault cycles with KEEL_FAULT armed: SIGKILL by the node itself
 *            between WAL write and fsync, after the fsync, halfway through a page write,
 *            halfway through a checkpoint's page writes, or before the checkpoint's control
 *            file), verify it against the model, run the clients until the node dies (by the
 *            fault, or by our SIGKILL after a seeded number of acknowledged commits);
 *   final    restart without faults, verify, show it still serves (more transactions, verify
 *            again), stop it cleanly (exit 0), then check every page and B-tree offline.
 *
 * A node may also die while starting (recovery, then a checkpoint, can reach a fault point) or
 * while being verified; then the next cycle verifies instead. Checkpoints run every second and
 * the buffer pool is tiny in most rounds, so page writes (eviction, background writer,
 * checkpoints) happen all the time. Everything the seed decides is replayable; the timing of
 * the clients and of the kill is not.
 * Exports: runTortureRound, RoundOptions, RoundReport, cycleModes.
 */
import { KeelProcess, Prng, waitFor } from '@keel/testkit';
import pg from 'pg';
import { checkDataDirectory } from './offline-check.js';
import { fixedTables, type TableSpec, TortureModel } from './torture-model.js';
import { readNode } from './torture-verify.js';
import { ClientWorkload, type WorkloadShared } from './torture-workload.js';

export const cycleModes = [
  'sigkill',
  'wal-after-write-before-fsync',
  'wal-after-fsync',
  'page-write-midway',
  'checkpoint-midway',
  'checkpoint-before-control-file',
] as const;
type CycleMode = (typeof cycleModes)[number];

/** Per-arrival firing probability of each fault point (checkpoints come once a second). */
const faultProbability: Record<Exclude<CycleMode, 'sigkill'>, number> = {
  'wal-after-write-before-fsync': 0.03,
  'wal-after-fsync': 0.03,
  'page-write-midway': 0.01,
  'checkpoint-midway': 0.3,
  'checkpoint-before-control-file': 0.3,
};

export interface RoundOptions {
  cycles: number;
  clients: number;
}

export interface RoundReport {
  seed: number;
  violations: string[];
  /** One line per step: what was armed, how the node died, what the in-doubt commits became. */
  log: string[];
}

const SCHEMA = [
  'CREATE TABLE acct (id int4 PRIMARY KEY, owner int4 NOT NULL, balance int8 NOT NULL, note text)',
  'CREATE INDEX acct_owner ON acct (owner)',
  'CREATE TABLE blob (id int4 PRIMARY KEY, tag int4 NOT NULL, body text NOT NULL)',
  'CREATE INDEX blob_tag ON blob (tag)',
  'CREATE TABLE ledger (id int4 PRIMARY KEY, client int4 NOT NULL)',
  'CREATE TABLE counter (id int4 PRIMARY KEY, n int8 NOT NULL)',
  'INSERT INTO counter VALUES (1, 0)',
];

class Round {
  readonly rng: Prng;
  readonly model = new TortureModel();
  readonly violations: string[] = [];
  readonly log: string[] = [];
  readonly args: string[];
  /** Per-client id counters, kept across cycles. */
  readonly ids: { next: number }[];
  dataDir = '';
  /** Indexes some verification checked through an Index Scan. */
  readonly indexScans = new Set<string>();
  /** The node running now, if any (killed when the round ends early). */
  current: KeelProcess | null = null;
  private readonly startedAt = performance.now();

  note(line: string): void {
    this.log.push(`${((performance.now() - this.startedAt) / 1000).toFixed(1).padStart(5)}s ${line}`);
  }

  constructor(
    readonly seed: number,
    readonly options: RoundOptions,
  ) {
    this.rng = new Prng(seed);
    const poolMb = this.rng.pick([1, 2, 2, 128]);
    const policy = this.rng.pick(['clock', 'lru', '2q', 'arc']);
    this.args = [
      '--checkpoint-interval-s',
      '1',
      '--checkpoint-wal-mb',
      '16',
      '--buffer-pool-mb',
      String(poolMb),
      '--eviction-policy',
      policy,
    ];
    this.ids = Array.from({ length: options.clients }, () => ({ next: 0 }));
    this.note(`seed ${seed}: ${this.args.join(' ')}`);
  }

  async start(env: Record<string, string> = {}): Promise<KeelProcess | 'died-starting'> {
    try {
      this.current = await KeelProcess.start({
        ...(this.dataDir === '' ? {} : { dataDir: this.dataDir }),
        args: this.args,
        env,
        readyTimeoutMs: 90_000,
      });
      return this.current;
    } catch (err) {
      const message = String(err);
      if (env.KEEL_FAULT !== undefined && /exited \(code null, signal SIGKILL\) before ready/.test(message)) {
        return 'died-starting';
      }
      throw err;
    }
  }

  async connect(node: KeelProcess): Promise<pg.Client> {
    const client = new pg.Client(node.clientConfig());
    client.on('error', () => {}); // the node dies under open connections; queries report it
    await client.connect();
    return client;
  }

  /** Verifies the node against the model; false when the node died during it (a fault fired). */
  async verify(node: KeelProcess, what: string): Promise<boolean> {
    let conn: pg.Client | null = null;
    try {
      conn = await this.connect(node);
      const specs = new Map<string, TableSpec>();
      const expectedIds = new Map<string, number[]>();
      for (const name of this.model.tableNames()) {
        const spec = this.model.table(name);
        if (spec !== null) specs.set(name, spec);
        expectedIds.set(name, [...this.model.rowsOf(name).keys()]);
      }
      for (const spec of fixedTables) if (!specs.has(spec.name)) specs.set(spec.name, spec);
      const reading = await readNode(conn, specs, expectedIds);
      for (const index of reading.indexScans) this.indexScans.add(index);
      const resolved = this.model.resolve(reading.observed);
      this.note(
        `${what}: verified${resolved.outcomes.length > 0 ? `; in doubt ${resolved.outcomes.join(', ')}` : ''}`,
      );
      const problems = [
        ...reading.violations,
        ...resolved.violations,
        ...this.model.compare(reading.observed),
      ];
      for (const p of problems) this.violations.push(`${what}: ${p}`);
      return true;
    } catch (err) {
      if (await died(node)) {
        this.note(`${what}: the node died during verification (${String(err).slice(0, 80)})`);
        return false;
      }
      throw err;
    } finally {
      await conn?.end().catch(() => {});
    }
  }

  /**
   * Runs the clients until the node is dead: by the armed fault, or by our SIGKILL after
   * `killAfter` acknowledged commits (after `cap` when a fault was armed but never fired).
   */
  async workload(node: KeelProcess, cycle: number, killAfter: number | null, cap: number): Promise<string> {
    const kill: { sent: Promise<void> | null } = { sent: null };
    const shared: WorkloadShared = {
      model: this.model,
      stop: false,
      acked: 0,
      violations: [],
      onAck: () => {
        if (shared.acked >= (killAfter ?? cap) && kill.sent === null) kill.sent = node.kill9();
      },
    };
    const opened = await Promise.allSettled(this.ids.map(() => this.connect(node)));
    const conns = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    if (conns.length < opened.length) {
      for (const conn of conns) await conn.end().catch(() => {});
      if (await died(node)) return 'died before the clients connected';
      throw new Error(`cycle ${cycle}: clients could not connect to a running node`);
    }
    await Promise.all(
      conns.map((conn, c) =>
        new ClientWorkload(c, new Prng(this.seed * 1000 + cycle * 31 + c), shared, conn, this.idsOf(c)).run(),
      ),
    );
    if (!(await died(node))) {
      this.violations.push(`cycle ${cycle}: every client lost its connection while the node kept running`);
      await node.kill9();
    }
    for (const conn of conns) await conn.end().catch(() => {});
    this.violations.push(...shared.violations.map((v) => `cycle ${cycle}: ${v}`));
    const how =
      kill.sent === null
        ? 'died at the fault point'
        : killAfter === null
          ? 'fault never fired, killed'
          : 'killed';
    return `${how} after ${shared.acked} acknowledged commits, ${this.model.pendingInDoubt} in doubt`;
  }

  idsOf(client: number): { next: number } {
    const ids = this.ids[client];
    if (ids === undefined) throw new Error(`no client ${client}`);
    return ids;
  }

  /** A last stretch of transactions that ends by itself (the node keeps serving). */
  async serve(node: KeelProcess, commits: number): Promise<void> {
    const shared: WorkloadShared = {
      model: this.model,
      stop: false,
      acked: 0,
      violations: [],
      onAck: () => {
        if (shared.acked >= commits) shared.stop = true;
      },
    };
    const conns = await Promise.all(this.ids.map(() => this.connect(node)));
    await Promise.all(
      conns.map((conn, c) =>
        new ClientWorkload(c, new Prng(this.seed * 7 + c), shared, conn, this.idsOf(c)).run(),
      ),
    );
    for (const conn of conns) await conn.end();
    this.violations.push(...shared.violations.map((v) => `final: ${v}`));
    if (this.model.pendingInDoubt > 0) this.violations.push('a commit went unanswered while the node was up');
  }
}

/** Whether the node's process has exited (waits briefly: a lost connection may precede the exit). */
async function died(node: KeelProcess): Promise<boolean> {
  try {
    await waitFor(() => node.child.exitCode !== null || node.child.signalCode !== null, {
      timeoutMs: 5_000,
      what: 'the node to exit',
    });
    return true;
  } catch {
    return false;
  }
}

/** Cycle 1 is always a plain SIGKILL; later cycles rotate through every mode across seeds. */
function modeOf(seed: number, cycle: number, cycles: number): CycleMode {
  return cycleModes[(seed * (cycles - 1) + cycle) % cycleModes.length] ?? 'sigkill';
}

export async function runTortureRound(seed: number, options: RoundOptions): Promise<RoundReport> {
  const round = new Round(seed, options);
  const first = await round.start();
  if (first === 'died-starting') throw new Error('the first start cannot die: no faults are armed');
  round.dataDir = first.dataDir;
  try {
    const setup = await round.connect(first);
    await setup.query(SCHEMA.join(';\n')); // one round trip, one transaction
    await setup.end();
    round.note('cycle 1 (sigkill): schema created');
    round.note(`cycle 1 (sigkill): ${await round.workload(first, 1, round.rng.int(10, 250), 800)}`);
    for (let cycle = 2; cycle <= options.cycles; cycle++) {
      const mode = modeOf(seed, cycle, options.cycles);
      const env: Record<string, string> =
        mode === 'sigkill' ? {} : { KEEL_FAULT: `${mode}:${faultProbability[mode]}:${seed * 31 + cycle}` };
      const what = `cycle ${cycle} (${mode})`;
      const node = await round.start(env);
      if (node === 'died-starting') {
        round.note(`${what}: died while starting (recovery or its first checkpoint)`);
        continue;
      }
      round.note(`${what}: up`);
      if (!(await round.verify(node, `${what} after restart`))) continue;
      const killAfter = mode === 'sigkill' ? round.rng.int(10, 250) : null;
      round.note(`${what}: ${await round.workload(node, cycle, killAfter, 800)}`);
    }
    const last = await round.start();
    if (last === 'died-starting') throw new Error('the final start cannot die: no faults are armed');
    await round.verify(last, 'final restart');
    await round.serve(last, 40);
    await round.verify(last, 'after serving again');
    const exit = await last.stop();
    if (exit.code !== 0) round.violations.push(`clean stop exited with ${JSON.stringify(exit)}`);
    round.violations.push(...(await checkDataDirectory(round.dataDir)));
    round.note('stopped cleanly, data directory checked offline');
    // The tables the clients grow must have had every index checked through an Index Scan.
    for (const spec of fixedTables) {
      if (spec.index === null) continue;
      for (const index of [`${spec.name}_pkey`, spec.index.name]) {
        if (!round.indexScans.has(index)) {
          round.violations.push(
            `${index} was never checked through an Index Scan (the planner chose otherwise)`,
          );
        }
      }
    }
    round.note(`checked through index scans: ${[...round.indexScans].sort().join(', ')}`);
  } catch (err) {
    // A node that cannot start (failed recovery), a verification query that errs: the round
    // ends here, reported with its log like any other violation.
    const message = err instanceof Error ? err.message : String(err);
    round.violations.push(`round aborted: ${message.length > 1500 ? `...${message.slice(-1500)}` : message}`);
  } finally {
    await round.current?.kill9();
    await first.dispose();
  }
  return { seed, violations: round.violations, log: round.log };
}
