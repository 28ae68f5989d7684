/**
 * The core's view of the replicated log: a snapshot (everything up to its index, compacted)
 * followed by the entries after it, all in memory. The driver's durable store mirrors it; the
 * core learns what is durable through `persisted` and tracks it as `stableIndex`.
 *
 * Invariants (checked with assert, a violation is a bug):
 *   - entries are contiguous: entries[k].index === snapshot.index + 1 + k, terms never decrease;
 *   - snapshot.index <= commitIndex <= lastIndex; a committed entry is never truncated;
 *   - the configuration in force is the latest one in the log, committed or not (thesis 4.1),
 *     so truncating a config entry reverts to the one before it.
 * Exports: RaftLog, LogInit.
 */
import { assert } from '@keel/errors';
import {
  type ClusterConfig,
  type Entry,
  type EntryBody,
  LogIndex,
  type Snapshot,
  type SnapshotMeta,
  Term,
} from './types.js';

export interface LogInit {
  /** The latest snapshot, or null for a log that was never compacted. */
  readonly snapshot: Snapshot | null;
  /** The configuration before any config entry, used when there is no snapshot. */
  readonly bootstrapConfig: ClusterConfig;
  /** Durable entries after the snapshot, contiguous. */
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

interface ConfigAt {
  readonly index: LogIndex;
  readonly config: ClusterConfig;
}

export class RaftLog {
  private snapshotMeta: SnapshotMeta;
  private snapshotData: Uint8Array | null;
  private entries: Entry[];
  /** Config entries among `entries`, ascending by index. */
  private configs: ConfigAt[];
  private commit: LogIndex;
  private stable: LogIndex;

  constructor(init: LogInit) {
    this.snapshotMeta = init.snapshot?.meta ?? {
      index: LogIndex(0),
      term: Term(0),
      config: init.bootstrapConfig,
    };
    this.snapshotData = init.snapshot?.data ?? null;
    this.entries = [];
    this.configs = [];
    for (const entry of init.entries) this.push(entry);
    // A commit index can run ahead of the durable log only if the store lost a torn tail that was
    // never acknowledged; nothing beyond the durable log was applied, so clamping is safe.
    this.commit = LogIndex(Math.max(this.snapshotMeta.index, Math.min(init.commit, this.lastIndex())));
    this.stable = this.lastIndex();
  }

  get snapshot(): SnapshotMeta {
    return this.snapshotMeta;
  }

  /** The snapshot with its data, for InstallSnapshot; null while the log was never compacted. */
  currentSnapshot(): Snapshot | null {
    return this.snapshotData === null ? null : { meta: this.snapshotMeta, data: this.snapshotData };
  }

  get commitIndex(): LogIndex {
    return this.commit;
  }

  get stableIndex(): LogIndex {
    return this.stable;
  }

  firstIndex(): LogIndex {
    return LogIndex(this.snapshotMeta.index + 1);
  }

  lastIndex(): LogIndex {
    return LogIndex(this.snapshotMeta.index + this.entries.length);
  }

  lastTerm(): Term {
    return this.entries[this.entries.length - 1]?.term ?? this.snapshotMeta.term;
  }

  /** The term of the entry at `index`, or null if it was compacted away or does not exist yet. */
  termAt(index: number): Term | null {
    if (index === this.snapshotMeta.index) return this.snapshotMeta.term;
    if (index < this.snapshotMeta.index || index > this.lastIndex()) return null;
    return this.entryAt(index).term;
  }

  entryAt(index: number): Entry {
    const entry = this.entries[index - this.snapshotMeta.index - 1];
    assert(entry !== undefined && entry.index === index, `no entry at index ${index}`);
    return entry;
  }

  /** Entries in [from, to], at most `maxCount` of them; `from` must not be compacted. */
  slice(from: number, to: number, maxCount: number): Entry[] {
    assert(from > this.snapshotMeta.index, `slice from ${from} reaches into the snapshot`);
    const start = from - this.snapshotMeta.index - 1;
    const end = Math.min(to - this.snapshotMeta.index, start + maxCount, this.entries.length);
    return this.entries.slice(start, Math.max(start, end));
  }

  matches(index: number, term: Term): boolean {
    return this.termAt(index) === term;
  }

