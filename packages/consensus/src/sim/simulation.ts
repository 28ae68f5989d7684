/**
 * Deterministic simulation of a Raft cluster: seed -> swarm profile -> faults -> real RaftNode
 * cores -> invariant checks, all in one process and one thread, so a seed replays exactly.
 *
 * A run has two phases. In the fault phase, proposals, leadership transfers, membership changes
 * and compactions race with dropped, delayed, duplicated and reordered messages, partitions
 * (symmetric, one-way, and a bridge node that sees both sides) and crashes that tear the write
 * in progress. Then the network heals and every crashed server restarts; from there the cluster
 * must elect a leader and commit and apply a fresh entry on every member within a bounded
 * number of ticks (liveness). Safety is checked on every output throughout (invariant-checker.ts,
 * sim-node.ts).
 * Exports: Simulation, SimulationOptions, SimulationResult.
 */

import { bootstrapConfig, emptyConfig, isMember, membersOf } from '../raft/cluster-config.js';
import type { MembershipChange, Output } from '../raft/io.js';
import type { RaftMessage } from '../raft/messages.js';
import { type ClusterConfig, LogIndex, type NodeId } from '../raft/types.js';
import { formatMessage, formatStatus } from './format.js';
import { InvariantChecker } from './invariant-checker.js';
import { Prng } from './prng.js';
import { SimNetwork } from './sim-network.js';
import { SimNode } from './sim-node.js';
import { describeProfile, drawProfile, type SwarmProfile } from './swarm-profile.js';

export interface SimulationOptions {
  readonly seed: number;
  /** Length of the fault phase, in Raft ticks. */
  readonly faultTicks?: number;
  /** Keep the last lines of an event trace (slower; used when replaying a failure). */
  readonly trace?: boolean;
}

export interface SimulationResult {
  readonly seed: number;
  readonly profile: string;
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  /** Each server's status at the end (or "down"). */
  readonly finalStatus: readonly string[];
  readonly stats: {
    readonly ticks: number;
    readonly messages: number;
    readonly committed: number;
    readonly leaders: number;
    readonly crashes: number;
    readonly partitions: number;
    readonly healTicks: number;
  };
}

const traceLinesMax = 300;

export class Simulation {
  private readonly rng: Prng;
  private readonly profile: SwarmProfile;
  private readonly checker = new InvariantChecker();
  private readonly network: SimNetwork;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly offsets = new Map<NodeId, number>();
  private readonly decommissioned = new Set<NodeId>();
  private readonly trace: string[] = [];
  private step = 0;
  private inFaultPhase = true;
  private readonly killAt = new Map<NodeId, number>();
  private readonly killRng: Prng;
  private nextRequestId = 1;
  private proposals = 0;
  private crashes = 0;
  private partitions = 0;
  private leaderTerms = new Set<number>();
  private partitionEndsAt = -1;
  private readonly restartAt = new Map<NodeId, number>();
  private probe: { requestId: number; node: NodeId; term: number; index: number | null } | null = null;
  private maxCommit = 0;
  /** Servers ever in the configuration; a removed one is never added back (its old votes could resurface). */
  private readonly everMember = new Set<NodeId>();
  private latestConfigIndex = 0;
  private latestConfig: ClusterConfig;

  constructor(private readonly opts: SimulationOptions) {
    this.rng = new Prng(opts.seed);
    this.profile = drawProfile(this.rng.fork('profile'));
    this.killRng = this.rng.fork('leader-kill');
    const p = this.profile;
    this.network = new SimNetwork(this.rng.fork('network'), {
      dropRate: p.dropRate,
      duplicateRate: p.duplicateRate,
      minDelay: p.minDelay,
      maxDelay: p.maxDelay,
    });
    const ids = Array.from({ length: p.voters + p.spares }, (_, i) => `n${i + 1}`);
    const voters = ids.slice(0, p.voters);
    for (const id of voters) this.everMember.add(id);
    this.latestConfig = bootstrapConfig(voters.map((v) => ({ id: v, address: v })));
    const disk = this.rng.fork('disk');
    const nodeRng = this.rng.fork('nodes');
    for (const id of ids) {
      const config: ClusterConfig = voters.includes(id)
        ? bootstrapConfig(voters.map((v) => ({ id: v, address: v })))
        : emptyConfig();
      const node = new SimNode(
        {
          id,
          options: p.options,
          bootstrapConfig: config,
          diskLatency: () => (p.diskLatencyMax === 0 ? 0 : disk.int(p.diskLatencyMax + 1)),
          send: (from, to, msg) => this.send(from, to, msg),
          checker: this.checker,
          onOutput: (n, output) => this.onOutput(n, output),
        },
        (nodeId, incarnation) => {
          const stream = nodeRng.fork(`${nodeId}/${incarnation}`);
          return () => stream.next();
        },
      );
      node.start();
      this.nodes.set(id, node);
      this.offsets.set(id, this.rng.int(p.stepsPerTick));
    }
  }

