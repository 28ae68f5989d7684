/**
 * The primary's driver: runs a PrimaryCore against the node's storage and the replicas' gRPC
 * streams. It answers each stream's hello (welcome with this node's identity, or refuse), turns
 * messages and ticks into core inputs, and runs the core's outputs: reads WAL from storage and
 * sends it (holding the next read until gRPC's buffer drains), keepalives with the xid horizon,
 * retention floors, and the commit gate's releases and failures. It also implements the
 * CommitGate the engine calls on every commit, and serves base backups.
 * Exports: PrimaryDriver.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Identity } from '../core/messages.js';
import { PrimaryCore, type PrimaryInput, type PrimaryOutput } from '../core/primary-core.js';
import type { BackupSink, PrimaryStream } from '../grpc/replication-transport.js';
import type { DecodedBackupRequest } from '../grpc/wire-codec.js';
import type { Logger } from '../logger.js';
import type { CommitGate, ReplicationStorage, SyncLevel } from '../storage-port.js';
import type { ResolvedReplicationConfig } from './replication-config.js';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface Attached {
  replica: string;
  session: number;
  stream: PrimaryStream;
}

const WINDOW_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 200;

export class PrimaryDriver implements CommitGate {
  readonly core: PrimaryCore;
  private readonly streams = new Map<number, Attached>();
  private nextSession = 1;
  private readonly commitWaiters = new Map<number, Waiter>();
  private readonly blockedWaiters = new Map<number, Waiter>();
  private nextBlocked = 1;
  private readonly inputs: PrimaryInput[] = [];
  private running = false;
  private stopped = false;
  private backups = 0;

  constructor(
    private readonly config: ResolvedReplicationConfig,
    private readonly storage: ReplicationStorage,
    private readonly logger: Logger,
  ) {
    const positions = storage.positions();
    const ticks = (ms: number) => Math.max(1, Math.ceil(ms / config.tickMs));
    this.core = new PrimaryCore(
      {
        syncReplicas: config.syncReplicas,
        syncTimeoutTicks: config.syncTimeoutMs > 0 ? ticks(config.syncTimeoutMs) : 0,
        walKeepBytes: config.walKeepBytes,
        windowBytes: WINDOW_BYTES,
        chunkBytes: CHUNK_BYTES,
        replicaTimeoutTicks: ticks(config.replicaTimeoutMs),
        keepaliveTicks: ticks(KEEPALIVE_MS),
      },
      { flushLsn: positions.flushLsn, visibleLsn: positions.visibleLsn },
      logger,
    );
  }

  // ---- CommitGate (called by the engine) ------------------------------------------------

  beforeCommitRecord(_pid: number, _level: SyncLevel): Promise<void> {
    if (this.stopped) return Promise.reject(notPrimary());
    const writable = this.core.writable();
    if (writable.ok) return Promise.resolve();
    const id = this.nextBlocked++;
    const wait = new Promise<void>((resolve, reject) => this.blockedWaiters.set(id, { resolve, reject }));
    // One line when commits start waiting and one when they may go on, not one per commit.
    if (this.blockedWaiters.size === 1) {
      this.logger.warn(
        { syncReplicas: this.config.syncReplicas, reason: writable.reason },
        'commit waits for the synchronous quorum',
      );
    }
    this.step({ kind: 'commitBlocked', id });
    return wait;
  }

  commitAppended(lsn: number): void {
    this.step({ kind: 'commitAppended', lsn });
  }

  commitVisible(lsn: number, level: SyncLevel, _pid: number): Promise<void> {
    const wait = new Promise<void>((resolve, reject) => this.commitWaiters.set(lsn, { resolve, reject }));
    // The record is durable (or, with synchronous_commit off, written): WAL can go out now.
    this.step({ kind: 'localFlushed', lsn: this.storage.positions().flushLsn });
    this.step({ kind: 'commitDurable', lsn, level });
    return wait;
  }

  // ---- streams ---------------------------------------------------------------------------

  attach(stream: PrimaryStream): void {
    const session = this.nextSession++;
    let replica: string | null = null;
    stream.onMessage((msg) => {
      if (this.stopped) return;
      switch (msg.kind) {
        case 'hello': {
          if (msg.primaryId !== this.config.nodeId) {
            stream.send({ kind: 'refuse', reason: `this is ${this.config.nodeId}, not ${msg.primaryId}` });
            stream.end();
            return;
          }
          replica = msg.nodeId;
          this.streams.set(session, { replica, session, stream });
          stream.send({ kind: 'welcome', nodeId: this.config.nodeId, identity: this.identity() });
          return;
        }
        case 'start':
          if (replica !== null)
            this.step({ kind: 'replicaStart', replica, session, fromLsn: msg.fromLsn, peer: stream.peer });
          return;
        case 'progress':
          if (replica !== null) this.step({ kind: 'replicaProgress', replica, session, ...pick(msg) });
          return;
        default:
          msg satisfies never;
      }
    });
    stream.onClose((reason) => {
      this.streams.delete(session);
      if (replica !== null && !this.stopped) this.step({ kind: 'replicaGone', replica, session, reason });
    });
  }

  async serveBackup(request: DecodedBackupRequest, sink: BackupSink): Promise<void> {
    if (request.primaryId !== this.config.nodeId) {
      sink.fail(`this is ${this.config.nodeId}, not ${request.primaryId}`);
      return;
    }
    this.backups++;
    const log = this.logger.child({ replica: request.nodeId, backup: request.request.mode });
    try {
      for await (const piece of this.storage.backup(request.request, (fields, msg) =>
        log.info(fields, msg),
      )) {
        if (this.stopped) throw new Error('primary stopped');
        await sink.write(piece);
      }
      sink.end();
    } catch (error) {
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'base backup failed');
      sink.fail(error instanceof Error ? error.message : String(error));
    } finally {
      this.backups--;
    }
  }

  get backupsRunning(): number {
    return this.backups;
  }

  tick(): void {
    this.step({ kind: 'localFlushed', lsn: this.storage.positions().flushLsn });
    this.step({ kind: 'tick' });
  }

  fence(fenced: boolean): void {
    this.step({ kind: 'fence', fenced });
    if (fenced) this.closeStreams('this node is no longer the primary');
  }

  /** Ends every stream (replicas reconnect and handshake again, e.g. after a term change). */
  closeStreams(reason: string): void {
    for (const attached of [...this.streams.values()]) {
      attached.stream.send({ kind: 'refuse', reason });
      attached.stream.end();
    }
  }

  /** Stops: waiting commits fail with 40003, blocked ones with 57P01; streams end. */
  stop(): void {
    this.step({ kind: 'shutdown' });
    this.stopped = true;
    for (const attached of this.streams.values()) attached.stream.end();
    this.streams.clear();
  }

  // ---- the loop ----------------------------------------------------------------------------

  private step(input: PrimaryInput): void {
    this.inputs.push(input);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.inputs.shift(); next !== undefined; next = this.inputs.shift()) {
        for (const output of this.core.step(next)) this.run(output);
      }
    } finally {
      this.running = false;
    }
  }

  private run(output: PrimaryOutput): void {
    switch (output.kind) {
      case 'sendWal':
        this.sendWal(output);
        return;
      case 'sendKeepalive':
        this.streamOf(output.session)?.send({
          kind: 'keepalive',
          primaryFlushLsn: output.primaryFlushLsn,
          visibleLsn: output.visibleLsn,
          replyRequested: output.replyRequested,
          xidHorizon: this.storage.xidHorizon(),
        });
        return;
      case 'retain':
        this.storage.retainWal(`replica:${output.replica}`, output.lsn);
        return;
      case 'closeReplica': {
        const stream = this.streamOf(output.session);
        if (stream === null) return;
        if (output.bootstrap) stream.send({ kind: 'bootstrapRequired', reason: output.reason });
        stream.end();
        return;
      }
      case 'releaseCommit':
        this.settle(this.commitWaiters, output.lsn, null);
        return;
      case 'failCommit':
        this.settle(
          this.commitWaiters,
          output.lsn,
          new KeelError(
            SqlState.StatementCompletionUnknown,
            'the commit was written but this node stopped being the primary before a quorum confirmed it',
            { hint: 'Whether it survives depends on the new primary; check before retrying.' },
          ),
        );
        return;
      case 'releaseBlocked':
        this.settle(this.blockedWaiters, output.id, null);
        if (this.blockedWaiters.size === 0) {
          this.logger.info(
            { syncReplicas: this.config.syncReplicas },
            'synchronous quorum available: commits proceed',
          );
        }
        return;
      case 'failBlocked':
        this.settle(this.blockedWaiters, output.id, blockedError(output.reason, this.config));
        return;
      default:
        output satisfies never;
    }
  }

  private sendWal(output: Extract<PrimaryOutput, { kind: 'sendWal' }>): void {
    const { replica, session } = output;
    const stream = this.streamOf(session);
    if (stream === null) return;
    const read = this.storage.readWal(output.fromLsn, output.maxBytes);
    if (read.kind === 'missing') {
      this.inputs.push({ kind: 'walMissing', replica, session, detail: read.detail });
      return;
    }
    if (read.kind === 'none') {
      this.inputs.push({ kind: 'walSent', replica, session, endLsn: output.fromLsn });
      return;
    }
    const room = stream.send({
      kind: 'wal',
      lsn: read.lsn,
      data: read.data,
      primaryFlushLsn: output.primaryFlushLsn,
      visibleLsn: output.visibleLsn,
    });
    if (room) this.inputs.push({ kind: 'walSent', replica, session, endLsn: read.endLsn });
    else
      void stream.drained().then(() => this.step({ kind: 'walSent', replica, session, endLsn: read.endLsn }));
  }

  private streamOf(session: number): PrimaryStream | null {
    return this.streams.get(session)?.stream ?? null;
  }

  private settle(waiters: Map<number, Waiter>, key: number, error: Error | null): void {
    const waiter = waiters.get(key);
    if (waiter === undefined) return;
    waiters.delete(key);
    if (error === null) waiter.resolve();
    else waiter.reject(error);
  }

  private identity(): Identity {
    const identity = this.storage.identity();
    return {
      systemId: identity.systemId,
      history: identity.history,
      flushLsn: this.storage.positions().flushLsn,
    };
  }
}

