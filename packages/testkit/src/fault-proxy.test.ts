/**
 * FaultProxy forwards small writes at once (no Nagle on either leg): a request sent as two small
 * writes, answered only once both arrived, used to wait for the peer's delayed ACK (40 ms on
 * Linux) at the proxy's upstream leg, which made every synchronous commit through the drill's
 * proxies cost tens of milliseconds more than the network it stands in for.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server that answers "ok" once it has both halves ("a" then "b") of a request. */
async function halvesServer(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let got = '';
    socket.on('data', (chunk) => {
      got += chunk.toString();
      while (got.length >= 2) {
        got = got.slice(2);
        socket.write('k');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return address !== null && typeof address !== 'string' ? address.port : 0;
}

describe('FaultProxy', () => {
  it('forwards a request written in two small pieces without waiting for an ACK', async () => {
    const proxy = new FaultProxy('127.0.0.1', await halvesServer());
    await proxy.start();
    closers.push(() => proxy.close());
    const client = net.connect({ port: proxy.port, host: '127.0.0.1', noDelay: true });
    closers.push(async () => {
      client.destroy();
    });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      const answered = new Promise<void>((resolve) => client.once('data', () => resolve()));
      client.write('a');
      // The second half follows a moment later (its own segment, forwarded on its own), as a
      // framed message's header and body may.
      await new Promise<void>((resolve) => setTimeout(resolve, 2));
      client.write('b');
      await answered;
      times.push(performance.now() - started);
    }
    times.sort((x, y) => x - y);
    // With Nagle at the proxy, most round trips took 40 ms or more (the delayed ACK).
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(30);
  });
});
