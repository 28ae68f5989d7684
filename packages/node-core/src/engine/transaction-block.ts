/**
 * A session's transaction block state, as PostgreSQL's xact.c keeps it for the client:
 * - idle: no transaction;
 * - implicit: a transaction around the current statement (or simple-query string, or
 *   extended-protocol batch up to Sync) that commits when it ends;
 * - block: BEGIN was run; statements share the transaction until COMMIT or ROLLBACK;
 * - failed: a statement failed inside a block; everything but ROLLBACK (or COMMIT, which then
 *   rolls back) fails with 25P02 until the block ends.
 *
 * As in PostgreSQL, the failure itself aborts work at once, not at ROLLBACK: an error at the top
 * level aborts the whole transaction (its xids abort and its locks are released, so a deadlock
 * victim frees the others immediately) and only the block state stays behind; an error inside
 * a savepoint aborts the innermost savepoint level, and ROLLBACK TO SAVEPOINT resumes the block.
 * Exports: TransactionBlock, BlockState, TransactionHooks, parseIsolationLevel, readOnlyViolation.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import type { IsolationLevel, Transaction, TransactionOptions } from '../txn/transaction.js';
import type { TransactionManager } from '../txn/transaction-manager.js';

export type BlockState = 'idle' | 'implicit' | 'block' | 'failed';

/** What else must happen at transaction boundaries (settings, catalog, notifications). */
export interface TransactionHooks {
  begun(txn: Transaction): void;
  /** The transaction committed (its changes are visible) or rolled back. */
  ended(txn: Transaction, committed: boolean): void;
  savepointCreated(txn: Transaction, depth: number): void;
  savepointRolledBack(txn: Transaction, depth: number): void;
  savepointReleased(txn: Transaction, depth: number): void;
}

export class TransactionBlock {
  private stateValue: BlockState = 'idle';
  private txnValue: Transaction | null = null;
  /** In the failed state: the transaction itself was already aborted (error at the top level). */
  private txnAborted = false;

  constructor(
    private readonly txns: TransactionManager,
    private readonly pid: number,
    private readonly hooks: TransactionHooks,
    private readonly now: () => bigint,
    private readonly defaults: () => TransactionOptions,
  ) {}

  get state(): BlockState {
    return this.stateValue;
  }

  get txn(): Transaction | null {
    return this.txnValue;
  }

  /** ReadyForQuery status byte. */
  get status(): 'I' | 'T' | 'E' {
    return this.stateValue === 'block' ? 'T' : this.stateValue === 'failed' ? 'E' : 'I';
  }

