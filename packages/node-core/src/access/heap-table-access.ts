/**
 * The table access layer over Keel's heap and B-tree storage: the MVCC rules of PostgreSQL's
 * heapam (visibility by snapshot, update chains, waiting for concurrent writers, write-write
 * conflicts) and its unique checks (_bt_check_unique). One instance serves one statement of one
 * transaction with one snapshot.
 *
 * Writers never block readers: readers decide visibility from tuple headers and the commit log.
 * A writer that meets a row whose xmax is an in-progress transaction waits for that
 * transaction's xid lock (deadlock detection and lock_timeout apply), then looks again.
 * Explicit row locks (SELECT ... FOR UPDATE/SHARE) live in the lock manager, not in tuple
 * headers, so they cost nothing for rows never locked; an update or delete briefly takes the
 * matching row lock to wait for conflicting lockers.
 *
 * SERIALIZABLE transactions additionally report to the SSI manager (txn/ssi/): reads take
 * SIREAD locks (a sequential scan the relation, an index scan its key range and the rows it
 * returns) and report versions written by concurrent transactions they cannot see (conflict
 * out, serializable-access.ts); writes check the SIREAD locks of others first (conflict in).
 * Writes are counted per table for autovacuum (table-activity.ts).
 * Exports: HeapTableAccess, AccessEnv.
 */
import type { IndexRelation, TableRelation } from '../catalog/objects.js';
import { encodeKey } from '../sql/types/key-encoding.js';
import type { TypeSettings } from '../sql/types/settings.js';
import type { Value as TypedValue } from '../sql/types/value.js';
import type { BTree } from '../storage/btree/btree.js';
import type { HeapFile } from '../storage/heap/heap-file.js';
import { HeapInfomask, type TupleHeader } from '../storage/heap/heap-tuple.js';
import type { Tid as StorageTid } from '../storage/ids.js';
import type { LockManager } from '../txn/lock-manager.js';
import type { RowLockStrength } from '../txn/lock-modes.js';
import { isVisible, type Snapshot, type TupleVersion } from '../txn/snapshot.js';
import type { SerializableXact } from '../txn/ssi/serializable-xact.js';
import type { Transaction } from '../txn/transaction.js';
import { type TransactionManager, xidLockTag } from '../txn/transaction-manager.js';
import { InvalidXid, type Xid } from '../txn/xid.js';
import { conflictOutWriter, scanKeyRange } from './serializable-access.js';
import type {
  IndexScanOptions,
  LockWaitPolicy,
  Row,
  RowBatch,
  RowLockMode,
  ScanOptions,
  TableAccess,
  Tid,
  WriteOutcome,
} from './table-access.js';
import type { TableActivity } from './table-activity.js';
import { indexKeyColumns, tableCodec } from './table-codec.js';
import { uniqueConflict, uniqueViolation } from './unique-checks.js';
import { concurrentlyChanged, newestVersion } from './update-chain.js';

const BATCH = 1024;
const READ_AHEAD_PAGES = 16;
/** A long scan lets other sessions (and cancel requests) run at least this often. */
const YIELD_EVERY_MS = 20;

export interface AccessEnv {
  readonly txns: TransactionManager;
  readonly locks: LockManager;
  heap(table: TableRelation): HeapFile;
  btree(index: IndexRelation): BTree;
  indexesOf(table: TableRelation): IndexRelation[];
  /** Key values of `row` for `index` (expressions evaluated), or null when a partial index excludes it. */
  indexKeyValues(index: IndexRelation, table: TableRelation, row: Row): Value[] | null;
  readonly typeSettings: TypeSettings;
  /** Writes are counted here per table (autovacuum, pg_stat_user_tables). */
  readonly activity: TableActivity;
  lockTimeoutMs(): number;
  /** The session's deadlock_timeout, for lock waits. */
  deadlockTimeoutMs(): number;
  checkInterrupts(): void;
  yieldToOthers(): Promise<void>;
}

type Value = unknown;

