/**
 * A simulated network between SimNodes: every message gets a random delay (so messages
 * reorder), may be dropped or duplicated, and is lost if a partition separates its ends at
 * delivery time. Partitions are sets of blocked directed links, so one-way (asymmetric)
 * partitions and bridge nodes are as easy to express as a clean split.
 * Exports: SimNetwork, NetworkFaults, Envelope.
 */
import type { RaftMessage } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import type { Prng } from './prng.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** Delivery delay in simulation steps, uniform in [minDelay, maxDelay]. */
  minDelay: number;
  maxDelay: number;
}

export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly msg: RaftMessage;
}

export class SimNetwork {
  private readonly inFlight = new Map<number, Envelope[]>();
  private readonly blocked = new Set<string>();
  sent = 0;
  delivered = 0;

  constructor(
    private readonly rng: Prng,
    public faults: NetworkFaults,
  ) {}

  send(from: NodeId, to: NodeId, msg: RaftMessage, now: number): void {
    this.sent++;
    if (this.rng.chance(this.faults.dropRate)) return;
    const copies = this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = now + this.rng.between(this.faults.minDelay, this.faults.maxDelay);
      const due = this.inFlight.get(at);
      if (due === undefined) this.inFlight.set(at, [{ from, to, msg }]);
      else due.push({ from, to, msg });
    }
  }

  /** Messages due at `now` whose link is open. */
  deliverDue(now: number): Envelope[] {
    const due = this.inFlight.get(now);
    if (due === undefined) return [];
    this.inFlight.delete(now);
    const open = due.filter((e) => !this.isBlocked(e.from, e.to));
    this.delivered += open.length;
    return open;
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Cuts every link between the two groups, both ways. */
  split(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y);
        this.block(y, x);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  partitioned(): boolean {
    return this.blocked.size > 0;
  }
}
