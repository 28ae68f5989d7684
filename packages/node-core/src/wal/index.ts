/**
 * The write-ahead log's internal API (not exported from the package index): records, the
 * writer with group commit, the reader, checkpoints and the control file.
 */
export type { CheckpointHook, CheckpointReason, CheckpointResult } from './checkpointer.js';
export { type ClusterState, type ControlData, readControlFile } from './control-file.js';
export { Wal, type WalOptions, type WalStats } from './wal.js';
export { WalReader, type WalStop, type WalStopReason } from './wal-reader.js';
export {
  MAX_RECORD_BYTES,
  RmgrId,
  WAL_RECORD_HEADER_SIZE,
  type WalRecord,
  type WalRecordInput,
} from './wal-record.js';
export { WalSegments } from './wal-segments.js';
