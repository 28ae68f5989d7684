/**
 * Reads back what a restarted node holds, two ways, and checks that they agree:
 *  - the heap, by a sequential scan of every table (`SELECT * FROM t`, no predicate);
 *  - the indexes, by one lookup per key through a correlated subquery (`(SELECT ... FROM t
 *    WHERE t.id = x.id)` over `unnest($1)`): the primary key for every id seen in the heap or
 *    expected by the model, the secondary index for every value of its column.
 * An index that lost an entry, kept a stale one or points at the wrong row shows up as a
 * difference. Keel's planner has no enable_seqscan, so whether a lookup really goes through
 * the index is the planner's choice: the tables are analyzed first (the indexed columns have
 * many distinct values, which makes an equality selective) and EXPLAIN of the same predicate
 * says which indexes were used; the round requires each fixed index to have been checked
 * through an Index Scan at least once.
 * Exports: readNode, NodeReading.
 */
import type pg from 'pg';
import type { ObservedState, Row, TableSpec } from './torture-model.js';

export interface NodeReading {
  observed: ObservedState;
  /** Disagreements between the heap and the indexes. */
  violations: string[];
  /** Indexes whose lookups the planner answered with an Index Scan this time. */
  indexScans: string[];
}

/**
 * Reads every public table. `specs` gives the column layout of tables the model knows (fixed
 * and DDL tables); `expectedIds` adds ids to look up through the primary key even when the
 * heap lacks them (a lost row must be missing from the index too, or the index is stale).
 */
export async function readNode(
  conn: pg.Client,
  specs: ReadonlyMap<string, TableSpec>,
  expectedIds: ReadonlyMap<string, readonly number[]>,
): Promise<NodeReading> {
  const violations: string[] = [];
  const names = (
    await conn.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
  ).rows.map((r) => r.tablename);
  const indexes = new Set(
    (
      await conn.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    ).rows.map((r) => r.indexname),
  );
  const tables = new Map<string, Map<number, Row>>();
  const indexScans: string[] = [];
  for (const name of names) {
    const spec = specs.get(name) ?? ddlSpec(name, indexes);
    await conn.query(`ANALYZE ${name}`);
    const heap = await scanHeap(conn, spec);
    tables.set(name, heap);
    violations.push(...(await checkPrimaryKey(conn, spec, heap, expectedIds.get(name) ?? [])));
    const anyId = heap.keys().next().value;
    if (anyId !== undefined && (await usesIndex(conn, name, 'id', String(anyId), `${name}_pkey`))) {
      indexScans.push(`${name}_pkey`);
    }
    const index = spec.index;
    if (index !== null && indexes.has(index.name)) {
      violations.push(...(await checkSecondaryIndex(conn, spec, heap)));
      const column = spec.columns[index.column];
      const value = [...heap.values()]
        .map((row) => row[index.column])
        .find((v) => v !== null && v !== undefined);
      const literal = column?.type === 'text' ? `'${value}'` : value;
      if (
        column !== undefined &&
        typeof literal === 'string' &&
        (await usesIndex(conn, name, column.name, literal, index.name))
      ) {
        indexScans.push(index.name);
      }
    }
  }
  return { observed: { tables, indexes }, violations, indexScans };
}

