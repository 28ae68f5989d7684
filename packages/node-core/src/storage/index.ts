/**
 * The storage engine's internal API (not exported from the package index): ids, disks and
 * fault injection, pages, buffer pool, mini-transactions, heaps, B-trees and the engine.
 */
export { BTree, type BulkDeleteResult } from './btree/btree.js';
export { type BTreeShape, checkBTree } from './btree/btree-check.js';
export { BTreeCursor, type BTreeEntry, type ScanBound, type ScanOptions } from './btree/btree-cursor.js';
export { MAX_KEY_BYTES } from './btree/btree-page.js';
export { BackgroundWriter } from './buffer/background-writer.js';
export {
  BufferPool,
  type BufferPoolOptions,
  type BufferPoolStats,
  type WalGate,
} from './buffer/buffer-pool.js';
export { Frame } from './buffer/frame.js';
export { type EvictionPolicyName, evictionPolicyNames } from './buffer/replacement-policy.js';
export type { Disk, DiskFile, OpenMode } from './disk/disk.js';
export { type DiskOp, FaultDisk, SimulatedCrash } from './disk/fault-disk.js';
export {
  type FaultPoint,
  type FaultPoints,
  faultPointNames,
  faultPointsFromEnv,
  noFaults,
  ScriptedFaultPoints,
} from './disk/fault-points.js';
export { NodeDisk } from './disk/node-disk.js';
export type { RedoHandler } from './engine-redo.js';
export { FreeSpaceMap } from './heap/free-space-map.js';
export {
  HeapFile,
  type HeapTuple,
  type InsertHeader,
  MAX_HEAP_TUPLE_DATA,
  type PruneResult,
} from './heap/heap-file.js';
export {
  HEAP_TUPLE_HEADER_SIZE,
  type HeaderPatch,
  HeapInfomask,
  type TupleHeader,
} from './heap/heap-tuple.js';
export {
  asLsn,
  asRelFileId,
  asTid,
  asXid,
  InvalidLsn,
  InvalidTid,
  InvalidXid,
  type Lsn,
  makeTid,
  type PageNo,
  type RelFileId,
  type Tid,
  tidPage,
  tidSlot,
  type Xid,
} from './ids.js';
export { type Logger, silentLogger } from './logger.js';
export { type LogAs, MiniTransaction } from './mtr/mini-transaction.js';
export { PAGE_SIZE } from './page/page-layout.js';
export {
  type RelationKind,
  StorageEngine,
  type StorageEngineOptions,
  type StorageStats,
} from './storage-engine.js';
