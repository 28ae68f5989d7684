/**
 * Raft's safety properties (paper figure 3), checked on every output of every node while a
 * simulation or script runs. Each check keeps a cluster-wide record and fails on the first
 * contradiction:
 *   - election safety: at most one leader per term (over the whole run, crashes included);
 *   - log matching: an (index, term) pair names one entry, always with the same payload and the
 *     same predecessor term, so two logs that share it share everything before it;
 *   - leader completeness: a new leader's log holds every entry committed so far;
 *   - state machine safety: every node applies the same entry at an index, and reaches the
 *     same state digest there (snapshots included).
 * Exports: InvariantChecker.
 */
import type { Entry, NodeId } from '../raft/types.js';
import { entryKey, formatEntry } from './format.js';

interface RegisteredEntry {
  readonly key: string;
  readonly prevTerm: number | null;
}

interface AppliedEntry {
  readonly term: number;
  readonly key: string;
  readonly digest: number;
}

export class InvariantChecker {
  readonly violations: string[] = [];
  private readonly leaders = new Map<number, NodeId>();
  private readonly entries = new Map<string, RegisteredEntry>();
  private readonly applied = new Map<number, AppliedEntry>();
  /** Terms of entries known committed, from leaders' commit indexes and from applies. */
  private readonly committedTerms = new Map<number, number>();
  private maxCommitted = 0;

  fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }

  onLeader(
    node: NodeId,
    term: number,
    termAt: (index: number) => number | null,
    snapshotIndex: number,
  ): void {
    const existing = this.leaders.get(term);
    if (existing !== undefined && existing !== node) {
      this.fail(`election safety: ${existing} and ${node} both leaders of term ${term}`);
    }
    this.leaders.set(term, node);
    for (const [index, committedTerm] of this.committedTerms) {
      if (index <= snapshotIndex) continue;
      const has = termAt(index);
      if (has !== committedTerm) {
        this.fail(
          `leader completeness: ${node} leader of term ${term} has ${has ?? 'nothing'} at ${index}, committed ${index}@${committedTerm}`,
        );
        return;
      }
    }
  }

  /** Entries a node just put in its log; `prevTerm` is its term for the index before the first. */
  onLogEntries(node: NodeId, entries: readonly Entry[], prevTerm: number | null): void {
    let before = prevTerm;
    for (const entry of entries) {
      const id = `${entry.index}:${entry.term}`;
      const key = entryKey(entry);
      const known = this.entries.get(id);
      if (known === undefined) {
        this.entries.set(id, { key, prevTerm: before });
      } else if (known.key !== key) {
        this.fail(`log matching: ${node} has ${formatEntry(entry)}, another log has "${known.key}" at ${id}`);
      } else if (before !== null && known.prevTerm !== null && known.prevTerm !== before) {
        this.fail(`log matching: ${node} has term ${before} before ${id}, another log has ${known.prevTerm}`);
      }
      before = entry.term;
    }
  }

  /** A leader's commit index moved: the entries up to it (with their terms) are committed. */
  onCommit(node: NodeId, commitIndex: number, termAt: (index: number) => number | null): void {
    for (let i = this.maxCommitted + 1; i <= commitIndex; i++) {
      const term = termAt(i);
      if (term !== null) this.noteCommitted(node, i, term);
    }
    this.maxCommitted = Math.max(this.maxCommitted, commitIndex);
  }

  onApply(node: NodeId, entry: Entry, digest: number): void {
    const key = entryKey(entry);
    const known = this.applied.get(entry.index);
    if (known === undefined) {
      this.applied.set(entry.index, { term: entry.term, key, digest });
    } else if (known.term !== entry.term || known.key !== key || known.digest !== digest) {
      this.fail(
        `state machine safety: ${node} applied ${formatEntry(entry)} (digest ${digest}), another node applied ${entry.index}@${known.term} ${known.key} (digest ${known.digest})`,
      );
    }
    this.noteCommitted(node, entry.index, entry.term);
  }

  onRestore(node: NodeId, index: number, digest: number): void {
    const known = this.applied.get(index);
    if (known !== undefined && known.digest !== digest) {
      this.fail(
        `state machine safety: ${node} restored a snapshot at ${index} with digest ${digest}, expected ${known.digest}`,
      );
    }
  }

  private noteCommitted(node: NodeId, index: number, term: number): void {
    const known = this.committedTerms.get(index);
    if (known === undefined) this.committedTerms.set(index, term);
    else if (known !== term)
      this.fail(`committed entry changed: ${node} has ${index}@${term}, committed ${index}@${known}`);
  }
}
