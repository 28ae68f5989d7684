/**
 * The gRPC side of replication (proto/replication.proto, compiled at startup by proto-loader, so
 * the .proto is the single source of the wire format). ReplicationServer serves the primary's
 * two calls and hands each one to the driver as a typed object; `openReplicationStream` and
 * `fetchBackup` are the replica's client side.
 *
 * Flow control: `send` on a stream returns false when gRPC's buffer is full; `drained()`
 * resolves when it empties, and the driver holds further WAL until then (the core's window
 * bounds what may be in flight anyway). A backup is written piece by piece, each write waiting
 * for the previous to drain. A malformed message ends its stream (never read past an error).
 * No authentication: the cluster network must be trusted, as for Raft.
 * Exports: ReplicationServer, PrimaryStream, ReplicaStream, BackupSink, openReplicationStream,
 * fetchBackup, ServerHandlers, method.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { assert } from '@keel/errors';
import type { PrimaryMessage, ReplicaMessage } from '../core/messages.js';
import type { BackupPiece, BackupRequest } from '../storage-port.js';
import {
  type DecodedBackupRequest,
  decodeBackupPiece,
  decodeBackupRequest,
  decodePrimaryMessage,
  decodeReplicaMessage,
  encodeBackupPiece,
  encodeBackupRequest,
  encodePrimaryMessage,
  encodeReplicaMessage,
  protoLoaderOptions,
} from './wire-codec.js';

/** proto/replication.proto at the repository root; the same relative path works from src/ and dist/. */
export const protoPath = fileURLToPath(new URL('../../../../proto/replication.proto', import.meta.url));

const messageBytesMax = 256 * 1024 * 1024;
const channelOptions: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 5000,
  'grpc.keepalive_timeout_ms': 2000,
  'grpc.max_send_message_length': messageBytesMax,
  'grpc.max_receive_message_length': messageBytesMax,
};

let loaded: ServiceDefinition | null = null;

function isService(definition: PackageDefinition[string] | undefined): definition is ServiceDefinition {
  return definition !== undefined && !('format' in definition);
}

function service(): ServiceDefinition {
  if (loaded === null) {
    const definition = loadSync(protoPath, protoLoaderOptions)['keel.replication.v1.Replication'];
    assert(isService(definition), 'keel.replication.v1.Replication is not a service in replication.proto');
    loaded = definition;
  }
  return loaded;
}

/** The service's method definitions (their serializers are proto/replication.proto's). */
export function method(name: 'Stream' | 'Backup'): grpc.MethodDefinition<object, object> {
  const m = service()[name];
  assert(m !== undefined, `Replication.${name} missing from replication.proto`);
  return m;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One replica's stream as the primary sees it. */
export interface PrimaryStream {
  readonly peer: string;
  send(msg: PrimaryMessage): boolean;
  drained(): Promise<void>;
  end(): void;
  onMessage(listener: (msg: ReplicaMessage) => void): void;
  onClose(listener: (reason: string) => void): void;
}

/** The replica's end of the stream. */
export interface ReplicaStream {
  send(msg: ReplicaMessage): boolean;
  end(): void;
  onMessage(listener: (msg: PrimaryMessage) => void): void;
  onClose(listener: (reason: string) => void): void;
}

export interface BackupSink {
  readonly peer: string;
  /** Resolves once the piece is handed to gRPC with room for more; rejects if the call ended. */
  write(piece: BackupPiece): Promise<void>;
  end(): void;
  fail(message: string): void;
  /** Whether the client went away. */
  cancelled(): boolean;
}

export interface ServerHandlers {
  stream(stream: PrimaryStream): void;
  backup(request: DecodedBackupRequest, sink: BackupSink): void;
}

/** Wires a gRPC duplex to typed listeners; a decode error or stream error closes it once. */
function duplex<In, Out>(
  call: grpc.ClientDuplexStream<object, object> | grpc.ServerDuplexStream<object, object>,
  encode: (msg: Out) => object,
  decode: (raw: unknown) => In,
) {
  let onMessage: (msg: In) => void = () => {};
  let onClose: (reason: string) => void = () => {};
  let closed = false;
  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    onClose(reason);
  };
  call.on('data', (raw: unknown) => {
    if (closed) return;
    let msg: In;
    try {
      msg = decode(raw);
    } catch (error) {
      close(`malformed message: ${error instanceof Error ? error.message : String(error)}`);
      call.end();
      return;
    }
    onMessage(msg);
  });
  call.on('end', () => close('stream ended by peer'));
  call.on('error', (error: Error) => close(error.message));
  call.on('close', () => close('stream closed'));
  return {
    send: (msg: Out): boolean => (closed ? false : call.write(encode(msg))),
    drained: (): Promise<void> =>
      new Promise<void>((resolve) => {
        if (closed || !call.writableNeedDrain) resolve();
        else {
          call.once('drain', () => resolve());
          call.once('close', () => resolve());
        }
      }),
    end: () => {
      if (!closed) call.end();
      close('ended locally');
    },
    onMessage: (listener: (msg: In) => void) => {
      onMessage = listener;
    },
    onClose: (listener: (reason: string) => void) => {
      onClose = listener;
    },
  };
}

