import { describe, expect, test } from 'vitest';
import { CommitQueue } from './commit-queue.js';

describe('CommitQueue', () => {
  test('releases in LSN order: a later commit waits for an earlier one not yet durable', () => {
    const q = new CommitQueue();
    q.appended(100, 0);
    q.appended(200, 0);
    q.durable(200, 'off');
    expect(q.release({ syncReplicas: 0, flushLsn: Infinity, applyLsn: Infinity })).toEqual([]);
    q.durable(100, 'on');
    expect(q.release({ syncReplicas: 0, flushLsn: Infinity, applyLsn: Infinity })).toEqual([100, 200]);
  });

  test('sync mode waits for the quorum flush, remote_apply for the quorum apply', () => {
    const q = new CommitQueue();
    q.appended(100, 0);
    q.appended(200, 0);
    q.durable(100, 'remote_apply');
    q.durable(200, 'local');
    expect(q.release({ syncReplicas: 1, flushLsn: 250, applyLsn: 50 })).toEqual([]);
    expect(q.release({ syncReplicas: 1, flushLsn: 250, applyLsn: 120 })).toEqual([100, 200]);
  });

  test('a commit drained by a demotion is refused when it reports in', () => {
    const q = new CommitQueue();
    q.appended(100, 0);
    expect(q.drain()).toEqual([100]);
    expect(q.durable(100, 'on')).toBe(false);
  });

  test('appending out of WAL order is a bug', () => {
    const q = new CommitQueue();
    q.appended(100, 0);
    expect(() => q.appended(90, 0)).toThrow(/appended after/);
  });
});
