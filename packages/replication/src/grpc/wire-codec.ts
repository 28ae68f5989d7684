/**
 * Converts replication messages to and from the plain objects @grpc/proto-loader serializes for
 * proto/replication.proto. Decoding is a trust boundary: input is `unknown`, every field is
 * checked, 64-bit values arrive as decimal strings (`longs: String`) and must be safe integers,
 * and a malformed message throws WireError, after which the stream is dropped, never read on.
 * Exports: protoLoaderOptions, WireError, encodeReplicaMessage, decodeReplicaMessage,
 * encodePrimaryMessage, decodePrimaryMessage, encodeBackupRequest, decodeBackupRequest,
 * encodeBackupPiece, decodeBackupPiece, DecodedBackupRequest.
 */
import type { Options } from '@grpc/proto-loader';
import type { Identity, PrimaryMessage, ReplicaMessage } from '../core/messages.js';
import type { BackupPiece, BackupRequest, RewindPlan, TermStart } from '../storage-port.js';

export const protoLoaderOptions: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  arrays: true,
  oneofs: true,
};

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

type Fields = Record<string, unknown>;

// ---- checked readers ------------------------------------------------------------------

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new WireError(`${what}: expected a message`);
  const out: Fields = {};
  for (const [key, field] of Object.entries(value)) out[key] = field;
  return out;
}

/** A uint64 as proto-loader gives it (decimal string; absent means 0), as a safe integer. */
function u64(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new WireError(`${what}: expected an unsigned safe integer`);
  return n;
}

function text(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new WireError(`${what}: expected a string`);
  return value;
}

function bool(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new WireError(`${what}: expected a boolean`);
  return value;
}

function bytes(value: unknown, what: string): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (!(value instanceof Uint8Array)) throw new WireError(`${what}: expected bytes`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new WireError(`${what}: expected a list`);
  return value;
}

/** The one set field of a oneof and its body. */
function oneof(fields: Fields, name: string, what: string): [string, Fields] {
  const kind = text(fields[name], `${what}.${name}`);
  if (kind === '') throw new WireError(`${what}: no ${name} set`);
  return [kind, record(fields[kind], `${what}.${kind}`)];
}

// ---- shared pieces --------------------------------------------------------------------

const encodeHistory = (history: readonly TermStart[]) =>
  history.map((e) => ({ term: String(e.term), lsn: String(e.lsn) }));

function decodeHistory(value: unknown, what: string): TermStart[] {
  return list(value, what).map((item, i) => {
    const f = record(item, `${what}[${i}]`);
    return { term: u64(f.term, `${what}[${i}].term`), lsn: u64(f.lsn, `${what}[${i}].lsn`) };
  });
}

const encodeIdentity = (identity: Identity) => ({
  systemId: identity.systemId,
  history: encodeHistory(identity.history),
  flushLsn: String(identity.flushLsn),
});

function decodeIdentity(value: unknown, what: string): Identity {
  const f = record(value, what);
  return {
    systemId: text(f.systemId, `${what}.systemId`),
    history: decodeHistory(f.history, `${what}.history`),
    flushLsn: u64(f.flushLsn, `${what}.flushLsn`),
  };
}

// ---- stream messages ------------------------------------------------------------------

export function encodeReplicaMessage(msg: ReplicaMessage): Fields {
  switch (msg.kind) {
    case 'hello':
      return {
        hello: { nodeId: msg.nodeId, primaryId: msg.primaryId, identity: encodeIdentity(msg.identity) },
      };
    case 'start':
      return { start: { fromLsn: String(msg.fromLsn) } };
    case 'progress':
      return {
        progress: {
          writeLsn: String(msg.writeLsn),
          flushLsn: String(msg.flushLsn),
          applyLsn: String(msg.applyLsn),
        },
      };
  }
}

export function decodeReplicaMessage(raw: unknown): ReplicaMessage {
  const [kind, f] = oneof(record(raw, 'ReplicaMessage'), 'message', 'ReplicaMessage');
  switch (kind) {
    case 'hello':
      return {
        kind: 'hello',
        nodeId: text(f.nodeId, 'hello.nodeId'),
        primaryId: text(f.primaryId, 'hello.primaryId'),
        identity: decodeIdentity(f.identity, 'hello.identity'),
      };
    case 'start':
      return { kind: 'start', fromLsn: u64(f.fromLsn, 'start.fromLsn') };
    case 'progress':
      return {
        kind: 'progress',
        writeLsn: u64(f.writeLsn, 'progress.writeLsn'),
        flushLsn: u64(f.flushLsn, 'progress.flushLsn'),
        applyLsn: u64(f.applyLsn, 'progress.applyLsn'),
      };
    default:
      throw new WireError(`ReplicaMessage: unknown message ${kind}`);
  }
}

