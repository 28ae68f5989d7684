/**
 * The crash torture test's model of what the database must hold: every acknowledged commit,
 * folded in as it is acknowledged, plus at most one transaction per client whose commit was
 * sent but never answered because the node died ("in doubt"). Rolled-back, failed and
 * never-committed transactions are simply never folded in, so any trace of them in the
 * database is a difference from the model.
 *
 * Each client owns its keys (ids in its own range, its own DDL tables), so a key's history is
 * that one client's sequence of transactions and an in-doubt transaction's effects can be told
 * apart from the state before it. The one shared row, `counter`, is only ever incremented,
 * together with a ledger row the incrementing transaction owns. After a crash, `resolve` looks
 * at what the restarted node holds: each in-doubt transaction must be there entirely or not at
 * all (atomicity); the outcome is folded into the model, which must then equal the database.
 * Exports: Row, TableSpec, TxnEffects, ObservedState, TortureModel, fixedTables, emptyEffects.
 */

/** A row's columns after the key, as text (null for SQL NULL), as verification reads them back. */
export type Row = readonly (string | null)[];

export interface TableSpec {
  name: string;
  /** Non-key columns and their SQL types; the key is always `id int4 PRIMARY KEY`. */
  columns: readonly { name: string; type: 'int4' | 'int8' | 'text' }[];
  /** Column (index into `columns`) with a secondary index, and the index name. */
  index: { column: number; name: string } | null;
}

/** The tables every round creates at the start; DDL tables (`ddl_<client>_<n>`) come and go. */
export const fixedTables: readonly TableSpec[] = [
  {
    name: 'acct',
    columns: [
      { name: 'owner', type: 'int4' },
      { name: 'balance', type: 'int8' },
      { name: 'note', type: 'text' },
    ],
    index: { column: 0, name: 'acct_owner' },
  },
  {
    name: 'blob',
    columns: [
      { name: 'tag', type: 'int4' },
      { name: 'body', type: 'text' },
    ],
    index: { column: 0, name: 'blob_tag' },
  },
  { name: 'ledger', columns: [{ name: 'client', type: 'int4' }], index: null },
  { name: 'counter', columns: [{ name: 'n', type: 'int8' }], index: null },
];

/** What one transaction did, as the final state of each thing it touched. */
export interface TxnEffects {
  client: number;
  label: string;
  /** table -> id -> the row it left (null: deleted). */
  rows: Map<string, Map<number, Row | null>>;
  /** DDL: table -> its spec after the transaction, or 'dropped'. */
  tables: Map<string, TableSpec | 'dropped'>;
  counterDelta: number;
}

export function emptyEffects(client: number, label: string): TxnEffects {
  return { client, label, rows: new Map(), tables: new Map(), counterDelta: 0 };
}

/** What verification read from the node (sequential scans and the catalog). */
export interface ObservedState {
  /** Tables in the public schema -> id -> row. */
  tables: Map<string, Map<number, Row>>;
  /** Names of the indexes that exist. */
  indexes: Set<string>;
}

interface TableState {
  spec: TableSpec;
  rows: Map<number, Row>;
}

export type InDoubtOutcome = 'applied' | 'absent' | 'indistinguishable';

export class TortureModel {
  private readonly tables = new Map<string, TableState>();
  private counter = 0;
  private readonly inDoubt = new Map<number, TxnEffects>();

  constructor() {
    for (const spec of fixedTables) this.tables.set(spec.name, { spec, rows: new Map() });
    this.rowsOf('counter').set(1, ['0']);
  }

  /** A committed table's spec, or null. */
  table(name: string): TableSpec | null {
    return this.tables.get(name)?.spec ?? null;
  }

  /** The committed rows of a table (empty when it does not exist). Do not modify. */
  rowsOf(name: string): Map<number, Row> {
    return this.tables.get(name)?.rows ?? new Map();
  }

  tableNames(): string[] {
    return [...this.tables.keys()].sort();
  }

  get pendingInDoubt(): number {
    return this.inDoubt.size;
  }

  /** An acknowledged commit. */
  commit(effects: TxnEffects): void {
    this.fold(effects);
  }

  /** A transaction whose commit was sent and never answered. */
  markInDoubt(effects: TxnEffects): void {
    if (this.inDoubt.has(effects.client)) throw new Error(`client ${effects.client} has two in-doubt txns`);
    this.inDoubt.set(effects.client, effects);
  }

