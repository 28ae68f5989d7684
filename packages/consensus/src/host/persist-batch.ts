/**
 * Merges the `persist` outputs of a batch of steps into as few writes as possible, so a busy
 * node pays one fsync per batch instead of one per step (group commit). Consecutive persists
 * without a snapshot merge into one: the last hard state wins and later entries overwrite
 * earlier ones from their first index on, exactly as applying them one by one would. A persist
 * carrying a snapshot is kept apart, in order, because it replaces the log.
 * Exports: mergePersists, PersistOutput.
 */
import type { Output } from '../raft/io.js';
import type { Entry } from '../raft/types.js';

export type PersistOutput = Extract<Output, { kind: 'persist' }>;

function merge(a: PersistOutput, b: PersistOutput): PersistOutput {
  const first = b.entries[0];
  const kept = first === undefined ? a.entries : a.entries.filter((e: Entry) => e.index < first.index);
  return {
    kind: 'persist',
    hardState: b.hardState ?? a.hardState,
    snapshot: null,
    entries: [...kept, ...b.entries],
  };
}

export function mergePersists(persists: readonly PersistOutput[]): PersistOutput[] {
  const out: PersistOutput[] = [];
  for (const p of persists) {
    const last = out[out.length - 1];
    if (last !== undefined && last.snapshot === null && p.snapshot === null)
      out[out.length - 1] = merge(last, p);
    else out.push(p);
  }
  return out;
}