  run(): SimulationResult {
    const p = this.profile;
    const faultSteps = (this.opts.faultTicks ?? 400) * p.stepsPerTick;
    const faults = this.rng.fork('faults');
    while (this.step < faultSteps && this.checker.violations.length === 0) {
      if (this.step % p.stepsPerTick === 0) this.faultTick(faults);
      this.advance();
    }
    this.inFaultPhase = false;
    this.heal();
    const healStart = this.step;
    const healLimit = (40 * p.options.electionTimeoutTicks + 200) * p.stepsPerTick;
    let live = false;
    while (!live && this.checker.violations.length === 0 && this.step - healStart < healLimit) {
      if (this.step % p.stepsPerTick === 0) live = this.livenessTick();
      this.advance();
    }
    if (!live && this.checker.violations.length === 0) {
      this.checker.fail(
        `liveness: no leader committed a new entry on every member within ${healLimit / p.stepsPerTick} ticks of healing`,
      );
    }
    return {
      seed: this.opts.seed,
      profile: describeProfile(p),
      violations: this.checker.violations,
      trace: this.trace,
      finalStatus: [...this.nodes.values()].map((n) => {
        const core = n.raft();
        const state = this.decommissioned.has(n.id) ? 'decommissioned' : 'down';
        return core === null ? `${n.id} ${state}` : `${formatStatus(core.status())} sm=${n.sm.index}`;
      }),
      stats: {
        ticks: Math.floor(this.step / p.stepsPerTick),
        messages: this.network.sent,
        committed: this.maxCommit,
        leaders: this.leaderTerms.size,
        crashes: this.crashes,
        partitions: this.partitions,
        healTicks: Math.floor((this.step - healStart) / p.stepsPerTick),
      },
    };
  }

  // --- one simulation step -----------------------------------------------------------------

  private advance(): void {
    const now = this.step;
    for (const env of this.network.deliverDue(now)) {
      const node = this.nodes.get(env.to);
      if (node === undefined || !node.up) continue;
      if (this.opts.trace) this.note(`${env.from}->${env.to} ${formatMessage(env.msg)}`);
      node.enqueue({ kind: 'message', from: env.from, msg: env.msg });
    }
    for (const [id, node] of this.nodes) {
      if ((now + (this.offsets.get(id) ?? 0)) % this.profile.stepsPerTick === 0)
        node.enqueue({ kind: 'tick' });
    }
    for (const node of this.nodes.values()) node.process(now);
    this.step++;
  }

  private send(from: NodeId, to: NodeId, msg: RaftMessage): void {
    this.network.send(from, to, msg, this.step);
  }

  private onOutput(node: SimNode, output: Output): void {
    switch (output.kind) {
      case 'roleChanged':
        if (output.role === 'leader') {
          this.leaderTerms.add(output.term);
          if (this.inFaultPhase && this.killRng.chance(this.profile.leaderKillRate)) {
            this.killAt.set(node.id, this.step / this.profile.stepsPerTick + this.killRng.between(0, 4));
          }
        }
        if (this.opts.trace)
          this.note(`${node.id} ${output.role} term=${output.term} leader=${output.leader ?? '-'}`);
        break;
      case 'apply':
        for (const entry of output.entries) {
          this.maxCommit = Math.max(this.maxCommit, entry.index);
          if (entry.body.type === 'config' && entry.index > this.latestConfigIndex) {
            this.latestConfigIndex = entry.index;
            this.decommissionRemoved(entry.body.config);
          }
        }
        break;
      case 'accepted':
        if (this.probe?.requestId === output.requestId) this.probe.index = output.index;
        break;
      case 'dropped':
        if (this.probe?.requestId === output.requestId) this.probe = null;
        break;
      default:
        break;
    }
  }

