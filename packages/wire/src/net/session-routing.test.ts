/**
 * Session routing (session/session-router.ts, net/session-splice.ts): a listener whose router
 * answers `forward` hands the connection to another listener after the StartupMessage; the
 * client then talks to the target as if it had connected there.
 */
import { connect, createServer, type Socket } from 'node:net';
import { KeelError, SqlState } from '@keel/errors';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { BackendDecoder, type BackendMessage } from '../codec/backend-decoder.js';
import { encodeFrontendMessage } from '../codec/frontend-encoder.js';
import type { FrontendMessage } from '../codec/frontend-message.js';
import { silentLogger } from '../logger.js';
import type { SessionRoute, SessionRouter } from '../session/session-router.js';
import type { StartupRequest } from '../session/startup-negotiation.js';
import { FakeBackend } from '../testing/fake-backend.js';
import { PgListener } from './pg-listener.js';

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

async function listener(
  router?: SessionRouter,
): Promise<{ backend: FakeBackend; port: number; listener: PgListener }> {
  const backend = new FakeBackend();
  const l = new PgListener(backend, silentLogger, {
    port: 0,
    lingerMs: 1000,
    forwardConnectTimeoutMs: 2000,
    ...(router === undefined ? {} : { router }),
  });
  open.listeners.push(l);
  return { backend, port: (await l.listen()).port, listener: l };
}

const forwardTo = (port: number): SessionRouter => ({
  route: (): SessionRoute => ({ kind: 'forward', host: '127.0.0.1', port }),
});

async function client(port: number): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'pencil', database: 'shop' });
  open.clients.push(c);
  await c.connect();
  return c;
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

/** Sends raw frontend messages and decodes what comes back. */
async function rawExchange(
  port: number,
  messages: FrontendMessage[],
  until: (m: BackendMessage[]) => boolean,
) {
  const socket = connect({ host: '127.0.0.1', port });
  open.sockets.push(socket);
  let bytes = Buffer.alloc(0);
  let closed = false;
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => {
    bytes = Buffer.concat([bytes, chunk]);
    wake();
  });
  socket.on('close', () => {
    closed = true;
    wake();
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(Buffer.concat(messages.map((m) => encodeFrontendMessage(m))));
  const decoded = () => new BackendDecoder().push(bytes);
  while (!until(decoded())) {
    if (closed) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  return decoded();
}

describe('session routing', () => {
  test('a forwarded session authenticates at and is served by the target', async () => {
    const primary = await listener();
    const replica = await listener(forwardTo(primary.port));
    const c = await client(replica.port);
    const result = await c.query('rows 3');
    expect(result.rows.map((r: { n: number }) => r.n)).toEqual([1, 2, 3]);
    expect(primary.backend.sessions).toHaveLength(1);
    expect(replica.backend.sessions).toHaveLength(0);
    // Failed authentication is the target's answer, passed through unchanged.
    const wrong = new pg.Client({ host: '127.0.0.1', port: replica.port, user: 'alice', password: 'nope' });
    open.clients.push(wrong);
    expect((await rejection(wrong.connect())).code).toBe(SqlState.InvalidPassword);
    await c.end();
    open.clients.splice(open.clients.indexOf(c), 1);
    // The connection ends on both sides: the target's session is closed (rolled back).
    await expect.poll(() => primary.backend.sessions[0]?.closed).toBe(true);
    expect(replica.listener.connectionCount).toBe(0);
  });

  test('a router answering local serves the session here, and may wait before answering', async () => {
    const seen: StartupRequest[] = [];
    let release: (route: SessionRoute) => void = () => {};
    const decided = new Promise<SessionRoute>((resolve) => {
      release = resolve;
    });
    const node = await listener({
      route: (request) => {
        seen.push(request);
        return decided;
      },
    });
    const connecting = client(node.port);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ user: 'alice', database: 'shop' });
    release({ kind: 'local' });
    const c = await connecting;
    expect((await c.query('rows 1')).rowCount).toBe(1);
    expect(node.backend.sessions).toHaveLength(1);
  });

  test('an unreachable target is a FATAL 08006 naming it', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = address !== null && typeof address !== 'string' ? address.port : 0;
        server.close(() => resolve(port));
      });
    });
    const replica = await listener(forwardTo(closedPort));
    const failure = await rejection(client(replica.port));
    expect(failure.code).toBe(SqlState.ConnectionFailure);
    expect(failure.message).toContain(`could not connect to the primary at 127.0.0.1:${closedPort}`);
  });

  test("a router's KeelError reaches the client as FATAL", async () => {
    const node = await listener({
      route: () => {
        throw new KeelError(SqlState.CannotConnectNow, 'no primary is known');
      },
    });
    const failure = await rejection(client(node.port));
    expect(failure).toMatchObject({ code: SqlState.CannotConnectNow });
    expect(failure.message).toContain('no primary is known');
  });

  test('protocol negotiation is left to the target: the client hears it once', async () => {
    const primary = await listener();
    const replica = await listener(forwardTo(primary.port));
    const startup: FrontendMessage = {
      kind: 'startup',
      version: { major: 3, minor: 2 },
      parameters: new Map([
        ['user', 'nobody'],
        ['_pq_.something', 'on'],
      ]),
    };
    const messages = await rawExchange(replica.port, [{ kind: 'sslRequest' }], () => true);
    expect(messages).toEqual([]);
    const answer = await rawExchange(replica.port, [startup], (m) =>
      m.some((x) => x.kind.startsWith('authentication')),
    );
    expect(answer.filter((m) => m.kind === 'negotiateProtocolVersion')).toHaveLength(1);
    expect(answer.map((m) => m.kind)).toContain('authenticationSasl');
  });

  test('a cancel request for a forwarded session reaches the target', async () => {
    const primary = await listener();
    const replica = await listener(forwardTo(primary.port));
    const c = await client(replica.port);
    const running = rejection(c.query('wait'));
    await expect.poll(() => primary.backend.sessions.length).toBe(1);
    const session = primary.backend.sessions[0];
    if (session === undefined) throw new Error('no session at the target');
    await session.waiting;
    // pg sends the CancelRequest to the host it connected to: the forwarding node.
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: replica.port }, () => {
        const processId: unknown = Reflect.get(c, 'processID');
        const secretKey: unknown = Reflect.get(c, 'secretKey');
        if (typeof processId !== 'number' || typeof secretKey !== 'number') throw new Error('no key');
        socket.end(encodeFrontendMessage({ kind: 'cancelRequest', processId, secretKey }));
      });
      socket.on('close', () => resolve());
    });
    expect((await running).code).toBe(SqlState.QueryCanceled);
    expect(session.cancelCount).toBe(1);
  });

  test('closing the forwarding listener cuts forwarded sessions; the target closes them', async () => {
    const primary = await listener();
    const replica = await listener(forwardTo(primary.port));
    const c = await client(replica.port);
    c.on('error', () => {});
    await c.query('begin');
    await replica.listener.close({ deadlineMs: 10_000 });
    await expect.poll(() => primary.backend.sessions[0]?.closed).toBe(true);
  });
});
