/**
 * The referenced side of FOREIGN KEYs: when a row of a referenced table is deleted, or its key
 * columns change, every constraint referencing the table (CatalogReader.referencingForeignKeys)
 * acts on the rows that still hold the old key: NO ACTION and RESTRICT fail with 23503 ("... is
 * still referenced from table ..."), CASCADE deletes them or carries the new key into them,
 * SET NULL and SET DEFAULT overwrite their referencing columns. Actions cascade further through
 * the changed rows' own referencing constraints. Keys with a NULL are never referenced (MATCH
 * SIMPLE). NO ACTION is checked right away, not at the end of the statement: an UPDATE that
 * moves a key away and back within one statement fails in Keel but not in PostgreSQL.
 * Exports: ReferencedActions, referencedActions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, Tid, Value } from '../../../access/table-access.js';
import type { TableRelation } from '../../../catalog/objects.js';
import type { ReferencingForeignKey } from '../../context.js';
import { formatText } from '../../plan/registry/registry.js';
import { compileTableExpression } from '../../table-expression.js';
import type { Value as TypedValue } from '../../types/value.js';
import { valueKeyOf } from '../row-key.js';
import type { Runtime } from '../runtime.js';
import { compileRowChecker } from './constraints.js';

export interface ReferencedActions {
  /** After a row of the table was deleted. */
  deleted(oldRow: Row): Promise<void>;
  /** After a row of the table was updated to `newRow`. */
  updated(oldRow: Row, newRow: Row): Promise<void>;
}

type Fk = ReferencingForeignKey['constraint'];

function columnType(table: TableRelation, attnum: number): number {
  return table.columns.find((c) => c.attnum === attnum)?.typeOid ?? 0;
}

function sameKey(table: TableRelation, fk: Fk, a: Value[], b: Value[]): boolean {
  return a.every((v, i) => {
    const type = columnType(table, fk.refColumns[i] ?? 0);
    return valueKeyOf(type, v) === valueKeyOf(type, b[i] ?? null);
  });
}

class Actions implements ReferencedActions {
  private readonly refs: ReferencingForeignKey[];

  constructor(
    private readonly table: TableRelation,
    private readonly rt: Runtime,
    private readonly registry: Map<number, ReferencedActions | null>,
  ) {
    this.refs = rt.ctx.catalog.referencingForeignKeys(table);
  }

  private keyOf(fk: Fk, row: Row): Value[] {
    return fk.refColumns.map((a) => row[a - 1] ?? null);
  }

  async deleted(oldRow: Row): Promise<void> {
    for (const ref of this.refs) {
      const key = this.keyOf(ref.constraint, oldRow);
      if (key.some((v) => v === null)) continue;
      await this.act(ref, ref.constraint.onDelete, key, null);
    }
  }

  async updated(oldRow: Row, newRow: Row): Promise<void> {
    for (const ref of this.refs) {
      const key = this.keyOf(ref.constraint, oldRow);
      if (key.some((v) => v === null)) continue;
      const next = this.keyOf(ref.constraint, newRow);
      if (sameKey(this.table, ref.constraint, key, next)) continue;
      await this.act(ref, ref.constraint.onUpdate, key, next);
    }
  }

  private async act(
    ref: ReferencingForeignKey,
    action: Fk['onDelete'],
    key: Value[],
    newKey: Value[] | null,
  ): Promise<void> {
    const rows = await this.referencing(ref, key);
    if (rows.length === 0) return;
    const { table: child, constraint: fk } = ref;
    switch (action) {
      case 'a':
      case 'r':
        throw this.stillReferenced(ref, key);
      case 'c':
        for (const r of rows) {
          if (newKey === null) await this.deleteChild(child, r);
          else
            await this.updateChild(
              ref,
              r,
              fk.columns.map((_, i) => newKey[i] ?? null),
              false,
            );
        }
        return;
      case 'n':
        for (const r of rows)
          await this.updateChild(
            ref,
            r,
            fk.columns.map(() => null),
            true,
          );
        return;
      case 'd': {
        const defaults = fk.columns.map((attnum) => {
          const column = child.columns.find((c) => c.attnum === attnum);
          if (column?.defaultExpr == null) return null;
          return compileTableExpression(column.defaultExpr, child, this.rt.ctx)([]);
        });
        for (const r of rows) await this.updateChild(ref, r, defaults, true);
        return;
      }
    }
  }

