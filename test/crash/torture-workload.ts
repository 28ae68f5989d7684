/**
 * The torture test's clients: each runs random transactions on its own keys through its own
 * `pg` connection until told to stop or until the node dies under it, and records every
 * outcome in the model: acknowledged commits are folded in, a commit left unanswered by the
 * crash is marked in doubt, everything rolled back, failed or cut off before COMMIT is
 * dropped. Transactions: single-statement inserts, updates and deletes; multi-statement ones
 * (some rolled back, some with a savepoint rolled back, some aborted by a duplicate key); bulk
 * INSERT ... SELECT and range UPDATE/DELETE; rows of several KiB (one per page); increments of
 * the one shared counter row (with a ledger row); and DDL now and then (CREATE TABLE with rows,
 * CREATE INDEX, DROP TABLE). The plan of each client is a function of the seed; the
 * interleaving of clients is not.
 * Exports: WorkloadShared, ClientWorkload, clientIdBase.
 */
import type { Prng } from '@keel/testkit';
import type pg from 'pg';
import {
  emptyEffects,
  type Row,
  type TableSpec,
  type TortureModel,
  type TxnEffects,
} from './torture-model.js';

/** State shared by the clients of one crash cycle and the cycle's controller. */
export interface WorkloadShared {
  model: TortureModel;
  /** Set by the controller: finish the current transaction, then return. */
  stop: boolean;
  /** Acknowledged commits in this cycle. */
  acked: number;
  /** Called after every acknowledged commit (the controller's kill trigger). */
  onAck: () => void;
  /** Errors the node returned that the workload did not ask for. */
  violations: string[];
}

/** Client `c` owns ids [c * 1e6 + 1, (c + 1) * 1e6). */
export function clientIdBase(client: number): number {
  return client * 1_000_000;
}

interface Step {
  sql: string;
  params: unknown[];
  /** Applies the statement's effect to the transaction's view once it succeeded. */
  apply: (view: TxnView) => void;
  /** A SQLSTATE the statement must fail with (then nothing is applied). */
  expectError?: string;
}

type Outcome = 'ok' | 'failed' | 'lost';

const MAX_ACCT_ROWS = 1500;
const MAX_BLOB_ROWS = 40;
const MAX_DDL_TABLES = 3;
/**
 * Values of the indexed columns (acct.owner, blob.tag): many distinct ones, so that once the
 * tables are analyzed, an equality on them is selective enough for the planner to use the
 * index, which verification needs (Keel's planner has no enable_seqscan).
 */
const OWNERS = 100_000;

/** A transaction's view of the client's keys: the committed model plus what it did so far. */
class TxnView {
  effects: TxnEffects;

  constructor(
    private readonly model: TortureModel,
    client: number,
    label: string,
  ) {
    this.effects = emptyEffects(client, label);
  }

  spec(table: string): TableSpec | null {
    const changed = this.effects.tables.get(table);
    if (changed !== undefined) return changed === 'dropped' ? null : changed;
    return this.model.table(table);
  }

  row(table: string, id: number): Row | null {
    const changed = this.effects.rows.get(table)?.get(id);
    if (changed !== undefined) return changed;
    if (this.effects.tables.get(table) !== undefined && this.model.table(table) === null) return null;
    return this.model.rowsOf(table).get(id) ?? null;
  }

  /** Ids of the client's rows of `table` in this view, ascending. */
  ownIds(table: string, base: number): number[] {
    const ids = new Set<number>();
    if (this.model.table(table) !== null || this.effects.tables.has(table)) {
      for (const id of this.model.rowsOf(table).keys()) if (id > base && id < base + 1_000_000) ids.add(id);
    }
    for (const [id, row] of this.effects.rows.get(table) ?? []) {
      if (row === null) ids.delete(id);
      else ids.add(id);
    }
    return [...ids].filter((id) => this.row(table, id) !== null).sort((a, b) => a - b);
  }

  set(table: string, id: number, row: Row | null): void {
    let rows = this.effects.rows.get(table);
    if (rows === undefined) {
      rows = new Map();
      this.effects.rows.set(table, rows);
    }
    rows.set(id, row);
  }

  setTable(name: string, spec: TableSpec | 'dropped'): void {
    this.effects.tables.set(name, spec);
    if (spec === 'dropped') this.effects.rows.delete(name);
  }

  save(): TxnEffects {
    return cloneEffects(this.effects);
  }

  restore(saved: TxnEffects): void {
    this.effects = cloneEffects(saved);
  }
}

