import { describe, expect, test } from 'vitest';
import { Progress } from './progress.js';
import { LogIndex } from './types.js';

const i = LogIndex;

describe('Progress flow control', () => {
  test('probe allows one message; a success switches to pipelined replicate', () => {
    const pr = new Progress(i(5), 3);
    expect(pr.state).toBe('probe');
    pr.sent(i(4), i(6));
    expect(pr.canSend()).toBe(false);
    expect(pr.acknowledge(i(6))).toBe(true);
    expect(pr.state).toBe('replicate');
    expect(pr.next).toBe(7);
    pr.sent(i(6), i(7));
    pr.sent(i(7), i(8));
    pr.sent(i(8), i(9));
    expect(pr.canSend()).toBe(false);
    expect(pr.next).toBe(10);
    expect(pr.acknowledge(i(8))).toBe(true);
    expect(pr.inFlightCount()).toBe(1);
  });

  test('a rejection moves next back, never below match + 1; stale rejections are ignored', () => {
    const pr = new Progress(i(11), 4);
    pr.sent(i(10), i(12));
    expect(pr.reject(i(9), i(3))).toBe(false); // not the probe in flight
    expect(pr.reject(i(10), i(4))).toBe(true);
    expect(pr.next).toBe(4);
    pr.sent(i(3), i(5));
    pr.acknowledge(i(5));
    expect(pr.reject(i(5), i(1))).toBe(false); // at or below match: stale
  });

  test('in replicate, a rejection (a lost append) falls back to probe', () => {
    const pr = new Progress(i(2), 4);
    pr.sent(i(1), i(2));
    pr.acknowledge(i(2));
    pr.sent(i(2), i(4));
    pr.sent(i(4), i(6));
    expect(pr.reject(i(4), i(3))).toBe(true);
    expect(pr.state).toBe('probe');
    expect(pr.next).toBe(3);
    expect(pr.canSend()).toBe(true);
  });

  test('a message in flight past the timeout is presumed lost', () => {
    const pr = new Progress(i(2), 4);
    pr.sent(i(1), i(2));
    pr.acknowledge(i(2));
    pr.sent(i(2), i(5));
    pr.tick(2);
    expect(pr.canSend()).toBe(true);
    pr.tick(2);
    expect(pr.state).toBe('probe');
    expect(pr.next).toBe(3);
  });

  test('a snapshot stays in flight until acknowledged, and is resent after a timeout', () => {
    const pr = new Progress(i(2), 4);
    pr.sentSnapshot(i(10));
    expect(pr.state).toBe('snapshot');
    expect(pr.canSend()).toBe(false);
    expect(pr.reject(i(1), i(1))).toBe(false);
    pr.tick(1);
    expect(pr.canSend()).toBe(true);
    expect(pr.next).toBe(2);
    pr.sentSnapshot(i(10));
    pr.acknowledge(i(10));
    expect(pr.state).toBe('replicate');
    expect(pr.next).toBe(11);
  });
});
