/**
 * One transaction's state: isolation level, its xids (assigned lazily, on the first write of
 * the top level or of a savepoint level), the command counter, the savepoint stack and, under
 * REPEATABLE READ and SERIALIZABLE, the snapshot every statement shares. Under SERIALIZABLE it
 * also links to its serializable-transaction record in the SSI manager (txn/ssi/).
 * A Transaction is also the owner of its locks in the lock manager; locks remember the
 * savepoint depth that took them (lockLevel).
 * READ UNCOMMITTED is kept as its own name (SHOW reports it) but behaves as READ COMMITTED,
 * as in PostgreSQL.
 * Exports: Transaction, IsolationLevel, SavepointLevel, TransactionOptions.
 */
import type { LockOwner } from './lock-manager.js';
import type { Snapshot } from './snapshot.js';
import type { SerializableXact } from './ssi/serializable-xact.js';
import type { Xid } from './xid.js';

export type IsolationLevel = 'read uncommitted' | 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  isolation: IsolationLevel;
  readOnly: boolean;
  deferrable: boolean;
}

export interface SavepointLevel {
  /** null for the top level. */
  name: string | null;
  /** This level's own xid, assigned on its first write. */
  xid: Xid | null;
}

let nextSerial = 1;

export class Transaction implements LockOwner {
  readonly id = nextSerial++;
  readonly startOrder = this.id;
  /** Top level first; ROLLBACK TO / RELEASE pop levels. */
  readonly levels: SavepointLevel[] = [{ name: null, xid: null }];
  /** Live own xids: what our snapshots treat as "us". Rolled-back savepoint xids leave it. */
  readonly ownXids = new Set<Xid>();
  /** Every xid assigned to this transaction that was not rolled back (the commit record lists them). */
  readonly committableXids: Xid[] = [];
  /** Command counter: versions written by command n carry cid n. */
  cid = 0;
  /** Whether the current command wrote anything (the counter advances only then). */
  commandWrote = false;
  /** The shared snapshot of REPEATABLE READ / SERIALIZABLE, taken by the first statement. */
  transactionSnapshot: Snapshot | null = null;
  /** Whether any statement took a snapshot yet (SET TRANSACTION must come before that). */
  firstSnapshotTaken = false;
  /** SERIALIZABLE: the SSI record (predicate locks, rw-conflicts); null otherwise or when safe. */
  ssi: SerializableXact | null = null;
  /**
   * The oldest xmin of any snapshot this transaction took (a READ COMMITTED statement's too):
   * VACUUM keeps every version such a snapshot might still read until the transaction ends.
   */
  snapshotXmin: Xid | null = null;
  /** Objects dropped by this transaction whose storage goes away only if it commits. */
  readonly onCommit: (() => void)[] = [];
  readonly onAbort: (() => void)[] = [];

  constructor(
    readonly pid: number,
    public options: TransactionOptions,
    /** transaction_timestamp(): microseconds since 2000-01-01 UTC. */
    readonly startTimestamp: bigint,
    /** Whether BEGIN opened it (a block) or it is implicit around one statement (BEGIN may turn it into a block). */
    public explicit: boolean,
  ) {}

  get topXid(): Xid | null {
    return this.levels[0]?.xid ?? null;
  }

  /** The xid writes of the current level use, or null before the level's first write. */
  get currentXid(): Xid | null {
    return this.levels[this.levels.length - 1]?.xid ?? null;
  }

  get isolation(): IsolationLevel {
    return this.options.isolation;
  }

  get usesTransactionSnapshot(): boolean {
    return this.options.isolation === 'repeatable read' || this.options.isolation === 'serializable';
  }

  /** Savepoint depth: locks taken now belong to this level (LockOwner). */
  lockLevel(): number {
    return this.levels.length - 1;
  }
}
