/**
 * One simulated server: a real RaftNode driven the way the production driver drives it,
 * over an in-memory disk whose writes take simulated time.
 *
 * Like the real driver, a SimNode runs one step's outputs in order and stops at a `persist`
 * until the write is durable: while the disk is busy, inputs (ticks, messages) queue up. A
 * crash discards the queue and everything volatile, and tears the write in progress: only a
 * prefix of its operations reaches the disk (memory-storage.ts). Restart rebuilds the node
 * from what is durable, as the real process would from its data directory.
 *
 * Durability checks made here, because only the driver sees both sides of a crash:
 *   - a node never sends a message of a term it has not made durable;
 *   - a granted vote survives a crash (no second vote in the same term);
 *   - an acknowledged entry survives a crash unless a later leader overwrote it.
 * Exports: SimNode, SimNodeConfig, SimStateMachine.
 */

import { type Logger, silentLogger } from '../logger.js';
import type { DataPositionComparator, Input, Output } from '../raft/io.js';
import type { RaftMessage } from '../raft/messages.js';
import { persistedInputFor, RaftNode } from '../raft/raft-node.js';
import type { RaftOptions } from '../raft/raft-state.js';
import type { ClusterConfig, DataPosition, Entry, NodeId, Snapshot } from '../raft/types.js';
import { entryKey } from './format.js';
import type { InvariantChecker } from './invariant-checker.js';
import { MemoryStorage } from './memory-storage.js';
import type { Prng } from './prng.js';

type Persist = Extract<Output, { kind: 'persist' }>;

/** The simulated application: a running digest of applied entries, snapshotted as text. */
export class SimStateMachine {
  index = 0;
  digest = 0;

  apply(entry: Entry): void {
    const text = `${entry.index}:${entryKey(entry)}`;
    let h = this.digest ^ 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    this.index = entry.index;
    this.digest = h >>> 0;
  }

  encode(): Uint8Array {
    return new TextEncoder().encode(`${this.index}:${this.digest}`);
  }

  restore(snapshot: Snapshot): void {
    if (snapshot.data.length === 0) {
      this.index = snapshot.meta.index;
      this.digest = 0;
      return;
    }
    const [index = '0', digest = '0'] = new TextDecoder().decode(snapshot.data).split(':');
    this.index = Number(index);
    this.digest = Number(digest);
  }
}

export interface SimNodeConfig {
  readonly id: NodeId;
  readonly options: RaftOptions;
  readonly bootstrapConfig: ClusterConfig;
  /** Steps a disk write takes; 0 means durable at once. */
  readonly diskLatency: () => number;
  readonly send: (from: NodeId, to: NodeId, msg: RaftMessage) => void;
  readonly checker: InvariantChecker;
  readonly logger?: Logger;
  readonly dataPosition?: () => DataPosition | null;
  readonly compareDataPosition?: DataPositionComparator;
  /** Called for every output, after the built-in handling (scripts print them). */
  readonly onOutput?: (node: SimNode, output: Output) => void;
}

interface PendingWrite {
  readonly persist: Persist;
  readonly rest: readonly Output[];
  readonly doneAt: number;
}

export class SimNode {
  readonly id: NodeId;
  readonly storage = new MemoryStorage();
  readonly sm = new SimStateMachine();
  private core: RaftNode | null = null;
  private queue: Input[] = [];
  private persistedDue: Input[] = [];
  private pending: PendingWrite | null = null;
  private incarnation = 0;
  private lastCommit = 0;
  /** Votes granted, per term, over all incarnations. */
  private readonly votesGranted = new Map<number, NodeId>();
  private ackedEntry: { index: number; term: number } | null = null;
  private now = 0;

  /** `randomFor` gives each incarnation of the node its own random stream. */
  constructor(
    private readonly cfg: SimNodeConfig,
    private readonly randomFor: (id: NodeId, incarnation: number) => () => number,
  ) {
    this.id = cfg.id;
  }

  get up(): boolean {
    return this.core !== null;
  }

  raft(): RaftNode | null {
    return this.core;
  }

  start(): void {
    const stored = this.storage.load();
    const random = this.randomFor(this.id, this.incarnation++);
    this.core = new RaftNode({
      id: this.id,
      options: this.cfg.options,
      env: {
        random,
        logger: this.cfg.logger ?? silentLogger,
        dataPosition: this.cfg.dataPosition ?? (() => null),
        compareDataPosition: this.cfg.compareDataPosition ?? (() => 0),
      },
      hardState: stored.hardState,
      snapshot: stored.snapshot,
      entries: stored.entries,
      bootstrapConfig: this.cfg.bootstrapConfig,
    });
    this.sm.index = 0;
    this.sm.digest = 0;
    if (stored.snapshot !== null) this.sm.restore(stored.snapshot);
    this.lastCommit = this.core.commitIndex();
  }

  /** Loses everything volatile; a write in progress lands only partly (a random prefix). */
  crash(tear: Prng): void {
    if (this.core === null) return;
    if (this.pending !== null) {
      const ops = MemoryStorage.opsOf(this.pending.persist);
      this.storage.apply(this.pending.persist, tear.int(ops + 1));
    }
    this.core = null;
    this.queue = [];
    this.persistedDue = [];
    this.pending = null;
    this.checkDurability();
  }

