/**
 * Which table column each ColumnId of a plan reads, for the statistics: scan columns map to
 * their attnums; a projection that passes a column through (a subquery in FROM, a view) keeps
 * its source. Built once per statement before the physical choices.
 * Exports: buildStatsView.
 */
import type { TableRelation } from '../../../catalog/objects.js';
import type { ColumnId } from '../ir/expr.js';
import { type PlanNode, planChildren } from '../ir/logical.js';
import { tableSize } from './access-path.js';
import type { ColumnSource, StatsView } from './selectivity.js';

function collect(plan: PlanNode, out: Map<ColumnId, ColumnSource>, seen: Set<PlanNode>): void {
  if (seen.has(plan)) return;
  seen.add(plan);
  for (const child of planChildren(plan)) collect(child, out, seen);
  if (plan.kind === 'cteScan') collect(plan.cte.plan, out, seen);
  if (plan.kind === 'apply') for (const l of plan.links) collect(l.link.plan, out, seen);
  if (plan.kind === 'scan') {
    for (const c of plan.columns) {
      const column = plan.table.columns.find((x) => x.attnum === c.attnum);
      if (column !== undefined) out.set(c.id, { table: plan.table, attnum: c.attnum, type: column.typeOid });
    }
  }
  if (plan.kind === 'project') {
    for (const o of plan.outputs) {
      if (o.expr.kind !== 'column') continue;
      const source = out.get(o.expr.id);
      if (source !== undefined) out.set(o.id, source);
    }
  }
}

export function buildStatsView(plan: PlanNode): StatsView {
  const sources = new Map<ColumnId, ColumnSource>();
  collect(plan, sources, new Set());
  return {
    source: (id) => sources.get(id) ?? null,
    tableRows: (table: TableRelation) => tableSize(table).rows,
  };
}