export function encodePrimaryMessage(msg: PrimaryMessage): Fields {
  switch (msg.kind) {
    case 'welcome':
      return { welcome: { nodeId: msg.nodeId, identity: encodeIdentity(msg.identity) } };
    case 'refuse':
      return { refuse: { reason: msg.reason } };
    case 'wal':
      return {
        wal: {
          lsn: String(msg.lsn),
          data: msg.data,
          primaryFlushLsn: String(msg.primaryFlushLsn),
          visibleLsn: String(msg.visibleLsn),
        },
      };
    case 'keepalive':
      return {
        keepalive: {
          primaryFlushLsn: String(msg.primaryFlushLsn),
          visibleLsn: String(msg.visibleLsn),
          replyRequested: msg.replyRequested,
          xidHorizon:
            msg.xidHorizon === null
              ? undefined
              : {
                  oldestRunningXid: String(msg.xidHorizon.oldestRunningXid),
                  atLsn: String(msg.xidHorizon.atLsn),
                },
        },
      };
    case 'bootstrapRequired':
      return { bootstrapRequired: { reason: msg.reason } };
  }
}

export function decodePrimaryMessage(raw: unknown): PrimaryMessage {
  const [kind, f] = oneof(record(raw, 'PrimaryMessage'), 'message', 'PrimaryMessage');
  switch (kind) {
    case 'welcome':
      return {
        kind: 'welcome',
        nodeId: text(f.nodeId, 'welcome.nodeId'),
        identity: decodeIdentity(f.identity, 'welcome.identity'),
      };
    case 'refuse':
      return { kind: 'refuse', reason: text(f.reason, 'refuse.reason') };
    case 'wal':
      return {
        kind: 'wal',
        lsn: u64(f.lsn, 'wal.lsn'),
        data: bytes(f.data, 'wal.data'),
        primaryFlushLsn: u64(f.primaryFlushLsn, 'wal.primaryFlushLsn'),
        visibleLsn: u64(f.visibleLsn, 'wal.visibleLsn'),
      };
    case 'keepalive': {
      const horizon =
        f.xidHorizon === undefined || f.xidHorizon === null
          ? null
          : record(f.xidHorizon, 'keepalive.xidHorizon');
      return {
        kind: 'keepalive',
        primaryFlushLsn: u64(f.primaryFlushLsn, 'keepalive.primaryFlushLsn'),
        visibleLsn: u64(f.visibleLsn, 'keepalive.visibleLsn'),
        replyRequested: bool(f.replyRequested, 'keepalive.replyRequested'),
        xidHorizon:
          horizon === null
            ? null
            : {
                oldestRunningXid: u64(horizon.oldestRunningXid, 'xidHorizon.oldestRunningXid'),
                atLsn: u64(horizon.atLsn, 'xidHorizon.atLsn'),
              },
      };
    }
    case 'bootstrapRequired':
      return { kind: 'bootstrapRequired', reason: text(f.reason, 'bootstrapRequired.reason') };
    default:
      throw new WireError(`PrimaryMessage: unknown message ${kind}`);
  }
}

// ---- backup ---------------------------------------------------------------------------

export interface DecodedBackupRequest {
  nodeId: string;
  primaryId: string;
  request: BackupRequest;
}

function encodePlan(plan: RewindPlan): Fields {
  return {
    divergeLsn: String(plan.divergeLsn),
    checkpointLsn: String(plan.checkpointLsn),
    redoLsn: String(plan.redoLsn),
    transactions: String(plan.transactions),
    relations: plan.relations.map((r) =>
      r.pages === 'whole'
        ? { relFile: r.relFile, pages: [], whole: true }
        : { relFile: r.relFile, pages: r.pages, whole: false },
    ),
  };
}

