#!/usr/bin/env node
// Raft figures for issue 8, on loopback with real gRPC: three in-process nodes (each with its
// own data directory, fsyncing log and gRPC server), default timeouts.
//
//   failover    time from stopping the leader to another node becoming leader; the stopped
//               node is restarted (same directory and port) and rejoins before the next run
//   messages    gRPC messages sent by all nodes per committed entry, one proposal at a time
//               and with 256 proposals in flight (heartbeats included)
//   throughput  proposals (100-byte commands) committed per second at the leader with 256 in flight
//
// Run from the repository root (Node 20 cannot run the TypeScript directly, so build first):
//   npx tsc -b packages/consensus && node scripts/bench/raft-failover.mjs [--runs 50] [--proposals 20000]
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRaftNode } from '../../packages/consensus/dist/index.js';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const runs = option('runs', 50);
const proposals = option('proposals', 20_000);
const sequentialProposals = option('sequential', 500);
const window = 256;

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what, probe, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const root = await mkdtemp(path.join(tmpdir(), 'keel-raft-bench-'));
const members = [];
for (let k = 1; k <= 3; k++) {
  members.push({
    peer: { id: `n${k}`, host: '127.0.0.1', port: await freePort() },
    dataDir: path.join(root, `n${k}`),
    handle: null,
  });
}
const peers = members.map((m) => m.peer);

async function start(member) {
  member.handle = await startRaftNode({
    nodeId: member.peer.id,
    dataDir: member.dataDir,
    listenHost: '127.0.0.1',
    grpcPort: member.peer.port,
    peers,
  });
  return member.handle;
}

const live = () => members.filter((m) => m.handle !== null).map((m) => m.handle);

/** A leader every node agrees on, with every follower caught up. */
async function stableLeader() {
  return waitFor('a stable leader', () => {
    if (live().length !== members.length) return null;
    const statuses = live().map((h) => h.status());
    const leader = statuses.find((s) => s.role === 'leader');
    if (leader === undefined) return null;
    const agreed = statuses.every((s) => s.leaderId === leader.nodeId && s.term === leader.term);
    const caughtUp = leader.peers.every((p) => p.matchIndex === leader.lastIndex && p.recentActive !== false);
    return agreed && caughtUp ? live().find((h) => h.nodeId === leader.nodeId) : null;
  });
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { median: at(0.5), p90: at(0.9), worst: sorted[sorted.length - 1], best: sorted[0], mean };
}

const totalSent = () => members.reduce((sum, m) => sum + (m.handle?.metrics().messagesSent ?? 0), 0);

try {
  await Promise.all(members.map(start));

  // --- messages per committed entry and throughput ---------------------------------------------
  let leader = await stableLeader();
  const command = new Uint8Array(100).fill(7);
  let sent = totalSent();
  let t = performance.now();
  for (let k = 0; k < sequentialProposals; k++) await leader.propose(command);
  const sequentialMs = performance.now() - t;
  const sequentialMessages = (totalSent() - sent) / sequentialProposals;

  sent = totalSent();
  t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < proposals) {
      next++;
      await leader.propose(command);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const pipelinedMs = performance.now() - t;
  const pipelinedMessages = (totalSent() - sent) / proposals;

  // --- failover ----------------------------------------------------------------------------------
  const failovers = [];
  for (let run = 0; run < runs; run++) {
    leader = await stableLeader();
    const stopped = members.find((m) => m.handle === leader);
    let elected = null;
    const unsubscribe = live()
      .filter((h) => h !== leader)
      .map((h) =>
        h.onRoleChange((change) => {
          if (change.role === 'leader' && elected === null) elected = performance.now();
        }),
      );
    const t0 = performance.now();
    const closing = leader.close();
    stopped.handle = null;
    await waitFor('a new leader', () => elected !== null);
    failovers.push(elected - t0);
    for (const u of unsubscribe) u();
    await closing;
    await start(stopped);
  }

  const f = summary(failovers);
  const fmt = (ms) => `${ms.toFixed(0)} ms`;
  console.log(`raft bench: 3 nodes, loopback gRPC, fsync on ${tmpdir()}, Node ${process.version}`);
  console.log(
    'defaults: tick 10 ms, heartbeat 5 ticks (50 ms), election timeout 25 ticks (250-500 ms), pre-vote, check-quorum',
  );
  console.log(
    `failover over ${runs} runs: median ${fmt(f.median)}, p90 ${fmt(f.p90)}, worst ${fmt(f.worst)}, best ${fmt(f.best)}, mean ${fmt(f.mean)}`,
  );
  console.log(
    `one proposal at a time: ${sequentialProposals} proposals, ${(sequentialProposals / (sequentialMs / 1000)).toFixed(0)}/s, ` +
      `${(sequentialMs / sequentialProposals).toFixed(2)} ms each, ${sequentialMessages.toFixed(2)} messages per committed entry`,
  );
  console.log(
    `${window} in flight: ${proposals} proposals, ${(proposals / (pipelinedMs / 1000)).toFixed(0)} committed/s, ` +
      `${pipelinedMessages.toFixed(2)} messages per committed entry`,
  );
} finally {
  await Promise.all(live().map((h) => h.close()));
  await rm(root, { recursive: true, force: true });
}
