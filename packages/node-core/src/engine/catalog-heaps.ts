/**
 * The catalog heaps: where catalog objects are stored as MVCC tuples. One heap per database
 * plus one shared by the cluster (roles, databases). Inserting or deleting a catalog tuple is an
 * ordinary write of the DDL transaction (its xid, its command id), so it is WAL-logged, undone
 * by rollback, and recovered after a crash; at start the committed tuples are read back.
 *
 * This is also where relation files created or dropped by a transaction are tracked: files it
 * created are removed if it rolls back; files it dropped are removed only if it commits. Each
 * entry remembers its savepoint depth, so ROLLBACK TO SAVEPOINT removes the files the undone
 * levels created and forgets the drops they asked for.
 * Exports: CatalogHeaps.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Tid } from '../access/table-access.js';
import { decodeCatalogObject } from '../catalog/catalog-codec.js';
import type { CatalogHeap, CatalogScope, StoredObject } from '../catalog/catalog-manager.js';
import type { SchemaObject, SharedObject } from '../catalog/objects.js';
import type { RelFileId, StorageEngine, Tid as StorageTid } from '../storage/index.js';
import type { Transaction } from '../txn/transaction.js';
import type { TransactionManager } from '../txn/transaction-manager.js';
import { FrozenXid, InvalidXid, type Xid } from '../txn/xid.js';

interface TxnStorageChanges {
  created: { id: RelFileId; depth: number }[];
  dropped: { id: RelFileId; depth: number }[];
}

export class CatalogHeaps {
  private sharedRelFile: RelFileId | null = null;
  private readonly databaseRelFiles = new Map<number, RelFileId>();
  private readonly storageChanges = new Map<Transaction, TxnStorageChanges>();

  constructor(
    private readonly storage: StorageEngine,
    private readonly txns: TransactionManager,
  ) {}

  setShared(relFile: RelFileId): void {
    this.sharedRelFile = relFile;
  }

  setDatabase(databaseOid: number, relFile: RelFileId): void {
    this.databaseRelFiles.set(databaseOid, relFile);
  }

  forgetDatabase(databaseOid: number): void {
    this.databaseRelFiles.delete(databaseOid);
  }

  heapFor(scope: CatalogScope): CatalogHeap {
    const relFile = this.relFileOf(scope);
    const heap = () => this.storage.heap(relFile);
    return {
      insert: (txn, bytes) => {
        const xid = this.txns.xidForWrite(txn);
        txn.commandWrote = true;
        return heap().insert(bytes, { xmin: xid as never, cid: txn.cid }) as number as Tid;
      },
      delete: (txn, tid) => {
        const xid = this.txns.xidForWrite(txn);
        txn.commandWrote = true;
        heap().setHeader(tid as number as StorageTid, { xmax: xid as never, cid: txn.cid });
      },
    };
  }

  /** The committed objects of a scope: tuples whose inserter committed and whose deleter did not. */
  readCommitted(scope: CatalogScope): StoredObject<SchemaObject | SharedObject>[] {
    const heap = this.storage.heap(this.relFileOf(scope));
    const out: StoredObject<SchemaObject | SharedObject>[] = [];
    const committed = (xid: Xid) => xid === FrozenXid || this.txns.statusOf(xid) === 'committed';
    for (let pageNo = 0; pageNo < heap.pageCount(); pageNo++) {
      for (const tuple of heap.scanPage(pageNo)) {
        const xmin = tuple.header.xmin as number as Xid;
        const xmax = tuple.header.xmax as number as Xid;
        if (!committed(xmin)) continue;
        if (xmax !== InvalidXid && committed(xmax)) continue;
        out.push({ object: decodeCatalogObject(tuple.data), tid: tuple.tid as number as Tid });
      }
    }
    return out;
  }

  /** A new relation file in `txn`: removed again if the transaction rolls back. */
  createRelFile(txn: Transaction, kind: 'heap' | 'btree'): RelFileId {
    const id = this.storage.createRelation(kind);
    this.changesOf(txn).created.push({ id, depth: txn.levels.length - 1 });
    return id;
  }

  dropRelFileAtCommit(txn: Transaction, relFile: RelFileId): void {
    this.changesOf(txn).dropped.push({ id: relFile, depth: txn.levels.length - 1 });
  }

  /** ROLLBACK TO SAVEPOINT: the storage work of levels at `depth` and deeper is undone. */
  rollbackToSavepoint(txn: Transaction, depth: number): Promise<void>[] {
    const changes = this.storageChanges.get(txn);
    if (changes === undefined) return [];
    const undone = changes.created.filter((c) => c.depth >= depth);
    changes.created = changes.created.filter((c) => c.depth < depth);
    changes.dropped = changes.dropped.filter((c) => c.depth < depth);
    return undone.map((c) => this.storage.dropRelation(c.id));
  }

  /** RELEASE SAVEPOINT: entries of depth `depth` and deeper now belong to the parent level. */
  releaseSavepoint(txn: Transaction, depth: number): void {
    const changes = this.storageChanges.get(txn);
    for (const entry of [...(changes?.created ?? []), ...(changes?.dropped ?? [])]) {
      if (entry.depth >= depth) entry.depth = depth - 1;
    }
  }

  /** The storage work a transaction end implies, to run in the background. */
  takeStorageWork(txn: Transaction, committed: boolean): Promise<void>[] {
    const changes = this.storageChanges.get(txn);
    this.storageChanges.delete(txn);
    if (changes === undefined) return [];
    const doomed = committed ? changes.dropped : changes.created;
    return doomed.map((entry) => this.storage.dropRelation(entry.id));
  }

  private changesOf(txn: Transaction): TxnStorageChanges {
    let changes = this.storageChanges.get(txn);
    if (changes === undefined) {
      changes = { created: [], dropped: [] };
      this.storageChanges.set(txn, changes);
    }
    return changes;
  }

  private relFileOf(scope: CatalogScope): RelFileId {
    const relFile = scope === 'shared' ? this.sharedRelFile : this.databaseRelFiles.get(scope);
    if (relFile === null || relFile === undefined) {
      throw new KeelError(
        SqlState.InternalError,
        `no catalog heap for ${scope === 'shared' ? 'the cluster' : `database ${scope}`}`,
      );
    }
    assert(relFile > 0, 'catalog heap id');
    return relFile;
  }
}
