/**
 * SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE [NOWAIT | SKIP LOCKED]: locks each
 * row through the access layer; rows deleted (or skipped) meanwhile are dropped. Under READ
 * COMMITTED a row updated meanwhile by a committed transaction is locked in its newest version
 * (the access layer follows the update chain) and re-checked, as PostgreSQL's EvalPlanQual
 * does: the statement's quals are evaluated again with the newest values of the locked tables
 * and, if they still hold, the select list is computed again from them (the row as returned is
 * the newest version); otherwise the row is dropped (it stays locked, as in PostgreSQL). Under
 * REPEATABLE READ and SERIALIZABLE the access layer raises 40001 instead.
 *
 * The re-check works on the plan below this node: LockRows sits above the SELECT's projection
 * (and any Sort), whose outputs include one hidden ctid column per locked table. Values come
 * from the locked tables' newest (or current) rows, by attnum, and from output columns that are
 * plain references to other tables' columns (joins). Quals are the scans' filters and index
 * quals, Filter predicates and inner join conditions; a qual that reads a column not available
 * that way (a subquery's result, an unlocked table's column not in the select list) is not
 * re-checked, and a select-list expression that reads one keeps its old value.
 * Exports: LockRowsOp.
 */
import type { Row, Tid, WriteOutcome } from '../../../access/table-access.js';
import type { TableRelation } from '../../../catalog/objects.js';
import { type ColumnId, collectColumns, type Expr, exprSome } from '../../plan/ir/expr.js';
import type { LockRowsNode, PlanNode, ProjectNode, ScanNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import { compileExpr, type Evaluator, layoutOf } from '../compile-expr.js';
import type { Batch, Operator, Runtime } from '../runtime.js';

/** Where the re-check finds a locked table's columns. */
interface TargetColumns {
  table: TableRelation;
  /** ColumnId -> attnum (0 = the row's tid) of the table's scan. */
  columns: { id: ColumnId; attnum: number }[];
}

/** The compiled re-check: an environment row of every value it can know, then quals and outputs. */
interface Recheck {
  /** Environment slot of each locked table's scan column. */
  targets: ({ slot: number; attnum: number }[] | null)[];
  /** Environment slots filled from this node's input row: [env slot, input slot]. */
  fromInput: [number, number][];
  /** Derived columns (inner projections), in evaluation order. */
  derived: { slot: number; eval: Evaluator }[];
  quals: Evaluator[];
  /** Per output slot: recomputed from the environment, or null to keep the old value. */
  outputs: (Evaluator | null)[];
  width: number;
}

export class LockRowsOp implements Operator {
  private readonly tidSlots: number[];
  private recheckPlan: Recheck | null = null;

  constructor(
    private readonly node: LockRowsNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const ids = outputColumns(node.input);
    this.tidSlots = node.targets.map((t) => ids.indexOf(t.tid));
  }

  async next(): Promise<Batch | null> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      const out: Row[] = [];
      for (const row of batch) {
        const locked = await this.lock(row);
        if (locked !== null) out.push(locked);
      }
      if (out.length > 0) return out;
    }
    return null;
  }

  /** Locks every target row of `row`; the row to return (re-computed after an update), or null. */
  private async lock(row: Row): Promise<Row | null> {
    const outcomes: (WriteOutcome | null)[] = [];
    let updated = false;
    for (let i = 0; i < this.node.targets.length; i++) {
      const target = this.node.targets[i];
      const tid = row[this.tidSlots[i] ?? -1];
      if (target === undefined || tid === null || tid === undefined) {
        outcomes.push(null);
        continue;
      }
      const outcome = await this.rt.ctx.access.lockRow(
        target.table,
        tid as Tid,
        this.node.mode,
        this.node.wait,
      );
      if (outcome.status === 'deleted' || outcome.status === 'skipped') return null;
      if (outcome.status === 'updated') updated = true;
      outcomes.push(outcome);
    }
    return updated ? this.evalPlanQual(row, outcomes) : row;
  }

  /**
   * PostgreSQL's EvalPlanQual for a locking SELECT: the quals again over the newest versions of
   * the locked rows; the output row recomputed from them when they hold, null when they do not.
   */
  private evalPlanQual(row: Row, outcomes: (WriteOutcome | null)[]): Row | null {
    this.recheckPlan ??= this.compileRecheck();
    const plan = this.recheckPlan;
    const env: Row = new Array(plan.width).fill(null);
    for (const [envSlot, inputSlot] of plan.fromInput) env[envSlot] = row[inputSlot] ?? null;
    for (let i = 0; i < this.node.targets.length; i++) {
      const slots = plan.targets[i];
      const outcome = outcomes[i];
      const target = this.node.targets[i];
      if (slots === null || slots === undefined || outcome === null || outcome === undefined) continue;
      if (target === undefined) continue;
      let tid: Tid;
      let current: Row | null;
      if (outcome.status === 'updated') {
        tid = outcome.tid;
        current = outcome.row;
      } else if (outcome.status === 'ok') {
        tid = outcome.tid;
        current = this.rt.ctx.access.fetch(target.table, tid);
      } else continue;
      // A version the statement cannot read: keep what the scan produced for this table.
      if (current === null) continue;
      for (const { slot, attnum } of slots) env[slot] = attnum === 0 ? tid : (current[attnum - 1] ?? null);
    }
    for (const { slot, eval: f } of plan.derived) env[slot] = f(env);
    for (const qual of plan.quals) if (qual(env) !== true) return null;
    return plan.outputs.map((f, i) => (f === null ? (row[i] ?? null) : f(env)));
  }

  private compileRecheck(): Recheck {
    const inputIds = outputColumns(this.node.input);
    // LockRows sits on the SELECT's projection, possibly under a Sort (or Distinct).
    let top: PlanNode = this.node.input;
    while (top.kind === 'sort' || top.kind === 'distinct') top = top.input;
    const project: ProjectNode | null = top.kind === 'project' ? top : null;
    const below: PlanNode | null = project === null ? null : project.input;

    const scans: ScanNode[] = [];
    const quals: Expr[] = [];
    const defs = new Map<ColumnId, Expr>();
    if (below !== null) collectPlan(below, scans, quals, defs);

    const available: ColumnId[] = [];
    const known = new Set<ColumnId>();
    const add = (id: ColumnId): number => {
      known.add(id);
      available.push(id);
      return available.length - 1;
    };
    const outputExpr = (id: ColumnId): Expr | undefined => project?.outputs.find((o) => o.id === id)?.expr;

    // Each locked table's scan: found through the hidden ctid column this node locks by.
    const targetColumns: (TargetColumns | null)[] = this.node.targets.map((target) => {
      const ctid = outputExpr(target.tid);
      if (ctid?.kind !== 'column') return null;
      const scan = scans.find(
        (s) => s.table.oid === target.table.oid && s.columns.some((c) => c.id === ctid.id && c.attnum === 0),
      );
      return scan === undefined ? null : { table: target.table, columns: scan.columns };
    });
    const targets = targetColumns.map((t) => {
      if (t === null) return null;
      const slots: { slot: number; attnum: number }[] = [];
      for (const c of t.columns) if (!known.has(c.id)) slots.push({ slot: add(c.id), attnum: c.attnum });
      return slots;
    });
    // Other tables' columns the select list passes through unchanged.
    const fromInput: [number, number][] = [];
    if (project !== null) {
      for (const o of project.outputs) {
        if (o.expr.kind !== 'column' || known.has(o.expr.id)) continue;
        const inputSlot = inputIds.indexOf(o.id);
        if (inputSlot >= 0) fromInput.push([add(o.expr.id), inputSlot]);
      }
    }
    const computable = (e: Expr): boolean =>
      !exprSome(e, (x) => x.kind === 'subLink' || x.kind === 'grouping') &&
      [...collectColumns(e)].every((id) => known.has(id));
    // Inner projections whose inputs are known, until nothing more can be derived.
    const derivedExprs: { slot: number; expr: Expr }[] = [];
    for (let progress = true; progress; ) {
      progress = false;
      for (const [id, expr] of defs) {
        if (known.has(id) || !computable(expr)) continue;
        derivedExprs.push({ slot: add(id), expr });
        progress = true;
      }
    }
    const layout = layoutOf(available);
    const compile = (e: Expr) => compileExpr(e, layout, this.rt);
    return {
      targets,
      fromInput,
      derived: derivedExprs.map((d) => ({ slot: d.slot, eval: compile(d.expr) })),
      quals: quals.filter(computable).map(compile),
      outputs: inputIds.map((id) => {
        const e = outputExpr(id);
        return e !== undefined && computable(e) ? compile(e) : null;
      }),
      width: available.length,
    };
  }

  close(): Promise<void> {
    return this.input.close();
  }
}

