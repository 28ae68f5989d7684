import { describe, expect, it } from 'vitest';
import { conditionNameOf, InvariantError, KeelError, SqlState, sqlStateClass, toKeelError } from './index.js';

describe('SqlState', () => {
  it('maps PostgreSQL condition names to their codes', () => {
    expect(SqlState.UniqueViolation).toBe('23505');
    expect(SqlState.SerializationFailure).toBe('40001');
    expect(SqlState.DeadlockDetected).toBe('40P01');
    expect(SqlState.UndefinedTable).toBe('42P01');
    expect(SqlState.InvalidPassword).toBe('28P01');
    expect(SqlState.ProtocolViolation).toBe('08P01');
    expect(SqlState.DataCorrupted).toBe('XX001');
  });

  it('has no two condition names sharing a code', () => {
    const codes = Object.values(SqlState);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{5}$/);
  });

  it('reports class and condition name', () => {
    expect(sqlStateClass('23505')).toBe('23');
    expect(conditionNameOf('57014')).toBe('query_canceled');
    expect(conditionNameOf('99999')).toBeUndefined();
  });
});

describe('KeelError', () => {
  it('is retryable only for class 40', () => {
    expect(new KeelError(SqlState.SerializationFailure, 'x').retryable).toBe(true);
    expect(new KeelError(SqlState.UniqueViolation, 'x').retryable).toBe(false);
  });

  it('wraps unknown errors as internal errors but never hides invariant violations', () => {
    const wrapped = toKeelError(new Error('boom'));
    expect(wrapped.sqlstate).toBe('XX000');
    expect(wrapped.message).toBe('boom');
    expect(() => toKeelError(new InvariantError('broken'))).toThrow(InvariantError);
  });
});