export class ReplicationServer {
  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
  ) {}

  static async start(host: string, port: number, handlers: ServerHandlers): Promise<ReplicationServer> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': messageBytesMax,
      'grpc.max_send_message_length': messageBytesMax,
    });
    server.addService(service(), {
      Stream: (call: grpc.ServerDuplexStream<object, object>) => {
        const d = duplex<ReplicaMessage, PrimaryMessage>(call, encodePrimaryMessage, decodeReplicaMessage);
        handlers.stream({ peer: call.getPeer(), ...d });
      },
      Backup: (call: grpc.ServerWritableStream<object, object>) => {
        let request: DecodedBackupRequest;
        try {
          request = decodeBackupRequest(call.request);
        } catch (error) {
          call.destroy(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        handlers.backup(request, backupSink(call));
      },
    });
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(hostPort(host, port), grpc.ServerCredentials.createInsecure(), (error, p) => {
        if (error === null) resolve(p);
        else reject(error);
      });
    });
    return new ReplicationServer(server, bound);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => resolve());
      setTimeout(() => this.server.forceShutdown(), 200).unref();
    });
  }
}

function backupSink(call: grpc.ServerWritableStream<object, object>): BackupSink {
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  call.on('error', () => {
    cancelled = true;
  });
  return {
    peer: call.getPeer(),
    write: (piece) =>
      new Promise<void>((resolve, reject) => {
        if (cancelled) {
          reject(new Error('backup call cancelled by the replica'));
          return;
        }
        if (call.write(encodeBackupPiece(piece))) resolve();
        else {
          call.once('drain', () => resolve());
          call.once('close', () => reject(new Error('backup call closed')));
        }
      }),
    end: () => call.end(),
    fail: (message) => call.destroy(new Error(message)),
    cancelled: () => cancelled,
  };
}

/** Opens the replica's stream to a primary; resolves once the call exists (not once answered). */
export function openReplicationStream(host: string, port: number): { stream: ReplicaStream; close(): void } {
  const client = new grpc.Client(hostPort(host, port), grpc.credentials.createInsecure(), channelOptions);
  const m = method('Stream');
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
  const d = duplex<PrimaryMessage, ReplicaMessage>(call, encodeReplicaMessage, decodePrimaryMessage);
  return {
    stream: d,
    close: () => {
      d.end();
      call.cancel();
      client.close();
    },
  };
}

/** The primary's backup as pieces; the call is cancelled if the consumer stops early. */
export async function* fetchBackup(
  host: string,
  port: number,
  nodeId: string,
  primaryId: string,
  request: BackupRequest,
): AsyncGenerator<BackupPiece> {
  const client = new grpc.Client(hostPort(host, port), grpc.credentials.createInsecure(), channelOptions);
  const m = method('Backup');
  const call = client.makeServerStreamRequest(
    m.path,
    m.requestSerialize,
    m.responseDeserialize,
    encodeBackupRequest(nodeId, primaryId, request),
  );
  let finished = false;
  try {
    for await (const raw of call) yield decodeBackupPiece(raw);
    finished = true;
  } finally {
    if (!finished) call.cancel();
    client.close();
  }
}
