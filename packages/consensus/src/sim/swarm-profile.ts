/**
 * Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): each seed draws its own mix of
 * cluster shape, Raft options and fault rates, instead of every run using one fixed mix. Some
 * seeds partition often and never crash, others crash constantly over a perfect network; rare
 * interleavings that a uniform mix almost never produces show up in some corner of the swarm.
 * Exports: SwarmProfile, drawProfile, describeProfile.
 */
import type { RaftOptions } from '../raft/raft-state.js';
import type { Prng } from './prng.js';

export interface SwarmProfile {
  readonly voters: number;
  /** Servers started outside the configuration, for membership churn. */
  readonly spares: number;
  readonly churnRate: number;
  readonly options: RaftOptions;
  readonly stepsPerTick: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly diskLatencyMax: number;
  readonly crashRate: number;
  /** Chance that a newly elected leader is crashed within a few ticks (figure 8's pattern). */
  readonly leaderKillRate: number;
  readonly partitionRate: number;
  readonly proposeRate: number;
  readonly transferRate: number;
  readonly compactEvery: number;
}

export function drawProfile(rng: Prng): SwarmProfile {
  const churn = rng.chance(0.3);
  const maxEntriesPerAppend = rng.pick([1, 4, 64]) ?? 64;
  const maxInFlightAppends = rng.pick([1, 4, 32]) ?? 4;
  // Offered load must stay below what replication can carry, or the backlog (not a liveness bug)
  // outgrows any bound on recovery: one proposal per tick needs more than a few entries per round trip.
  const proposeRates = maxEntriesPerAppend * maxInFlightAppends >= 16 ? [0.05, 0.3, 1] : [0.05, 0.2];
  return {
    voters: rng.chance(0.65) ? 3 : 5,
    spares: churn ? rng.between(1, 2) : 0,
    churnRate: churn ? (rng.pick([0.01, 0.04]) ?? 0.01) : 0,
    options: {
      electionTimeoutTicks: rng.between(8, 14),
      heartbeatTicks: rng.between(1, 3),
      // A server removed from the configuration keeps campaigning; pre-vote keeps it harmless.
      preVote: churn || rng.chance(0.8),
      checkQuorum: rng.chance(0.8),
      maxEntriesPerAppend,
      maxInFlightAppends,
      catchUpMarginEntries: rng.between(0, 8),
    },
    stepsPerTick: 4,
    minDelay: 1,
    maxDelay: rng.between(2, 16),
    dropRate: rng.pick([0, 0.02, 0.1, 0.25]) ?? 0,
    duplicateRate: rng.pick([0, 0.05, 0.15]) ?? 0,
    diskLatencyMax: rng.pick([0, 2, 6]) ?? 0,
    crashRate: rng.pick([0, 0.005, 0.02]) ?? 0,
    leaderKillRate: rng.pick([0, 0, 0.3, 0.6]) ?? 0,
    partitionRate: rng.pick([0, 0.01, 0.04]) ?? 0,
    proposeRate: rng.pick(proposeRates) ?? 0.05,
    transferRate: rng.pick([0, 0, 0.01]) ?? 0,
    compactEvery: rng.pick([0, 8, 32]) ?? 0,
  };
}

export function describeProfile(p: SwarmProfile): string {
  const o = p.options;
  return [
    `voters=${p.voters} spares=${p.spares} churn=${p.churnRate}`,
    `election=${o.electionTimeoutTicks} heartbeat=${o.heartbeatTicks} preVote=${o.preVote} checkQuorum=${o.checkQuorum}`,
    `maxEntries=${o.maxEntriesPerAppend} inFlight=${o.maxInFlightAppends} delay=${p.minDelay}-${p.maxDelay} drop=${p.dropRate} dup=${p.duplicateRate}`,
    `disk=${p.diskLatencyMax} crash=${p.crashRate} leaderKill=${p.leaderKillRate} partition=${p.partitionRate} propose=${p.proposeRate}`,
    `transfer=${p.transferRate} compactEvery=${p.compactEvery}`,
  ].join(' ');
}