  enqueue(input: Input): void {
    if (this.core !== null) this.queue.push(input);
  }

  busy(): boolean {
    return this.pending !== null;
  }

  /** Runs queued inputs until the queue is empty or the disk is busy. */
  process(now: number): void {
    this.now = now;
    for (;;) {
      const core = this.core;
      if (core === null) return;
      if (this.pending !== null) {
        if (now < this.pending.doneAt) return;
        const { persist, rest } = this.pending;
        this.pending = null;
        this.completePersist(persist);
        this.run(rest);
        continue;
      }
      const input = this.persistedDue.shift() ?? this.queue.shift();
      if (input === undefined) return;
      this.run(core.step(input));
    }
  }

  private run(outputs: readonly Output[]): void {
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i];
      if (output === undefined || this.core === null) return;
      this.handle(output);
      this.cfg.onOutput?.(this, output);
      if (output.kind === 'persist') {
        const latency = this.cfg.diskLatency();
        if (latency > 0) {
          this.pending = { persist: output, rest: outputs.slice(i + 1), doneAt: this.now + latency };
          return;
        }
        this.completePersist(output);
      }
    }
    this.afterStep();
  }

  private completePersist(persist: Persist): void {
    this.storage.apply(persist);
    const next = persistedInputFor(persist);
    if (next !== null) this.persistedDue.push(next);
  }

  private handle(output: Output): void {
    const core = this.core;
    if (core === null) return;
    const checker = this.cfg.checker;
    switch (output.kind) {
      case 'persist': {
        const first = output.entries[0];
        if (first !== undefined) {
          checker.onLogEntries(this.id, output.entries, core.termAt(first.index - 1));
          if (this.ackedEntry !== null && first.index <= this.ackedEntry.index) this.ackedEntry = null;
        }
        if (output.snapshot !== null && this.ackedEntry !== null) {
          const { index, term } = output.snapshot.meta;
          if (index < this.ackedEntry.index || term !== core.termAt(index)) this.ackedEntry = null;
        }
        break;
      }
      case 'send':
        this.noteSend(output.to, output.msg);
        this.cfg.send(this.id, output.to, output.msg);
        break;
      case 'apply':
        for (const entry of output.entries) {
          if (entry.index !== this.sm.index + 1) {
            checker.fail(`${this.id} applied ${entry.index} after ${this.sm.index}`);
          }
          this.sm.apply(entry);
          checker.onApply(this.id, entry, this.sm.digest);
        }
        break;
      case 'restore':
        this.sm.restore(output.snapshot);
        checker.onRestore(this.id, this.sm.index, this.sm.digest);
        break;
      case 'roleChanged':
        if (output.role === 'leader') {
          checker.onLeader(this.id, output.term, (i) => core.termAt(i), core.snapshotIndex());
        }
        break;
      default:
        break;
    }
  }

  private afterStep(): void {
    const core = this.core;
    if (core === null || !core.isLeader()) return;
    const commit = core.commitIndex();
    if (commit > this.lastCommit) {
      this.lastCommit = commit;
      this.cfg.checker.onCommit(this.id, commit, (i) => core.termAt(i));
    }
  }

  private noteSend(to: NodeId, msg: RaftMessage): void {
    const checker = this.cfg.checker;
    const durable = this.storage.durableTerm();
    const preVoteGrant = msg.type === 'voteResponse' && msg.preVote && msg.granted;
    const preVoteAsk = msg.type === 'voteRequest' && msg.preVote;
    if (!preVoteGrant && !preVoteAsk && msg.term > durable) {
      checker.fail(
        `${this.id} sent ${msg.type} of term ${msg.term} before term ${msg.term} was durable (${durable})`,
      );
    }
    if (msg.type === 'voteResponse' && msg.granted && !msg.preVote) {
      const earlier = this.votesGranted.get(msg.term);
      if (earlier !== undefined && earlier !== to) {
        checker.fail(`${this.id} voted for ${earlier} and ${to} in term ${msg.term}`);
      }
      this.votesGranted.set(msg.term, to);
    }
    if (msg.type === 'appendResponse' && msg.success) {
      const term = this.core?.termAt(msg.index);
      if (term !== null && term !== undefined) this.ackedEntry = { index: msg.index, term };
    }
  }

  /** After a crash: what the node acknowledged must have been durable. */
  private checkDurability(): void {
    const checker = this.cfg.checker;
    const stored = this.storage.load();
    const hs = stored.hardState;
    const acked = this.ackedEntry;
    if (acked !== null) {
      const snap = stored.snapshot?.meta;
      const entry = stored.entries.find((e) => e.index === acked.index);
      const covered = snap !== undefined && snap.index >= acked.index;
      const kept = entry?.term === acked.term || (snap?.index === acked.index && snap.term === acked.term);
      if (!covered && !kept) {
        checker.fail(`${this.id} acknowledged ${acked.index}@${acked.term} but lost it in a crash`);
      }
    }
    for (const [term, candidate] of this.votesGranted) {
      if (hs === null || hs.term < term || (hs.term === term && hs.vote !== candidate)) {
        checker.fail(
          `${this.id} granted a vote to ${candidate} in term ${term} that did not survive a crash`,
        );
      }
    }
  }
}
