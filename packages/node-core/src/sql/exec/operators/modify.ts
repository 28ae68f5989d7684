/**
 * ModifyTable: INSERT (with ON CONFLICT DO NOTHING / DO UPDATE), UPDATE and DELETE through the
 * access layer. Checks constraints before writing, and on a READ COMMITTED `updated` outcome
 * re-evaluates the statement's quals on the newest row version and retries (EvalPlanQual).
 * Emits the new (or deleted) rows for RETURNING and counts affected rows for the command tag.
 * Exports: ModifyOp.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Row, Tid, WriteOutcome } from '../../../access/table-access.js';
import type { ModifyNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';
import { compileRowChecker, type RowChecker } from './constraints.js';
import { type ReferencedActions, referencedActions } from './referential-actions.js';

export class ModifyOp implements Operator {
  affected = 0;
  private readonly check: RowChecker;
  private readonly slots: number[];
  private readonly tidSlot: number;
  private readonly setSlots = new Map<number, number>();
  private readonly recheck: Evaluator | null;
  private readonly setExprs = new Map<number, Evaluator>();
  private readonly conflict: { where: Evaluator | null; set: Map<number, Evaluator> } | null;
  private readonly touched = new Set<unknown>();
  private readonly uniqueAttnums: Set<number>;
  /** ON DELETE / ON UPDATE of the constraints referencing this table (null when none does). */
  private readonly referenced: ReferencedActions | null;

  constructor(
    private readonly node: ModifyNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const ids = outputColumns(node.input);
    const spec = node.spec;
    this.check = compileRowChecker(node.table, node.checks, node.rowColumns, rt);
    const rowLayout = layoutOf(node.rowColumns);
    this.referenced =
      spec.kind === 'insert' && spec.onConflict?.action !== 'update'
        ? null
        : referencedActions(node.table, rt);
    this.uniqueAttnums = new Set(
      rt.ctx.catalog
        .indexesOf(node.table)
        .filter((i) => i.unique)
        .flatMap((i) => i.keys.map((k) => k.attnum)),
    );
    if (spec.kind === 'insert') {
      this.slots = spec.values.map((id) => ids.indexOf(id));
      this.tidSlot = -1;
      this.recheck = null;
      const oc = spec.onConflict;
      if (oc === null || oc.action === 'nothing') this.conflict = null;
      else {
        const layout = layoutOf([...oc.existingColumns, ...oc.excludedColumns]);
        this.conflict = {
          where: oc.where === null ? null : compileExpr(oc.where, layout, rt),
          set: new Map([...oc.set].map(([a, e]) => [a, compileExpr(e, layout, rt)])),
        };
      }
      return;
    }
    this.slots = spec.oldValues.map((id) => ids.indexOf(id));
    this.tidSlot = ids.indexOf(spec.tid);
    this.conflict = null;
    this.recheck = spec.recheck === null ? null : compileExpr(spec.recheck, layoutOf(spec.oldValues), rt);
    if (spec.kind === 'update') {
      for (const [attnum, id] of spec.set) this.setSlots.set(attnum, ids.indexOf(id));
      for (const [attnum, e] of spec.setExprs)
        this.setExprs.set(attnum, compileExpr(e, layoutOf(spec.oldValues), rt));
    }
    void rowLayout;
  }

  async next(): Promise<Batch | null> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      this.rt.ctx.checkInterrupts();
      const out: Row[] = [];
      for (const row of batch) {
        const result = await this.apply(row);
        if (result !== null) {
          this.affected++;
          out.push(result);
        }
      }
      if (out.length > 0) return out;
    }
    return null;
  }

  private apply(row: Row): Promise<Row | null> {
    switch (this.node.spec.kind) {
      case 'insert':
        return this.insert(this.slots.map((s) => (s < 0 ? null : (row[s] ?? null))));
      case 'update':
        return this.update(row);
      case 'delete':
        return this.delete(row);
    }
  }

  private async insert(newRow: Row): Promise<Row | null> {
    const spec = this.node.spec;
    if (spec.kind === 'insert' && spec.onConflict !== null) {
      const existing = await this.rt.ctx.access.findConflict(
        this.node.table,
        newRow,
        spec.onConflict.arbiterIndexes.length > 0 ? spec.onConflict.arbiterIndexes : undefined,
      );
      if (existing !== null) return this.onConflict(existing, newRow);
    }
    await this.check(newRow);
    await this.rt.ctx.access.insert(this.node.table, newRow);
    return newRow;
  }

  private async onConflict(existing: { tid: Tid; row: Row }, proposed: Row): Promise<Row | null> {
    if (this.conflict === null) return null;
    if (this.touched.has(existing.tid)) {
      throw new KeelError(
        SqlState.CardinalityViolation,
        'ON CONFLICT DO UPDATE command cannot affect row a second time',
        {
          hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.',
        },
      );
    }
    const combined = [...existing.row, ...proposed];
    if (this.conflict.where !== null && this.conflict.where(combined) !== true) return null;
    const newRow = existing.row.slice();
    for (const [attnum, e] of this.conflict.set) newRow[attnum - 1] = e(combined);
    await this.check(newRow);
    const outcome = await this.rt.ctx.access.update(this.node.table, existing.tid, newRow, {
      keyChanged: this.keyChanged(existing.row, newRow),
    });
    if (outcome.status !== 'ok') return null;
    this.touched.add(outcome.tid);
    await this.referenced?.updated(existing.row, newRow);
    return newRow;
  }

  private keyChanged(oldRow: Row, newRow: Row): boolean {
    for (const a of this.uniqueAttnums) if (String(oldRow[a - 1]) !== String(newRow[a - 1])) return true;
    return false;
  }

  private async update(row: Row): Promise<Row | null> {
    let tid = row[this.tidSlot] as Tid;
    const oldRow: Row = this.slots.map((s) => row[s] ?? null);
    let newRow: Row = oldRow.slice();
    for (const [attnum, slot] of this.setSlots) newRow[attnum - 1] = row[slot] ?? null;
    for (let attempt = 0; ; attempt++) {
      await this.check(newRow);
      const outcome: WriteOutcome = await this.rt.ctx.access.update(this.node.table, tid, newRow, {
        keyChanged: this.keyChanged(oldRow, newRow),
      });
      if (outcome.status === 'ok') {
        await this.referenced?.updated(oldRow, newRow);
        return newRow;
      }
      if (outcome.status !== 'updated' || attempt > 100) return null;
      const latest = outcome.row;
      if (this.recheck !== null && this.recheck(latest) !== true) return null;
      tid = outcome.tid;
      newRow = latest.slice();
      for (const [attnum, e] of this.setExprs) newRow[attnum - 1] = e(latest);
    }
  }

  private async delete(row: Row): Promise<Row | null> {
    let tid = row[this.tidSlot] as Tid;
    let current: Row = this.slots.map((s) => row[s] ?? null);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.rt.ctx.access.delete(this.node.table, tid);
      if (outcome.status === 'ok') {
        await this.referenced?.deleted(current);
        return current;
      }
      if (outcome.status !== 'updated' || attempt > 100) return null;
      if (this.recheck !== null && this.recheck(outcome.row) !== true) return null;
      tid = outcome.tid;
      current = outcome.row;
    }
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