  private note(line: string): void {
    this.trace.push(`t=${(this.step / this.profile.stepsPerTick).toFixed(2)} ${line}`);
    if (this.trace.length > traceLinesMax) this.trace.shift();
  }

  // --- faults and workload, once per tick ----------------------------------------------------

  private faultTick(rng: Prng): void {
    const p = this.profile;
    const tick = this.step / p.stepsPerTick;
    if (this.network.partitioned() && tick >= this.partitionEndsAt) {
      this.network.heal();
      if (this.opts.trace) this.note('partition healed');
    } else if (!this.network.partitioned() && rng.chance(p.partitionRate)) {
      this.partition(rng);
      this.partitionEndsAt = tick + rng.between(5, 60);
    }
    for (const [id, at] of this.restartAt) {
      if (tick >= at) this.restart(id);
    }
    for (const [id, at] of this.killAt) {
      if (tick < at) continue;
      this.killAt.delete(id);
      this.crash(id, rng);
      this.restartAt.set(id, tick + rng.between(1, 20));
    }
    if (rng.chance(p.crashRate)) {
      // Half the crashes hit the leader: losing it mid-replication is where Raft earns its keep.
      const victim = rng.chance(0.5)
        ? (this.leader()?.id ?? rng.pick(this.liveIds()))
        : rng.pick(this.liveIds());
      if (victim !== undefined) {
        this.crash(victim, rng);
        this.restartAt.set(victim, tick + rng.between(1, 40));
      }
    }
    const leader = this.leader();
    if (leader !== null && rng.chance(p.proposeRate)) this.propose(leader, `p${this.proposals++}`);
    else if (rng.chance(p.proposeRate / 10)) {
      const any = this.nodes.get(rng.pick(this.liveIds()) ?? '');
      if (any !== undefined) this.propose(any, `p${this.proposals++}`);
    }
    if (leader !== null && rng.chance(p.transferRate)) {
      leader.enqueue({
        kind: 'transferLeadership',
        to: rng.chance(0.5) ? null : (rng.pick(this.liveIds()) ?? null),
      });
    }
    if (leader !== null && rng.chance(p.churnRate)) this.churn(leader, rng);
    this.maybeCompact();
  }

  private partition(rng: Prng): void {
    const ids = this.liveIds();
    const shuffled = [...ids].sort(() => rng.next() - 0.5);
    const kind = rng.int(4);
    const cut = rng.between(1, Math.max(1, ids.length - 1));
    const a = shuffled.slice(0, cut);
    const b = shuffled.slice(cut);
    this.partitions++;
    if (kind === 0 || b.length === 0) {
      this.network.split(a, b);
      if (this.opts.trace) this.note(`partition ${a.join(',')} | ${b.join(',')}`);
    } else if (kind === 1) {
      // One-way: the first group hears nothing from the second, but is heard.
      for (const x of a) for (const y of b) this.network.block(y, x);
      if (this.opts.trace) this.note(`one-way partition ${b.join(',')} -/-> ${a.join(',')}`);
    } else if (kind === 2) {
      const [bridge, ...rest] = b;
      this.network.split(a, rest);
      if (this.opts.trace) this.note(`bridge ${bridge ?? '-'} between ${a.join(',')} and ${rest.join(',')}`);
    } else {
      const [lone] = shuffled;
      if (lone !== undefined) this.network.split([lone], shuffled.slice(1));
      if (this.opts.trace) this.note(`isolate ${lone ?? '-'}`);
    }
  }

  private crash(id: NodeId, rng: Prng): void {
    const node = this.nodes.get(id);
    if (node === undefined || !node.up) return;
    node.crash(rng);
    this.crashes++;
    if (this.opts.trace) this.note(`${id} crashed`);
  }