  /** The transaction for the next statement, starting an implicit one if none is open. */
  current(): Transaction {
    if (this.stateValue === 'failed') {
      throw new KeelError(
        SqlState.InFailedSqlTransaction,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    if (this.txnValue === null) this.start(false, this.defaults());
    const txn = this.txnValue;
    assert(txn !== null, 'no transaction after start');
    return txn;
  }

  /** BEGIN. Inside a block PostgreSQL only warns; the caller sends that notice. */
  begin(options: Partial<TransactionOptions>): 'started' | 'already' {
    // In a failed block only ROLLBACK, COMMIT and ROLLBACK TO run (25P02 from current()).
    if (this.stateValue === 'failed') this.current();
    if (this.stateValue === 'block') return 'already';
    const merged = { ...this.defaults(), ...options };
    if (this.txnValue === null) this.start(true, merged);
    else {
      // The implicit transaction around the BEGIN statement becomes the block's transaction.
      this.txnValue.options = merged;
      this.txnValue.explicit = true;
    }
    this.stateValue = 'block';
    return 'started';
  }

  /**
   * SET TRANSACTION, with PostgreSQL's checks (check_XactIsoLevel and friends): the isolation
   * level and DEFERRABLE only before the transaction's first snapshot and not inside a
   * savepoint (25001); READ WRITE only before the first snapshot (25001) and never inside a
   * savepoint of a read-only transaction (25006). `snapshotTaken` is the caller's view; the
   * transaction's own record of its first snapshot counts too.
   */
  setCharacteristics(options: Partial<TransactionOptions>, snapshotTaken = false): void {
    const txn = this.current();
    const started = snapshotTaken || txn.firstSnapshotTaken;
    const inSavepoint = txn.levels.length > 1;
    const notBefore = (what: string) =>
      new KeelError(SqlState.ActiveSqlTransaction, `${what} must be called before any query`);
    if (options.isolation !== undefined && options.isolation !== txn.options.isolation) {
      if (started) throw notBefore('SET TRANSACTION ISOLATION LEVEL');
      if (inSavepoint) {
        throw new KeelError(
          SqlState.ActiveSqlTransaction,
          'SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction',
        );
      }
    }
    if (options.readOnly === false && txn.options.readOnly) {
      if (inSavepoint) {
        throw new KeelError(
          SqlState.ReadOnlySqlTransaction,
          'cannot set transaction read-write mode inside a read-only transaction',
        );
      }
      if (started) {
        throw new KeelError(
          SqlState.ActiveSqlTransaction,
          'transaction read-write mode must be set before any query',
        );
      }
    }
    if (options.deferrable !== undefined && options.deferrable !== txn.options.deferrable) {
      if (inSavepoint) {
        throw new KeelError(
          SqlState.ActiveSqlTransaction,
          'SET TRANSACTION [NOT] DEFERRABLE cannot be called within a subtransaction',
        );
      }
      if (started) throw notBefore('SET TRANSACTION [NOT] DEFERRABLE');
    }
    txn.options = { ...txn.options, ...options };
  }

  /**
   * COMMIT (or END). Returns the command tag: "COMMIT", or "ROLLBACK" when the block had failed,
   * as PostgreSQL reports it. Outside a block it warns (caller) and does nothing.
   */
  async commit(synchronous: boolean): Promise<'COMMIT' | 'ROLLBACK' | 'none'> {
    const txn = this.txnValue;
    if (this.stateValue === 'failed') {
      this.rollback();
      return 'ROLLBACK';
    }
    if (txn === null || this.stateValue !== 'block') {
      if (txn !== null) await this.finishImplicit(synchronous);
      return 'none';
    }
    await this.end(txn, synchronous);
    return 'COMMIT';
  }

  /** ROLLBACK (or ABORT). */
  rollback(): 'ROLLBACK' | 'none' {
    const txn = this.txnValue;
    const wasInBlock = this.stateValue === 'block' || this.stateValue === 'failed';
    if (txn !== null) this.abort(txn);
    return wasInBlock ? 'ROLLBACK' : 'none';
  }

  /** The end of an implicit transaction: commit it (statement succeeded). */
  async finishImplicit(synchronous: boolean): Promise<void> {
    const txn = this.txnValue;
    if (txn === null || this.stateValue !== 'implicit') return;
    await this.end(txn, synchronous);
  }

  /**
   * A statement failed: an implicit transaction rolls back; a block becomes failed, aborting
   * the innermost savepoint level now, or the whole transaction when there is none.
   */
  fail(): void {
    const txn = this.txnValue;
    if (txn === null) return;
    if (this.stateValue === 'block') {
      if (txn.levels.length > 1) {
        this.txns.abortInnermostLevel(txn);
      } else {
        this.txns.abort(txn);
        this.txnAborted = true;
        this.hooks.ended(txn, false);
      }
      this.stateValue = 'failed';
      return;
    }
    if (this.stateValue === 'implicit') this.abort(txn);
  }

  savepoint(name: string): void {
    const txn = this.requireBlock('SAVEPOINT');
    this.txns.savepoint(txn, name);
    this.hooks.savepointCreated(txn, txn.levels.length - 1);
  }

  /** ROLLBACK TO SAVEPOINT also clears the failed state, as in PostgreSQL. */
  rollbackTo(name: string): void {
    const txn = this.txnValue;
    if (this.txnAborted) {
      // The whole transaction was aborted by the error: no savepoint is left to return to.
      throw new KeelError(SqlState.InvalidSavepointSpecification, `savepoint "${name}" does not exist`);
    }
    if (txn === null || (this.stateValue !== 'block' && this.stateValue !== 'failed')) {
      throw new KeelError(
        SqlState.NoActiveSqlTransaction,
        'ROLLBACK TO SAVEPOINT can only be used in transaction blocks',
      );
    }
    const depth = this.txns.rollbackToSavepoint(txn, name);
    this.hooks.savepointRolledBack(txn, depth);
    this.stateValue = 'block';
  }

  release(name: string): void {
    const txn = this.requireBlock('RELEASE SAVEPOINT');
    const depth = this.txns.releaseSavepoint(txn, name);
    this.hooks.savepointReleased(txn, depth);
  }

  /** Connection closed: whatever is open rolls back. */
  close(): void {
    this.rollback();
  }

  private requireBlock(what: string): Transaction {
    if (this.stateValue === 'failed') this.current();
    // (current() throws 25P02 in the failed state.)
    const txn = this.txnValue;
    if (txn === null || this.stateValue !== 'block') {
      throw new KeelError(SqlState.NoActiveSqlTransaction, `${what} can only be used in transaction blocks`);
    }
    return txn;
  }

  private start(explicit: boolean, options: TransactionOptions): void {
    const txn = this.txns.begin(this.pid, options, this.now(), explicit);
    this.txnValue = txn;
    this.stateValue = explicit ? 'block' : 'implicit';
    this.hooks.begun(txn);
  }

  private async end(txn: Transaction, synchronous: boolean): Promise<void> {
    this.txnValue = null;
    this.stateValue = 'idle';
    try {
      await this.txns.commit(txn, { synchronous, timestamp: this.now() });
    } catch (error) {
      this.hooks.ended(txn, false);
      throw error;
    }
    this.hooks.ended(txn, true);
  }

  private abort(txn: Transaction): void {
    const alreadyAborted = this.txnAborted;
    this.txnValue = null;
    this.txnAborted = false;
    this.stateValue = 'idle';
    if (alreadyAborted) return;
    this.txns.abort(txn);
    this.hooks.ended(txn, false);
  }
}

/** PostgreSQL's spelling of isolation levels in BEGIN/SET TRANSACTION options. */
export function parseIsolationLevel(text: string): IsolationLevel {
  const lower = text.toLowerCase();
  if (lower === 'serializable') return 'serializable';
  if (lower === 'repeatable read') return 'repeatable read';
  if (lower === 'read committed') return 'read committed';
  // Behaves as READ COMMITTED (Transaction.usesTransactionSnapshot), but SHOW names it.
  if (lower === 'read uncommitted') return 'read uncommitted';
  throw new KeelError(SqlState.InvalidParameterValue, `invalid transaction isolation level "${text}"`);
}

const lockingTags: Record<string, string> = {
  LCS_FORKEYSHARE: 'SELECT FOR KEY SHARE',
  LCS_FORSHARE: 'SELECT FOR SHARE',
  LCS_FORNOKEYUPDATE: 'SELECT FOR NO KEY UPDATE',
  LCS_FORUPDATE: 'SELECT FOR UPDATE',
};

/** 25006 for a writing query in a READ ONLY transaction, named as PostgreSQL names the command. */
export function readOnlyViolation(node: Node): KeelError {
  const [type = ''] = Object.keys(node);
  const select = (node as { SelectStmt?: { lockingClause?: { LockingClause?: { strength?: string } }[] } })
    .SelectStmt;
  const strength = select?.lockingClause?.[0]?.LockingClause?.strength ?? '';
  const name =
    type === 'SelectStmt' ? (lockingTags[strength] ?? 'SELECT') : type.replace(/Stmt$/, '').toUpperCase();
  return new KeelError(SqlState.ReadOnlySqlTransaction, `cannot execute ${name} in a read-only transaction`);
}
