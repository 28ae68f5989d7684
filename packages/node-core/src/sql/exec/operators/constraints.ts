/**
 * Row constraints checked before a row is written: NOT NULL (23502), CHECK (23514) and the
 * referencing side of FOREIGN KEYs (23503, with a KEY SHARE lock on the referenced row), with
 * PostgreSQL's messages and "Failing row contains (...)" details. Unique constraints are the
 * access layer's job.
 * Exports: RowChecker, compileRowChecker, failingRow.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, Tid, Value } from '../../../access/table-access.js';
import type { IndexRelation, TableRelation } from '../../../catalog/objects.js';
import type { Expr } from '../../plan/ir/expr.js';
import { formatText, type TypeSettings } from '../../plan/registry/registry.js';
import type { Value as TypedValue } from '../../types/value.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Runtime } from '../runtime.js';

export type RowChecker = (row: Row) => Promise<void>;

export function failingRow(table: TableRelation, row: Row, settings: TypeSettings): string {
  const parts = table.columns
    .filter((c) => !c.dropped)
    .map((c) => {
      const v = row[c.attnum - 1] ?? null;
      return v === null ? 'null' : formatText(c.typeOid, v as TypedValue, settings);
    });
  return `Failing row contains (${parts.join(', ')}).`;
}

/**
 * Compiles the checks of `table`. `checks` are the bound CHECK expressions over `rowIds` (one
 * ColumnId per attnum); `foreignKeys` is off for rows whose key columns did not change.
 */
export function compileRowChecker(
  table: TableRelation,
  checks: { name: string; expr: Expr }[],
  rowIds: number[],
  rt: Runtime,
): RowChecker {
  const layout = layoutOf(rowIds);
  const compiled = checks.map((c) => ({ name: c.name, test: compileExpr(c.expr, layout, rt) }));
  const notNull = table.columns.filter((c) => c.notNull && !c.dropped);
  const fks = table.constraints.filter((c) => c.kind === 'foreign');
  return async (row) => {
    for (const c of notNull) {
      if ((row[c.attnum - 1] ?? null) === null) {
        throw new KeelError(
          SqlState.NotNullViolation,
          `null value in column "${c.name}" of relation "${table.name}" violates not-null constraint`,
          {
            detail: failingRow(table, row, rt.evalCtx),
            table: table.name,
            column: c.name,
          },
        );
      }
    }
    for (const c of compiled) {
      if (c.test(row) === false) {
        throw new KeelError(
          SqlState.CheckViolation,
          `new row for relation "${table.name}" violates check constraint "${c.name}"`,
          {
            detail: failingRow(table, row, rt.evalCtx),
            table: table.name,
            constraint: c.name,
          },
        );
      }
    }
    for (const fk of fks) if (fk.kind === 'foreign') await checkForeignKey(table, fk, row, rt);
  };
}

function referencedIndex(rt: Runtime, ref: TableRelation, columns: number[]): IndexRelation | null {
  for (const index of rt.ctx.catalog.indexesOf(ref)) {
    if (!index.unique || index.keys.length !== columns.length) continue;
    if (index.keys.every((k, i) => k.attnum === columns[i])) return index;
  }
  for (const index of rt.ctx.catalog.indexesOf(ref)) {
    if (!index.unique || index.keys.length !== columns.length) continue;
    if (index.keys.every((k) => columns.includes(k.attnum))) return index;
  }
  return null;
}

async function checkForeignKey(
  table: TableRelation,
  fk: Extract<TableRelation['constraints'][number], { kind: 'foreign' }>,
  row: Row,
  rt: Runtime,
): Promise<void> {
  const values = fk.columns.map((a) => row[a - 1] ?? null);
  if (fk.matchFull ? values.every((v) => v === null) : values.some((v) => v === null)) return;
  const ref = rt.ctx.catalog.relation(fk.refTableOid);
  if (ref === null || ref.kind !== 'table') return;
  const index = referencedIndex(rt, ref, fk.refColumns);
  const keyValues: Value[] =
    index === null ? values : index.keys.map((k) => values[fk.refColumns.indexOf(k.attnum)] ?? null);
  const found =
    index === null ? await scanFor(ref, fk.refColumns, values, rt) : await probe(index, ref, keyValues, rt);
  if (found !== null) {
    const outcome = await rt.ctx.access.lockRow(ref, found, 'key share', 'block');
    if (outcome.status !== 'deleted') return;
  }
  const cols = fk.columns.map((a) => table.columns.find((c) => c.attnum === a)?.name ?? '?').join(', ');
  const vals = fk.columns
    .map((a, i) =>
      formatText(
        table.columns.find((c) => c.attnum === a)?.typeOid ?? 25,
        values[i] as TypedValue,
        rt.evalCtx,
      ),
    )
    .join(', ');
  throw new KeelError(
    SqlState.ForeignKeyViolation,
    `insert or update on table "${table.name}" violates foreign key constraint "${fk.name}"`,
    {
      detail: `Key (${cols})=(${vals}) is not present in table "${ref.name}".`,
      table: table.name,
      constraint: fk.name,
    },
  );
}

async function probe(
  index: IndexRelation,
  table: TableRelation,
  values: Value[],
  rt: Runtime,
): Promise<Tid | null> {
  const bound = { values, inclusive: true };
  for await (const batch of rt.ctx.access.indexScan(index, table, {
    lower: bound,
    upper: bound,
    direction: 'forward',
  })) {
    const tid = batch.tids[0];
    if (tid !== undefined) return tid;
  }
  return null;
}

async function scanFor(
  table: TableRelation,
  columns: number[],
  values: Value[],
  rt: Runtime,
): Promise<Tid | null> {
  for await (const batch of rt.ctx.access.scan(table)) {
    for (let i = 0; i < batch.rows.length; i++) {
      const r = batch.rows[i] as Row;
      if (columns.every((a, j) => String(r[a - 1]) === String(values[j]))) return batch.tids[i] ?? null;
    }
  }
  return null;
}

export type { Evaluator };