/**
 * The scans, the quals every returned row satisfied (scan filters and index quals, Filter
 * predicates, inner join conditions) and the inner projections' definitions of a plan subtree.
 * Outer joins' conditions and quals below their nullable side (its values may be the NULLs of
 * an unmatched row), semi and anti joins' inner side and subqueries are left out.
 */
function collectPlan(
  node: PlanNode,
  scans: ScanNode[],
  quals: Expr[],
  defs: Map<ColumnId, Expr>,
  withQuals = true,
): void {
  const walk = (n: PlanNode, q: boolean) => collectPlan(n, scans, quals, defs, q);
  switch (node.kind) {
    case 'scan':
      scans.push(node);
      if (!withQuals) return;
      quals.push(...node.filter);
      if (node.access.kind === 'index') quals.push(...node.access.indexQuals);
      return;
    case 'filter':
      if (withQuals) quals.push(node.predicate);
      walk(node.input, withQuals);
      return;
    case 'project':
      for (const o of node.outputs) defs.set(o.id, o.expr);
      walk(node.input, withQuals);
      return;
    case 'join':
      switch (node.joinType) {
        case 'inner':
          if (withQuals) quals.push(...node.condition);
          walk(node.left, withQuals);
          walk(node.right, withQuals);
          return;
        case 'left':
          walk(node.left, withQuals);
          walk(node.right, false);
          return;
        case 'right':
          walk(node.left, false);
          walk(node.right, withQuals);
          return;
        case 'full':
          walk(node.left, false);
          walk(node.right, false);
          return;
        case 'semi':
        case 'anti':
          walk(node.left, withQuals);
          return;
      }
      return;
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'apply':
    case 'projectSet':
      walk(node.input, withQuals);
      return;
    default:
      return;
  }
}
