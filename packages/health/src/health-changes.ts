/**
 * The differences between two assessments, as events for the log: a self problem that appeared
 * or cleared, a peer that became suspect or came back. The server logs each event as one line
 * and logs nothing while the picture stays the same.
 * Exports: HealthEvent, healthChanges.
 */
import { type Assessment, describeProblem, type PeerState, type SelfProblem } from './failure-detector.js';

export type HealthEvent =
  | { readonly kind: 'problemRaised'; readonly problem: SelfProblem['kind']; readonly description: string }
  | { readonly kind: 'problemCleared'; readonly problem: SelfProblem['kind'] }
  | {
      readonly kind: 'peerChanged';
      readonly peerId: string;
      readonly from: PeerState;
      readonly to: PeerState;
      readonly detail: string | null;
    };

export function healthChanges(previous: Assessment | null, next: Assessment): HealthEvent[] {
  const events: HealthEvent[] = [];
  const before = new Set(previous?.self.problems.map((p) => p.kind) ?? []);
  const after = new Set(next.self.problems.map((p) => p.kind));
  for (const problem of next.self.problems) {
    if (!before.has(problem.kind))
      events.push({ kind: 'problemRaised', problem: problem.kind, description: describeProblem(problem) });
  }
  for (const kind of before) if (!after.has(kind)) events.push({ kind: 'problemCleared', problem: kind });
  const was = new Map(previous?.peers.map((p) => [p.id, p.state]) ?? []);
  for (const peer of next.peers) {
    const from = was.get(peer.id) ?? 'unknown';
    if (from !== peer.state)
      events.push({ kind: 'peerChanged', peerId: peer.id, from, to: peer.state, detail: peer.detail });
  }
  return events;
}