function versionOf(header: TupleHeader): TupleVersion {
  return {
    xmin: header.xmin as number as Xid,
    xmax: header.xmax as number as Xid,
    cid: header.cid,
    xmaxLockOnly: (header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0,
  };
}

/** What stands in the way of changing a row version right now. */
type RowState =
  | { kind: 'free'; header: TupleHeader }
  | { kind: 'gone' }
  | { kind: 'self'; header: TupleHeader }
  /** An in-progress transaction updates or deletes it; `keysKept` for an update of non-key columns. */
  | { kind: 'busy'; xid: Xid; keysKept: boolean }
  | { kind: 'replaced'; header: TupleHeader };

/** Whether an update or delete holds the row's tuple lock while it waits (released when done). */
interface TupleQueue {
  held: boolean;
}

/** An index key a write adds: the index and its encoded key. */
interface IndexKey {
  index: IndexRelation;
  key: Uint8Array;
}

export class HeapTableAccess implements TableAccess {
  private lastYield = performance.now();

  constructor(
    private readonly env: AccessEnv,
    private readonly txn: Transaction,
    private readonly snapshot: Snapshot,
  ) {}

  // ---- reads ---------------------------------------------------------------------------

  async *scan(table: TableRelation, options: ScanOptions = {}): AsyncIterable<RowBatch> {
    const heap = this.env.heap(table);
    const codec = tableCodec(table, this.env.typeSettings);
    const batchSize = options.batchSize ?? BATCH;
    const sxact = this.serializable();
    if (sxact !== null) this.env.txns.ssi.predicateLockRelation(sxact, table.oid);
    const pages = heap.pageCount();
    let batch: RowBatch = { tids: [], rows: [] };
    for (let pageNo = 0; pageNo < pages; pageNo++) {
      for (const tuple of heap.scanPage(pageNo, { readAhead: READ_AHEAD_PAGES })) {
        const version = versionOf(tuple.header);
        const visible = isVisible(version, this.snapshot, this.env.txns.commitLog);
        if (sxact !== null) this.checkConflictOut(sxact, version, visible);
        if (!visible) continue;
        batch.tids.push(tuple.tid as number as Tid);
        batch.rows.push(codec.decode(tuple.data, options.columns));
      }
      if (batch.rows.length >= batchSize) {
        await this.pause();
        yield batch;
        batch = { tids: [], rows: [] };
      }
    }
    await this.pause();
    if (batch.rows.length > 0) yield batch;
  }

  async *indexScan(
    index: IndexRelation,
    table: TableRelation,
    options: IndexScanOptions,
  ): AsyncIterable<RowBatch> {
    const heap = this.env.heap(table);
    const codec = tableCodec(table, this.env.typeSettings);
    const columns = indexKeyColumns(index, table);
    const bound = (b: { values: Value[]; inclusive: boolean } | undefined) =>
      b === undefined
        ? undefined
        : {
            key: encodeKey(
              b.values.map((v, i) => integerBound(v, columns[i]?.type)) as TypedValue[],
              columns.slice(0, b.values.length),
            ),
            inclusive: b.inclusive,
          };
    const lower = bound(options.lower);
    const upper = bound(options.upper);
    const sxact = this.serializable();
    if (sxact !== null) this.env.txns.ssi.predicateLockRange(sxact, index.oid, scanKeyRange(lower, upper));
    const cursor = this.env.btree(index).scan({
      direction: options.direction,
      ...(lower === undefined ? {} : { lower }),
      ...(upper === undefined ? {} : { upper }),
    });
    const batchSize = options.batchSize ?? BATCH;
    let batch: RowBatch = { tids: [], rows: [] };
    for (let entries = cursor.nextBatch(); entries !== null; entries = cursor.nextBatch()) {
      for (const entry of entries) {
        const tuple = heap.fetch(entry.tid);
        if (tuple === null) continue;
        const version = versionOf(tuple.header);
        const visible = isVisible(version, this.snapshot, this.env.txns.commitLog);
        if (sxact !== null) {
          this.checkConflictOut(sxact, version, visible);
          if (visible) this.env.txns.ssi.predicateLockTuple(sxact, table.oid, entry.tid);
        }
        if (!visible) continue;
        batch.tids.push(entry.tid as number as Tid);
        batch.rows.push(codec.decode(tuple.data, options.columns));
      }
      if (batch.rows.length >= batchSize) {
        await this.pause();
        yield batch;
        batch = { tids: [], rows: [] };
      }
    }
    await this.pause();
    if (batch.rows.length > 0) yield batch;
  }

  /**
   * Between batches: lets the event loop run now and then (so a CancelRequest or a timeout can
   * land), then raises any pending interrupt.
   */
  private async pause(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      this.lastYield = now;
      await this.env.yieldToOthers();
    }
    this.env.checkInterrupts();
  }

  fetch(table: TableRelation, tid: Tid): Row | null {
    const tuple = this.env.heap(table).fetch(tid as number as StorageTid);
    if (tuple === null) return null;
    const version = versionOf(tuple.header);
    const visible = isVisible(version, this.snapshot, this.env.txns.commitLog);
    const sxact = this.serializable();
    if (sxact !== null) {
      this.checkConflictOut(sxact, version, visible);
      if (visible) this.env.txns.ssi.predicateLockTuple(sxact, table.oid, tid);
    }
    if (!visible) return null;
    return tableCodec(table, this.env.typeSettings).decode(tuple.data);
  }

  estimateSize(table: TableRelation): { rows: number; pages: number } {
    const pages = this.env.heap(table).pageCount();
    if (table.stats !== null && table.stats.pageCount > 0) {
      return { pages, rows: Math.round((table.stats.rowCount / table.stats.pageCount) * Math.max(pages, 1)) };
    }
    return { pages, rows: pages * 60 };
  }

  // ---- writes --------------------------------------------------------------------------

  async insert(table: TableRelation, row: Row): Promise<Tid> {
    const indexes = this.env.indexesOf(table);
    await this.untilNoUniqueConflictWait(table, indexes, row, null);
    const keys = this.indexKeys(table, indexes, row);
    this.checkConflictIn(table, null, keys);
    const xid = this.writeXid();
    const heap = this.env.heap(table);
    const tid = heap.insert(tableCodec(table, this.env.typeSettings).encode(row), {
      xmin: xid as number as never,
      cid: this.txn.cid,
    });
    this.insertIndexEntries(keys, tid, xid);
    this.env.activity.recordInsert(this.txn, table.oid);
    return tid as number as Tid;
  }

  async findConflict(
    table: TableRelation,
    row: Row,
    indexOids?: readonly number[],
  ): Promise<{ tid: Tid; row: Row } | null> {
    const indexes = this.env
      .indexesOf(table)
      .filter((index) => index.unique && (indexOids === undefined || indexOids.includes(index.oid)));
    for (;;) {
      let waitFor: Xid | null = null;
      for (const index of indexes) {
        const found = uniqueConflict(this.env, this.txn, table, index, row, null);
        if (found === null) continue;
        if (found.kind === 'wait') {
          waitFor = found.xid;
          break;
        }
        const tuple = this.env.heap(table).fetch(found.tid as number as StorageTid);
        if (tuple !== null) {
          const sxact = this.serializable();
          if (sxact !== null) this.env.txns.ssi.predicateLockTuple(sxact, table.oid, found.tid);
          return { tid: found.tid, row: tableCodec(table, this.env.typeSettings).decode(tuple.data) };
        }
      }
      if (waitFor === null) return null;
      await this.waitForXid(waitFor);
    }
  }

  async update(
    table: TableRelation,
    tid: Tid,
    row: Row,
    options: { keyChanged: boolean },
  ): Promise<WriteOutcome> {
    const strength: RowLockStrength = options.keyChanged ? 'update' : 'no key update';
    const queue: TupleQueue = { held: false };
    try {
      return await this.updateQueued(table, tid, row, options, strength, queue);
    } finally {
      if (queue.held) this.env.locks.release(this.txn, rowLockTag(table, tid), `row ${strength}`);
    }
  }

  private async updateQueued(
    table: TableRelation,
    tid: Tid,
    row: Row,
    options: { keyChanged: boolean },
    strength: RowLockStrength,
    queue: TupleQueue,
  ): Promise<WriteOutcome> {
    for (;;) {
      const ready = await this.prepareRowChange(table, tid, strength, queue);
      if (ready.kind !== 'free') return ready.outcome;
      const indexes = this.env.indexesOf(table);
      const conflictWait = this.firstUniqueConflictWait(table, indexes, row, tid);
      if (conflictWait !== null) {
        await this.waitForXid(conflictWait);
        continue;
      }
      if (!this.stillFree(table, tid)) continue;
      const keys = this.indexKeys(table, indexes, row);
      this.checkConflictIn(table, tid, keys);
      const xid = this.writeXid();
      const infomask = HeapInfomask.UPDATED | (options.keyChanged ? HeapInfomask.KEYS_UPDATED : 0);
      const heap = this.env.heap(table);
      const newTid = heap.update(
        tid as number as StorageTid,
        { xmax: xid as number as never, cid: this.txn.cid, infomask },
        tableCodec(table, this.env.typeSettings).encode(row),
        { xmin: xid as number as never, cid: this.txn.cid },
      );
      this.insertIndexEntries(keys, newTid, xid);
      this.env.activity.recordUpdate(this.txn, table.oid);
      return { status: 'ok', tid: newTid as number as Tid };
    }
  }

  async delete(table: TableRelation, tid: Tid): Promise<WriteOutcome> {
    const queue: TupleQueue = { held: false };
    try {
      return await this.deleteQueued(table, tid, queue);
    } finally {
      if (queue.held) this.env.locks.release(this.txn, rowLockTag(table, tid), 'row update');
    }
  }

  private async deleteQueued(table: TableRelation, tid: Tid, queue: TupleQueue): Promise<WriteOutcome> {
    for (;;) {
      const ready = await this.prepareRowChange(table, tid, 'update', queue);
      if (ready.kind !== 'free') return ready.outcome;
      if (!this.stillFree(table, tid)) continue;
      this.checkConflictIn(table, tid, []);
      const xid = this.writeXid();
      this.env.heap(table).setHeader(tid as number as StorageTid, {
        xmax: xid as number as never,
        cid: this.txn.cid,
        infomask: 0,
      });
      this.env.activity.recordDelete(this.txn, table.oid);
      return { status: 'ok', tid };
    }
  }

  /**
   * SELECT ... FOR UPDATE/SHARE. Under READ COMMITTED a row updated by a committed transaction
   * is followed to its newest version, which is locked and reported as `updated` (the executor
   * re-checks it); FOR KEY SHARE does not wait for an update that keeps the key columns.
   */
  async lockRow(
    table: TableRelation,
    tid: Tid,
    mode: RowLockMode,
    wait: LockWaitPolicy,
  ): Promise<WriteOutcome> {
    let target = tid;
    let newer: Row | null = null;
    // Whether this call waited for another transaction (PostgreSQL's require_sleep).
    let waited = false;
    const locked = (): WriteOutcome =>
      newer === null ? { status: 'ok', tid: target } : { status: 'updated', tid: target, row: newer };
    for (;;) {
      const state = this.rowState(table, target);
      if (state.kind === 'gone') return { status: 'deleted' };
      if (state.kind === 'self') return locked();
      if (state.kind === 'busy' && !(mode === 'key share' && state.keysKept)) {
        if (wait === 'skip locked') return { status: 'skipped' };
        await this.waitForXid(
          state.xid,
          wait === 'nowait' ? 'nowait' : 'block',
          `row in relation "${table.name}"`,
        );
        waited = true;
        continue;
      }
      if (state.kind === 'replaced' && mode === 'key share' && !waited && keysKept(state.header)) {
        // PostgreSQL's heap_lock_tuple: FOR KEY SHARE that did not have to wait needs no
        // re-check (nor a serialization failure) when the committed update kept the key; it
        // locks this version and the newer ones, so a later key change or delete of the row
        // still waits for this locker. After a wait it is an update like any other.
        const newest = newestVersion(this.env, this.txn, table, state.header);
        if (newest.status === 'updated') {
          const chained = await this.lockRow(table, newest.tid, mode, wait);
          if (chained.status === 'skipped') return chained;
        }
        const tag = rowLockTag(table, target);
        if (wait === 'skip locked' && !this.env.locks.tryAcquire(this.txn, tag, 'row key share'))
          return { status: 'skipped' };
        if (wait !== 'skip locked') {
          await this.env.locks.acquire(this.txn, tag, 'row key share', {
            policy: wait === 'nowait' ? 'nowait' : 'block',
            lockTimeoutMs: this.env.lockTimeoutMs(),
            deadlockTimeoutMs: this.env.deadlockTimeoutMs(),
            describe: `row in relation "${table.name}"`,
          });
        }
        return locked();
      }
      if (state.kind === 'replaced') {
        const outcome = concurrentlyChanged(this.env, this.txn, table, state.header, 'lock');
        if (outcome.status !== 'updated') return outcome;
        target = outcome.tid;
        newer = outcome.row;
        continue;
      }
      const tag = rowLockTag(table, target);
      const lockMode = `row ${mode}` as const;
      if (wait === 'skip locked') {
        return this.env.locks.tryAcquire(this.txn, tag, lockMode) ? locked() : { status: 'skipped' };
      }
      await this.env.locks.acquire(this.txn, tag, lockMode, {
        policy: wait === 'nowait' ? 'nowait' : 'block',
        lockTimeoutMs: this.env.lockTimeoutMs(),
        deadlockTimeoutMs: this.env.deadlockTimeoutMs(),
        describe: `row in relation "${table.name}"`,
      });
      // While we waited for another locker, a writer may have changed the row: look again.
      const after = this.rowState(table, target);
      if (after.kind === 'free' || after.kind === 'self') return locked();
      if (after.kind === 'busy' && mode === 'key share' && after.keysKept) return locked();
      this.env.locks.release(this.txn, tag, lockMode);
      waited = true;
    }
  }

  // ---- internals -----------------------------------------------------------------------

  private writeXid(): Xid {
    const xid = this.env.txns.xidForWrite(this.txn);
    this.txn.commandWrote = true;
    return xid;
  }

  /** The row's state for a writer, from its current header (not the snapshot). */
  private rowState(table: TableRelation, tid: Tid): RowState {
    const header = this.env.heap(table).fetchHeader(tid as number as StorageTid);
    if (header === null) return { kind: 'gone' };
    const xmax = header.xmax as number as Xid;
    if (xmax === InvalidXid || (header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0)
      return { kind: 'free', header };
    if (this.txn.ownXids.has(xmax)) return { kind: 'self', header };
    if (this.env.txns.isRunning(xmax)) {
      const keysKept =
        (header.infomask & HeapInfomask.UPDATED) !== 0 && (header.infomask & HeapInfomask.KEYS_UPDATED) === 0;
      return { kind: 'busy', xid: xmax, keysKept };
    }
    // Not running: committed, aborted, or left in progress by a crash (which counts as aborted).
    return this.env.txns.statusOf(xmax) === 'committed'
      ? { kind: 'replaced', header }
      : { kind: 'free', header };
  }

  private stillFree(table: TableRelation, tid: Tid): boolean {
    return this.rowState(table, tid).kind === 'free';
  }

  /**
   * Waits until nobody else is changing the row and no explicit lock conflicts with `strength`.
   * Returns free when the caller may write it now (synchronously), or the outcome to report.
   *
   * Before waiting, the writer takes the row's tuple lock in the lock manager and keeps it until
   * its write is done (the caller releases `queue`), as PostgreSQL's heap_update does: writers
   * of a hot row then queue in order on that lock, and only the head waits for the current
   * writer's xid, instead of every waiter waking at each commit.
   */
  private async prepareRowChange(
    table: TableRelation,
    tid: Tid,
    strength: RowLockStrength,
    queue: TupleQueue,
  ): Promise<{ kind: 'free' } | { kind: 'done'; outcome: WriteOutcome }> {
    const tag = rowLockTag(table, tid);
    const mode = `row ${strength}` as const;
    const takeTupleLock = async () => {
      await this.env.locks.acquire(this.txn, tag, mode, {
        policy: 'block',
        lockTimeoutMs: this.env.lockTimeoutMs(),
        deadlockTimeoutMs: this.env.deadlockTimeoutMs(),
        describe: `row in relation "${table.name}"`,
      });
      queue.held = true;
    };
    for (;;) {
      const state = this.rowState(table, tid);
      switch (state.kind) {
        case 'gone':
          return { kind: 'done', outcome: { status: 'deleted' } };
        case 'self':
          return { kind: 'done', outcome: { status: 'self-updated' } };
        case 'busy':
          if (!queue.held) await takeTupleLock();
          else await this.waitForXid(state.xid);
          continue;
        case 'replaced':
          return { kind: 'done', outcome: this.concurrentlyChanged(table, state.header) };
        case 'free':
          if (!queue.held && this.env.locks.conflictsWithHolders(this.txn, tag, mode)) {
            await takeTupleLock();
            continue;
          }
          return { kind: 'free' };
      }
    }
  }

  /** See concurrentlyChanged (update-chain.ts). */
  private concurrentlyChanged(table: TableRelation, header: TupleHeader): WriteOutcome {
    return concurrentlyChanged(this.env, this.txn, table, header);
  }

  private async waitForXid(
    xid: Xid,
    policy: 'block' | 'nowait' = 'block',
    describe = `transaction ${xid}`,
  ): Promise<void> {
    const tag = xidLockTag(xid);
    await this.env.locks.acquire(this.txn, tag, 'ShareLock', {
      policy,
      lockTimeoutMs: this.env.lockTimeoutMs(),
      deadlockTimeoutMs: this.env.deadlockTimeoutMs(),
      describe,
    });
    this.env.locks.release(this.txn, tag, 'ShareLock');
  }

  /** The encoded keys `row` adds to each index (partial indexes that exclude it add none). */
  private indexKeys(table: TableRelation, indexes: IndexRelation[], row: Row): IndexKey[] {
    const out: IndexKey[] = [];
    for (const index of indexes) {
      const values = this.env.indexKeyValues(index, table, row);
      if (values === null) continue;
      out.push({ index, key: encodeKey(values as TypedValue[], indexKeyColumns(index, table)) });
    }
    return out;
  }

  private insertIndexEntries(keys: IndexKey[], tid: StorageTid, xid: Xid): void {
    for (const { index, key } of keys) this.env.btree(index).insert(key, tid, xid as number as never);
  }

  /** SERIALIZABLE: the transaction's SSI record while it still needs tracking, else null. */
  private serializable(): SerializableXact | null {
    const sxact = this.txn.ssi;
    return sxact?.tracking ? sxact : null;
  }

  private checkConflictOut(sxact: SerializableXact, version: TupleVersion, visible: boolean): void {
    const writer = conflictOutWriter(version, visible, this.snapshot, this.env.txns);
    if (writer !== null) this.env.txns.ssi.checkConflictOut(sxact, writer);
  }

  /** SERIALIZABLE writers: rw-conflicts with the SIREAD locks of concurrent readers, before writing. */
  private checkConflictIn(table: TableRelation, tid: Tid | null, keys: IndexKey[]): void {
    const sxact = this.txn.ssi;
    if (sxact === null) return;
    this.env.txns.ssi.checkConflictIn(sxact, {
      relationOid: table.oid,
      tid,
      indexKeys: keys.map(({ index, key }) => ({ indexOid: index.oid, key })),
    });
  }

  private async untilNoUniqueConflictWait(
    table: TableRelation,
    indexes: IndexRelation[],
    row: Row,
    self: Tid | null,
  ): Promise<void> {
    for (;;) {
      const waitFor = this.firstUniqueConflictWait(table, indexes, row, self);
      if (waitFor === null) return;
      await this.waitForXid(waitFor);
    }
  }

  /** Throws 23505 for a live duplicate; returns an xid to wait for, or null when the row may go in. */
  private firstUniqueConflictWait(
    table: TableRelation,
    indexes: IndexRelation[],
    row: Row,
    self: Tid | null,
  ): Xid | null {
    for (const index of indexes) {
      if (!index.unique) continue;
      const found = uniqueConflict(this.env, this.txn, table, index, row, self);
      if (found === null) continue;
      if (found.kind === 'wait') return found.xid;
      throw uniqueViolation(
        table,
        index,
        this.env.indexKeyValues(index, table, row) ?? [],
        this.env.typeSettings,
      );
    }
    return null;
  }
}

const INT2 = 21;
const INT4 = 23;
const INT8 = 20;

/**
 * A bound of a cross-type comparison on an integer key column (`int8col = 5`, whose constant is
 * an int4, or `int4col < 5000000000`) in the column's representation, which the key encoding
 * needs (bigint for int8, a number for int2/int4), as PostgreSQL's integer B-tree operator
 * family compares across the three widths. A bound outside a narrow column's range is clamped to
 * a safe integer beyond it, which orders the same against every key.
 */
function integerBound(value: Value, type: number | undefined): Value {
  if (type === INT8 && typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if ((type === INT4 || type === INT2) && typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
    if (value < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
    return Number(value);
  }
  return value;
}

/** An update (not a delete) that left the key columns as they were. */
function keysKept(header: TupleHeader): boolean {
  return (
    (header.infomask & HeapInfomask.UPDATED) !== 0 && (header.infomask & HeapInfomask.KEYS_UPDATED) === 0
  );
}

function rowLockTag(table: TableRelation, tid: Tid): string {
  return `tuple:${table.oid}:${tid}`;
}
