/**
 * Every replication message through the real protobuf encoding of proto/replication.proto and
 * back; malformed input is refused with WireError (the stream is then dropped).
 */
import { describe, expect, it } from 'vitest';
import type { PrimaryMessage, ReplicaMessage } from '../core/messages.js';
import type { BackupPiece } from '../storage-port.js';
import { method } from './replication-transport.js';
import {
  decodeBackupPiece,
  decodeBackupRequest,
  decodePrimaryMessage,
  decodeReplicaMessage,
  encodeBackupPiece,
  encodeBackupRequest,
  encodePrimaryMessage,
  encodeReplicaMessage,
  WireError,
} from './wire-codec.js';

const identity = {
  systemId: 'abc',
  history: [
    { term: 0, lsn: 0 },
    { term: 7, lsn: 2 ** 40 + 3 },
  ],
  flushLsn: 2 ** 50,
};

const replicaMessages: ReplicaMessage[] = [
  { kind: 'hello', nodeId: 'r1', primaryId: 'p', identity },
  { kind: 'start', fromLsn: 12345 },
  { kind: 'progress', writeLsn: 30, flushLsn: 20, applyLsn: 0 },
];

const primaryMessages: PrimaryMessage[] = [
  { kind: 'welcome', nodeId: 'p', identity },
  { kind: 'refuse', reason: 'not the primary' },
  { kind: 'wal', lsn: 100, data: Buffer.from([1, 2, 3, 255]), primaryFlushLsn: 104, visibleLsn: 90 },
  {
    kind: 'keepalive',
    primaryFlushLsn: 5,
    visibleLsn: 4,
    replyRequested: true,
    xidHorizon: { oldestRunningXid: 9, atLsn: 5 },
  },
  { kind: 'keepalive', primaryFlushLsn: 5, visibleLsn: 4, replyRequested: false, xidHorizon: null },
  { kind: 'bootstrapRequired', reason: 'WAL gone' },
];

const pieces: BackupPiece[] = [
  {
    kind: 'begin',
    mode: 'rewind',
    systemId: 's',
    history: identity.history,
    walSegmentBytes: 16 << 20,
    checkpointLsn: 56,
    redoLsn: 0,
    totalBytes: 99,
  },
  { kind: 'file', path: 'base/12', offset: 8192, data: Buffer.alloc(8192, 7), size: 16384 },
  { kind: 'remove', path: 'base/13' },
  { kind: 'wal', lsn: 0, data: Buffer.from('records') },
  { kind: 'end', endLsn: 500, term: 3, nextRelId: 14 },
];

describe('replication wire codec over protobuf', () => {
  const stream = method('Stream');
  const backup = method('Backup');

  it('round-trips every stream message', () => {
    for (const msg of replicaMessages) {
      const wire = stream.requestSerialize(encodeReplicaMessage(msg));
      expect(decodeReplicaMessage(stream.requestDeserialize(wire))).toEqual(msg);
    }
    for (const msg of primaryMessages) {
      const wire = stream.responseSerialize(encodePrimaryMessage(msg));
      expect(decodePrimaryMessage(stream.responseDeserialize(wire))).toEqual(msg);
    }
  });

  it('round-trips backup requests and pieces', () => {
    const rewind = {
      mode: 'rewind' as const,
      plan: {
        divergeLsn: 900,
        checkpointLsn: 56,
        redoLsn: 0,
        transactions: 2,
        relations: [
          { relFile: 5, pages: [0, 3] },
          { relFile: 6, pages: 'whole' as const },
        ],
      },
    };
    for (const request of [{ mode: 'full' as const }, rewind]) {
      const wire = backup.requestSerialize(encodeBackupRequest('r', 'p', request));
      expect(decodeBackupRequest(backup.requestDeserialize(wire))).toEqual({
        nodeId: 'r',
        primaryId: 'p',
        request,
      });
    }
    for (const piece of pieces) {
      const wire = backup.responseSerialize(encodeBackupPiece(piece));
      expect(decodeBackupPiece(backup.responseDeserialize(wire))).toEqual(piece);
    }
  });

  it('refuses malformed messages with WireError', () => {
    expect(() => decodeReplicaMessage(null)).toThrow(WireError);
    expect(() => decodeReplicaMessage({ message: 'start', start: { fromLsn: '-1' } })).toThrow(WireError);
    expect(() => decodeReplicaMessage({ message: 'start', start: { fromLsn: '9007199254740993' } })).toThrow(
      WireError,
    );
    expect(() => decodePrimaryMessage({ message: 'wal', wal: { data: 'not bytes' } })).toThrow(WireError);
    expect(() => decodePrimaryMessage({ message: 'nonsense', nonsense: {} })).toThrow(WireError);
    expect(() => decodeBackupPiece({ piece: 'begin', begin: { mode: 'partial' } })).toThrow(WireError);
  });
});
