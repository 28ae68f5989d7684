#!/usr/bin/env node
// The failover drill (issue 10, point 3): a write load with a checker, then a disruption, then a
// report. Run it through `scripts/drill` (see README.md, "Failover drill"):
//
//   scripts/drill --local [--scenario kill|switchover|partition|all] [--rounds N] [--json]
//                 [--sync-replicas N] [--writers N] [--replication | --no-replication]
//
// Each round:
//   1. waits for a writable primary and a steady load (writers acknowledged commits);
//   2. disrupts: kill -9 of the primary (`docker kill` under compose), `keel cluster switchover`,
//      or a network partition that cuts the primary off (the fault proxies; heals after);
//   3. measures, from the moment of the disruption (t0):
//        detect  a surviving node no longer names the old leader (or has a newer term)
//        elect   a surviving node is leader in a newer term
//        rto     writes resumed: the acknowledged commit that ends the longest pause in
//                acknowledgements between t0 and 2 s after a writable new primary was seen
//   4. restarts the old primary (kill) or heals the partition, and waits for it to follow the
//      new primary (rejoined);
//   5. checks every acknowledged commit against the new primary: lost = acknowledged, absent.
//      For a partition it also counts commits the cut-off primary acknowledged after its lease
//      ran out (must be 0) and compares the old primary's rows with the new primary's once it
//      caught up (diverged).
// The writers connect the way libpq does with a multi-host string and
// target_session_attrs=read-write: each node's PostgreSQL port in turn, the first whose session
// is read-write. Every node routes sessions to the primary, so any live node will do.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { composeCluster, startLocalCluster } from './drill-cluster.mjs';

const require = createRequire(new URL('../test/package.json', import.meta.url));
const pg = require('pg');

