/**
 * Catalog manager: the committed catalog of every database, and each transaction's uncommitted
 * changes to it. DDL writes catalog objects as MVCC tuples in a catalog heap (one per database
 * plus one shared by the cluster for roles and databases), so the WAL carries them and crash
 * recovery restores them; the in-memory catalog is rebuilt from those heaps at start.
 *
 * Visibility follows PostgreSQL's rule for catalogs: a transaction sees the latest committed
 * catalog plus its own changes, and the table locks DDL takes (AccessExclusiveLock) keep a
 * relation's entry from changing under a statement that uses it. A commit applies the
 * transaction's changes object by object, so concurrent DDL on different objects merges.
 *
 * Each pending change remembers the savepoint depth that made it: ROLLBACK TO SAVEPOINT drops
 * the changes of the undone levels (the catalog tuples they wrote carry the aborted savepoint
 * xids, so the heaps agree), and RELEASE hands them to the parent level.
 * Exports: CatalogManager, CatalogHeap, CatalogScope, StoredObject.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Tid } from '../access/table-access.js';
import type { Transaction } from '../txn/transaction.js';
import { encodeCatalogObject } from './catalog-codec.js';
import {
  type DatabaseInfo,
  type Oid,
  type SchemaObject,
  type SharedObject,
  WellKnownOid,
} from './objects.js';
import { SchemaCatalog } from './schema-catalog.js';

/** Where a catalog object lives: a database's catalog, or the cluster-wide one. */
export type CatalogScope = Oid | 'shared';

/** The catalog heap of one scope, as the access layer provides it. */
export interface CatalogHeap {
  insert(txn: Transaction, bytes: Uint8Array): Tid;
  delete(txn: Transaction, tid: Tid): void;
}

export interface StoredObject<T> {
  object: T;
  tid: Tid;
}

type AnyObject = SchemaObject | SharedObject;

/** Identity of an object inside its scope (comments have no oid of their own). */
export function objectKey(object: AnyObject): string {
  return object.kind === 'comment'
    ? `c:${object.objectOid}/${object.classOid}/${object.subId}`
    : `o:${object.oid}`;
}

interface PendingChange {
  scope: CatalogScope;
  key: string;
  /** null = removed. */
  stored: StoredObject<AnyObject> | null;
  /** Savepoint depth of the change (0 = top level). */
  depth: number;
}

/** A transaction's changes: the newest per object, and every change in order (for savepoints). */
interface PendingChanges {
  latest: Map<string, PendingChange>;
  history: PendingChange[];
}

export class CatalogManager {
  private readonly committed = new Map<CatalogScope, Map<string, StoredObject<AnyObject>>>();
  private readonly pending = new Map<Transaction, PendingChanges>();
  private readonly viewCache = new Map<Oid, SchemaCatalog>();
  private nextOid: number = WellKnownOid.firstNormalObject;
  /** Bumped by every commit that changed the catalog; plan caches compare it. */
  private versionCounter = 0;

  constructor(private readonly heapOf: (scope: CatalogScope) => CatalogHeap) {}

  /** Startup: the committed objects of a scope, as read from its heap. */
  load(scope: CatalogScope, objects: Iterable<StoredObject<AnyObject>>): void {
    const map = this.scopeMap(scope);
    for (const stored of objects) {
      map.set(objectKey(stored.object), stored);
      if ('oid' in stored.object && stored.object.oid >= this.nextOid) this.nextOid = stored.object.oid + 1;
    }
    this.viewCache.clear();
  }

  /**
   * Hot standby: replaces a scope's committed objects with what its heap holds now (after
   * replayed DDL became visible), so plans made against the old catalog are re-made.
   */
  reload(scope: CatalogScope, objects: Iterable<StoredObject<AnyObject>>): void {
    this.committed.delete(scope);
    this.load(scope, objects);
    this.versionCounter++;
  }

  get version(): number {
    return this.versionCounter;
  }

  allocateOid(): Oid {
    return this.nextOid++;
  }

  /** The catalog of a database as `txn` sees it (null txn: the committed catalog). */
  view(databaseOid: Oid, txn: Transaction | null): SchemaCatalog {
    const changes = txn === null ? undefined : this.pending.get(txn)?.latest;
    if (changes === undefined || changes.size === 0) {
      let cached = this.viewCache.get(databaseOid);
      if (cached === undefined) {
        cached = this.buildView(databaseOid, undefined);
        this.viewCache.set(databaseOid, cached);
      }
      return cached;
    }
    return this.buildView(databaseOid, changes);
  }

  /** Cluster-wide objects as `txn` sees them (roles and databases), without a database. */
  sharedObjects(txn: Transaction | null): SharedObject[] {
    return this.objectsOf(
      'shared',
      txn === null ? undefined : this.pending.get(txn)?.latest,
    ) as SharedObject[];
  }