function pick(msg: { writeLsn: number; flushLsn: number; applyLsn: number }) {
  return { writeLsn: msg.writeLsn, flushLsn: msg.flushLsn, applyLsn: msg.applyLsn };
}

function notPrimary(): KeelError {
  return new KeelError(SqlState.ReadOnlySqlTransaction, 'cannot commit: this node is no longer the primary');
}

/**
 * The sync timeout's error: SQLSTATE 40000 (transaction_rollback), because the transaction was
 * rolled back before its commit record; README "Synchronous commit" documents the choice.
 */
function blockedError(
  reason: 'timeout' | 'fenced' | 'shutdown',
  config: ResolvedReplicationConfig,
): KeelError {
  if (reason === 'fenced') return notPrimary();
  if (reason === 'shutdown')
    return new KeelError(SqlState.AdminShutdown, 'cannot commit: replication is shutting down');
  return new KeelError(
    SqlState.TransactionRollback,
    `could not commit: fewer than ${config.syncReplicas} synchronous replica(s) streaming for ${config.syncTimeoutMs} ms (--sync-timeout)`,
    {
      detail: 'The transaction was rolled back before its commit record was written; nothing of it was kept.',
      hint: 'Retry once the replicas are back, or lower --sync-replicas.',
    },
  );
}