  /**
   * Decides each in-doubt transaction from what the node holds and folds the winners in.
   * Returns violations (a transaction seen in part) and, per transaction, its outcome.
   */
  resolve(observed: ObservedState): { violations: string[]; outcomes: string[] } {
    const violations: string[] = [];
    const outcomes: string[] = [];
    for (const effects of this.inDoubt.values()) {
      const evidence = this.evidenceFor(effects, observed);
      const applied = evidence.filter((e) => e.says === 'applied');
      const absent = evidence.filter((e) => e.says === 'absent');
      const neither = evidence.filter((e) => e.says === 'neither');
      for (const e of neither) {
        violations.push(`in-doubt ${effects.label}: ${e.what} matches neither outcome`);
      }
      if (applied.length > 0 && absent.length > 0) {
        violations.push(
          `in-doubt ${effects.label} is only partly visible: applied (${applied
            .slice(0, 3)
            .map((e) => e.what)
            .join('; ')}) but absent (${absent
            .slice(0, 3)
            .map((e) => e.what)
            .join('; ')})`,
        );
      }
      const outcome: InDoubtOutcome =
        applied.length > 0 ? 'applied' : absent.length > 0 ? 'absent' : 'indistinguishable';
      outcomes.push(`${effects.label}: ${outcome}`);
      if (outcome === 'applied') this.fold(effects);
    }
    this.inDoubt.clear();
    return { violations, outcomes };
  }

  /** Differences between the (resolved) model and what the node holds. */
  compare(observed: ObservedState): string[] {
    const out: string[] = [];
    const want = this.tableNames();
    const got = [...observed.tables.keys()].sort();
    if (want.join(',') !== got.join(',')) out.push(`tables: want [${want}] got [${got}]`);
    const wantIndexes = [...this.tables.values()]
      .map((t) => t.spec.index?.name)
      .filter((n): n is string => n !== undefined)
      .sort();
    const gotIndexes = [...observed.indexes].filter((n) => !n.endsWith('_pkey'));
    if (wantIndexes.join(',') !== gotIndexes.sort().join(',')) {
      out.push(`indexes: want [${wantIndexes}] got [${gotIndexes}]`);
    }
    for (const name of want) {
      const rows = observed.tables.get(name);
      if (rows === undefined) continue;
      out.push(...diffRows(name, this.rowsOf(name), rows));
    }
    return out;
  }

  private fold(effects: TxnEffects): void {
    for (const [name, spec] of effects.tables) {
      if (spec === 'dropped') this.tables.delete(name);
      else this.tables.set(name, { spec, rows: this.tables.get(name)?.rows ?? new Map() });
    }
    for (const [name, rows] of effects.rows) {
      const table = this.tables.get(name);
      if (table === undefined) continue; // written, then dropped in the same transaction
      for (const [id, row] of rows) {
        if (row === null) table.rows.delete(id);
        else table.rows.set(id, row);
      }
    }
    if (effects.counterDelta !== 0) {
      this.counter += effects.counterDelta;
      this.rowsOf('counter').set(1, [String(this.counter)]);
    }
  }

  private evidenceFor(
    effects: TxnEffects,
    observed: ObservedState,
  ): { says: 'applied' | 'absent' | 'neither'; what: string }[] {
    const out: { says: 'applied' | 'absent' | 'neither'; what: string }[] = [];
    for (const [name, spec] of effects.tables) {
      const before = this.tables.has(name);
      const after = spec !== 'dropped';
      if (before === after && spec === 'dropped') continue;
      const exists = observed.tables.has(name);
      if (before !== after)
        out.push({ says: exists === after ? 'applied' : 'absent', what: `table ${name}` });
      if (spec !== 'dropped' && spec.index !== null && this.table(name)?.index === null) {
        const indexed = observed.indexes.has(spec.index.name);
        out.push({ says: indexed ? 'applied' : 'absent', what: `index ${spec.index.name}` });
      }
    }
    for (const [name, rows] of effects.rows) {
      const dropped = effects.tables.get(name) === 'dropped';
      const seen = observed.tables.get(name);
      if (dropped || seen === undefined) continue; // decided by the table's own evidence
      for (const [id, row] of rows) {
        const before = this.rowsOf(name).get(id) ?? null;
        if (sameRow(before, row)) continue;
        const now = seen.get(id) ?? null;
        const what = `${name} id ${id}`;
        if (sameRow(now, row)) out.push({ says: 'applied', what });
        else if (sameRow(now, before)) out.push({ says: 'absent', what });
        else out.push({ says: 'neither', what: `${what} = ${show(now)}` });
      }
    }
    return out;
  }
}

function sameRow(a: Row | null, b: Row | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function show(row: Row | null): string {
  if (row === null) return 'absent';
  return `(${row.map((v) => (v === null ? 'NULL' : v.length > 40 ? `${v.slice(0, 20)}...[${v.length}]` : v)).join(', ')})`;
}

/** Row-by-row differences of one table, capped. */
export function diffRows(table: string, want: Map<number, Row>, got: Map<number, Row>): string[] {
  const out: string[] = [];
  for (const [id, row] of want) {
    const seen = got.get(id) ?? null;
    if (!sameRow(seen, row)) out.push(`${table} id ${id}: want ${show(row)} got ${show(seen)}`);
  }
  for (const [id, row] of got) {
    if (!want.has(id)) out.push(`${table} id ${id}: not expected, got ${show(row)}`);
  }
  if (out.length > 8) return [...out.slice(0, 8), `${table}: ... ${out.length - 8} more differences`];
  return out;
}
