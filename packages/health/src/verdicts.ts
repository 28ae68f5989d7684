/**
 * The verdicts behind the node's health endpoints, in Patroni's style (what load balancers,
 * HAProxy `option httpchk` and Kubernetes probes expect: 200 or 503 and a reason):
 *   live      the process serves at all (Kubernetes restarts it otherwise): everything but a
 *             stopped node or a monitor that stopped probing;
 *   ready     safe to send sessions to and safe to restart the next pod: the node accepts
 *             sessions, its own probes are healthy, it knows a leader (it is in the quorum) and,
 *             as a replica, it streams and is within `readyLagBytesMax` of the primary;
 *   primary   200 only on the node that accepts writes (writable(), below);
 *   replica   200 only on a streaming replica, and with `?lag=BYTES` only within that lag.
 * `writable` is the single rule every write-routing decision uses: this node is the Raft leader,
 * has been promoted (its replication layer runs as primary), holds a valid leader lease, and its
 * WAL flush is not stalled. Anything else names the first reason it fails.
 * All functions are pure over NodeFacts and an Assessment.
 * Exports: NodeFacts, Verdict, VerdictOptions, liveVerdict, readyVerdict, writableVerdict,
 * primaryVerdict, replicaVerdict, parseLagParameter.
 */
import { type Assessment, describeProblem } from './failure-detector.js';

export type NodePhase = 'starting' | 'ready' | 'stopping' | 'stopped';
export type RaftRole = 'leader' | 'follower' | 'candidate' | 'learner';

/** What the server knows about the node when a verdict is asked for. */
export interface NodeFacts {
  readonly phase: NodePhase;
  readonly raftRole: RaftRole;
  readonly term: number;
  readonly leaderId: string | null;
  /** The replication layer runs as primary for the current term (promotion finished). */
  readonly promoted: boolean;
  /** The leader lease holds (the leader heard from a quorum recently enough; see write-fence). */
  readonly leaseValid: boolean;
  /** The node is handing leadership over (switchover): it refuses new writes meanwhile. */
  readonly transferring: boolean;
}

export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
}

export interface VerdictOptions {
  /** A replica further behind than this is not ready. */
  readonly readyLagBytesMax: bigint;
}

export const defaultVerdictOptions: VerdictOptions = { readyLagBytesMax: 16n * 1024n * 1024n };

const ok = (reason: string): Verdict => ({ ok: true, reason });
const no = (reason: string): Verdict => ({ ok: false, reason });

export function liveVerdict(facts: NodeFacts, health: Assessment): Verdict {
  if (facts.phase === 'stopped') return no('stopped');
  const stale = health.self.problems.find((p) => p.kind === 'probeStale');
  if (facts.phase === 'ready' && stale !== undefined && stale.ageMs !== null)
    return no(describeProblem(stale));
  return ok(facts.phase);
}

export function writableVerdict(facts: NodeFacts, health: Assessment): Verdict {
  if (facts.phase !== 'ready') return no(facts.phase);
  if (facts.raftRole !== 'leader')
    return no(
      facts.leaderId === null ? 'no leader is known' : `not the leader (the leader is ${facts.leaderId})`,
    );
  if (facts.transferring) return no('handing leadership over (switchover)');
  if (!facts.promoted) return no('elected, promotion not finished');
  if (!facts.leaseValid) return no('leader lease expired: a quorum was not heard from recently');
  const stall = health.self.problems.find((p) => p.kind === 'fsyncStalled' || p.kind === 'walUnreadable');
  if (stall !== undefined) return no(describeProblem(stall));
  return ok(`primary in term ${facts.term}`);
}

export function primaryVerdict(facts: NodeFacts, health: Assessment): Verdict {
  return writableVerdict(facts, health);
}

export function replicaVerdict(facts: NodeFacts, health: Assessment, lagBytesMax: bigint | null): Verdict {
  if (facts.phase !== 'ready') return no(facts.phase);
  if (facts.raftRole === 'leader') return no('this node is the primary');
  const stream = health.self.stream;
  if (stream === null || stream.role !== 'replica') return no('not a replica');
  if (!stream.streaming) return no('not streaming from the primary');
  if (lagBytesMax !== null) {
    if (stream.lagBytes === null) return no('lag unknown');
    if (stream.lagBytes > lagBytesMax) return no(`lag ${stream.lagBytes} bytes exceeds ${lagBytesMax}`);
  }
  return ok(`streaming replica, lag ${stream.lagBytes ?? 'unknown'} bytes`);
}

export function readyVerdict(
  facts: NodeFacts,
  health: Assessment,
  options: VerdictOptions = defaultVerdictOptions,
): Verdict {
  if (facts.phase !== 'ready') return no(facts.phase);
  const problem = health.self.problems.find((p) => p.kind !== 'streamDown');
  if (problem !== undefined) return no(describeProblem(problem));
  if (facts.leaderId === null) return no('no leader is known (not in a quorum)');
  if (facts.raftRole === 'leader') {
    const writable = writableVerdict(facts, health);
    return writable.ok ? ok(writable.reason) : no(writable.reason);
  }
  const replica = replicaVerdict(facts, health, options.readyLagBytesMax);
  if (replica.ok) return replica;
  // Without a replication layer (stream role 'none') a follower is ready once it follows a leader.
  if (health.self.stream?.role === 'none') return ok(`follower of ${facts.leaderId}`);
  return replica;
}

/** `?lag=BYTES` (also `16MB`, `1 GB` as Patroni accepts); null when absent; throws on garbage. */
export function parseLagParameter(raw: string | null): bigint | null {
  if (raw === null || raw.trim() === '') return null;
  const match = /^\s*(\d+)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(raw);
  if (match === null) throw new RangeError(`lag must be a byte count such as 1048576 or 16MB, got "${raw}"`);
  const [, digits = '0', unit = 'b'] = match;
  const scale: Record<string, bigint> = { b: 1n, kb: 1n << 10n, mb: 1n << 20n, gb: 1n << 30n, tb: 1n << 40n };
  return BigInt(digits) * (scale[unit.toLowerCase()] ?? 1n);
}