  private restart(id: NodeId): void {
    this.restartAt.delete(id);
    const node = this.nodes.get(id);
    if (node === undefined || node.up || this.decommissioned.has(id)) return;
    node.start();
    if (this.opts.trace) this.note(`${id} restarted`);
  }

  private propose(node: SimNode, text: string): number {
    const requestId = this.nextRequestId++;
    node.enqueue({ kind: 'propose', requestId, command: new TextEncoder().encode(text) });
    return requestId;
  }

  /** One single-server change: promote a learner, add a spare, or remove a voter (keeping three). */
  private churn(leader: SimNode, rng: Prng): void {
    const status = leader.raft()?.status();
    if (status === undefined) return;
    const config = status.config;
    const spares = [...this.nodes.keys()].filter(
      (id) => !isMember(config, id) && !this.decommissioned.has(id),
    );
    let change: MembershipChange | null = null;
    const learner = config.learners[0];
    const spare = spares.find((id) => !this.everMember.has(id));
    if (learner !== undefined && rng.chance(0.8)) change = { type: 'addVoter', node: learner };
    else if (spare !== undefined && rng.chance(0.7))
      change = { type: 'addLearner', node: spare, address: spare };
    else if (config.voters.length > 3) change = { type: 'removeServer', node: rng.pick(config.voters) ?? '' };
    if (change === null) return;
    if (change.type === 'addLearner') this.everMember.add(change.node);
    if (this.opts.trace) this.note(`${leader.id} membership ${change.type} ${change.node}`);
    leader.enqueue({ kind: 'changeMembership', requestId: this.nextRequestId++, change });
  }

  /** A server whose removal is applied (committed) is shut down for good, as an operator would. */
  private decommissionRemoved(config: ClusterConfig): void {
    const before = membersOf(this.latestConfig);
    this.latestConfig = config;
    for (const id of before) {
      if (isMember(config, id) || this.decommissioned.has(id)) continue;
      this.decommissioned.add(id);
      this.nodes.get(id)?.crash(this.rng.fork(`decommission/${id}`));
      if (this.opts.trace) this.note(`${id} decommissioned`);
    }
  }

  private maybeCompact(): void {
    const every = this.profile.compactEvery;
    if (every === 0) return;
    for (const node of this.nodes.values()) {
      const core = node.raft();
      if (core === null || node.sm.index - core.snapshotIndex() < every) continue;
      node.enqueue({ kind: 'compact', index: LogIndex(node.sm.index), data: node.sm.encode() });
    }
  }

  // --- healing and liveness ------------------------------------------------------------------

  private heal(): void {
    this.network.heal();
    this.network.faults = { ...this.network.faults, dropRate: 0, duplicateRate: 0 };
    for (const id of [...this.restartAt.keys()]) this.restart(id);
    for (const [id, node] of this.nodes) if (!node.up && !this.decommissioned.has(id)) this.restart(id);
    if (this.opts.trace) this.note('healed: network whole, all servers up');
  }

  /** Drives one probe entry through the current leader; true once every member applied it. */
  private livenessTick(): boolean {
    const leader = this.leader();
    const core = leader?.raft() ?? null;
    if (leader === null || core === null) return false;
    const term = core.currentTerm();
    // A probe accepted by a leader that has since lost its term may never commit: propose again.
    if (this.probe === null || this.probe.node !== leader.id || this.probe.term !== term) {
      const requestId = this.propose(leader, `probe${this.step}`);
      this.probe = { requestId, node: leader.id, term, index: null };
      return false;
    }
    const index = this.probe.index;
    if (index === null) return false;
    return membersOf(core.status().config).every((id) => (this.nodes.get(id)?.sm.index ?? 0) >= index);
  }

  private liveIds(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.up).map((n) => n.id);
  }

  /** The live leader with the highest term, if any. */
  private leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const node of this.nodes.values()) {
      const core = node.raft();
      if (core === null || !core.isLeader() || core.currentTerm() <= bestTerm) continue;
      best = node;
      bestTerm = core.currentTerm();
    }
    return best;
  }
}
