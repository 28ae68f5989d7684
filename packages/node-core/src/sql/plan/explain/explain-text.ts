/**
 * EXPLAIN output in PostgreSQL's text format ("Seq Scan on t  (cost=0.00..1.10 rows=10
 * width=8)", children indented with "  ->  ", actual time/rows/loops under ANALYZE) and a FORMAT
 * JSON rendering of the same tree.
 * Exports: explainText, explainJson.
 */
import type { PlanNode } from '../ir/logical.js';
import { planChildren } from '../ir/logical.js';

function nodeName(n: PlanNode): string {
  switch (n.kind) {
    case 'scan':
      return n.access.kind === 'seq'
        ? `Seq Scan on ${n.table.name}${n.alias !== n.table.name ? ` ${n.alias}` : ''}`
        : `Index Scan${n.access.direction === 'backward' ? ' Backward' : ''} using ${n.access.index.name} on ${n.table.name}${n.alias !== n.table.name ? ` ${n.alias}` : ''}`;
    case 'virtualScan':
      return `Function Scan on ${n.table.name}`;
    case 'values':
      return 'Values Scan on "*VALUES*"';
    case 'result':
    case 'project':
      return n.kind === 'project' ? 'Result' : 'Result';
    case 'filter':
      return 'Result';
    case 'join': {
      const type = {
        inner: '',
        left: ' Left Join',
        right: ' Right Join',
        full: ' Full Join',
        semi: ' Semi Join',
        anti: ' Anti Join',
      }[n.joinType];
      if (n.method === 'hash') return `Hash${type || ' Join'}`;
      if (n.method === 'merge') return `Merge${type || ' Join'}`;
      return `Nested Loop${type}`;
    }
    case 'aggregate':
      return n.groupingSets !== null
        ? 'MixedAggregate'
        : n.strategy === 'hash'
          ? 'HashAggregate'
          : n.strategy === 'sorted'
            ? 'GroupAggregate'
            : 'Aggregate';
    case 'window':
      return 'WindowAgg';
    case 'sort':
      return 'Sort';
    case 'limit':
      return 'Limit';
    case 'distinct':
      return n.on === null ? 'HashAggregate' : 'Unique';
    case 'setop':
      return n.op === 'union'
        ? n.all
          ? 'Append'
          : 'HashAggregate'
        : `HashSetOp ${n.op === 'intersect' ? 'Intersect' : 'Except'}${n.all ? ' All' : ''}`;
    case 'cteScan':
      return `CTE Scan on ${n.cte.name}${n.alias !== n.cte.name ? ` ${n.alias}` : ''}`;
    case 'recursiveUnion':
      return 'Recursive Union';
    case 'workTableScan':
      return `WorkTable Scan on ${n.alias}`;
    case 'functionScan':
      return `Function Scan on ${n.name}${n.alias !== n.name ? ` ${n.alias}` : ''}`;
    case 'projectSet':
      return 'ProjectSet';
    case 'apply':
      return 'Result';
    case 'lockRows':
      return 'LockRows';
    case 'modify':
      return `${n.operation === 'insert' ? 'Insert' : n.operation === 'update' ? 'Update' : 'Delete'} on ${n.table.name}`;
  }
}

/** Projection-only nodes that PostgreSQL folds into their child's target list. */
function folded(n: PlanNode): n is Extract<PlanNode, { kind: 'project' }> {
  return n.kind === 'project' && n.input.kind !== 'result';
}

function costs(n: PlanNode): string {
  const e = n.est ?? { rows: 1, startupCost: 0, totalCost: 0, width: 0 };
  return `(cost=${e.startupCost.toFixed(2)}..${Math.max(e.startupCost, e.totalCost).toFixed(2)} rows=${Math.max(1, Math.round(e.rows))} width=${e.width})`;
}

function actual(n: PlanNode, analyze: boolean): string {
  if (!analyze) return '';
  const a = n.actual;
  if (a === undefined) return ' (never executed)';
  const loops = Math.max(1, a.loops);
  return ` (actual time=${(a.startMs / loops).toFixed(3)}..${(a.totalMs / loops).toFixed(3)} rows=${Math.round(a.rows / loops)} loops=${a.loops})`;
}

function visible(n: PlanNode): PlanNode[] {
  if (folded(n)) return visible(n.input);
  return [n];
}

function render(n: PlanNode, depth: number, analyze: boolean, out: string[]): void {
  const indent = depth === 0 ? '' : `${' '.repeat(depth * 6 - 6)}  ->  `;
  out.push(`${indent}${nodeName(n)}  ${costs(n)}${actual(n, analyze)}`);
  const detailIndent = ' '.repeat(depth === 0 ? 2 : depth * 6 + 2);
  if (n.kind === 'scan' && n.access.kind === 'index')
    out.push(`${detailIndent}Index Cond: (${n.access.indexQuals.length} quals)`);
  for (const child of planChildren(n)) for (const v of visible(child)) render(v, depth + 1, analyze, out);
}

export function explainText(plan: PlanNode, analyze: boolean): string[] {
  const out: string[] = [];
  for (const v of visible(plan)) render(v, 0, analyze, out);
  return out;
}

function jsonNode(n: PlanNode, analyze: boolean): Record<string, unknown> {
  const e = n.est ?? { rows: 1, startupCost: 0, totalCost: 0, width: 0 };
  const node: Record<string, unknown> = {
    'Node Type': nodeName(n).split(' on ')[0],
    'Startup Cost': Number(e.startupCost.toFixed(2)),
    'Total Cost': Number(e.totalCost.toFixed(2)),
    'Plan Rows': Math.max(1, Math.round(e.rows)),
    'Plan Width': e.width,
  };
  if (n.kind === 'scan') node['Relation Name'] = n.table.name;
  if (analyze && n.actual !== undefined) {
    node['Actual Rows'] = n.actual.rows;
    node['Actual Loops'] = n.actual.loops;
  }
  const children = planChildren(n).flatMap((c) => visible(c));
  if (children.length > 0) node.Plans = children.map((c) => jsonNode(c, analyze));
  return node;
}

export function explainJson(plan: PlanNode, analyze: boolean): string {
  const root = visible(plan)[0] ?? plan;
  return JSON.stringify([{ Plan: jsonNode(root, analyze) }], null, 2);
}
