/**
 * @keel/health: the pure failure detector and the verdicts behind the health endpoints
 * (/health/live, /health/ready, /primary, /replica). The server takes the probes and serves the
 * verdicts; see README.md.
 */

export {
  type Assessment,
  defaultThresholds,
  describeProblem,
  FailureDetector,
  type HealthThresholds,
  type PeerAssessment,
  type PeerState,
  type SelfAssessment,
  type SelfProblem,
} from './failure-detector.js';
export { type HealthEvent, healthChanges } from './health-changes.js';
export type { DiskProbe, HealthInput, PeerProbe, SelfProbe, StreamProbe, WalProbe } from './probes.js';
export {
  defaultVerdictOptions,
  liveVerdict,
  type NodeFacts,
  type NodePhase,
  parseLagParameter,
  primaryVerdict,
  type RaftRole,
  readyVerdict,
  replicaVerdict,
  type Verdict,
  type VerdictOptions,
  writableVerdict,
} from './verdicts.js';
