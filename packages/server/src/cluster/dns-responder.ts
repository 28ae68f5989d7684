/**
 * The built-in DNS responder (`--dns-port`): UDP and TCP on the same port, answering from
 * dns-answers.ts. Packets are decoded and encoded with dns-packet; a packet that does not decode
 * is dropped (UDP) or ends the connection (TCP), and is counted in the debug log only, since
 * anyone can send garbage to a DNS port. TCP answers are length-prefixed (RFC 1035 4.2.2);
 * a TCP connection idle for 10 s is closed.
 * Exports: startDnsResponder, DnsResponderHandle.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { decode, encode } from 'dns-packet';
import type { Logger } from '../logger.js';
import { answerQuery, type DnsView } from './dns-answers.js';

export interface DnsResponderHandle {
  readonly port: number;
  close(): Promise<void>;
}

const maxTcpMessageBytes = 65_535;

export async function startDnsResponder(
  host: string,
  port: number,
  view: DnsView,
  logger: Logger,
): Promise<DnsResponderHandle> {
  const log = logger.child({ component: 'dns' });
  const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (message, remote) => {
    const reply = respond(message, view, log);
    if (reply !== null) udp.send(reply, remote.port, remote.address);
  });
  udp.on('error', (error) => log.warn({ err: error }, 'DNS UDP socket error'));
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const boundPort = udp.address().port;
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => serveTcp(socket, view, log, sockets));
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(boundPort, host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  log.info({ host, port: boundPort, cluster: view.cluster }, 'DNS responder listening');
  return {
    port: boundPort,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

function respond(message: Buffer, view: DnsView, log: Logger): Buffer | null {
  try {
    const query = decode(message);
    if (query.type !== 'query') return null;
    return encode(answerQuery(query, view));
  } catch (error) {
    log.debug({ err: error }, 'undecodable DNS packet dropped');
    return null;
  }
}

function serveTcp(socket: Socket, view: DnsView, log: Logger, sockets: Set<Socket>): void {
  sockets.add(socket);
  socket.setTimeout(10_000, () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (length > maxTcpMessageBytes || length === 0) {
        socket.destroy();
        return;
      }
      if (buffered.length < 2 + length) return;
      const reply = respond(buffered.subarray(2, 2 + length), view, log);
      buffered = buffered.subarray(2 + length);
      if (reply === null) {
        socket.destroy();
        return;
      }
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(reply.length, 0);
      socket.write(Buffer.concat([prefix, reply]));
    }
  });
}
