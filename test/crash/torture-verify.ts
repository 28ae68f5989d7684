/**
 * Reads back what a restarted node holds, two ways, and checks that they agree:
 *  - the heap, by a sequential scan of every table (`SELECT * FROM t`, no predicate);
 *  - the indexes, by one lookup per key through a correlated subquery (`(SELECT ... FROM t
 *    WHERE t.id = x.id)` over `unnest($1)`), which the planner answers with an index scan:
 *    the primary key for every id seen in the heap or expected by the model, the secondary
 *    index for every value of its column. EXPLAIN of the same predicate is checked to be an
 *    Index Scan, so a planner change cannot quietly turn this into a second heap scan.
 * An index that lost an entry, kept a stale one or points at the wrong row shows up as a
 * difference. Keel's planner has no enable_seqscan, hence the equality lookups.
 * Exports: readNode, NodeReading.
 */
import type pg from 'pg';
import { fixedTables, type ObservedState, type Row, type TableSpec } from './torture-model.js';

export interface NodeReading {
  observed: ObservedState;
  /** Disagreements between the heap and the indexes. */
  violations: string[];
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
  for (const name of names) {
    const spec = specs.get(name) ?? ddlSpec(name, indexes);
    const heap = await scanHeap(conn, spec);
    tables.set(name, heap);
    violations.push(...(await checkPrimaryKey(conn, spec, heap, expectedIds.get(name) ?? [])));
    if (spec.index !== null && indexes.has(spec.index.name)) {
      violations.push(...(await checkSecondaryIndex(conn, spec, heap)));
    }
  }
  for (const spec of fixedTables) {
    if (spec.index !== null)
      violations.push(
        ...(await checkPlan(conn, spec.name, spec.columns[spec.index.column]?.name ?? '', spec.index.name)),
      );
    violations.push(...(await checkPlan(conn, spec.name, 'id', `${spec.name}_pkey`)));
  }
  return { observed: { tables, indexes }, violations };
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

/** The lookups above are only index checks if the planner answers them with the index. */
async function checkPlan(conn: pg.Client, table: string, column: string, index: string): Promise<string[]> {
  const plan = await conn.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT * FROM ${table} WHERE ${column} = 1`,
  );
  const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  return text.includes(`Index Scan using ${index}`)
    ? []
    : [`plan for ${table}.${column} = const is not an index scan on ${index}: ${text}`];
}

function cap(out: string[]): string[] {
  return out.length > 6 ? [...out.slice(0, 6), `... ${out.length - 6} more`] : out;
}
