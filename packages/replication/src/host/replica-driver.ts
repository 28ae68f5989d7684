/**
 * The replica's driver: runs a ReplicaCore against the node's storage and one gRPC stream to the
 * primary. WAL from the stream goes straight into storage (appendWal), then the core is told the
 * new positions; the core's outputs open and close streams, send hello/start/progress, ask for
 * one flush and one replay at a time (replay runs in slices of REPLAY_SLICE_BYTES, yielding to
 * the event loop between them so hot-standby queries keep running), publish the primary's
 * visible horizon, and install base backups or rewinds.
 * Exports: ReplicaDriver.
 */

import { ReplicaCore, type ReplicaInput, type ReplicaOutput, type Upstream } from '../core/replica-core.js';
import { fetchBackup, openReplicationStream, type ReplicaStream } from '../grpc/replication-transport.js';
import type { Logger } from '../logger.js';
import type { BackupRequest, ReplicationStorage } from '../storage-port.js';
import type { ResolvedReplicationConfig } from './replication-config.js';

const REPLAY_SLICE_BYTES = 1024 * 1024;

export class ReplicaDriver {
  readonly core: ReplicaCore;
  private stream: { session: number; stream: ReplicaStream; close(): void } | null = null;
  private readonly inputs: ReplicaInput[] = [];
  private running = false;
  private closed = false;
  /** A base backup or rewind being received. */
  installing: { kind: 'full' | 'rewind'; done: number; total: number } | null = null;

  constructor(
    private readonly config: ResolvedReplicationConfig,
    private readonly storage: ReplicationStorage,
    private readonly logger: Logger,
    private readonly changed: () => void,
  ) {
    const ticks = (ms: number) => Math.max(1, Math.ceil(ms / config.tickMs));
    this.core = new ReplicaCore(
      {
        timeoutTicks: ticks(config.replicaTimeoutMs),
        backoffMinTicks: ticks(50),
        backoffMaxTicks: ticks(1000),
        statusTicks: ticks(200),
      },
      () => {
        const positions = storage.positions();
        const identity = storage.identity();
        return {
          identity: { systemId: identity.systemId, history: identity.history, flushLsn: positions.flushLsn },
          writeLsn: positions.insertLsn,
          flushLsn: positions.flushLsn,
          replayLsn: positions.replayLsn,
        };
      },
      logger,
    );
  }

  follow(primary: Upstream | null): void {
    this.step({ kind: 'follow', primary });
  }

  tick(): void {
    this.step({ kind: 'tick' });
  }

  close(): void {
    this.closed = true;
    this.follow(null);
    this.stream?.close();
    this.stream = null;
  }