function cloneEffects(e: TxnEffects): TxnEffects {
  return {
    ...e,
    rows: new Map([...e.rows].map(([t, rows]) => [t, new Map(rows)])),
    tables: new Map(e.tables),
  };
}

/**
 * The SQLSTATE of an error the server sent (node-postgres gives those a severity), or null for
 * a lost connection (whose codes, like EPIPE, can look like a SQLSTATE).
 */
function sqlstateOf(err: unknown): string | null {
  if (typeof err !== 'object' || err === null || !('code' in err) || !('severity' in err)) return null;
  const { code, severity } = err as { code: unknown; severity: unknown };
  return typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

export class ClientWorkload {
  private readonly base: number;
  private txnNo = 0;

  constructor(
    readonly client: number,
    private readonly rng: Prng,
    private readonly shared: WorkloadShared,
    private readonly conn: pg.Client,
    /** Next id suffix for this client; kept across crash cycles so ids are never reused. */
    private readonly ids: { next: number },
  ) {
    this.base = clientIdBase(client);
  }

  /** Runs transactions until stopped or until the connection is lost. */
  async run(): Promise<void> {
    while (!this.shared.stop) {
      if ((await this.oneTransaction()) === 'lost') return;
    }
  }

  private freshId(): number {
    this.ids.next++;
    return this.base + this.ids.next;
  }

  private async oneTransaction(): Promise<Outcome> {
    this.txnNo++;
    const label = `c${this.client}-t${this.txnNo}`;
    const view = new TxnView(this.shared.model, this.client, label);
    const r = this.rng.next();
    if (r < 0.18) return this.autocommit(view, this.insertAcct());
    if (r < 0.28) return this.autocommit(view, this.updateAcct(view) ?? this.insertAcct());
    if (r < 0.33) return this.autocommit(view, this.deleteAcct(view) ?? this.insertAcct());
    if (r < 0.6) return this.multiStatement(view);
    if (r < 0.66) return this.autocommit(view, this.bulkInsert(view));
    if (r < 0.7) return this.autocommit(view, this.bulkChange(view));
    if (r < 0.78) return this.autocommit(view, this.blobWrite(view));
    if (r < 0.86) return this.counterTransaction(view);
    if (r < 0.9) return this.abortedByDuplicate(view);
    if (r < 0.95) return this.ddlTransaction(view);
    return this.autocommit(view, this.ddlSingle(view) ?? this.insertAcct());
  }

  // ---- transaction shapes ----------------------------------------------------------------

  /** One statement in its own transaction: its effects are in doubt while it runs. */
  private async autocommit(view: TxnView, step: Step): Promise<Outcome> {
    step.apply(view);
    try {
      await this.conn.query(step.sql, step.params);
    } catch (err) {
      if (sqlstateOf(err) === null) {
        this.shared.model.markInDoubt(view.effects);
        return 'lost';
      }
      return this.failure(err, step.sql, view);
    }
    this.acknowledge(view);
    return 'ok';
  }

  private async multiStatement(view: TxnView): Promise<Outcome> {
    const steps = this.rng.int(2, 6);
    return this.explicit(view, async () => {
      for (let i = 0; i < steps; i++) {
        if (this.rng.chance(0.12)) {
          const outcome = await this.savepointRolledBack(view);
          if (outcome !== 'ok') return outcome;
          continue;
        }
        const outcome = await this.exec(this.randomDml(view), view);
        if (outcome !== 'ok') return outcome;
      }
      return 'ok';
    });
  }

  private async savepointRolledBack(view: TxnView): Promise<Outcome> {
    const saved = view.save();
    const begin = await this.raw('SAVEPOINT sp');
    if (begin !== 'ok') return begin;
    for (let i = this.rng.int(1, 2); i > 0; i--) {
      const outcome = await this.exec(this.randomDml(view), view);
      if (outcome !== 'ok') return outcome;
    }
    const back = await this.raw('ROLLBACK TO SAVEPOINT sp');
    view.restore(saved);
    return back;
  }

  private counterTransaction(view: TxnView): Promise<Outcome> {
    return this.explicit(
      view,
      async () => {
        const bump = await this.exec(
          {
            sql: 'UPDATE counter SET n = n + 1 WHERE id = 1',
            params: [],
            apply: (v) => {
              v.effects.counterDelta++;
            },
          },
          view,
        );
        if (bump !== 'ok') return bump;
        const id = this.freshId();
        return this.exec(
          {
            sql: 'INSERT INTO ledger VALUES ($1, $2)',
            params: [id, this.client],
            apply: (v) => v.set('ledger', id, [String(this.client)]),
          },
          view,
        );
      },
      'always-commit',
    );
  }

  /** A transaction that a unique violation aborts: its COMMIT must come back as ROLLBACK. */
  private async abortedByDuplicate(view: TxnView): Promise<Outcome> {
    const existing = view.ownIds('acct', this.base);
    const victim = existing[this.rng.int(0, existing.length - 1)];
    if (victim === undefined) return this.autocommit(view, this.insertAcct());
    const begin = await this.raw('BEGIN');
    if (begin !== 'ok') return begin;
    const first = await this.exec(this.insertAcct(), view);
    const dup =
      first === 'ok'
        ? await this.exec(
            {
              sql: 'INSERT INTO acct VALUES ($1, 1, 1, $2)',
              params: [victim, 'duplicate'],
              apply: () => {},
              expectError: '23505',
            },
            view,
          )
        : first;
    if (dup === 'lost') return 'lost';
    try {
      const result = await this.conn.query('COMMIT');
      if (dup === 'ok' && result.command !== 'ROLLBACK') {
        this.shared.violations.push(
          `${view.effects.label}: COMMIT after an error answered ${result.command}`,
        );
      }
      return 'ok';
    } catch (err) {
      // Nothing of this transaction may become visible, so a lost COMMIT is not in doubt.
      return sqlstateOf(err) === null ? 'lost' : this.failure(err, 'COMMIT of an aborted transaction', view);
    }
  }

  private ddlTransaction(view: TxnView): Promise<Outcome> {
    const own = this.ownTables(view);
    if (own.length >= MAX_DDL_TABLES) return this.autocommit(view, this.dropTable(own));
    return this.explicit(view, async () => {
      const name = `ddl_${this.client}_${this.freshId() - this.base}`; // never reused, even across crashes
      const indexed = this.rng.chance(0.5);
      const spec: TableSpec = {
        name,
        columns: [{ name: 'v', type: 'text' }],
        index: indexed ? { column: 0, name: `${name}_v` } : null,
      };
      const create = await this.exec(
        {
          sql: `CREATE TABLE ${name} (id int4 PRIMARY KEY, v text)`,
          params: [],
          apply: (v) => v.setTable(name, { ...spec, index: null }),
        },
        view,
      );
      if (create !== 'ok') return create;
      if (indexed) {
        const index = await this.exec(
          { sql: `CREATE INDEX ${name}_v ON ${name} (v)`, params: [], apply: (v) => v.setTable(name, spec) },
          view,
        );
        if (index !== 'ok') return index;
      }
      for (let i = this.rng.int(0, 30); i > 0; i--) {
        const outcome = await this.exec(this.ddlRowWrite(view, name), view);
        if (outcome !== 'ok') return outcome;
      }
      return 'ok';
    });
  }

  /** BEGIN, the body, then COMMIT (or, one time in five, ROLLBACK). */
  private async explicit(
    view: TxnView,
    body: () => Promise<Outcome>,
    end: 'always-commit' | 'maybe-rollback' = 'maybe-rollback',
  ): Promise<Outcome> {
    const begin = await this.raw('BEGIN');
    if (begin !== 'ok') return begin;
    const outcome = await body();
    if (outcome === 'lost') return 'lost'; // cut off before COMMIT: must not be visible
    if (outcome === 'failed' || (end === 'maybe-rollback' && this.rng.chance(0.2))) {
      const rollback = await this.raw('ROLLBACK');
      return rollback === 'lost' ? 'lost' : 'ok';
    }
    try {
      const result = await this.conn.query('COMMIT');
      if (result.command === 'COMMIT') this.acknowledge(view);
      else this.shared.violations.push(`${view.effects.label}: COMMIT answered ${result.command}`);
      return 'ok';
    } catch (err) {
      return this.failure(err, 'COMMIT', view);
    }
  }

  // ---- statements ------------------------------------------------------------------------

  private randomDml(view: TxnView): Step {
    const r = this.rng.next();
    const own = this.ownTables(view);
    if (r < 0.35) return this.insertAcct();
    if (r < 0.55) return this.updateAcct(view) ?? this.insertAcct();
    if (r < 0.65) return this.deleteAcct(view) ?? this.insertAcct();
    if (r < 0.75) return this.blobWrite(view);
    if (r < 0.8) return this.bulkInsert(view);
    const table = own[this.rng.int(0, own.length - 1)];
    if (r < 0.9 && table !== undefined) return this.ddlRowWrite(view, table);
    return this.bulkChange(view);
  }

  private acctRow(owner?: string): Row {
    return [
      owner ?? String(this.rng.int(0, OWNERS - 1)),
      String(this.rng.int(-1_000_000, 1_000_000)),
      this.rng.chance(0.1) ? null : `c${this.client}-t${this.txnNo}-${this.rng.int(0, 1e9)}`,
    ];
  }

  private insertAcct(): Step {
    const id = this.freshId();
    const row = this.acctRow();
    return {
      sql: 'INSERT INTO acct VALUES ($1, $2, $3, $4)',
      params: [id, ...row],
      apply: (v) => v.set('acct', id, row),
    };
  }

  private updateAcct(view: TxnView): Step | null {
    const ids = view.ownIds('acct', this.base);
    const id = ids[this.rng.int(0, ids.length - 1)];
    if (id === undefined || ids.length === 0) return null;
    const old = view.row('acct', id);
    const row = this.acctRow(this.rng.chance(0.6) ? (old?.[0] ?? undefined) : undefined);
    return {
      sql: 'UPDATE acct SET owner = $2, balance = $3, note = $4 WHERE id = $1',
      params: [id, ...row],
      apply: (v) => v.set('acct', id, row),
    };
  }

  private deleteAcct(view: TxnView): Step | null {
    const ids = view.ownIds('acct', this.base);
    if (ids.length === 0) return null;
    const id = ids[this.rng.int(0, ids.length - 1)] ?? 0;
    return { sql: 'DELETE FROM acct WHERE id = $1', params: [id], apply: (v) => v.set('acct', id, null) };
  }

  /** INSERT ... SELECT of 20-200 rows, values computed in SQL and mirrored here. */
  private bulkInsert(view: TxnView): Step {
    if (view.ownIds('acct', this.base).length > MAX_ACCT_ROWS) return this.bulkChange(view);
    const count = this.rng.int(20, 200);
    const first = this.freshId();
    this.ids.next += count - 1;
    const last = first + count - 1;
    return {
      sql: `INSERT INTO acct SELECT g, g % ${OWNERS}, g::int8 * 3, 'bulk' || g::text FROM generate_series($1::int4, $2::int4) AS g`,
      params: [first, last],
      apply: (v) => {
        for (let g = first; g <= last; g++) v.set('acct', g, [String(g % OWNERS), String(g * 3), `bulk${g}`]);
      },
    };
  }

  /** A range UPDATE or DELETE over the client's own ids. */
  private bulkChange(view: TxnView): Step {
    const ids = view.ownIds('acct', this.base);
    const from = ids[this.rng.int(0, Math.max(0, ids.length - 1))] ?? this.base + 1;
    const to = from + this.rng.int(10, 400);
    const hit = ids.filter((id) => id >= from && id <= to);
    if (this.rng.chance(ids.length > MAX_ACCT_ROWS ? 0.8 : 0.3)) {
      return {
        sql: `DELETE FROM acct WHERE id >= $1 AND id <= $2 AND owner < ${OWNERS / 2}`,
        params: [from, to],
        apply: (v) => {
          for (const id of hit) if (Number(v.row('acct', id)?.[0]) < OWNERS / 2) v.set('acct', id, null);
        },
      };
    }
    const note = `range-c${this.client}-t${this.txnNo}`;
    return {
      sql: 'UPDATE acct SET balance = balance + 1, note = $3 WHERE id >= $1 AND id <= $2',
      params: [from, to, note],
      apply: (v) => {
        for (const id of hit) {
          const old = v.row('acct', id);
          if (old !== null) v.set('acct', id, [old[0] ?? null, String(BigInt(old[1] ?? '0') + 1n), note]);
        }
      },
    };
  }

  /** Inserts, replaces or deletes a row of 500 bytes to 7 KiB (the biggest fill a page alone). */
  private blobWrite(view: TxnView): Step {
    const ids = view.ownIds('blob', this.base);
    const body = makeBody(
      this.rng.chance(0.4) ? this.rng.int(4000, 7000) : this.rng.int(500, 3000),
      this.rng,
    );
    const tag = String(this.rng.int(0, OWNERS - 1));
    if (ids.length > 0 && this.rng.chance(ids.length > MAX_BLOB_ROWS ? 0.5 : 0.15)) {
      const id = ids[this.rng.int(0, ids.length - 1)] ?? 0;
      return { sql: 'DELETE FROM blob WHERE id = $1', params: [id], apply: (v) => v.set('blob', id, null) };
    }
    if (ids.length > 0 && this.rng.chance(0.5)) {
      const id = ids[this.rng.int(0, ids.length - 1)] ?? 0;
      return {
        sql: 'UPDATE blob SET tag = $2, body = $3 WHERE id = $1',
        params: [id, tag, body],
        apply: (v) => v.set('blob', id, [tag, body]),
      };
    }
    const id = this.freshId();
    return {
      sql: 'INSERT INTO blob VALUES ($1, $2, $3)',
      params: [id, tag, body],
      apply: (v) => v.set('blob', id, [tag, body]),
    };
  }

  private ownTables(view: TxnView): string[] {
    const prefix = `ddl_${this.client}_`;
    const names = new Set(this.shared.model.tableNames().filter((n) => n.startsWith(prefix)));
    for (const [name, spec] of view.effects.tables) {
      if (spec === 'dropped') names.delete(name);
      else names.add(name);
    }
    return [...names].sort();
  }

  private ddlRowWrite(view: TxnView, table: string): Step {
    const ids = view.ownIds(table, this.base);
    const value = this.rng.chance(0.1) ? null : `v${this.rng.int(0, 40)}`;
    if (ids.length > 0 && this.rng.chance(0.3)) {
      const id = ids[this.rng.int(0, ids.length - 1)] ?? 0;
      return this.rng.chance(0.5)
        ? { sql: `DELETE FROM ${table} WHERE id = $1`, params: [id], apply: (v) => v.set(table, id, null) }
        : {
            sql: `UPDATE ${table} SET v = $2 WHERE id = $1`,
            params: [id, value],
            apply: (v) => v.set(table, id, [value]),
          };
    }
    const id = this.freshId();
    return {
      sql: `INSERT INTO ${table} VALUES ($1, $2)`,
      params: [id, value],
      apply: (v) => v.set(table, id, [value]),
    };
  }

  /** One autocommit DDL statement: DROP TABLE or CREATE INDEX on an own table. */
  private ddlSingle(view: TxnView): Step | null {
    const own = this.ownTables(view);
    if (own.length === 0) return null;
    const unindexed = own.filter((name) => view.spec(name)?.index === null);
    const target = unindexed[0];
    if (target !== undefined && this.rng.chance(0.6)) {
      const spec = view.spec(target);
      if (spec === null) return null;
      const index = { column: 0, name: `${target}_v` };
      return {
        sql: `CREATE INDEX ${index.name} ON ${target} (v)`,
        params: [],
        apply: (v) => v.setTable(target, { ...spec, index }),
      };
    }
    return this.dropTable(own);
  }

  private dropTable(own: string[]): Step {
    const name = own[this.rng.int(0, own.length - 1)] ?? '';
    return { sql: `DROP TABLE ${name}`, params: [], apply: (v) => v.setTable(name, 'dropped') };
  }

  // ---- execution -------------------------------------------------------------------------

  private acknowledge(view: TxnView): void {
    this.shared.model.commit(view.effects);
    this.shared.acked++;
    this.shared.onAck();
  }

  /** Runs one statement; applies its effect to the view when it succeeded as planned. */
  private async exec(step: Step, view: TxnView): Promise<Outcome> {
    try {
      await this.conn.query(step.sql, step.params);
    } catch (err) {
      const code = sqlstateOf(err);
      if (code !== null && code === step.expectError) return 'ok';
      return this.failure(err, step.sql, view);
    }
    if (step.expectError !== undefined) {
      this.shared.violations.push(
        `${view.effects.label}: ${step.sql} succeeded, expected ${step.expectError}`,
      );
      return 'failed';
    }
    step.apply(view);
    return 'ok';
  }

  private async raw(sql: string): Promise<Outcome> {
    try {
      await this.conn.query(sql);
      return 'ok';
    } catch (err) {
      if (sqlstateOf(err) === null) return 'lost';
      this.shared.violations.push(`c${this.client}: ${sql} failed: ${String(err)}`);
      return 'failed';
    }
  }

  /** A statement failed: a lost connection ends the client, a server error is a violation. */
  private failure(err: unknown, what: string, view: TxnView): Outcome {
    const code = sqlstateOf(err);
    if (code === null) {
      if (what === 'COMMIT') this.shared.model.markInDoubt(view.effects);
      return 'lost';
    }
    this.shared.violations.push(
      `${view.effects.label}: ${what.slice(0, 80)} failed with ${code}: ${String(err)}`,
    );
    return 'failed';
  }
}

/** A text value of `length` bytes whose content depends on the PRNG (no two bodies alike). */
function makeBody(length: number, rng: Prng): string {
  const unit = `${rng.int(0, 1e9).toString(36)}-${'abcdefghijklmnopqrstuvwxyz'.slice(rng.int(0, 20))}|`;
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}
