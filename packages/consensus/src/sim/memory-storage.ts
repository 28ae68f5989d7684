/**
 * An in-memory model of the durable log store, for simulations and scripts. It applies
 * `persist` outputs with the same semantics as the real store (storage/log-store.ts), in the
 * same order of operations: hard state, snapshot, truncation, each entry. The hard state goes
 * first so that a durable entry or snapshot never carries a term the durable hard state has not
 * reached (its commit index may run ahead of the durable log; loading clamps it). A crash in the middle
 * of a persist is modelled by applying only a prefix of those operations (`durableOps`), which
 * is what an fsync that never completed can leave behind.
 * Exports: MemoryStorage, StoredState.
 */
import { assert } from '@keel/errors';
import type { Output } from '../raft/io.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';

type Persist = Extract<Output, { kind: 'persist' }>;

export interface StoredState {
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

export class MemoryStorage {
  private hardState: HardState | null = null;
  private snapshot: Snapshot | null = null;
  private entries: Entry[] = [];

  /** The durable term, read without copying the log. */
  durableTerm(): number {
    return this.hardState?.term ?? 0;
  }

  load(): StoredState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  /** Number of operations a persist consists of; a torn persist applies a prefix of them. */
  static opsOf(p: Persist): number {
    const truncate = p.entries.length > 0 ? 1 : 0;
    return (p.snapshot === null ? 0 : 1) + truncate + p.entries.length + (p.hardState === null ? 0 : 1);
  }

  apply(p: Persist, durableOps = Number.POSITIVE_INFINITY): void {
    let budget = durableOps;
    if (p.hardState !== null) {
      if (budget-- <= 0) return;
      this.hardState = p.hardState;
    }
    if (p.snapshot !== null) {
      if (budget-- <= 0) return;
      this.saveSnapshot(p.snapshot);
    }
    const first = p.entries[0];
    if (first !== undefined) {
      if (budget-- <= 0) return;
      this.truncateFrom(first.index);
      for (const entry of p.entries) {
        if (budget-- <= 0) return;
        this.append(entry);
      }
    }
  }

  private saveSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    const at = this.entries.find((e) => e.index === index);
    this.entries = at !== undefined && at.term === term ? this.entries.filter((e) => e.index > index) : [];
    this.snapshot = snapshot;
  }

  private truncateFrom(index: number): void {
    this.entries = this.entries.filter((e) => e.index < index);
  }

  private append(entry: Entry): void {
    const last = this.entries[this.entries.length - 1]?.index ?? this.snapshot?.meta.index ?? 0;
    assert(entry.index === last + 1, `stored log: entry ${entry.index} does not follow ${last}`);
    this.entries.push(entry);
  }
}
