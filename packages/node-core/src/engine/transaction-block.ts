/**
 * A session's transaction block state, as PostgreSQL's xact.c keeps it for the client:
 * - idle: no transaction;
 * - implicit: a transaction around the current statement (or simple-query string, or
 *   extended-protocol batch up to Sync) that commits when it ends;
 * - block: BEGIN was run; statements share the transaction until COMMIT or ROLLBACK;
 * - failed: a statement failed inside a block; everything but ROLLBACK (or COMMIT, which then
 *   rolls back) fails with 25P02 until the block ends.
 * Exports: TransactionBlock, BlockState, TransactionHooks.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
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
    if (this.stateValue === 'block' || this.stateValue === 'failed') return 'already';
    const merged = { ...this.defaults(), ...options };
    if (this.txnValue === null) this.start(true, merged);
    else this.txnValue.options = merged;
    this.stateValue = 'block';
    return 'started';
  }

  /** SET TRANSACTION: only before the transaction's first query (25001 afterwards). */
  setCharacteristics(options: Partial<TransactionOptions>, snapshotTaken: boolean): void {
    const txn = this.current();
    if (options.isolation !== undefined && snapshotTaken && options.isolation !== txn.options.isolation) {
      throw new KeelError(
        SqlState.ActiveSqlTransaction,
        'SET TRANSACTION ISOLATION LEVEL must be called before any query',
      );
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

  /** A statement failed: an implicit transaction rolls back; a block becomes failed. */
  fail(): void {
    const txn = this.txnValue;
    if (txn === null) return;
    if (this.stateValue === 'block') {
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
    if (txn === null || (this.stateValue !== 'block' && this.stateValue !== 'failed')) {
      throw new KeelError(
        SqlState.NoActiveSqlTransaction,
        'ROLLBACK TO SAVEPOINT can only be used in transaction blocks',
      );
    }
    const depth = txn.levels.findIndex((level, i) => i > 0 && level.name === name);
    this.txns.rollbackToSavepoint(txn, name);
    this.hooks.savepointRolledBack(txn, depth);
    this.stateValue = 'block';
  }

  release(name: string): void {
    const txn = this.requireBlock('RELEASE SAVEPOINT');
    const depth = txn.levels.findIndex((level, i) => i > 0 && level.name === name);
    this.txns.releaseSavepoint(txn, name);
    this.hooks.savepointReleased(txn, depth);
  }

  /** Connection closed: whatever is open rolls back. */
  close(): void {
    if (this.txnValue !== null) this.abort(this.txnValue);
  }

  private requireBlock(what: string): Transaction {
    if (this.stateValue === 'failed') this.current();
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
    this.txnValue = null;
    this.stateValue = 'idle';
    this.txns.abort(txn);
    this.hooks.ended(txn, false);
  }
}

/** PostgreSQL's spelling of isolation levels in BEGIN/SET TRANSACTION options. */
export function parseIsolationLevel(text: string): IsolationLevel {
  const lower = text.toLowerCase();
  if (lower === 'serializable') return 'serializable';
  if (lower === 'repeatable read') return 'repeatable read';
  if (lower === 'read committed' || lower === 'read uncommitted') return 'read committed';
  throw new KeelError(SqlState.InvalidParameterValue, `invalid transaction isolation level "${text}"`);
}