/** The layout of a DDL table the model does not know (a leftover it must then complain about). */
function ddlSpec(name: string, indexes: ReadonlySet<string>): TableSpec {
  return {
    name,
    columns: [{ name: 'v', type: 'text' }],
    index: indexes.has(`${name}_v`) ? { column: 0, name: `${name}_v` } : null,
  };
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

async function scanHeap(conn: pg.Client, spec: TableSpec): Promise<Map<number, Row>> {
  const columns = spec.columns.map((c) => c.name).join(', ');
  const result = await conn.query<Record<string, unknown>>(`SELECT id, ${columns} FROM ${spec.name}`);
  const rows = new Map<number, Row>();
  for (const r of result.rows)
    rows.set(
      Number(r.id),
      spec.columns.map((c) => text(r[c.name])),
    );
  return rows;
}

/** Looks every id up through the primary key and compares with the heap's row. */
async function checkPrimaryKey(
  conn: pg.Client,
  spec: TableSpec,
  heap: Map<number, Row>,
  extraIds: readonly number[],
): Promise<string[]> {
  const ids = [...new Set([...heap.keys(), ...extraIds, -1])].sort((a, b) => a - b);
  const selects = ['id', ...spec.columns.map((c) => c.name)]
    .map(
      (column, i) =>
        `(SELECT t.${column}${column === 'id' ? '' : '::text'} FROM ${spec.name} t WHERE t.id = x.id) AS c${i}`,
    )
    .join(', ');
  const result = await conn.query<Record<string, unknown>>(
    `SELECT x.id AS probe, ${selects} FROM unnest($1::int4[]) AS x(id)`,
    [ids],
  );
  const out: string[] = [];
  for (const r of result.rows) {
    const probe = Number(r.probe);
    const found = r.c0 === null ? null : Number(r.c0);
    const want = heap.get(probe) ?? null;
    if (found === null) {
      if (want !== null)
        out.push(`${spec.name}_pkey: id ${probe} is in the heap but not found through the index`);
      continue;
    }
    if (found !== probe) out.push(`${spec.name}_pkey: lookup of id ${probe} returned row ${found}`);
    const row = spec.columns.map((_, i) => text(r[`c${i + 1}`]));
    if (want === null) out.push(`${spec.name}_pkey: id ${probe} found through the index, not in the heap`);
    else if (row.some((v, i) => v !== want[i]))
      out.push(`${spec.name}_pkey: id ${probe} differs from the heap`);
  }
  return cap(out);
}

/** For every value of the indexed column, the ids found through the index equal the heap's. */
async function checkSecondaryIndex(
  conn: pg.Client,
  spec: TableSpec,
  heap: Map<number, Row>,
): Promise<string[]> {
  const index = spec.index;
  if (index === null) return [];
  const column = spec.columns[index.column];
  if (column === undefined) return [];
  const want = new Map<string, number[]>();
  for (const [id, row] of heap) {
    const value = row[index.column];
    if (value === null || value === undefined) continue;
    const ids = want.get(value) ?? [];
    ids.push(id);
    want.set(value, ids);
  }
  const probes = [...want.keys(), column.type === 'text' ? 'absent-value' : '-7'];
  const sqlType = column.type === 'text' ? 'text' : column.type;
  const result = await conn.query<{ k: unknown; ids: string | null }>(
    `SELECT x.k, (SELECT string_agg(t.id::text, ',' ORDER BY t.id) FROM ${spec.name} t WHERE t.${column.name} = x.k) AS ids FROM unnest($1::${sqlType}[]) AS x(k)`,
    [probes],
  );
  const out: string[] = [];
  for (const r of result.rows) {
    const key = String(r.k);
    const got = r.ids ?? '';
    const expected = (want.get(key) ?? []).sort((a, b) => a - b).join(',');
    if (got !== expected) {
      out.push(
        `${index.name}: ${column.name} = ${key} gives ids [${got.slice(0, 60)}], heap has [${expected.slice(0, 60)}]`,
      );
    }
  }
  return cap(out);
}

/** Whether the planner answers `column = literal` on `table` with an Index Scan on `index`. */
async function usesIndex(
  conn: pg.Client,
  table: string,
  column: string,
  literal: string,
  index: string,
): Promise<boolean> {
  const plan = await conn.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT * FROM ${table} WHERE ${column} = ${literal}`,
  );
  return plan.rows.some((r) => r['QUERY PLAN'].includes(`Index Scan using ${index} `));
}

function cap(out: string[]): string[] {
  return out.length > 6 ? [...out.slice(0, 6), `... ${out.length - 6} more`] : out;
}