function parseArgs(argv) {
  const options = {
    local: false,
    scenario: 'kill',
    rounds: 1,
    json: false,
    syncReplicas: null,
    writers: 4,
    replication: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    if (arg === '--local') options.local = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--scenario') options.scenario = value();
    else if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--sync-replicas') options.syncReplicas = Number(value());
    else if (arg === '--writers') options.writers = Number(value());
    else if (arg === '--replication') options.replication = true;
    else if (arg === '--no-replication') options.replication = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: scripts/drill --local [--scenario kill|switchover|partition|all] [--rounds N] [--json]\n' +
          '                     [--sync-replicas N] [--writers N] [--replication|--no-replication]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  if (!['kill', 'switchover', 'partition', 'all'].includes(options.scenario))
    throw new Error(`unknown scenario ${options.scenario}`);
  return options;
}

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (options, text) => {
  if (!options.json) process.stderr.write(`${text}\n`);
};

async function waitFor(probe, what, timeoutMs = 30_000, intervalMs = 10) {
  const deadline = now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // not yet
    }
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Writers: each inserts rows with unique ids and records the ones whose commit was acknowledged. */
class Load {
  constructor(cluster, count) {
    this.cluster = cluster;
    this.count = count;
    this.acked = new Map();
    this.ackTimes = [];
    this.stopped = false;
    this.running = [];
    this.pinned = null;
  }

  async connect() {
    for (const id of this.cluster.nodes()) {
      const client = new pg.Client({
        host: this.cluster.host(id),
        port: this.cluster.pgPort(id),
        user: 'keel',
        password: this.cluster.password,
        database: 'keel',
        connectionTimeoutMillis: 2000,
        query_timeout: 5000,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        const { rows } = await client.query('SHOW transaction_read_only');
        if (rows[0]?.transaction_read_only === 'off') return client;
      } catch {
        // next host
      }
      client.end().catch(() => {});
    }
    return null;
  }

  start() {
    for (let w = 0; w < this.count; w++) this.running.push(this.writer(w));
  }

  async writer(w) {
    let seq = 0;
    let client = null;
    while (!this.stopped) {
      if (client === null) {
        client = await this.connect();
        if (client === null) {
          await sleep(20);
          continue;
        }
      }
      const id = (w + 1) * 1_000_000_000 + ++seq;
      try {
        await client.query('INSERT INTO drill_log (id, writer) VALUES ($1, $2)', [id, w]);
        const at = now();
        this.acked.set(id, at);
        this.ackTimes.push(at);
      } catch {
        client.end().catch(() => {});
        client = null;
      }
    }
    client?.end().catch(() => {});
  }

  /** A writer pinned to one node's port (no reconnect): what a cut-off primary still acknowledges. */
  pin(id) {
    const acks = [];
    const run = async () => {
      const client = new pg.Client({
        host: this.cluster.host(id),
        port: this.cluster.pgPort(id),
        user: 'keel',
        password: this.cluster.password,
        database: 'keel',
        query_timeout: 3000,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        let seq = 0;
        while (!this.stopped && !pinned.stop) {
          const rowId = 9_000_000_000 + ++seq;
          try {
            await client.query('INSERT INTO drill_log (id, writer) VALUES ($1, $2)', [rowId, -1]);
            acks.push({ id: rowId, at: now() });
            this.acked.set(rowId, now());
          } catch {
            await sleep(20);
          }
        }
      } catch {
        // the node is gone: nothing is acknowledged
      }
      await client.end().catch(() => {});
    };
    const pinned = { acks, stop: false, done: null };
    pinned.done = run();
    return pinned;
  }

  async waitForAcks(n, what) {
    const target = this.ackTimes.length + n;
    await waitFor(() => this.ackTimes.length >= target, what, 60_000);
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.running);
  }
}

async function leaderOf(cluster, ids = cluster.nodes()) {
  const views = await Promise.all(ids.map((id) => cluster.view(id).catch(() => null)));
  const leader = views.find((v) => v?.role === 'leader' && v.writable === true);
  return leader ? { id: leader.nodeId, term: leader.term } : null;
}

async function sql(cluster, id, text, port = cluster.pgPort(id)) {
  const client = new pg.Client({
    host: cluster.host(id),
    port,
    user: 'keel',
    password: cluster.password,
    database: 'keel',
  });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Watches the survivors from t0: when the old leader was given up, when a new one was elected. */
async function watchElection(cluster, survivors, old, t0) {
  let detect = null;
  let elect = null;
  let writable = null;
  await waitFor(
    async () => {
      const views = await Promise.all(survivors.map((id) => cluster.view(id).catch(() => null)));
      const at = now() - t0;
      for (const v of views) {
        if (v === null) continue;
        if (detect === null && (v.leaderId !== old.id || v.term > old.term)) detect = at;
        if (elect === null && v.role === 'leader' && v.term > old.term) elect = at;
        if (writable === null && v.role === 'leader' && v.term > old.term && v.writable)
          writable = { at, id: v.nodeId, term: v.term };
      }
      return writable !== null;
    },
    'a writable new primary',
    60_000,
  );
  return { detect, elect: elect ?? writable.at, writable };
}

/** The end of the longest pause in acknowledgements within [t0, until], relative to t0. */
function resumedAfter(ackTimes, t0, until) {
  const inside = ackTimes.filter((t) => t >= t0 && t <= until).sort((a, b) => a - b);
  let best = null;
  let previous = t0;
  for (const t of inside) {
    if (best === null || t - previous > best.gap) best = { gap: t - previous, end: t };
    previous = t;
  }
  return best === null ? null : best.end - t0;
}

async function rejoined(cluster, id, leaderId, replication) {
  try {
    await waitFor(
      async () => {
        const v = await cluster.view(id);
        if (v.role !== 'follower' || v.leaderId !== leaderId) return false;
        return !replication || v.replication?.upstream?.state === 'streaming';
      },
      `${id} to follow ${leaderId}`,
      60_000,
      50,
    );
    return true;
  } catch {
    return false;
  }
}

async function lostCommits(load) {
  // Read from whichever node is primary now (the way the writers connect), not from the one
  // elected in this round: leadership may have moved again, and a replica may lag.
  const client = await waitFor(() => load.connect(), 'a read-write session for the checker', 60_000, 50);
  // Only commits acknowledged before the check's snapshot must be in it: the writers go on
  // while the SELECT runs, and a commit acknowledged after its snapshot was taken is absent
  // from it without being lost.
  const acknowledged = [...load.acked.keys()];
  let rows;
  try {
    ({ rows } = await client.query('SELECT id FROM drill_log'));
  } finally {
    client.end().catch(() => {});
  }
  const present = new Set(rows.map((r) => Number(r.id)));
  let lost = 0;
  for (const id of acknowledged) if (!present.has(id)) lost++;
  return { lost, acknowledged: acknowledged.length, rows: present.size };
}

async function runCli(cluster, args) {
  const [command, argv] = cluster.cli(args);
  return new Promise((resolve) => {
    execFile(command, argv, { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ ok: error === null, stdout: stdout.trim(), stderr: stderr.trim() }),
    );
  });
}

async function round(cluster, load, scenario, options) {
  const old = await waitFor(() => leaderOf(cluster), 'a writable primary', 60_000, 20);
  await load.waitForAcks(20, 'a steady write load');
  const survivors = cluster.nodes().filter((id) => id !== old.id);
  const result = { scenario, oldPrimary: old.id };
  let pinned = null;
  let t0;
  if (scenario === 'kill') {
    t0 = now();
    await cluster.kill(old.id);
  } else if (scenario === 'switchover') {
    t0 = now();
    const cli = runCli(cluster, [
      'cluster',
      'switchover',
      '--http',
      `${cluster.host(old.id)}:${cluster.httpPort(old.id)}`,
    ]);
    result.command = await cli.then((r) => (r.ok ? r.stdout : `failed: ${r.stderr}`));
  } else {
    pinned = load.pin(old.id);
    await waitFor(() => pinned.acks.length >= 3, 'the pinned writer on the primary');
    t0 = now();
    cluster.isolate(old.id);
  }
  const election = await watchElection(cluster, survivors, old, t0);
  // The window for the RTO: at least 2 s past the moment a writable new primary was seen, and
  // at least up to the first commit acknowledged after that moment (clients may need longer to
  // find it: that delay is part of the RTO, not a reason to report none).
  const writableAt = t0 + election.writable.at;
  const firstAck = await waitFor(
    () => load.ackTimes.find((t) => t > writableAt),
    'writes on the new primary',
    60_000,
    20,
  );
  const until = Math.max(writableAt + 2000, firstAck);
  await waitFor(() => now() >= until, 'the end of the RTO window', 60_000, 20);
  result.detectMs = Math.round(election.detect ?? election.elect);
  result.electMs = Math.round(election.elect);
  const resumed = resumedAfter(load.ackTimes, t0, until);
  result.rtoMs = resumed === null ? null : Math.round(resumed);
  if (scenario === 'kill') await cluster.restart(old.id);
  if (scenario === 'partition') {
    pinned.stop = true;
    const fencedAt = cluster.kind === 'local' ? t0 + 400 : t0;
    result.minorityAcksAfterLease = pinned.acks.filter((a) => a.at > fencedAt).length;
    cluster.heal();
  }
  const leader = election.writable.id;
  result.rejoined =
    scenario === 'switchover' ? true : await rejoined(cluster, old.id, leader, options.replication);
  await load.waitForAcks(10, 'writes after the round');
  const check = await lostCommits(load);
  // Lost in this round (the check covers every commit acknowledged so far), and in all.
  result.lost = check.lost - (load.lostSoFar ?? 0);
  result.lostTotal = check.lost;
  load.lostSoFar = check.lost;
  result.acknowledged = check.acknowledged;
  if (scenario === 'partition' && cluster.readPort(old.id) !== null) {
    // Once the old primary caught up, its rows must be the new primary's (no divergence).
    result.diverged = await waitFor(
      async () => {
        const [a, b] = await Promise.all([
          sql(
            cluster,
            old.id,
            'SELECT count(*)::int AS n, coalesce(sum(id), 0)::text AS s FROM drill_log',
            cluster.readPort(old.id),
          ),
          sql(cluster, leader, 'SELECT count(*)::int AS n, coalesce(sum(id), 0)::text AS s FROM drill_log'),
        ]);
        return a.rows[0].s === b.rows[0].s ? 'no' : false;
      },
      'the old primary to converge',
      20_000,
      200,
    ).catch(() => 'yes');
  }
  result.primaryNow = (await leaderOf(cluster))?.id ?? leader;
  return result;
}

function stats(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  return { median: v[Math.floor((v.length - 1) / 2)], worst: v[v.length - 1], n: v.length };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const help = await new Promise((resolve) =>
    execFile(
      'node',
      [new URL('../packages/server/dist/main.js', import.meta.url).pathname, 'start', '--help'],
      (_error, out) => resolve(out),
    ),
  );
  const supportsReplication = help.includes('--replication-port');
  options.replication ??= supportsReplication;
  const extraArgs =
    options.syncReplicas !== null && options.replication
      ? ['--sync-replicas', String(options.syncReplicas)]
      : [];
  log(
    options,
    `drill: starting a ${options.local ? 'local' : 'compose'} cluster (replication ${options.replication ? 'on' : 'off'})`,
  );
  const cluster = options.local
    ? await startLocalCluster({ replication: options.replication, extraArgs })
    : composeCluster();
  const scenarios = options.scenario === 'all' ? ['kill', 'switchover', 'partition'] : [options.scenario];
  const results = [];
  let load = null;
  let finalCheck = null;
  try {
    const first = await waitFor(() => leaderOf(cluster), 'a writable primary', 60_000, 50);
    await waitFor(
      () =>
        sql(
          cluster,
          first.id,
          'CREATE TABLE IF NOT EXISTS drill_log (id bigint PRIMARY KEY, writer int, at timestamptz DEFAULT now())',
        ).then(() => true),
      'the drill table',
      60_000,
      200,
    );
    load = new Load(cluster, options.writers);
    load.start();
    for (let r = 1; r <= options.rounds; r++) {
      for (const scenario of scenarios) {
        const result = { round: r, ...(await round(cluster, load, scenario, options)) };
        results.push(result);
        log(
          options,
          `round ${r} ${scenario}: detect ${result.detectMs} ms, elect ${result.electMs} ms, RTO ${result.rtoMs} ms, ` +
            `lost ${result.lost} of ${result.acknowledged} acknowledged, old primary ${result.oldPrimary} rejoined: ${result.rejoined ? 'yes' : 'no'}` +
            (result.minorityAcksAfterLease === undefined
              ? ''
              : `, minority acks after lease: ${result.minorityAcksAfterLease}`) +
            (result.diverged === undefined ? '' : `, diverged: ${result.diverged}`) +
            `, primary now ${result.primaryNow}`,
        );
      }
    }
    // The final word on RPO: with the load stopped and the cluster settled, every commit ever
    // acknowledged must be on the primary (a round's count may include commits not yet visible).
    await load.stop();
    await sleep(2000);
    finalCheck = await lostCommits(load);
    log(options, `final check: lost ${finalCheck.lost} of ${finalCheck.acknowledged} acknowledged commits`);
  } catch (error) {
    // What the cluster looked like when the drill gave up.
    for (const id of cluster.nodes()) {
      const v = await cluster.view(id).catch((e) => ({ error: String(e) }));
      process.stderr.write(
        `${id}: ${JSON.stringify({ role: v.role, term: v.term, leaderId: v.leaderId, writable: v.writable, why: v.writableReason, failover: v.failover, replication: v.replication && { role: v.replication.role, writable: v.replication.writable, why: v.replication.writableReason, upstream: v.replication.upstream?.state } })}\n`,
      );
    }
    for (const id of cluster.nodes()) {
      const probe = await sql(
        cluster,
        id,
        'INSERT INTO drill_log (id, writer) VALUES (8000000000 + (random() * 1000000)::bigint, -2)',
      )
        .then(() => 'insert ok')
        .catch((e) => `insert failed: ${e.code ?? ''} ${e.message}`);
      process.stderr.write(`${id}: ${probe}\n`);
    }
    if (cluster.logs !== undefined)
      for (const id of cluster.nodes()) process.stderr.write(`--- ${id}\n${cluster.logs(id).join('\n')}\n`);
    throw error;
  } finally {
    await load?.stop();
    await cluster.close();
  }
  const summary = {};
  for (const scenario of scenarios) {
    const mine = results.filter((r) => r.scenario === scenario);
    summary[scenario] = {
      detectMs: stats(mine.map((r) => r.detectMs)),
      electMs: stats(mine.map((r) => r.electMs)),
      rtoMs: stats(mine.map((r) => r.rtoMs)),
      lost: stats(mine.map((r) => r.lost)),
      rejoined: `${mine.filter((r) => r.rejoined).length}/${mine.length}`,
    };
  }
  const report = {
    mode: options.syncReplicas === null ? 'default' : options.syncReplicas > 0 ? 'sync' : 'async',
    replication: options.replication,
    rounds: results,
    summary,
    finalCheck,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const [scenario, s] of Object.entries(summary))
      process.stdout.write(
        `${scenario}: RTO median ${s.rtoMs?.median} ms, worst ${s.rtoMs?.worst} ms; detect median ${s.detectMs?.median} ms; ` +
          `elect median ${s.electMs?.median} ms; lost commits worst ${s.lost?.worst}; rejoined ${s.rejoined}\n`,
      );
    process.stdout.write(`primary now: ${results.at(-1)?.primaryNow}\n`);
    process.stdout.write(
      `acknowledged commits lost at the end: ${finalCheck?.lost} of ${finalCheck?.acknowledged}\n`,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`drill failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
