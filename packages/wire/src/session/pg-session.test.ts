import { InvariantError, KeelError, SqlState } from '@keel/errors';
import { describe, expect, test } from 'vitest';
import type { RoleCredentials } from '../backend.js';
import { FakeBackend } from '../testing/fake-backend.js';
import { adminShutdown, SessionHarness } from '../testing/session-harness.js';
import { describeBackendMessage } from '../testing/transcript.js';

// Behaviour that needs timing control (cancel, back-pressure, shutdown mid-statement) is tested
// here; plain message sequences live in testdata/session/*.txt.

async function loggedIn(options = {}): Promise<SessionHarness> {
  const harness = new SessionHarness(options);
  const login = await harness.login('alice', 'pencil');
  expect(login.at(-1)).toEqual({ kind: 'readyForQuery', status: 'I' });
  return harness;
}

function lines(harness: SessionHarness): string[] {
  return harness.output().map(describeBackendMessage);
}

describe('cancel', () => {
  test('a CancelRequest for a running statement fails it with 57014 and the session goes on', async () => {
    const harness = await loggedIn();
    harness.connection.send({ kind: 'query', sql: 'wait' });
    await harness.backendSession.waiting;
    const idle = harness.connection.untilIdle();
    harness.session.cancel();
    await idle;
    expect(lines(harness)).toEqual([
      'ErrorResponse ERROR 57014 "canceling statement due to user request"',
      'ReadyForQuery I',
    ]);
    expect(await harness.send({ kind: 'query', sql: 'rows 1' })).toContainEqual({
      kind: 'readyForQuery',
      status: 'I',
    });
  });

  test('a cancel while idle does not reach the engine', async () => {
    const harness = await loggedIn();
    harness.session.cancel();
    expect(harness.backendSession.cancelCount).toBe(0);
  });

  test('a cancel connection reports the key it carries', async () => {
    const harness = new SessionHarness();
    await harness.send({ kind: 'cancelRequest', processId: 7, secretKey: 1234 });
    await harness.done;
    expect(harness.cancelRequests).toEqual([[7, 1234]]);
    expect(harness.connection.ended).toBe(true);
  });
});

describe('termination', () => {
  test('a busy session finishes its statement, then ends with 57P01', async () => {
    const harness = await loggedIn();
    harness.connection.send({ kind: 'query', sql: 'wait' });
    await harness.backendSession.waiting;
    harness.session.terminate(adminShutdown());
    expect(harness.finished).toBe(false);
    harness.backendSession.release();
    await harness.done;
    expect(lines(harness)).toEqual([
      'CommandComplete SELECT 0',
      'ReadyForQuery I',
      'ErrorResponse FATAL 57P01 "terminating connection due to administrator command"',
    ]);
    expect(harness.backendSession.closed).toBe(true);
  });

  test('terminate then cancel (the shutdown deadline) reports 57P01, not the cancel', async () => {
    const harness = await loggedIn();
    harness.connection.send({ kind: 'query', sql: 'wait' });
    await harness.backendSession.waiting;
    harness.session.terminate(adminShutdown());
    harness.session.cancel();
    await harness.done;
    expect(lines(harness)).toEqual([
      'ErrorResponse FATAL 57P01 "terminating connection due to administrator command"',
    ]);
  });

  test('the engine ends an idle session by itself: FATAL error at once, then the connection closes', async () => {
    const harness = await loggedIn();
    await harness.send({ kind: 'query', sql: 'begin' });
    lines(harness);
    harness.backendSession.terminateFromEngine(
      new KeelError(
        SqlState.IdleInTransactionSessionTimeout,
        'terminating connection due to idle-in-transaction timeout',
        { severity: 'FATAL' },
      ),
    );
    await harness.done;
    expect(lines(harness)).toEqual([
      'ErrorResponse FATAL 25P03 "terminating connection due to idle-in-transaction timeout"',
    ]);
    expect(harness.connection.ended).toBe(true);
    expect(harness.backendSession.closed).toBe(true);
  });

  test('an engine termination during a statement ends the session once the statement is done', async () => {
    const harness = await loggedIn();
    harness.connection.send({ kind: 'query', sql: 'wait' });
    await harness.backendSession.waiting;
    harness.backendSession.terminateFromEngine(adminShutdown());
    expect(harness.finished).toBe(false);
    harness.backendSession.release();
    await harness.done;
    expect(lines(harness)).toEqual([
      'CommandComplete SELECT 0',
      'ReadyForQuery I',
      'ErrorResponse FATAL 57P01 "terminating connection due to administrator command"',
    ]);
  });

  test('terminating during authentication ends the session with that error', async () => {
    const harness = new SessionHarness();
    await harness.send({
      kind: 'startup',
      version: { major: 3, minor: 0 },
      parameters: new Map([['user', 'alice']]),
    });
    expect(harness.session.idle).toBe(true);
    harness.session.terminate(
      new KeelError(SqlState.QueryCanceled, 'canceling authentication due to timeout', { severity: 'FATAL' }),
    );
    await harness.done;
    expect(lines(harness)).toEqual(['ErrorResponse FATAL 57014 "canceling authentication due to timeout"']);
  });
});

