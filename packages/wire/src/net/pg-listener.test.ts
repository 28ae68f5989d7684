import { connect, type Socket } from 'node:net';
import { InvariantError } from '@keel/errors';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { md5PasswordHash, md5SaltedResponse } from '../auth/md5-password.js';
import { BackendDecoder, type BackendMessage } from '../codec/backend-decoder.js';
import { encodeFrontendMessage } from '../codec/frontend-encoder.js';
import type { FrontendMessage } from '../codec/frontend-message.js';
import { encodePasswordMessage } from '../codec/password-message.js';
import type { Logger } from '../logger.js';
import { FakeBackend, type FakeBackendSession } from '../testing/fake-backend.js';
import { PgListener, type PgListenerOptions } from './pg-listener.js';

interface LogEntry {
  level: string;
  fields: object;
  message: string | undefined;
}

function recordingLogger(entries: LogEntry[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      entries.push({ level, fields: { ...bindings, ...fields }, message });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}

/** Resolves once `condition` holds, checking after each turn of the event loop (no fixed sleeps). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

interface Server {
  listener: PgListener;
  backend: FakeBackend;
  port: number;
  logs: LogEntry[];
  bugs: unknown[];
}

const open: { listeners: PgListener[]; clients: pg.Client[]; sockets: Socket[] } = {
  listeners: [],
  clients: [],
  sockets: [],
};

afterEach(async () => {
  for (const socket of open.sockets.splice(0)) socket.destroy();
  await Promise.all(open.clients.splice(0).map((client) => client.end().catch(() => undefined)));
  await Promise.all(open.listeners.splice(0).map((listener) => listener.close({ deadlineMs: 0 })));
});

async function startServer(options: Partial<PgListenerOptions> = {}): Promise<Server> {
  const backend = new FakeBackend();
  const logs: LogEntry[] = [];
  const bugs: unknown[] = [];
  const listener = new PgListener(backend, recordingLogger(logs), {
    port: 0,
    lingerMs: 1_000,
    onBug: (error) => bugs.push(error),
    ...options,
  });
  open.listeners.push(listener);
  const address = await listener.listen();
  return { listener, backend, port: address.port, logs, bugs };
}

async function pgClient(
  server: Server,
  user = 'alice',
  password = 'pencil',
  database = 'shop',
): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: server.port, user, password, database });
  open.clients.push(client);
  await client.connect();
  return client;
}

function sessionOf(server: Server, client: pg.Client): FakeBackendSession {
  const processId = keyOf(client).processId;
  const session = server.backend.sessions.find((candidate) => candidate.startup.processId === processId);
  if (session === undefined) throw new Error(`no backend session for process ${processId}`);
  return session;
}

/** node-postgres keeps BackendKeyData on the client without declaring it in its types. */
function keyOf(client: pg.Client): { processId: number; secretKey: number } {
  const processId: unknown = Reflect.get(client, 'processID');
  const secretKey: unknown = Reflect.get(client, 'secretKey');
  if (typeof processId !== 'number' || typeof secretKey !== 'number') throw new Error('no BackendKeyData');
  return { processId, secretKey };
}

/** A client that speaks the protocol byte by byte, to send what no driver would. */
class RawClient {
  bytes = Buffer.alloc(0);
  closed = false;
  private offset = 0;
  private wake: () => void = () => {};

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      this.wake();
    });
    // The server's FIN is the end of the conversation: answer it so the socket closes.
    socket.on('end', () => {
      this.closed = true;
      socket.end();
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    open.sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Logs in as bob with MD5, which a raw client can compute by hand. */
  static async loggedIn(port: number): Promise<RawClient> {
    const client = await RawClient.connect(port);
    client.send({ kind: 'startup', version: { major: 3, minor: 0 }, parameters: new Map([['user', 'bob']]) });
    await client.until((messages) => messages.some((m) => m.kind === 'authenticationMd5Password'));
    const request = client.messages().find((m) => m.kind === 'authenticationMd5Password');
    if (request?.kind !== 'authenticationMd5Password') throw new Error('no MD5 request');
    const response = md5SaltedResponse(md5PasswordHash('bobpass', 'bob'), request.salt);
    client.send({ kind: 'password', data: encodePasswordMessage(response) });
    await client.until((messages) => messages.some((m) => m.kind === 'readyForQuery'));
    return client;
  }

  send(message: FrontendMessage): void {
    this.socket.write(encodeFrontendMessage(message));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Skips bytes that are not framed messages (the answer to SSLRequest). */
  skip(count: number): void {
    this.offset += count;
  }

  messages(): BackendMessage[] {
    return new BackendDecoder().push(this.bytes.subarray(this.offset));
  }

  async until(condition: (messages: BackendMessage[]) => boolean): Promise<void> {
    while (!condition(this.messages())) {
      if (this.closed) throw new Error(`connection closed; received ${JSON.stringify(this.messages())}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async untilClosed(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

function errorOf(messages: BackendMessage[]): ReadonlyMap<string, string> | undefined {
  const error = messages.find((message) => message.kind === 'errorResponse');
  return error?.kind === 'errorResponse' ? error.fields : undefined;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const code: unknown = Reflect.get(Object(error), 'code');
    return { code: typeof code === 'string' ? code : undefined, message: String(error) };
  }
  throw new Error('expected a rejection');
}

describe('PgListener with node-postgres', () => {
  test('SCRAM login, a simple query and the ParameterStatus values', async () => {
    const server = await startServer();
    const client = await pgClient(server);
    const result = await client.query('rows 3');
    expect(result.rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(result.command).toBe('SELECT');
    expect(sessionOf(server, client).startup.database).toBe('shop');
  });

  test('a wrong password fails with 28P01 and the failure is logged', async () => {
    const server = await startServer();
    const failure = await rejection(pgClient(server, 'alice', 'wrong'));
    expect(failure.code).toBe('28P01');
    expect(failure.message).toContain('password authentication failed for user "alice"');
    const logged = server.logs.find((entry) => entry.message === 'password authentication failed');
    expect(logged?.level).toBe('warn');
    expect(logged?.fields).toMatchObject({
      user: 'alice',
      database: 'shop',
      method: 'scram-sha-256',
      reason: 'password does not match',
      remoteAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
  });

  test('an unknown role fails exactly like a wrong password', async () => {
    const server = await startServer();
    const failure = await rejection(pgClient(server, 'mallory', 'pencil'));
    expect(failure.code).toBe('28P01');
    expect(failure.message).toContain('password authentication failed for user "mallory"');
  });

  test('MD5 login for a role with an MD5 hash', async () => {
    const server = await startServer();
    const client = await pgClient(server, 'bob', 'bobpass');
    expect((await client.query('rows 1')).rows).toEqual([{ n: 1 }]);
  });

  test('a parameterized query goes through the extended protocol', async () => {
    const server = await startServer();
    const client = await pgClient(server);
    const result = await client.query('echo $1 $2 $3', ['hello', null, 'wörld']);
    expect(result.rows).toEqual([{ $1: 'hello', $2: null, $3: 'wörld' }]);
    for (let run = 0; run < 2; run += 1) {
      const prepared = await client.query({ name: 'again', text: 'echo $1', values: [String(run)] });
      expect(prepared.rows).toEqual([{ $1: String(run) }]);
    }
  });

  test('an error keeps the session usable, with SQLSTATE, position and detail', async () => {
    const server = await startServer();
    const client = await pgClient(server);
    const failure = await client
      .query('fail 42601 syntax error at or near x')
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '42601', position: '1', detail: 'from the fake backend' });
    const extendedFailure = await client
      .query('fail 42P01 missing $1', ['x'])
      .catch((error: unknown) => error);
    expect(extendedFailure).toMatchObject({ code: '42P01' });
    expect((await client.query('rows 1')).rows).toEqual([{ n: 1 }]);
  });

  test('a CancelRequest with the right key cancels a running statement with 57014', async () => {
    const server = await startServer();
    const client = await pgClient(server);
    const running = rejection(client.query('wait'));
    const session = sessionOf(server, client);
    await session.waiting;
    const key = keyOf(client);
    const wrong = await RawClient.connect(server.port);
    wrong.send({ kind: 'cancelRequest', processId: key.processId, secretKey: key.secretKey ^ 1 });
    await wrong.untilClosed();
    expect(session.cancelCount).toBe(0);
    const cancel = await RawClient.connect(server.port);
    cancel.send({ kind: 'cancelRequest', ...key });
    await cancel.untilClosed();
    expect(cancel.bytes.length).toBe(0);
    const failure = await running;
    expect(failure.code).toBe('57014');
    expect((await client.query('rows 1')).rows).toEqual([{ n: 1 }]);
  });

  test('a database that does not exist fails with 3D000', async () => {
    const server = await startServer();
    expect((await rejection(pgClient(server, 'alice', 'pencil', 'nowhere'))).code).toBe('3D000');
  });
});

describe('PgListener against bad input', () => {
  test('garbage instead of a startup packet gets FATAL 08P01 and a close', async () => {
    const server = await startServer();
    const raw = await RawClient.connect(server.port);
    raw.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await raw.untilClosed();
    const error = errorOf(raw.messages());
    expect(error?.get('S')).toBe('FATAL');
    expect(error?.get('C')).toBe('08P01');
  });

  test('SSLRequest is answered N and the connection carries on in plaintext', async () => {
    const server = await startServer();
    const raw = await RawClient.connect(server.port);
    raw.send({ kind: 'sslRequest' });
    await waitFor(() => raw.bytes.length >= 1);
    expect(raw.bytes.subarray(0, 1).toString()).toBe('N');
    raw.skip(1);
    raw.send({ kind: 'startup', version: { major: 3, minor: 0 }, parameters: new Map([['user', 'bob']]) });
    await raw.until((messages) => messages.some((m) => m.kind === 'authenticationMd5Password'));
  });

  test('a truncated message followed by a close gets FATAL 08P01', async () => {
    const server = await startServer();
    const raw = await RawClient.loggedIn(server.port);
    raw.write(encodeFrontendMessage({ kind: 'query', sql: 'rows 1000' }).subarray(0, 8));
    raw.socket.end();
    await raw.untilClosed();
    const error = errorOf(raw.messages());
    expect(error?.get('C')).toBe('08P01');
    expect(error?.get('M')).toBe('unexpected EOF within message');
  });

  test('a 2 GiB length ends that connection with FATAL 08P01; another session keeps working', async () => {
    const server = await startServer();
    const bystander = await pgClient(server);
    const running = bystander.query('wait');
    await sessionOf(server, bystander).waiting;
    const raw = await RawClient.loggedIn(server.port);
    const header = Buffer.from([0x51, 0x80, 0x00, 0x00, 0x00]);
    raw.write(header);
    await raw.untilClosed();
    const error = errorOf(raw.messages());
    expect(error?.get('S')).toBe('FATAL');
    expect(error?.get('C')).toBe('08P01');
    expect(error?.get('M')).toBe('invalid message length');
    sessionOf(server, bystander).release();
    await running;
    expect((await bystander.query('rows 2')).rows).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test('a StartupMessage and a 2 GiB PasswordMessage in one write: the startup is answered, then FATAL', async () => {
    const server = await startServer();
    const raw = await RawClient.connect(server.port);
    const huge = Buffer.from([0x70, 0x7f, 0xff, 0xff, 0xff]);
    const startup = encodeFrontendMessage({
      kind: 'startup',
      version: { major: 3, minor: 0 },
      parameters: new Map([['user', 'alice']]),
    });
    raw.write(Buffer.concat([startup, huge]));
    await raw.untilClosed();
    const kinds = raw.messages().map((message) => message.kind);
    expect(kinds).toEqual(['authenticationSasl', 'errorResponse']);
    expect(errorOf(raw.messages())?.get('C')).toBe('08P01');
  });

  test('an unknown message type ends the connection with FATAL 08P01', async () => {
    const server = await startServer();
    const raw = await RawClient.loggedIn(server.port);
    raw.write(Buffer.from('z\0\0\0\x04'));
    await raw.untilClosed();
    expect(errorOf(raw.messages())?.get('M')).toBe('invalid frontend message type 122');
  });

  test('a client that stays silent is cut off at the authentication timeout', async () => {
    const server = await startServer({ authenticationTimeoutMs: 20 });
    const raw = await RawClient.connect(server.port);
    await raw.untilClosed();
    expect(errorOf(raw.messages())?.get('C')).toBe('57014');
  });

  test('a bug in the engine is handed to onBug, never reported to the client', async () => {
    const server = await startServer();
    const client = await pgClient(server);
    client.on('error', () => {});
    const failure = await rejection(client.query('bug'));
    expect(failure.code).toBeUndefined();
    await waitFor(() => server.bugs.length > 0);
    expect(server.bugs[0]).toBeInstanceOf(InvariantError);
  });
});

describe('PgListener limits and shutdown', () => {
  test('connections over maxConnections get 53300; a freed slot is reused', async () => {
    const server = await startServer({ maxConnections: 1 });
    const first = await pgClient(server);
    const refused = await rejection(pgClient(server));
    expect(refused.code).toBe('53300');
    expect(refused.message).toContain('sorry, too many clients already');
    await first.end();
    await waitFor(() => server.listener.connectionCount === 0);
    const third = await pgClient(server);
    expect((await third.query('rows 1')).rows).toEqual([{ n: 1 }]);
  });

  test('close() ends idle sessions with 57P01 and waits for running statements', async () => {
    const server = await startServer();
    const idle = await pgClient(server);
    const idleErrors: unknown[] = [];
    idle.on('error', (error) => idleErrors.push(error));
    const busy = await pgClient(server);
    busy.on('error', () => {});
    const running = busy.query('wait');
    const session = sessionOf(server, busy);
    await session.waiting;
    let closed = false;
    const closing = server.listener.close({ deadlineMs: 60_000 }).then(() => {
      closed = true;
    });
    await waitFor(() => idleErrors.length > 0);
    expect(idleErrors[0]).toMatchObject({ code: '57P01' });
    expect(closed).toBe(false);
    session.release();
    expect((await running).command).toBe('SELECT');
    await closing;
    expect(session.closed).toBe(true);
    const refused = new pg.Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'alice',
      password: 'pencil',
    });
    expect((await rejection(refused.connect())).code).toBe('ECONNREFUSED');
  });

  test('past the deadline, running statements are cancelled and end with 57P01', async () => {
    const server = await startServer();
    const busy = await pgClient(server);
    busy.on('error', () => {});
    const running = rejection(busy.query('wait'));
    const session = sessionOf(server, busy);
    await session.waiting;
    await server.listener.close({ deadlineMs: 0 });
    expect(session.cancelCount).toBe(1);
    expect((await running).code).toBe('57P01');
  });
});
