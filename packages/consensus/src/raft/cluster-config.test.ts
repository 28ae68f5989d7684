import { describe, expect, test } from 'vitest';
import { applyChange, bootstrapConfig, isMember, isVoter, membersOf, sameConfig } from './cluster-config.js';

const base = bootstrapConfig([
  { id: 'n2', address: 'h2:2' },
  { id: 'n1', address: 'h1:1' },
]);

describe('cluster configuration changes', () => {
  test('bootstrap makes every server a voter, sorted', () => {
    expect(base.voters).toEqual(['n1', 'n2']);
    expect(base.addresses).toEqual({ n1: 'h1:1', n2: 'h2:2' });
  });

  test('a server joins as a learner, then is promoted', () => {
    const withLearner = applyChange(base, { type: 'addLearner', node: 'n3', address: 'h3:3' });
    if (typeof withLearner === 'string') throw new Error(withLearner);
    expect(isMember(withLearner, 'n3') && !isVoter(withLearner, 'n3')).toBe(true);
    expect(withLearner.addresses.n3).toBe('h3:3');
    const promoted = applyChange(withLearner, { type: 'addVoter', node: 'n3' });
    if (typeof promoted === 'string') throw new Error(promoted);
    expect(promoted.voters).toEqual(['n1', 'n2', 'n3']);
    expect(promoted.learners).toEqual([]);
    expect(membersOf(promoted)).toEqual(['n1', 'n2', 'n3']);
  });

  test('invalid changes are explained, not applied', () => {
    expect(applyChange(base, { type: 'addLearner', node: 'n1', address: 'x' })).toMatch(/already a member/);
    expect(applyChange(base, { type: 'addVoter', node: 'n9' })).toMatch(/not a learner/);
    expect(applyChange(base, { type: 'removeServer', node: 'n9' })).toMatch(/not a member/);
    const single = bootstrapConfig([{ id: 'n1', address: 'a' }]);
    expect(applyChange(single, { type: 'removeServer', node: 'n1' })).toMatch(/last voter/);
  });

  test('removing a server drops its address', () => {
    const removed = applyChange(base, { type: 'removeServer', node: 'n2' });
    if (typeof removed === 'string') throw new Error(removed);
    expect(removed).toEqual({ voters: ['n1'], learners: [], addresses: { n1: 'h1:1' } });
  });

  test('sameConfig compares structure, not identity', () => {
    expect(sameConfig(base, { ...base, addresses: { n2: 'h2:2', n1: 'h1:1' } })).toBe(true);
    expect(sameConfig(base, { ...base, addresses: { n1: 'h1:1', n2: 'other' } })).toBe(false);
    expect(sameConfig(base, { ...base, learners: ['n3'] })).toBe(false);
  });
});
