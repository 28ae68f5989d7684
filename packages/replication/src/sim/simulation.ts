/**
 * Deterministic simulation of the replication cores (sim-world.ts) under a seed-drawn profile:
 * 1-3 replicas, synchronous or asynchronous, small windows and chunks, tight WAL retention, and
 * faults: broken streams (sometimes with stale messages delivered later), partitions, replica
 * crashes that lose unflushed WAL, checkpoints that retire WAL, and failovers to the most
 * advanced replica (the vote rule), after which the old primary must rewind. A writer appends
 * records and commits at every synchronous_commit level throughout.
 *
 * After the fault phase the network heals and the run must converge (every replica streaming
 * and replayed to the primary's flush, no commit left waiting) within a bounded number of
 * ticks. Throughout, the world's checks run (see sim-world.ts), plus: in sync mode no commit a
 * primary released is missing from a later primary's WAL (RPO 0).
 * Exports: runSimulation, SimulationResult, profileFor.
 */
import type { Logger } from '../logger.js';
import type { SyncLevel } from '../storage-port.js';
import { Prng } from './prng.js';
import { type SimOptions, SimWorld } from './sim-world.js';

export interface SimulationResult {
  seed: number;
  profile: string;
  violations: string[];
  ticks: number;
  released: number;
  failovers: number;
  trace: string[];
}

interface Faults {
  disconnect: number;
  partition: number;
  crash: number;
  checkpoint: number;
  failover: number;
}

const LEVELS: SyncLevel[] = ['on', 'on', 'on', 'local', 'off', 'remote_write', 'remote_apply'];

export function profileFor(seed: number): { options: SimOptions; faults: Faults } {
  const rng = new Prng(seed).fork('profile');
  const replicas = rng.between(1, 3);
  const options: SimOptions = {
    replicas,
    syncReplicas: rng.chance(0.3) ? 0 : rng.between(1, replicas),
    syncTimeoutTicks: rng.pick([0, 20, 60]) ?? 0,
    walKeepBytes: rng.pick([300, 2000, 100_000]) ?? 2000,
    windowBytes: rng.pick([100, 400, 10_000]) ?? 400,
    chunkBytes: rng.pick([50, 200, 5000]) ?? 200,
    replicaTimeoutTicks: 30,
    keepaliveTicks: 5,
  };
  const faults: Faults = {
    disconnect: rng.pick([0, 0.01, 0.05]) ?? 0,
    partition: rng.pick([0, 0.005, 0.02]) ?? 0,
    crash: rng.pick([0, 0.005, 0.01]) ?? 0,
    checkpoint: rng.pick([0.01, 0.05]) ?? 0.01,
    failover: rng.pick([0, 0, 0.002, 0.01]) ?? 0,
  };
  return { options, faults };
}

export function runSimulation(
  seed: number,
  logger: Logger,
  faultTicks = 1500,
  settleTicks = 3000,
): SimulationResult {
  const { options, faults } = profileFor(seed);
  const rng = new Prng(seed).fork('run');
  const world = new SimWorld(options, logger);
  const profile = JSON.stringify({ ...options, ...faults });
  let failovers = 0;
  let released = 0;
  let ticks = 0;
  const violations: string[] = [];
  /** Commits released by any primary: (term, record id) must survive every sync failover. */
  const acknowledged = new Set<string>();

  const noteReleased = () => {
    const p = world.node(world.primary);
    for (const lsn of p.released.splice(0)) {
      released++;
      const record = p.records.find((r) => r.lsn + r.len === lsn);
      if (record !== undefined) acknowledged.add(record.id);
    }
  };

  const round = (withFaults: boolean) => {
    ticks++;
    if (rng.chance(0.6)) {
      const commit = rng.chance(0.5) ? (rng.pick(LEVELS) ?? 'on') : null;
      world.write(rng.between(10, 120), commit);
    }
    if (rng.chance(0.2)) world.beginCommit();
    if (rng.chance(0.5)) world.flushPrimary();
    world.tick();
    const deliveries = rng.between(0, 3);
    for (let i = 0; i < deliveries; i++) world.deliver();
    if (withFaults) injectFaults();
    noteReleased();
  };

  const injectFaults = () => {
    const replicas = [...world.nodes.keys()].filter((id) => id !== world.primary);
    const victim = rng.pick(replicas);
    if (victim === undefined) return;
    if (rng.chance(faults.disconnect)) world.disconnect(victim, rng.chance(0.5));
    if (rng.chance(faults.partition)) world.partition(victim);
    if (rng.chance(faults.partition * 2)) world.heal();
    if (rng.chance(faults.crash)) world.crash(victim);
    if (rng.chance(faults.checkpoint)) world.checkpoint();
    if (rng.chance(faults.failover)) failover();
  };

  const failover = () => {
    // The vote rule: the replica holding the most durable WAL wins (terms are equal here).
    const candidates = [...world.nodes.values()].filter((n) => n.id !== world.primary && n.replica !== null);
    candidates.sort((a, b) => b.flushLsn - a.flushLsn);
    const winner = candidates[0];
    if (winner === undefined) return;
    world.heal();
    world.promote(winner.id);
    failovers++;
    if (options.syncReplicas > 0) {
      const held = new Set(winner.records.filter((r) => r.lsn + r.len <= winner.flushLsn).map((r) => r.id));
      for (const id of acknowledged) {
        if (!held.has(id)) violations.push(`acknowledged commit ${id} lost in failover to ${winner.id}`);
      }
    }
  };

  for (let i = 0; i < faultTicks; i++) round(true);
  world.heal();
  world.flushPrimary();
  let converged = false;
  for (let i = 0; i < settleTicks && !converged; i++) {
    ticks++;
    if (i % 10 === 0) world.flushPrimary();
    world.tick();
    world.deliver();
    noteReleased();
    converged = world.converged();
  }
  if (!converged)
    violations.push(`did not converge within ${settleTicks} ticks: ${world.statusLines().join(' | ')}`);
  return {
    seed,
    profile,
    violations: [...world.violations, ...violations],
    ticks,
    released,
    failovers,
    trace: process.env.KEEL_FULL_TRACE === '1' ? world.events : world.events.slice(-200),
  };
}
