/**
 * Converts Raft messages to and from the plain objects @grpc/proto-loader serializes for
 * proto/raft.proto. Decoding is a trust boundary: the input is `unknown`, every field is
 * checked, 64-bit values arrive as decimal strings (proto-loader's `longs: String`) and must be
 * safe integers (LSNs become bigint), and any malformed envelope throws WireError, after which
 * the transport drops the stream rather than keep reading from it.
 * Exports: encodeEnvelope, decodeEnvelope, WireError, protoLoaderOptions, DecodedEnvelope.
 */
import type { Options } from '@grpc/proto-loader';
import type { RaftMessage } from '../raft/messages.js';
import {
  type ClusterConfig,
  type DataPosition,
  type Entry,
  LogIndex,
  type NodeId,
  type Snapshot,
  Term,
} from '../raft/types.js';

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

export interface DecodedEnvelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly msg: RaftMessage;
}

type Fields = Record<string, unknown>;

// --- encoding ----------------------------------------------------------------------------------

function encodeConfig(config: ClusterConfig): Fields {
  return { voters: [...config.voters], learners: [...config.learners], addresses: { ...config.addresses } };
}

function encodeEntry(entry: Entry): Fields {
  const base = { index: String(entry.index), term: String(entry.term) };
  switch (entry.body.type) {
    case 'command':
      return { ...base, command: Buffer.from(entry.body.command) };
    case 'noop':
      return { ...base, noop: {} };
    case 'config':
      return { ...base, config: encodeConfig(entry.body.config) };
  }
}

function encodePosition(position: DataPosition | null): Fields | undefined {
  return position === null ? undefined : { term: String(position.term), lsn: position.lsn.toString() };
}

function encodeMessage(msg: RaftMessage): Fields {
  const term = String(msg.term);
  switch (msg.type) {
    case 'voteRequest':
      return {
        voteRequest: {
          term,
          preVote: msg.preVote,
          lastLogIndex: String(msg.lastLogIndex),
          lastLogTerm: String(msg.lastLogTerm),
          dataPosition: encodePosition(msg.dataPosition),
          transfer: msg.transfer,
        },
      };
    case 'voteResponse':
      return { voteResponse: { term, preVote: msg.preVote, granted: msg.granted } };
    case 'appendRequest':
      return {
        appendRequest: {
          term,
          prevLogIndex: String(msg.prevLogIndex),
          prevLogTerm: String(msg.prevLogTerm),
          entries: msg.entries.map(encodeEntry),
          leaderCommit: String(msg.leaderCommit),
        },
      };
    case 'appendResponse':
      return {
        appendResponse: {
          term,
          success: msg.success,
          index: String(msg.index),
          hintIndex: String(msg.hintIndex),
          hintTerm: String(msg.hintTerm),
        },
      };
    case 'heartbeat':
      return { heartbeat: { term, commit: String(msg.commit) } };
    case 'heartbeatResponse':
      return { heartbeatResponse: { term } };
    case 'snapshotRequest':
      return {
        snapshotRequest: {
          term,
          meta: {
            index: String(msg.snapshot.meta.index),
            term: String(msg.snapshot.meta.term),
            config: encodeConfig(msg.snapshot.meta.config),
          },
          data: Buffer.from(msg.snapshot.data),
        },
      };
    case 'timeoutNow':
      return { timeoutNow: { term } };
  }
}

export function encodeEnvelope(from: NodeId, to: NodeId, msg: RaftMessage): Fields {
  return { from, to, ...encodeMessage(msg) };
}

// --- decoding ----------------------------------------------------------------------------------

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new WireError(`${what} is not a message`);
  return Object.fromEntries(Object.entries(value));
}

function optionalRecord(value: unknown, what: string): Fields | null {
  return value === undefined || value === null ? null : record(value, what);
}

function u64(value: unknown, what: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  throw new WireError(`${what} is not an unsigned 64-bit integer`);
}

function safe(value: unknown, what: string): number {
  const big = u64(value, what);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`${what} exceeds 2^53`);
  return Number(big);
}

const term = (value: unknown, what = 'term'): Term => Term(safe(value, what));
const index = (value: unknown, what: string): LogIndex => LogIndex(safe(value, what));

function bool(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new WireError(`${what} is not a boolean`);
  return value;
}