  /** Raft's election restriction (section 5.4.1): is a log ending at (index, term) at least as up to date? */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** The leader appends a new entry of its term. */
  appendLocal(term: Term, body: EntryBody): Entry {
    assert(term >= this.lastTerm(), 'appending an entry with a term below the last term');
    const entry: Entry = { index: LogIndex(this.lastIndex() + 1), term, body };
    this.push(entry);
    return entry;
  }

  /**
   * A follower merges entries that follow a matching prevLogIndex: entries it already holds are
   * skipped, a conflict truncates its log from there. Returns the lowest index that changed, or
   * null if the log was unchanged.
   */
  appendFromLeader(entries: readonly Entry[]): LogIndex | null {
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k];
      assert(entry !== undefined, 'hole in entries');
      if (entry.index <= this.snapshotMeta.index) continue;
      const existing = this.termAt(entry.index);
      if (existing === entry.term) continue;
      if (existing !== null) {
        assert(entry.index > this.commit, `conflict at committed index ${entry.index}`);
        this.truncateAfter(entry.index - 1);
      }
      assert(entry.index === this.lastIndex() + 1, `gap before entry ${entry.index}`);
      for (let j = k; j < entries.length; j++) {
        const next = entries[j];
        assert(next !== undefined, 'hole in entries');
        this.push(next);
      }
      return entry.index;
    }
    return null;
  }

  commitTo(index: LogIndex): boolean {
    if (index <= this.commit) return false;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.commit = index;
    return true;
  }

  /** Records durability reported by the driver; ignored if the entry at `index` was replaced since. */
  markStable(index: LogIndex, term: Term): void {
    if (index > this.stable && this.matches(index, term)) this.stable = index;
  }

  config(): ClusterConfig {
    return this.configs[this.configs.length - 1]?.config ?? this.snapshotMeta.config;
  }

  /** Index of the entry that set the current configuration (the snapshot's index if none since). */
  configIndex(): LogIndex {
    return this.configs[this.configs.length - 1]?.index ?? this.snapshotMeta.index;
  }

  /** The configuration in force at `index` (>= snapshot index). */
  configAt(index: number): ClusterConfig {
    for (let k = this.configs.length - 1; k >= 0; k--) {
      const at = this.configs[k];
      if (at !== undefined && at.index <= index) return at.config;
    }
    return this.snapshotMeta.config;
  }

  /** The last index <= `index` whose term is <= `term` (stops at the snapshot). See AppendResponse. */
  lastIndexWithTermAtMost(index: number, term: Term): LogIndex {
    if (index < this.snapshotMeta.index) return LogIndex(index);
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotMeta.index) {
      const t = this.termAt(i);
      if (t !== null && t <= term) break;
      i--;
    }
    return LogIndex(i);
  }

  /** Replaces the log prefix up to `index` (applied by the host) with a snapshot. */
  compact(index: LogIndex, data: Uint8Array): Snapshot {
    assert(index > this.snapshotMeta.index && index <= this.commit, `cannot compact to ${index}`);
    const term = this.termAt(index);
    assert(term !== null, `no term at ${index}`);
    const meta: SnapshotMeta = { index, term, config: this.configAt(index) };
    this.entries = this.entries.slice(index - this.snapshotMeta.index);
    this.configs = this.configs.filter((c) => c.index > index);
    this.snapshotMeta = meta;
    this.snapshotData = data;
    return { meta, data };
  }

  /** Discards the whole log in favour of a snapshot from the leader (InstallSnapshot). */
  restore(snapshot: Snapshot): void {
    assert(snapshot.meta.index > this.commit, 'restoring a snapshot behind the commit index');
    this.entries = [];
    this.configs = [];
    this.snapshotMeta = snapshot.meta;
    this.snapshotData = snapshot.data;
    this.commit = snapshot.meta.index;
    this.stable = snapshot.meta.index;
  }

  private truncateAfter(index: number): void {
    assert(index >= this.commit, `truncating committed entries after ${index}`);
    this.entries.length = index - this.snapshotMeta.index;
    while ((this.configs[this.configs.length - 1]?.index ?? 0) > index) this.configs.pop();
    if (this.stable > index) this.stable = LogIndex(index);
  }

  private push(entry: Entry): void {
    assert(entry.index === this.lastIndex() + 1, `entry ${entry.index} does not follow ${this.lastIndex()}`);
    assert(entry.term >= this.lastTerm(), `entry ${entry.index} has a term below its predecessor`);
    this.entries.push(entry);
    if (entry.body.type === 'config') this.configs.push({ index: entry.index, config: entry.body.config });
  }
}
