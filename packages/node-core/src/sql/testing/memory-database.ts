/**
 * An in-memory TableAccess, CatalogReader and contexts for testing the query processor without
 * the engine: tables are arrays of rows (tid = position), indexes are scanned by sorting, every
 * write is immediately visible (no MVCC), unique indexes are checked on insert and update.
 * Exports: MemoryDatabase.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  IndexScanOptions,
  Row,
  RowBatch,
  ScanOptions,
  TableAccess,
  Tid,
  WriteOutcome,
} from '../../access/table-access.js';
import type {
  Column,
  ForeignKeyAction,
  IndexRelation,
  Namespace,
  Relation,
  TableRelation,
} from '../../catalog/objects.js';
import type {
  CatalogReader,
  ExecutionContext,
  PlanningContext,
  ReferencingForeignKey,
  VirtualTable,
} from '../context.js';
import { compareValues } from '../types/compare.js';
import type { Value as TypedValue } from '../types/value.js';

const publicNs: Namespace = { kind: 'namespace', oid: 2200, name: 'public', ownerOid: 10 };

export interface ColumnSpec {
  name: string;
  type: number;
  typmod?: number;
  notNull?: boolean;
  default?: string;
}

export class MemoryDatabase implements TableAccess, CatalogReader {
  readonly databaseName = 'keel';
  readonly databaseOid = 1;
  private nextOid = 16_384;
  readonly relations = new Map<number, Relation>();
  readonly data = new Map<number, (Row | null)[]>();
  readonly settings = new Map<string, string>([['work_mem', '4MB']]);

  createTable(name: string, columns: ColumnSpec[], primaryKey: string[] = []): TableRelation {
    const oid = this.nextOid++;
    const cols: Column[] = columns.map((c, i) => ({
      attnum: i + 1,
      name: c.name,
      typeOid: c.type,
      typmod: c.typmod ?? -1,
      notNull: (c.notNull ?? false) || primaryKey.includes(c.name),
      defaultExpr: c.default ?? null,
      identity: null,
      identitySequenceOid: null,
      missingValue: null,
      dropped: false,
    }));
    const table: TableRelation = {
      kind: 'table',
      oid,
      name,
      namespaceOid: 2200,
      ownerOid: 10,
      relFile: oid,
      columns: cols,
      constraints: [],
      indexOids: [],
      stats: null,
      rowSecurity: false,
      acl: null,
    };
    this.relations.set(oid, table);
    this.data.set(oid, []);
    if (primaryKey.length > 0) {
      const index = this.createIndex(`${name}_pkey`, table, primaryKey, true);
      table.constraints.push({
        kind: 'primary',
        oid: this.nextOid++,
        name: `${name}_pkey`,
        columns: index.keys.map((k) => k.attnum),
        indexOid: index.oid,
      });
    }
    return table;
  }

  createIndex(name: string, table: TableRelation, columns: string[], unique: boolean): IndexRelation {
    const oid = this.nextOid++;
    const keys = columns.map((c) => ({
      attnum: table.columns.find((x) => x.name === c)?.attnum ?? 0,
      expr: null,
      descending: false,
      nullsFirst: false,
    }));
    const index: IndexRelation = {
      kind: 'index',
      oid,
      name,
      namespaceOid: 2200,
      ownerOid: 10,
      relFile: oid,
      tableOid: table.oid,
      keys,
      includeAttnums: [],
      unique,
      primary: false,
      nullsNotDistinct: false,
      predicate: null,
      valid: true,
    };
    this.relations.set(oid, index);
    table.indexOids.push(oid);
    return index;
  }

  searchPath(): Namespace[] {
    return [publicNs];
  }
  resolveRelation(_schema: string | null, name: string): Relation | VirtualTable | null {
    for (const r of this.relations.values()) if (r.name === name && r.kind !== 'index') return r;
    return null;
  }
  relation(oid: number): Relation | null {
    return this.relations.get(oid) ?? null;
  }
  namespace(oid: number): Namespace | null {
    return oid === 2200 ? publicNs : null;
  }
  namespaceByName(name: string): Namespace | null {
    return name === 'public' ? publicNs : null;
  }
  indexesOf(table: TableRelation): IndexRelation[] {
    return table.indexOids
      .map((o) => this.relations.get(o))
      .filter((r): r is IndexRelation => r?.kind === 'index');
  }
  referencingForeignKeys(table: TableRelation): ReferencingForeignKey[] {
    const out: ReferencingForeignKey[] = [];
    for (const r of this.relations.values()) {
      if (r.kind !== 'table') continue;
      for (const constraint of r.constraints)
        if (constraint.kind === 'foreign' && constraint.refTableOid === table.oid)
          out.push({ table: r, constraint });
    }
    return out;
  }

  /** Adds FOREIGN KEY (columns) REFERENCES ref (refColumns) with the given actions. */
  addForeignKey(
    table: TableRelation,
    columns: string[],
    ref: TableRelation,
    refColumns: string[],
    actions: { onDelete?: ForeignKeyAction; onUpdate?: ForeignKeyAction } = {},
  ): void {
    const attnum = (t: TableRelation, c: string) => t.columns.find((x) => x.name === c)?.attnum ?? 0;
    table.constraints.push({
      kind: 'foreign',
      oid: this.nextOid++,
      name: `${table.name}_${columns.join('_')}_fkey`,
      columns: columns.map((c) => attnum(table, c)),
      refTableOid: ref.oid,
      refColumns: refColumns.map((c) => attnum(ref, c)),
      onDelete: actions.onDelete ?? 'a',
      onUpdate: actions.onUpdate ?? 'a',
      matchFull: false,
      deferrable: false,
      initiallyDeferred: false,
    });
  }

  regclassIn(name: string): number | null {
    return this.resolveRelation(null, name)?.oid ?? null;
  }
  regclassOut(oid: number): string {
    return this.relations.get(oid)?.name ?? String(oid);
  }
  callCatalogFunction(name: string): never {
    throw new KeelError(SqlState.FeatureNotSupported, `${name} needs the engine's catalog`);
  }

  planning(): PlanningContext {
    return {
      catalog: this,
      settings: { get: (n) => this.settings.get(n), set: (n, v) => void this.settings.set(n, v) },
      currentUser: 'keel',
      sessionUser: 'keel',
    };
  }

  execution(params: unknown[] = [], tempDir = '/tmp/keel-sql-test'): ExecutionContext {
    let seq = 0n;
    return {
      ...this.planning(),
      access: this,
      sequences: {
        nextval: () => ++seq,
        currval: () => seq,
        setval: (_o, v) => (seq = v),
        lastval: () => seq,
      },
      params,
      statementTimestamp: 0n,
      transactionTimestamp: 0n,
      checkInterrupts: () => {},
      yieldToOthers: async () => {},
      notice: () => {},
      backendPid: 1,
      tempDir,
    };
  }

  private rows(table: TableRelation): (Row | null)[] {
    return this.data.get(table.oid) ?? [];
  }

  async *scan(table: TableRelation, options?: ScanOptions): AsyncIterable<RowBatch> {
    const size = options?.batchSize ?? 1024;
    const all = this.rows(table);
    let batch: RowBatch = { rows: [], tids: [] };
    for (let i = 0; i < all.length; i++) {
      const r = all[i];
      if (r === null || r === undefined) continue;
      batch.rows.push(r.slice());
      batch.tids.push(i as Tid);
      if (batch.rows.length >= size) {
        yield batch;
        batch = { rows: [], tids: [] };
      }
    }
    if (batch.rows.length > 0) yield batch;
  }

  private keyOf(index: IndexRelation, row: Row): Row {
    return index.keys.map((k) => row[k.attnum - 1] ?? null);
  }

  private cmpKeys(table: TableRelation, index: IndexRelation, a: Row, b: Row): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const k = index.keys[i];
      const type = table.columns.find((c) => c.attnum === k?.attnum)?.typeOid ?? 25;
      const c = compareValues(type, (a[i] ?? null) as TypedValue, (b[i] ?? null) as TypedValue);
      if (c !== 0) return c;
    }
    return 0;
  }

  async *indexScan(
    index: IndexRelation,
    table: TableRelation,
    options: IndexScanOptions,
  ): AsyncIterable<RowBatch> {
    const all = this.rows(table);
    const entries = all.flatMap((r, i) =>
      r === null ? [] : [{ key: this.keyOf(index, r), row: r, tid: i as Tid }],
    );
    entries.sort((a, b) => this.cmpKeys(table, index, a.key, b.key) || a.tid - b.tid);
    if (options.direction === 'backward') entries.reverse();
    const ok = entries.filter((e) => {
      if (options.lower) {
        const c = this.cmpKeys(
          table,
          index,
          e.key.slice(0, options.lower.values.length),
          options.lower.values,
        );
        if (c < 0 || (c === 0 && !options.lower.inclusive)) return false;
      }
      if (options.upper) {
        const c = this.cmpKeys(
          table,
          index,
          e.key.slice(0, options.upper.values.length),
          options.upper.values,
        );
        if (c > 0 || (c === 0 && !options.upper.inclusive)) return false;
      }
      return true;
    });
    if (ok.length > 0) yield { rows: ok.map((e) => e.row.slice()), tids: ok.map((e) => e.tid) };
  }

  fetch(table: TableRelation, tid: Tid): Row | null {
    return this.rows(table)[tid] ?? null;
  }

  private checkUnique(table: TableRelation, row: Row, skip: number | null): void {
    for (const index of this.indexesOf(table)) {
      if (!index.unique) continue;
      const key = this.keyOf(index, row);
      if (key.some((v) => v === null)) continue;
      this.rows(table).forEach((r, i) => {
        if (r === null || i === skip) return;
        if (this.cmpKeys(table, index, this.keyOf(index, r), key) === 0) {
          throw new KeelError(
            SqlState.UniqueViolation,
            `duplicate key value violates unique constraint "${index.name}"`,
          );
        }
      });
    }
  }

  async insert(table: TableRelation, row: Row): Promise<Tid> {
    this.checkUnique(table, row, null);
    const rows = this.rows(table);
    rows.push(row.slice());
    return (rows.length - 1) as Tid;
  }

  async findConflict(table: TableRelation, row: Row): Promise<{ tid: Tid; row: Row } | null> {
    for (const index of this.indexesOf(table)) {
      if (!index.unique) continue;
      const key = this.keyOf(index, row);
      const rows = this.rows(table);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        if (r !== null && r !== undefined && this.cmpKeys(table, index, this.keyOf(index, r), key) === 0)
          return { tid: i as Tid, row: r.slice() };
      }
    }
    return null;
  }

  async update(table: TableRelation, tid: Tid, row: Row): Promise<WriteOutcome> {
    this.checkUnique(table, row, tid);
    this.rows(table)[tid] = row.slice();
    return { status: 'ok', tid };
  }

  async delete(table: TableRelation, tid: Tid): Promise<WriteOutcome> {
    const rows = this.rows(table);
    if (rows[tid] === null) return { status: 'deleted' };
    rows[tid] = null;
    return { status: 'ok', tid };
  }

  async lockRow(_table: TableRelation, tid: Tid): Promise<WriteOutcome> {
    return { status: 'ok', tid };
  }

  estimateSize(table: TableRelation): { rows: number; pages: number } {
    return { rows: this.rows(table).length, pages: 1 };
  }
}
