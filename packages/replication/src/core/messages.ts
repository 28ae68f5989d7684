/**
 * The replication protocol's messages, as the cores see them (the gRPC adapter maps them to
 * proto/replication.proto). One bidirectional stream per replica: the replica opens it with
 * `hello`, the primary answers `welcome` (or `refuse`), the replica says where to `start`, and
 * from then on the primary sends `wal` and `keepalive` and the replica answers with `progress`.
 * A base backup travels on its own server-streaming call (BackupPiece in ../storage-port.ts).
 * Exports: NodeId, ReplicaMessage, PrimaryMessage, Identity.
 */
import type { TermStart, XidHorizon } from '../storage-port.js';

export type NodeId = string;

export interface Identity {
  systemId: string;
  history: TermStart[];
  flushLsn: number;
}

/** Replica -> primary. */
export type ReplicaMessage =
  | { kind: 'hello'; nodeId: NodeId; primaryId: NodeId; identity: Identity }
  | { kind: 'start'; fromLsn: number }
  | { kind: 'progress'; writeLsn: number; flushLsn: number; applyLsn: number };

/** Primary -> replica. */
export type PrimaryMessage =
  | { kind: 'welcome'; nodeId: NodeId; identity: Identity }
  | { kind: 'refuse'; reason: string }
  | { kind: 'wal'; lsn: number; data: Buffer; primaryFlushLsn: number; visibleLsn: number }
  | {
      kind: 'keepalive';
      primaryFlushLsn: number;
      visibleLsn: number;
      replyRequested: boolean;
      xidHorizon: XidHorizon | null;
    }
  | { kind: 'bootstrapRequired'; reason: string };