describe('back-pressure', () => {
  test('the engine waits for the transport to drain before producing more', async () => {
    const harness = await loggedIn({ flushThresholdBytes: 1 });
    harness.connection.congested = true;
    let drainRequested = harness.connection.untilDrainRequested();
    harness.connection.send({ kind: 'query', sql: 'copy out 3' });
    await drainRequested;
    expect(lines(harness)).toEqual(['CopyOutResponse format=0 columns=0', 'CopyData "1\\n"']);
    drainRequested = harness.connection.untilDrainRequested();
    harness.connection.relieve();
    harness.connection.congested = true;
    await drainRequested;
    expect(lines(harness)).toEqual(['CopyData "2\\n"']);
    const idle = harness.connection.untilIdle();
    harness.connection.relieve();
    await idle;
    expect(lines(harness)).toEqual([
      'CopyData "3\\n"',
      'CopyDone',
      'CommandComplete COPY 3',
      'ReadyForQuery I',
    ]);
  });

  test('a client that goes away while rows stream stops the statement and the session', async () => {
    const harness = await loggedIn({ flushThresholdBytes: 1 });
    harness.connection.congested = true;
    const drainRequested = harness.connection.untilDrainRequested();
    harness.connection.send({ kind: 'query', sql: 'copy out 3' });
    await drainRequested;
    harness.connection.closed = true;
    harness.connection.relieve();
    await harness.done;
    expect(harness.backendSession.closed).toBe(true);
  });

  test('extended-protocol replies are held until Sync: no transport write before it', async () => {
    const harness = await loggedIn();
    const writes = harness.connection.writeCalls;
    await harness.send({ kind: 'parse', statementName: '', sql: 'rows 1', paramTypeOids: [] });
    await harness.send({
      kind: 'bind',
      portalName: '',
      statementName: '',
      paramFormats: [],
      params: [],
      resultFormats: [],
    });
    await harness.send({ kind: 'execute', portalName: '', maxRows: 0 });
    expect(harness.connection.writeCalls).toBe(writes);
    await harness.send({ kind: 'sync' });
    expect(harness.connection.writeCalls).toBe(writes + 1);
  });
});

describe('notifications', () => {
  test('a notification during a statement waits for ReadyForQuery', async () => {
    const harness = await loggedIn();
    harness.connection.send({ kind: 'query', sql: 'wait' });
    await harness.backendSession.waiting;
    harness.backendSession.deliverNotification('jobs', 'one');
    expect(harness.output()).toEqual([]);
    const idle = harness.connection.untilIdle();
    harness.backendSession.release();
    await idle;
    expect(lines(harness)).toEqual([
      'CommandComplete SELECT 0',
      'NotificationResponse pid=999 jobs "one"',
      'ReadyForQuery I',
    ]);
  });
});

describe('bugs are not errors', () => {
  test('an InvariantError from the engine is not reported: run() rejects with it', async () => {
    const harness = await loggedIn();
    harness.connection.send({ kind: 'query', sql: 'bug' });
    await expect(harness.done).rejects.toBeInstanceOf(InvariantError);
    expect(harness.output().filter((message) => message.kind === 'errorResponse')).toEqual([]);
  });

  test('the ready event fires once, after authentication', async () => {
    const harness = await loggedIn();
    expect(harness.readyEvents).toBe(1);
  });
});

describe('engine failures outside statements', () => {
  test('a plain Error from lookupRole is reported as FATAL XX000, not a crash', async () => {
    class BrokenCatalog extends FakeBackend {
      override lookupRole(): RoleCredentials | null {
        throw new Error('catalog unavailable');
      }
    }
    const harness = new SessionHarness({ backend: new BrokenCatalog() });
    const received = await harness.send({
      kind: 'startup',
      version: { major: 3, minor: 0 },
      parameters: new Map([['user', 'alice']]),
    });
    await harness.done;
    expect(received.map(describeBackendMessage)).toEqual(['ErrorResponse FATAL XX000 "catalog unavailable"']);
  });

  test('a failing close() is logged and the session still ends normally', async () => {
    const harness = await loggedIn();
    harness.backendSession.close = async () => {
      throw new KeelError(SqlState.IoError, 'could not write WAL');
    };
    await harness.send({ kind: 'terminate' });
    await expect(harness.done).resolves.toBeUndefined();
  });
});