  private step(input: ReplicaInput): void {
    this.inputs.push(input);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.inputs.shift(); next !== undefined; next = this.inputs.shift()) {
        const phase = this.core.phase.name;
        for (const output of this.core.step(next)) this.run(output);
        if (this.core.phase.name !== phase) this.changed();
      }
    } finally {
      this.running = false;
    }
  }

  private run(output: ReplicaOutput): void {
    switch (output.kind) {
      case 'openStream':
        this.open(output.session, output.primary);
        return;
      case 'closeStream':
        if (this.stream?.session === output.session) {
          this.stream.close();
          this.stream = null;
        }
        return;
      case 'sendHello': {
        const positions = this.storage.positions();
        const identity = this.storage.identity();
        this.send(output.session, {
          kind: 'hello',
          nodeId: this.config.nodeId,
          primaryId: output.primaryId,
          identity: { systemId: identity.systemId, history: identity.history, flushLsn: positions.flushLsn },
        });
        return;
      }
      case 'sendStart':
        this.send(output.session, { kind: 'start', fromLsn: output.fromLsn });
        return;
      case 'sendProgress':
        this.send(output.session, {
          kind: 'progress',
          writeLsn: output.writeLsn,
          flushLsn: output.flushLsn,
          applyLsn: output.applyLsn,
        });
        return;
      case 'flush':
        this.storage.flushWal().then(
          (lsn) => this.step({ kind: 'flushed', lsn }),
          (error: unknown) => this.fatal(error, 'flushing received WAL failed'),
        );
        return;
      case 'replay':
        setImmediate(() => this.replaySlice());
        return;
      case 'setVisible':
        this.storage.setPrimaryVisible(output.lsn);
        return;
      case 'applyXidHorizon':
        this.storage.applyXidHorizon(output.horizon);
        return;
      case 'adoptHistory':
        this.storage.adoptHistory(output.identity.history);
        return;
      case 'planRewind': {
        const plan = this.storage.planRewind(output.divergeLsn);
        this.inputs.push({ kind: 'rewindPlanned', plan });
        return;
      }
      case 'install':
        void this.install(output.primary, output.request);
        return;
      default:
        output satisfies never;
    }
  }

  private open(session: number, primary: Upstream): void {
    this.stream?.close();
    const opened = openReplicationStream(primary.host, primary.port);
    this.stream = { session, ...opened };
    opened.stream.onMessage((msg) => {
      if (this.stream?.session !== session) return;
      switch (msg.kind) {
        case 'welcome':
          this.step({ kind: 'welcome', session, primaryId: msg.nodeId, identity: msg.identity });
          return;
        case 'refuse':
          this.step({ kind: 'refused', session, reason: msg.reason });
          return;
        case 'bootstrapRequired':
          this.step({ kind: 'bootstrapRequired', session, reason: msg.reason });
          return;
        case 'wal':
          this.receiveWal(session, msg.lsn, msg.data, msg.primaryFlushLsn, msg.visibleLsn);
          return;
        case 'keepalive':
          this.step({
            kind: 'keepalive',
            session,
            primaryFlushLsn: msg.primaryFlushLsn,
            visibleLsn: msg.visibleLsn,
            replyRequested: msg.replyRequested,
            xidHorizon: msg.xidHorizon,
          });
          return;
        default:
          msg satisfies never;
      }
    });
    opened.stream.onClose((reason) => this.step({ kind: 'streamClosed', session, reason }));
    this.inputs.push({ kind: 'streamOpened', session });
  }

  private receiveWal(
    session: number,
    lsn: number,
    data: Buffer,
    primaryFlushLsn: number,
    visibleLsn: number,
  ): void {
    const phase = this.core.phase;
    if (phase.name !== 'streaming' || phase.session !== session) return;
    let end: number;
    try {
      end = this.storage.appendWal(lsn, data);
    } catch (error) {
      this.logger.warn(
        { lsn, err: error instanceof Error ? error.message : String(error) },
        'received WAL refused',
      );
      this.step({ kind: 'streamClosed', session, reason: 'received WAL refused' });
      return;
    }
    this.step({ kind: 'written', lsn: end });
    this.step({ kind: 'wal', session, endLsn: end, primaryFlushLsn, visibleLsn });
  }

  private replaySlice(): void {
    if (this.closed) return;
    let lsn: number;
    try {
      lsn = this.storage.replayWal(REPLAY_SLICE_BYTES);
    } catch (error) {
      this.fatal(error, 'replaying WAL failed');
      return;
    }
    const flushed = this.storage.positions().flushLsn;
    this.step({ kind: 'replayed', lsn });
    if (lsn < flushed && this.core.phase.name !== 'installing') {
      // More to replay: the core asks again on the next input; keep going meanwhile.
      setImmediate(() => this.replaySlice());
    }
  }

  private async install(primary: Upstream, request: BackupRequest): Promise<void> {
    this.stream?.close();
    this.stream = null;
    this.installing = { kind: request.mode, done: 0, total: 0 };
    this.changed();
    try {
      const pieces = fetchBackup(primary.host, primary.port, this.config.nodeId, primary.id, request);
      const outcome = await this.storage.installBackup(
        pieces,
        request.mode === 'rewind' ? request.plan : null,
        (done, total) => {
          if (this.installing !== null) this.installing = { ...this.installing, done, total };
        },
      );
      this.logger.info(
        {
          kind: request.mode,
          bytes: outcome.bytes,
          endLsn: outcome.endLsn,
          quarantined: outcome.quarantined,
        },
        request.mode === 'full' ? 'base backup installed' : 'rewind installed',
      );
      this.installing = null;
      this.step({ kind: 'installed', endLsn: outcome.endLsn });
    } catch (error) {
      this.installing = null;
      this.logger.warn(
        { kind: request.mode, err: error instanceof Error ? error.message : String(error) },
        'installing from the primary failed',
      );
      this.step({ kind: 'installFailed', reason: error instanceof Error ? error.message : String(error) });
    }
    this.changed();
  }

  private send(session: number, msg: Parameters<ReplicaStream['send']>[0]): void {
    if (this.stream?.session === session) this.stream.stream.send(msg);
  }

  /** A storage failure on the replica path (fsync, redo) cannot be survived: stop the process. */
  private fatal(error: unknown, what: string): void {
    this.logger.error({ err: error instanceof Error ? error.message : String(error) }, what);
    this.config.onFatal(error instanceof Error ? error : new Error(String(error)));
  }
}
