/**
 * The gRPC transport for Raft messages (proto/raft.proto). Each node runs one gRPC server and
 * keeps one outgoing client stream per peer; a message for a peer is written to its stream, and
 * answers come back on the peer's own stream to us. Peers are identified by node id and looked
 * up in an address book the driver keeps current from the replicated configuration.
 *
 * Failure policy, chosen because Raft already tolerates lost messages:
 *   - sending never blocks and never throws: with no open stream, or more than
 *     `queuedMessagesMax` messages waiting on it, the message is dropped (and counted);
 *   - a broken stream is reopened on the next send after a backoff (50 ms doubling to 1 s,
 *     reset when the peer is heard from), and the channel's own reconnect backoff is capped to
 *     match, so a restarted peer is reachable again within about a second;
 *   - a malformed envelope ends the incoming stream (it is never read past an error); an
 *     envelope addressed to another node id is refused the same way.
 * There is no authentication: the cluster network must be trusted (TLS is future work).
 * Exports: GrpcTransport, GrpcTransportOptions, TransportStats.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { RaftMessage } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { type RaftSendMethod, raftService } from './raft-service.js';
import { decodeEnvelope, encodeEnvelope, WireError } from './wire-codec.js';

const queuedMessagesMax = 4096;
const backoffInitialMs = 50;
const backoffMaxMs = 1000;
const messageBytesMax = 256 * 1024 * 1024;

const channelOptions: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': backoffInitialMs,
  'grpc.max_reconnect_backoff_ms': backoffMaxMs,
  'grpc.keepalive_time_ms': 5000,
  'grpc.keepalive_timeout_ms': 2000,
  'grpc.max_send_message_length': messageBytesMax,
  'grpc.max_receive_message_length': messageBytesMax,
};

export interface GrpcTransportOptions {
  readonly nodeId: NodeId;
  readonly listenHost: string;
  /** 0 binds an ephemeral port (see GrpcTransport.port). */
  readonly port: number;
  readonly logger: Logger;
  readonly onMessage: (from: NodeId, msg: RaftMessage) => void;
}

export interface TransportStats {
  sent: number;
  dropped: number;
  received: number;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One outgoing stream to one peer, reopened with backoff when it breaks. */
class PeerLink {
  private client: grpc.Client | null = null;
  private stream: grpc.ClientWritableStream<object> | null = null;
  private retryAtMs = 0;
  private backoffMs = backoffInitialMs;
  private failures = 0;

  constructor(
    readonly peer: NodeId,
    readonly address: string,
    private readonly method: RaftSendMethod,
    private readonly logger: Logger,
  ) {}

  /** Writes the envelope, or returns false if it had to be dropped. */
  send(envelope: object): boolean {
    const stream = this.stream ?? this.open();
    if (stream === null || stream.writableLength >= queuedMessagesMax) return false;
    stream.write(envelope);
    return true;
  }

  /** The peer was heard from: the next reconnect may be immediate. */
  alive(): void {
    this.backoffMs = backoffInitialMs;
    this.retryAtMs = 0;
    this.failures = 0;
  }

  close(): void {
    this.stream?.end();
    this.stream = null;
    this.client?.close();
    this.client = null;
  }

  private open(): grpc.ClientWritableStream<object> | null {
    if (Date.now() < this.retryAtMs) return null;
    this.client ??= new grpc.Client(this.address, grpc.credentials.createInsecure(), channelOptions);
    const stream: grpc.ClientWritableStream<object> = this.client.makeClientStreamRequest(
      this.method.path,
      this.method.requestSerialize,
      this.method.responseDeserialize,
      (error) => this.closed(stream, error),
    );
    stream.on('error', (error: Error) => this.closed(stream, error));
    this.stream = stream;
    return stream;
  }