  database(name: string, txn: Transaction | null): DatabaseInfo | null {
    for (const object of this.sharedObjects(txn))
      if (object.kind === 'database' && object.name === name) return object;
    return null;
  }

  /** Creates or replaces an object (same key) in `txn`: a new tuple version, the old one deleted. */
  put(txn: Transaction, scope: CatalogScope, object: AnyObject): void {
    const key = objectKey(object);
    const heap = this.heapOf(scope);
    const previous = this.currentStored(txn, scope, key);
    if (previous !== null) heap.delete(txn, previous.tid);
    const tid = heap.insert(txn, encodeCatalogObject(object));
    this.record(txn, { scope, key, stored: { object, tid }, depth: txn.levels.length - 1 });
  }

  remove(txn: Transaction, scope: CatalogScope, object: AnyObject): void {
    const key = objectKey(object);
    const previous = this.currentStored(txn, scope, key);
    if (previous === null) {
      throw new KeelError(SqlState.UndefinedObject, `catalog object ${key} does not exist`);
    }
    this.heapOf(scope).delete(txn, previous.tid);
    this.record(txn, { scope, key, stored: null, depth: txn.levels.length - 1 });
  }

  /** Called once the transaction's commit is visible: its changes become everyone's catalog. */
  commit(txn: Transaction): void {
    const changes = this.pending.get(txn)?.latest;
    this.pending.delete(txn);
    if (changes === undefined || changes.size === 0) return;
    for (const change of changes.values()) {
      const map = this.scopeMap(change.scope);
      if (change.stored === null) map.delete(change.key);
      else map.set(change.key, change.stored);
    }
    this.versionCounter++;
    this.viewCache.clear();
  }

  abort(txn: Transaction): void {
    this.pending.delete(txn);
  }

  /** ROLLBACK TO SAVEPOINT: changes made at savepoint depth `depth` or deeper are undone. */
  rollbackToSavepoint(txn: Transaction, depth: number): void {
    const changes = this.pending.get(txn);
    if (changes === undefined) return;
    const kept = changes.history.filter((change) => change.depth < depth);
    if (kept.length === changes.history.length) return;
    changes.history = kept;
    changes.latest = new Map();
    for (const change of kept) changes.latest.set(`${change.scope}|${change.key}`, change);
  }

  /** RELEASE SAVEPOINT: changes of depth `depth` and deeper now belong to the parent level. */
  releaseSavepoint(txn: Transaction, depth: number): void {
    for (const change of this.pending.get(txn)?.history ?? []) {
      if (change.depth >= depth) change.depth = depth - 1;
    }
  }

  hasPendingChanges(txn: Transaction): boolean {
    return (this.pending.get(txn)?.latest.size ?? 0) > 0;
  }

  /** A database being dropped: forget its committed catalog. */
  dropScope(scope: CatalogScope): void {
    this.committed.delete(scope);
    if (scope !== 'shared') this.viewCache.delete(scope);
  }

  private record(txn: Transaction, change: PendingChange): void {
    let changes = this.pending.get(txn);
    if (changes === undefined) {
      changes = { latest: new Map(), history: [] };
      this.pending.set(txn, changes);
    }
    changes.latest.set(`${change.scope}|${change.key}`, change);
    changes.history.push(change);
  }

  private currentStored(txn: Transaction, scope: CatalogScope, key: string): StoredObject<AnyObject> | null {
    const change = this.pending.get(txn)?.latest.get(`${scope}|${key}`);
    if (change !== undefined) return change.stored;
    return this.committed.get(scope)?.get(key) ?? null;
  }

  private scopeMap(scope: CatalogScope): Map<string, StoredObject<AnyObject>> {
    let map = this.committed.get(scope);
    if (map === undefined) {
      map = new Map();
      this.committed.set(scope, map);
    }
    return map;
  }

  private objectsOf(scope: CatalogScope, changes: Map<string, PendingChange> | undefined): AnyObject[] {
    const merged = new Map<string, AnyObject>();
    for (const [key, stored] of this.committed.get(scope) ?? []) merged.set(key, stored.object);
    for (const change of changes?.values() ?? []) {
      if (change.scope !== scope) continue;
      if (change.stored === null) merged.delete(change.key);
      else merged.set(change.key, change.stored.object);
    }
    return [...merged.values()];
  }

  private buildView(databaseOid: Oid, changes: Map<string, PendingChange> | undefined): SchemaCatalog {
    const shared = this.objectsOf('shared', changes) as SharedObject[];
    const database = shared.find((o): o is DatabaseInfo => o.kind === 'database' && o.oid === databaseOid);
    assert(database !== undefined, `catalog view of unknown database ${databaseOid}`);
    return new SchemaCatalog(database, this.objectsOf(databaseOid, changes) as SchemaObject[], shared);
  }
}
