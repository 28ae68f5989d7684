/**
 * Configuration of a Raft node as the server starts it, with the defaults and their reasons.
 *
 * Timing defaults (see the package README for the measurements behind them):
 *   tickMs 10             fine enough to spread randomized timeouts over 25 distinct values,
 *                         cheap enough (100 timer wake-ups a second) to ignore;
 *   heartbeatTicks 5      a heartbeat every 50 ms: five per election timeout, so a lost
 *                         heartbeat or two never triggers an election;
 *   electionTimeoutTicks 25
 *                         followers wait 250-500 ms (randomized) without a leader before
 *                         campaigning, so a dead leader is replaced in about 0.3-0.6 s on a LAN,
 *                         well under the 1 s target, while an event-loop stall of up to ~200 ms
 *                         (GC, a long synchronous task) does not depose a healthy leader.
 * Exports: RaftNodeConfig, PeerAddress, StateMachineHooks, AppliedCommand, ResolvedRaftNodeConfig,
 * resolveRaftNodeConfig.
 */
import { KeelError, SqlState } from '@keel/errors';
import { type Logger, silentLogger } from '../logger.js';
import { acceptAnyDataPosition } from '../raft/data-position.js';
import type { DataPositionComparator } from '../raft/io.js';
import type { RaftOptions } from '../raft/raft-state.js';
import type { DataPosition } from '../raft/types.js';

/** A committed command as the host sees it. */
export interface AppliedCommand {
  readonly index: number;
  readonly term: number;
  readonly command: Uint8Array;
}

export interface PeerAddress {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** Lets Raft compact its log: the host snapshots its state machine and restores it from one. */
export interface StateMachineHooks {
  /** The state after every applied entry so far; called right after an apply, synchronously. */
  snapshot(): Uint8Array;
  /** Replace the state with a snapshot's (at startup, or when the leader sends one). */
  restore(data: Uint8Array, index: number): void;
}

export interface RaftNodeConfig {
  readonly nodeId: string;
  /** The Raft files (hardstate, log, snapshot) live directly in this directory. */
  readonly dataDir: string;
  readonly listenHost: string;
  /** 0 binds an ephemeral port; the handle reports the bound one. */
  readonly grpcPort: number;
  /** The initial members, this node included or not; empty means a single-node group. */
  readonly peers: readonly PeerAddress[];
  /** Start outside the configuration and wait to be added as a learner by the leader. */
  readonly join?: boolean;
  /** The address other nodes reach this one at (default listenHost:grpcPort). */
  readonly advertiseHost?: string;
  readonly tickMs?: number;
  readonly electionTimeoutTicks?: number;
  readonly heartbeatTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly logger?: Logger;
  readonly dataPosition?: () => DataPosition | null;
  readonly compareDataPosition?: DataPositionComparator;
  readonly stateMachine?: StateMachineHooks;
  /**
   * Called for every committed command, in log order, from the first one this process applies
   * (after a restart: every entry after the latest snapshot). Listeners added later through
   * the handle see only what applies after they are added.
   */
  readonly onApply?: (applied: AppliedCommand) => void;
  /** With a state machine, compact after this many applied entries. */
  readonly snapshotEveryEntries?: number;
  /** How long propose() waits for its entry to apply before failing with "outcome unknown". */
  readonly proposeTimeoutMs?: number;
  /** Called once if the node must stop (a failed fsync); the default logs the error. */
  readonly onFatal?: (error: Error) => void;
}

export interface ResolvedRaftNodeConfig {
  readonly nodeId: string;
  readonly dataDir: string;
  readonly listenHost: string;
  readonly grpcPort: number;
  readonly advertiseHost: string;
  readonly peers: readonly PeerAddress[];
  readonly join: boolean;
  readonly tickMs: number;
  readonly raft: RaftOptions;
  readonly logger: Logger;
  readonly dataPosition: () => DataPosition | null;
  readonly compareDataPosition: DataPositionComparator;
  readonly stateMachine: StateMachineHooks | null;
  readonly onApply: ((applied: AppliedCommand) => void) | null;
  readonly snapshotEveryEntries: number;
  readonly proposeTimeoutMs: number;
  readonly onFatal: ((error: Error) => void) | null;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new KeelError(SqlState.InvalidParameterValue, `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function resolveRaftNodeConfig(config: RaftNodeConfig): ResolvedRaftNodeConfig {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(config.nodeId)) {
    throw new KeelError(SqlState.InvalidParameterValue, `invalid node id "${config.nodeId}"`, {
      hint: 'use 1 to 64 letters, digits, dots, dashes or underscores',
    });
  }
  const heartbeatTicks = positiveInteger(config.heartbeatTicks ?? 5, 'heartbeatTicks');
  const electionTimeoutTicks = positiveInteger(config.electionTimeoutTicks ?? 25, 'electionTimeoutTicks');
  if (electionTimeoutTicks <= heartbeatTicks) {
    throw new KeelError(SqlState.InvalidParameterValue, 'electionTimeoutTicks must exceed heartbeatTicks');
  }
  return {
    nodeId: config.nodeId,
    dataDir: config.dataDir,
    listenHost: config.listenHost,
    grpcPort: config.grpcPort,
    advertiseHost: config.advertiseHost ?? config.listenHost,
    peers: config.peers,
    join: config.join ?? false,
    tickMs: positiveInteger(config.tickMs ?? 10, 'tickMs'),
    raft: {
      electionTimeoutTicks,
      heartbeatTicks,
      preVote: config.preVote ?? true,
      checkQuorum: config.checkQuorum ?? true,
      maxEntriesPerAppend: 512,
      maxInFlightAppends: 32,
      catchUpMarginEntries: 64,
    },
    logger: (config.logger ?? silentLogger).child({ component: 'raft', nodeId: config.nodeId }),
    dataPosition: config.dataPosition ?? (() => null),
    compareDataPosition: config.compareDataPosition ?? acceptAnyDataPosition,
    stateMachine: config.stateMachine ?? null,
    onApply: config.onApply ?? null,
    snapshotEveryEntries: positiveInteger(config.snapshotEveryEntries ?? 10_000, 'snapshotEveryEntries'),
    proposeTimeoutMs: positiveInteger(config.proposeTimeoutMs ?? 10_000, 'proposeTimeoutMs'),
    onFatal: config.onFatal ?? null,
  };
}