  private closed(stream: grpc.ClientWritableStream<object>, error: Error | null): void {
    if (this.stream !== stream) return;
    this.stream = null;
    this.retryAtMs = Date.now() + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, backoffMaxMs);
    const fields = { peer: this.peer, address: this.address, error: error?.message ?? 'stream ended' };
    // The first failure is news; a peer that stays down would otherwise log every backoff.
    if (this.failures++ === 0) this.logger.warn(fields, 'raft stream to peer closed');
    else this.logger.debug(fields, 'raft stream to peer closed');
  }
}

export class GrpcTransport {
  private readonly links = new Map<NodeId, PeerLink>();
  private addresses: ReadonlyMap<NodeId, string> = new Map();
  private readonly counters: TransportStats = { sent: 0, dropped: 0, received: 0 };
  private closed = false;

  private constructor(
    private readonly opts: GrpcTransportOptions,
    private readonly server: grpc.Server,
    private readonly method: RaftSendMethod,
    readonly port: number,
  ) {}

  /** Starts the server and resolves once it listens. */
  static async start(opts: GrpcTransportOptions): Promise<GrpcTransport> {
    const { service, send } = raftService();
    const server = new grpc.Server({
      'grpc.max_receive_message_length': messageBytesMax,
      'grpc.max_send_message_length': messageBytesMax,
    });
    let transport: GrpcTransport | null = null;
    server.addService(service, {
      Send: (call: grpc.ServerReadableStream<unknown, object>, callback: grpc.sendUnaryData<object>) => {
        if (transport === null) {
          callback({ code: grpc.status.UNAVAILABLE, details: 'transport starting' });
          return;
        }
        transport.receive(call, callback);
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        hostPort(opts.listenHost, opts.port),
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => {
          if (error === null) resolve(bound);
          else reject(error);
        },
      );
    });
    transport = new GrpcTransport(opts, server, send, port);
    return transport;
  }

  /** Replaces the address book ("host:port" by node id); links whose address changed are reopened. */
  setAddresses(addresses: ReadonlyMap<NodeId, string>): void {
    this.addresses = addresses;
    for (const [peer, link] of this.links) {
      if (addresses.get(peer) !== link.address) {
        link.close();
        this.links.delete(peer);
      }
    }
  }

  send(to: NodeId, msg: RaftMessage): void {
    if (this.closed) return;
    const link = this.link(to);
    if (link?.send(encodeEnvelope(this.opts.nodeId, to, msg))) this.counters.sent++;
    else this.counters.dropped++;
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => resolve());
      // Streams from peers stay open until they close them; do not wait for that.
      setTimeout(() => this.server.forceShutdown(), 200).unref();
    });
  }

  private link(peer: NodeId): PeerLink | null {
    const existing = this.links.get(peer);
    if (existing !== undefined) return existing;
    const address = this.addresses.get(peer);
    if (address === undefined) return null;
    const link = new PeerLink(peer, address, this.method, this.opts.logger);
    this.links.set(peer, link);
    return link;
  }

  private receive(
    call: grpc.ServerReadableStream<unknown, object>,
    callback: grpc.sendUnaryData<object>,
  ): void {
    let received = 0;
    let failed = false;
    const fail = (code: grpc.status, details: string): void => {
      failed = true;
      this.opts.logger.warn({ details }, 'dropping raft stream');
      callback({ code, details });
    };
    call.on('data', (raw: unknown) => {
      if (failed || this.closed) return;
      let envelope: ReturnType<typeof decodeEnvelope>;
      try {
        envelope = decodeEnvelope(raw);
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        fail(grpc.status.INVALID_ARGUMENT, error.message);
        return;
      }
      if (envelope.to !== this.opts.nodeId) {
        fail(grpc.status.FAILED_PRECONDITION, `message for ${envelope.to} reached ${this.opts.nodeId}`);
        return;
      }
      received++;
      this.counters.received++;
      this.links.get(envelope.from)?.alive();
      this.opts.onMessage(envelope.from, envelope.msg);
    });
    call.on('end', () => {
      if (!failed) callback(null, { received: String(received) });
    });
    call.on('error', (error: Error) => {
      this.opts.logger.debug({ error: error.message }, 'incoming raft stream failed');
    });
  }
}