function decodePlan(f: Fields): RewindPlan {
  return {
    divergeLsn: u64(f.divergeLsn, 'rewind.divergeLsn'),
    checkpointLsn: u64(f.checkpointLsn, 'rewind.checkpointLsn'),
    redoLsn: u64(f.redoLsn, 'rewind.redoLsn'),
    transactions: u64(f.transactions, 'rewind.transactions'),
    relations: list(f.relations, 'rewind.relations').map((item, i) => {
      const r = record(item, `rewind.relations[${i}]`);
      const relFile = u64(r.relFile, `relations[${i}].relFile`);
      if (bool(r.whole, `relations[${i}].whole`)) return { relFile, pages: 'whole' as const };
      return { relFile, pages: list(r.pages, `relations[${i}].pages`).map((p, j) => u64(p, `pages[${j}]`)) };
    }),
  };
}

export function encodeBackupRequest(nodeId: string, primaryId: string, request: BackupRequest): Fields {
  return {
    nodeId,
    primaryId,
    ...(request.mode === 'full' ? { full: {} } : { rewind: encodePlan(request.plan) }),
  };
}

export function decodeBackupRequest(raw: unknown): DecodedBackupRequest {
  const fields = record(raw, 'BackupRequest');
  const [kind, f] = oneof(fields, 'mode', 'BackupRequest');
  const base = { nodeId: text(fields.nodeId, 'nodeId'), primaryId: text(fields.primaryId, 'primaryId') };
  if (kind === 'full') return { ...base, request: { mode: 'full' } };
  if (kind === 'rewind') return { ...base, request: { mode: 'rewind', plan: decodePlan(f) } };
  throw new WireError(`BackupRequest: unknown mode ${kind}`);
}

export function encodeBackupPiece(piece: BackupPiece): Fields {
  switch (piece.kind) {
    case 'begin':
      return {
        begin: {
          mode: piece.mode,
          systemId: piece.systemId,
          history: encodeHistory(piece.history),
          walSegmentBytes: String(piece.walSegmentBytes),
          checkpointLsn: String(piece.checkpointLsn),
          redoLsn: String(piece.redoLsn),
          totalBytes: String(piece.totalBytes),
        },
      };
    case 'file':
      return {
        file: { path: piece.path, offset: String(piece.offset), data: piece.data, size: String(piece.size) },
      };
    case 'remove':
      return { remove: { path: piece.path } };
    case 'wal':
      return { wal: { lsn: String(piece.lsn), data: piece.data } };
    case 'end':
      return { end: { endLsn: String(piece.endLsn), term: String(piece.term), nextRelId: piece.nextRelId } };
  }
}

export function decodeBackupPiece(raw: unknown): BackupPiece {
  const [kind, f] = oneof(record(raw, 'BackupPiece'), 'piece', 'BackupPiece');
  switch (kind) {
    case 'begin': {
      const mode = text(f.mode, 'begin.mode');
      if (mode !== 'full' && mode !== 'rewind') throw new WireError(`begin.mode: unknown mode ${mode}`);
      return {
        kind: 'begin',
        mode,
        systemId: text(f.systemId, 'begin.systemId'),
        history: decodeHistory(f.history, 'begin.history'),
        walSegmentBytes: u64(f.walSegmentBytes, 'begin.walSegmentBytes'),
        checkpointLsn: u64(f.checkpointLsn, 'begin.checkpointLsn'),
        redoLsn: u64(f.redoLsn, 'begin.redoLsn'),
        totalBytes: u64(f.totalBytes, 'begin.totalBytes'),
      };
    }
    case 'file':
      return {
        kind: 'file',
        path: text(f.path, 'file.path'),
        offset: u64(f.offset, 'file.offset'),
        data: bytes(f.data, 'file.data'),
        size: u64(f.size, 'file.size'),
      };
    case 'remove':
      return { kind: 'remove', path: text(f.path, 'remove.path') };
    case 'wal':
      return { kind: 'wal', lsn: u64(f.lsn, 'wal.lsn'), data: bytes(f.data, 'wal.data') };
    case 'end':
      return {
        kind: 'end',
        endLsn: u64(f.endLsn, 'end.endLsn'),
        term: u64(f.term, 'end.term'),
        nextRelId: u64(f.nextRelId, 'end.nextRelId'),
      };
    default:
      throw new WireError(`BackupPiece: unknown piece ${kind}`);
  }
}
