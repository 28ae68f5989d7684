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
 * Exports: HeapTableAccess, AccessEnv.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { IndexRelation, TableRelation } from '../catalog/objects.js';
import { encodeKey } from '../sql/types/key-encoding.js';
import type { TypeSettings } from '../sql/types/settings.js';
import { formatText } from '../sql/types/text-io.js';
import type { Value as TypedValue } from '../sql/types/value.js';
import type { BTree } from '../storage/btree/btree.js';
import type { HeapFile } from '../storage/heap/heap-file.js';
import { HeapInfomask, type TupleHeader } from '../storage/heap/heap-tuple.js';
import type { Tid as StorageTid } from '../storage/ids.js';
import type { LockManager } from '../txn/lock-manager.js';
import type { RowLockStrength } from '../txn/lock-modes.js';
import { isVisible, type Snapshot, type TupleVersion } from '../txn/snapshot.js';
import type { Transaction } from '../txn/transaction.js';
import { type TransactionManager, xidLockTag } from '../txn/transaction-manager.js';
import { InvalidXid, type Xid } from '../txn/xid.js';
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
import { indexKeyColumns, tableCodec } from './table-codec.js';

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
  lockTimeoutMs(): number;
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
  | { kind: 'busy'; xid: Xid }
  | { kind: 'replaced'; header: TupleHeader };

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
    const pages = heap.pageCount();
    let batch: RowBatch = { tids: [], rows: [] };
    for (let pageNo = 0; pageNo < pages; pageNo++) {
      for (const tuple of heap.scanPage(pageNo, { readAhead: READ_AHEAD_PAGES })) {
        if (!isVisible(versionOf(tuple.header), this.snapshot, this.env.txns.commitLog)) continue;
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
            key: encodeKey(b.values as TypedValue[], columns.slice(0, b.values.length)),
            inclusive: b.inclusive,
          };
    const lower = bound(options.lower);
    const upper = bound(options.upper);
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
        if (tuple === null || !isVisible(versionOf(tuple.header), this.snapshot, this.env.txns.commitLog))
          continue;
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
    if (tuple === null || !isVisible(versionOf(tuple.header), this.snapshot, this.env.txns.commitLog))
      return null;
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
    const xid = this.writeXid();
    const heap = this.env.heap(table);
    const tid = heap.insert(tableCodec(table, this.env.typeSettings).encode(row), {
      xmin: xid as number as never,
      cid: this.txn.cid,
    });
    this.insertIndexEntries(table, indexes, row, tid, xid);
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
        const found = this.uniqueConflict(table, index, row, null);
        if (found === null) continue;
        if (found.kind === 'wait') {
          waitFor = found.xid;
          break;
        }
        const tuple = this.env.heap(table).fetch(found.tid as number as StorageTid);
        if (tuple !== null)
          return { tid: found.tid, row: tableCodec(table, this.env.typeSettings).decode(tuple.data) };
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
    for (;;) {
      const ready = await this.prepareRowChange(table, tid, strength);
      if (ready.kind !== 'free') return ready.outcome;
      const indexes = this.env.indexesOf(table);
      const conflictWait = this.firstUniqueConflictWait(table, indexes, row, tid);
      if (conflictWait !== null) {
        await this.waitForXid(conflictWait);
        continue;
      }
      if (!this.stillFree(table, tid)) continue;
      const xid = this.writeXid();
      const infomask = HeapInfomask.UPDATED | (options.keyChanged ? HeapInfomask.KEYS_UPDATED : 0);
      const heap = this.env.heap(table);
      const newTid = heap.update(
        tid as number as StorageTid,
        { xmax: xid as number as never, cid: this.txn.cid, infomask },
        tableCodec(table, this.env.typeSettings).encode(row),
        { xmin: xid as number as never, cid: this.txn.cid },
      );
      this.insertIndexEntries(table, indexes, row, newTid, xid);
      return { status: 'ok', tid: newTid as number as Tid };
    }
  }

  async delete(table: TableRelation, tid: Tid): Promise<WriteOutcome> {
    for (;;) {
      const ready = await this.prepareRowChange(table, tid, 'update');
      if (ready.kind !== 'free') return ready.outcome;
      if (!this.stillFree(table, tid)) continue;
      const xid = this.writeXid();
      this.env.heap(table).setHeader(tid as number as StorageTid, {
        xmax: xid as number as never,
        cid: this.txn.cid,
        infomask: 0,
      });
      return { status: 'ok', tid };
    }
  }

  async lockRow(
    table: TableRelation,
    tid: Tid,
    mode: RowLockMode,
    wait: LockWaitPolicy,
  ): Promise<WriteOutcome> {
    for (;;) {
      const state = this.rowState(table, tid);
      if (state.kind === 'gone') return { status: 'deleted' };
      if (state.kind === 'self') return { status: 'ok', tid };
      if (state.kind === 'busy') {
        if (wait === 'skip locked') return { status: 'skipped' };
        await this.waitForXid(
          state.xid,
          wait === 'nowait' ? 'nowait' : 'block',
          `row in relation "${table.name}"`,
        );
        continue;
      }
      if (state.kind === 'replaced') return this.concurrentlyChanged(table, state.header);
      const tag = rowLockTag(table, tid);
      const lockMode = `row ${mode}` as const;
      if (wait === 'skip locked') {
        return this.env.locks.tryAcquire(this.txn, tag, lockMode)
          ? { status: 'ok', tid }
          : { status: 'skipped' };
      }
      await this.env.locks.acquire(this.txn, tag, lockMode, {
        policy: wait === 'nowait' ? 'nowait' : 'block',
        lockTimeoutMs: this.env.lockTimeoutMs(),
        describe: `row in relation "${table.name}"`,
      });
      // While we waited for another locker, a writer may have changed the row: look again.
      const after = this.rowState(table, tid);
      if (after.kind === 'free' || after.kind === 'self') return { status: 'ok', tid };
      this.env.locks.release(this.txn, tag, lockMode);
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
    if (this.env.txns.isRunning(xmax)) return { kind: 'busy', xid: xmax };
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
   */
  private async prepareRowChange(
    table: TableRelation,
    tid: Tid,
    strength: RowLockStrength,
  ): Promise<{ kind: 'free' } | { kind: 'done'; outcome: WriteOutcome }> {
    for (;;) {
      const state = this.rowState(table, tid);
      switch (state.kind) {
        case 'gone':
          return { kind: 'done', outcome: { status: 'deleted' } };
        case 'self':
          return { kind: 'done', outcome: { status: 'self-updated' } };
        case 'busy':
          await this.waitForXid(state.xid);
          continue;
        case 'replaced':
          return { kind: 'done', outcome: this.concurrentlyChanged(table, state.header) };
        case 'free': {
          const tag = rowLockTag(table, tid);
          const mode = `row ${strength}` as const;
          if (this.env.locks.conflictsWithHolders(this.txn, tag, mode)) {
            await this.env.locks.acquire(this.txn, tag, mode, {
              policy: 'block',
              lockTimeoutMs: this.env.lockTimeoutMs(),
              describe: `row in relation "${table.name}"`,
            });
            this.env.locks.release(this.txn, tag, mode);
            continue;
          }
          return { kind: 'free' };
        }
      }
    }
  }

  /**
   * The row was updated or deleted by a transaction that committed after our snapshot (or
   * before, for a newer version we were handed). READ COMMITTED follows the update chain to the
   * newest version for the executor to re-check; the snapshot isolation levels fail with 40001.
   */
  private concurrentlyChanged(table: TableRelation, header: TupleHeader): WriteOutcome {
    const updated = (header.infomask & HeapInfomask.UPDATED) !== 0;
    if (this.txn.usesTransactionSnapshot) {
      throw new KeelError(
        SqlState.SerializationFailure,
        `could not serialize access due to concurrent ${updated ? 'update' : 'delete'}`,
      );
    }
    if (!updated) return { status: 'deleted' };
    const heap = this.env.heap(table);
    let current = header;
    let currentTid = header.next;
    for (let hops = 0; hops < 10_000; hops++) {
      const next = heap.fetch(currentTid);
      if (next === null || next.header.xmin !== current.xmax) return { status: 'deleted' };
      const xmax = next.header.xmax as number as Xid;
      const committed =
        xmax !== InvalidXid && !this.env.txns.isRunning(xmax) && this.env.txns.statusOf(xmax) === 'committed';
      if (committed && !this.txn.ownXids.has(xmax)) {
        if ((next.header.infomask & HeapInfomask.UPDATED) === 0) return { status: 'deleted' };
        current = next.header;
        currentTid = next.header.next;
        continue;
      }
      return {
        status: 'updated',
        tid: currentTid as number as Tid,
        row: tableCodec(table, this.env.typeSettings).decode(next.data),
      };
    }
    throw new KeelError(SqlState.InternalError, `update chain of a row in "${table.name}" does not end`);
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
      describe,
    });
    this.env.locks.release(this.txn, tag, 'ShareLock');
  }

  private insertIndexEntries(
    table: TableRelation,
    indexes: IndexRelation[],
    row: Row,
    tid: StorageTid,
    xid: Xid,
  ): void {
    for (const index of indexes) {
      const values = this.env.indexKeyValues(index, table, row);
      if (values === null) continue;
      this.env
        .btree(index)
        .insert(
          encodeKey(values as TypedValue[], indexKeyColumns(index, table)),
          tid,
          xid as number as never,
        );
    }
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
      const found = this.uniqueConflict(table, index, row, self);
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

  /** A live row (or an in-progress writer to wait for) with the same key in a unique index. */
  private uniqueConflict(
    table: TableRelation,
    index: IndexRelation,
    row: Row,
    self: Tid | null,
  ): { kind: 'live'; tid: Tid } | { kind: 'wait'; xid: Xid } | null {
    const values = this.env.indexKeyValues(index, table, row);
    if (values === null) return null;
    if (!index.nullsNotDistinct && values.some((v) => v === null)) return null;
    const key = encodeKey(values as TypedValue[], indexKeyColumns(index, table));
    const heap = this.env.heap(table);
    for (const candidate of this.env.btree(index).lookup(key)) {
      if (self !== null && (candidate as number) === (self as number)) continue;
      const header = heap.fetchHeader(candidate);
      if (header === null) continue;
      const liveness = this.liveness(header);
      if (liveness === 'dead') continue;
      if (liveness === 'live') return { kind: 'live', tid: candidate as number as Tid };
      return { kind: 'wait', xid: liveness.wait };
    }
    return null;
  }

  /** PostgreSQL's "dirty snapshot" view of a version: live, dead, or wait for its writer. */
  private liveness(header: TupleHeader): 'live' | 'dead' | { wait: Xid } {
    const xmin = header.xmin as number as Xid;
    const xminOwn = this.txn.ownXids.has(xmin);
    if (!xminOwn) {
      if (this.env.txns.isRunning(xmin)) return { wait: xmin };
      if (this.env.txns.statusOf(xmin) !== 'committed') return 'dead';
    }
    const xmax = header.xmax as number as Xid;
    if (xmax === InvalidXid || (header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0) return 'live';
    if (this.txn.ownXids.has(xmax)) return 'dead';
    if (this.env.txns.isRunning(xmax)) return { wait: xmax };
    return this.env.txns.statusOf(xmax) === 'committed' ? 'dead' : 'live';
  }
}

function rowLockTag(table: TableRelation, tid: Tid): string {
  return `tuple:${table.oid}:${tid}`;
}

function uniqueViolation(
  table: TableRelation,
  index: IndexRelation,
  values: Value[],
  settings: TypeSettings,
): KeelError {
  const names = index.keys.map((k) =>
    k.attnum === 0 ? (k.expr ?? '?') : (table.columns[k.attnum - 1]?.name ?? '?'),
  );
  const types = indexKeyColumns(index, table).map((c) => c.type);
  const shown = values.map((v, i) =>
    v === null ? 'null' : formatText(types[i] ?? 25, v as TypedValue, settings),
  );
  return new KeelError(
    SqlState.UniqueViolation,
    `duplicate key value violates unique constraint "${index.name}"`,
    {
      detail: `Key (${names.join(', ')})=(${shown.join(', ')}) already exists.`,
      table: table.name,
      constraint: index.name,
    },
  );
}