function text(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new WireError(`${what} is not a string`);
  return value;
}

function bytes(value: unknown, what: string): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (!(value instanceof Uint8Array)) throw new WireError(`${what} is not bytes`);
  return new Uint8Array(value);
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new WireError(`${what} is not a list`);
  return value;
}

function decodeConfig(value: unknown): ClusterConfig {
  const f = record(value, 'config');
  const addresses: Record<string, string> = {};
  for (const [id, address] of Object.entries(optionalRecord(f.addresses, 'addresses') ?? {})) {
    addresses[id] = text(address, `address of ${id}`);
  }
  return {
    voters: list(f.voters, 'voters').map((v) => text(v, 'voter')),
    learners: list(f.learners, 'learners').map((v) => text(v, 'learner')),
    addresses,
  };
}

function decodeEntry(value: unknown): Entry {
  const f = record(value, 'entry');
  const base = { index: index(f.index, 'entry index'), term: term(f.term, 'entry term') };
  switch (f.body) {
    case 'command':
      return { ...base, body: { type: 'command', command: bytes(f.command, 'command') } };
    case 'noop':
      return { ...base, body: { type: 'noop' } };
    case 'config':
      return { ...base, body: { type: 'config', config: decodeConfig(f.config) } };
    default:
      throw new WireError(`entry ${String(base.index)} has no body`);
  }
}

function decodePosition(value: unknown): DataPosition | null {
  const f = optionalRecord(value, 'data position');
  return f === null ? null : { term: safe(f.term, 'data position term'), lsn: u64(f.lsn, 'lsn') };
}

function decodeSnapshot(f: Fields): Snapshot {
  const meta = record(f.meta, 'snapshot meta');
  return {
    meta: {
      index: index(meta.index, 'snapshot index'),
      term: term(meta.term, 'snapshot term'),
      config: decodeConfig(meta.config),
    },
    data: bytes(f.data, 'snapshot data'),
  };
}

function decodeMessage(kind: unknown, body: Fields): RaftMessage {
  const t = term(body.term);
  switch (kind) {
    case 'voteRequest':
      return {
        type: 'voteRequest',
        term: t,
        preVote: bool(body.preVote, 'preVote'),
        lastLogIndex: index(body.lastLogIndex, 'lastLogIndex'),
        lastLogTerm: term(body.lastLogTerm, 'lastLogTerm'),
        dataPosition: decodePosition(body.dataPosition),
        transfer: bool(body.transfer, 'transfer'),
      };
    case 'voteResponse':
      return {
        type: 'voteResponse',
        term: t,
        preVote: bool(body.preVote, 'preVote'),
        granted: bool(body.granted, 'granted'),
      };
    case 'appendRequest':
      return {
        type: 'appendRequest',
        term: t,
        prevLogIndex: index(body.prevLogIndex, 'prevLogIndex'),
        prevLogTerm: term(body.prevLogTerm, 'prevLogTerm'),
        entries: list(body.entries, 'entries').map(decodeEntry),
        leaderCommit: index(body.leaderCommit, 'leaderCommit'),
      };
    case 'appendResponse':
      return {
        type: 'appendResponse',
        term: t,
        success: bool(body.success, 'success'),
        index: index(body.index, 'index'),
        hintIndex: index(body.hintIndex, 'hintIndex'),
        hintTerm: term(body.hintTerm, 'hintTerm'),
      };
    case 'heartbeat':
      return { type: 'heartbeat', term: t, commit: index(body.commit, 'commit') };
    case 'heartbeatResponse':
      return { type: 'heartbeatResponse', term: t };
    case 'snapshotRequest':
      return { type: 'snapshotRequest', term: t, snapshot: decodeSnapshot(body) };
    case 'timeoutNow':
      return { type: 'timeoutNow', term: t };
    default:
      throw new WireError(`unknown message kind ${String(kind)}`);
  }
}

export function decodeEnvelope(raw: unknown): DecodedEnvelope {
  const f = record(raw, 'envelope');
  const kind = f.message;
  if (typeof kind !== 'string') throw new WireError('envelope carries no message');
  const msg = decodeMessage(kind, record(f[kind], kind));
  return { from: text(f.from, 'from'), to: text(f.to, 'to'), msg };
}
