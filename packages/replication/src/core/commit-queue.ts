/**
 * The primary's commit gate as data (PostgreSQL's syncrep.c queue, with Keel's ordering rule):
 * every commit record is registered when it is appended, in WAL order, and is released (made
 * visible) only when every earlier commit was released and its own condition holds:
 *
 *   asynchronous (--sync-replicas 0): the commit is durable locally (or written, for
 *     synchronous_commit = off), which the engine reports by calling the gate;
 *   synchronous (N > 0): N replicas flushed it, or for remote_apply, replayed it. Levels off,
 *     local and remote_write wait as on does, because Keel shows a commit only once a failover
 *     cannot take it back, and acknowledges it only once it shows (README: sync levels).
 *
 * Releasing in LSN order makes the primary's visible commits a prefix of the WAL's commit
 * order, the same order replicas replay in, so no two readers on any nodes can see two commits
 * in opposite orders (the long fork). A commit whose record is appended but not yet reported
 * durable holds back every later one (it is at most one group flush away).
 * Exports: CommitQueue, QuorumPositions, QueuedCommit.
 */
import { assert } from '@keel/errors';
import type { SyncLevel } from '../storage-port.js';

export interface QuorumPositions {
  /** N (0: asynchronous). */
  syncReplicas: number;
  /** Highest LSN at least N replicas flushed / replayed (Infinity when N = 0, -1 when fewer exist). */
  flushLsn: number;
  applyLsn: number;
}

export interface QueuedCommit {
  lsn: number;
  /** null until the engine reports the record durable (commitVisible). */
  level: SyncLevel | null;
  sinceTick: number;
}

export class CommitQueue {
  private readonly entries: QueuedCommit[] = [];
  private head = 0;
  private lastAppended = -1;

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Oldest entry still queued. */
  oldest(): QueuedCommit | null {
    return this.entries[this.head] ?? null;
  }

  appended(lsn: number, tick: number): void {
    assert(lsn > this.lastAppended, `commit record at ${lsn} appended after one at ${this.lastAppended}`);
    this.lastAppended = lsn;
    this.entries.push({ lsn, level: null, sinceTick: tick });
  }

  /** Records the commit's level; false when it is not queued (drained by a demotion meanwhile). */
  durable(lsn: number, level: SyncLevel): boolean {
    const entry = this.find(lsn);
    if (entry === null) return false;
    entry.level = level;
    return true;
  }

  /** Releases from the head while the order and each commit's condition allow; returns their LSNs. */
  release(quorum: QuorumPositions): number[] {
    const out: number[] = [];
    for (;;) {
      const entry = this.entries[this.head];
      if (entry === undefined || entry.level === null || !satisfied(entry, quorum)) break;
      out.push(entry.lsn);
      this.head++;
    }
    this.compact();
    return out;
  }

  /** Empties the queue (shutdown, demotion); returns every LSN that was waiting. */
  drain(): number[] {
    const out = this.entries.slice(this.head).map((entry) => entry.lsn);
    this.entries.length = 0;
    this.head = 0;
    return out;
  }

  private find(lsn: number): QueuedCommit | null {
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry?.lsn === lsn) return entry;
    }
    return null;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

function satisfied(entry: QueuedCommit, quorum: QuorumPositions): boolean {
  if (quorum.syncReplicas === 0) return true;
  if (entry.level === 'remote_apply') return quorum.applyLsn >= entry.lsn;
  return quorum.flushLsn >= entry.lsn;
}