  private stillReferenced(ref: ReferencingForeignKey, key: Value[]): KeelError {
    const fk = ref.constraint;
    const names = fk.refColumns
      .map((a) => this.table.columns.find((c) => c.attnum === a)?.name ?? '?')
      .join(', ');
    const values = key
      .map((v, i) =>
        formatText(columnType(this.table, fk.refColumns[i] ?? 0), v as TypedValue, this.rt.evalCtx),
      )
      .join(', ');
    return new KeelError(
      SqlState.ForeignKeyViolation,
      `update or delete on table "${this.table.name}" violates foreign key constraint "${fk.name}" on table "${ref.table.name}"`,
      {
        detail: `Key (${names})=(${values}) is still referenced from table "${ref.table.name}".`,
        table: ref.table.name,
        constraint: fk.name,
      },
    );
  }

  /** Rows of the referencing table whose foreign key columns hold `key`. */
  private async referencing(ref: ReferencingForeignKey, key: Value[]): Promise<{ tid: Tid; row: Row }[]> {
    const { table: child, constraint: fk } = ref;
    const access = this.rt.ctx.access;
    const wanted = fk.columns.map((a, i) => valueKeyOf(columnType(child, a), key[i] ?? null));
    const matches = (row: Row) =>
      fk.columns.every((a, i) => valueKeyOf(columnType(child, a), row[a - 1] ?? null) === wanted[i]);
    const index = this.rt.ctx.catalog
      .indexesOf(child)
      .find((ix) => ix.predicate === null && fk.columns.every((a, i) => ix.keys[i]?.attnum === a));
    const out: { tid: Tid; row: Row }[] = [];
    const source =
      index === undefined
        ? access.scan(child)
        : access.indexScan(index, child, {
            lower: { values: key, inclusive: true },
            upper: { values: key, inclusive: true },
            direction: 'forward',
          });
    for await (const batch of source) {
      batch.rows.forEach((row, i) => {
        const tid = batch.tids[i];
        if (tid !== undefined && matches(row)) out.push({ tid, row });
      });
      this.rt.ctx.checkInterrupts();
    }
    return out;
  }

  private async deleteChild(child: TableRelation, r: { tid: Tid; row: Row }): Promise<void> {
    const outcome = await this.rt.ctx.access.delete(child, r.tid);
    if (outcome.status !== 'ok') return;
    await actionsFor(child, this.rt, this.registry)?.deleted(r.row);
  }

  private async updateChild(
    ref: ReferencingForeignKey,
    r: { tid: Tid; row: Row },
    values: Value[],
    check: boolean,
  ): Promise<void> {
    const child = ref.table;
    const newRow = r.row.slice();
    ref.constraint.columns.forEach((a, i) => {
      newRow[a - 1] = values[i] ?? null;
    });
    // SET NULL may hit a NOT NULL column; SET DEFAULT's key must reference a row too. (CASCADE's
    // new key is the parent's new version, invisible to this statement: it is not re-checked.)
    if (check)
      await compileRowChecker(
        child,
        [],
        child.columns.map((c) => c.attnum),
        this.rt,
      )(newRow);
    const outcome = await this.rt.ctx.access.update(child, r.tid, newRow, { keyChanged: true });
    if (outcome.status !== 'ok') return;
    await actionsFor(child, this.rt, this.registry)?.updated(r.row, newRow);
  }
}

function actionsFor(
  table: TableRelation,
  rt: Runtime,
  registry: Map<number, ReferencedActions | null>,
): ReferencedActions | null {
  let actions = registry.get(table.oid);
  if (actions === undefined) {
    actions =
      rt.ctx.catalog.referencingForeignKeys(table).length === 0 ? null : new Actions(table, rt, registry);
    registry.set(table.oid, actions);
  }
  return actions;
}

/** The referenced-side actions of `table`, or null when no constraint references it. */
export function referencedActions(table: TableRelation, rt: Runtime): ReferencedActions | null {
  return actionsFor(table, rt, new Map());
}
