/**
 * EXPLAIN in PostgreSQL's text format ("Seq Scan on t  (cost=0.00..1.10 rows=10 width=8)",
 * children indented with "  ->  ", details such as Filter:, Index Cond:, Hash Cond:, Merge
 * Cond:, Join Filter:, Sort Key:, Group Key: under their node, a Hash node above a hash join's
 * inner side, sub-plans as "SubPlan n"), EXPLAIN ANALYZE's "actual time=a..b rows=n loops=m"
 * per node with Planning/Execution Time, and FORMAT JSON with PostgreSQL's keys. Projections
 * print as part of their input and a filter as its input's Filter:, as PostgreSQL folds them.
 * Exports: ExplainOptions, explainText, explainJson.
 */
import type { Expr } from '../ir/expr.js';
import { type Actuals, type PlanNode, planChildren, type SortKey } from '../ir/logical.js';
import { type ExprNames, exprText } from './expr-text.js';

export interface ExplainOptions {
  analyze: boolean;
  /** EXPLAIN ANALYZE's counters per node (from the execution's runtime). */
  actuals: Map<PlanNode, Actuals> | null;
  /** The binder's ColumnId -> `alias.column` names. */
  columnNames: Map<number, string>;
  planningMs?: number;
  executionMs?: number;
}

interface Display {
  name: string;
  node: PlanNode | null;
  json: Record<string, unknown>;
  details: [string, string][];
  children: Display[];
  /** "SubPlan 1", "CTE x": a label printed above this child. */
  label?: string;
  /** For nodes with no plan node of their own (Hash): the estimate to show. */
  estimate?: PlanNode['est'];
}

const joinNames: Record<string, string> = {
  inner: '',
  left: ' Left',
  right: ' Right',
  full: ' Full',
  semi: ' Semi',
  anti: ' Anti',
};

function relationCount(plan: PlanNode, seen = new Set<PlanNode>()): number {
  if (seen.has(plan)) return 0;
  seen.add(plan);
  let n = ['scan', 'virtualScan', 'functionScan', 'cteScan', 'values', 'workTableScan'].includes(plan.kind)
    ? 1
    : 0;
  for (const c of planChildren(plan)) n += relationCount(c, seen);
  if (plan.kind === 'apply') for (const l of plan.links) n += relationCount(l.link.plan, seen);
  if (plan.kind === 'cteScan') n += relationCount(plan.cte.plan, seen);
  return n;
}

class Renderer {
  private subplans = 0;
  private readonly ctesShown = new Set<number>();
  readonly names: ExprNames;

  constructor(
    plan: PlanNode,
    private readonly options: ExplainOptions,
  ) {
    const qualify = relationCount(plan) > 1;
    this.names = {
      column: (id, fallback) => {
        const full = options.columnNames.get(id) ?? fallback;
        if (qualify) return full;
        const dot = full.lastIndexOf('.');
        return dot < 0 ? full : full.slice(dot + 1);
      },
    };
  }

  private text(e: Expr): string {
    const s = exprText(e, this.names);
    return s.startsWith('(') ? s : `(${s})`;
  }

  private quals(list: Expr[]): string {
    if (list.length === 1) return this.text(list[0] as Expr);
    return `(${list.map((q) => exprText(q, this.names)).join(' AND ')})`;
  }

  private sortKeys(keys: SortKey[]): string {
    return keys
      .map((k) => {
        const base = exprText(k.expr, this.names);
        const dir = k.descending ? ' DESC' : '';
        const nulls = k.nullsFirst !== k.descending ? (k.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST') : '';
        return `${base}${dir}${nulls}`;
      })
      .join(', ');
  }

  private make(name: string, node: PlanNode | null, json: Record<string, unknown>): Display {
    return {
      name,
      node,
      json: { 'Node Type': name.split(' on ')[0]?.split(' using ')[0], ...json },
      details: [],
      children: [],
    };
  }

  display(n: PlanNode): Display {
    switch (n.kind) {
      case 'project':
        return n.input.kind === 'result' ? this.make('Result', n, {}) : this.display(n.input);
      case 'filter': {
        const inner = this.display(n.input);
        if (['Result', 'Limit', 'Sort', 'Unique'].includes(inner.name) || inner.node === null)
          return this.withChildren(
            this.make('Result', n, {}),
            [n.input],
            [['Filter', this.text(n.predicate)]],
          );
        inner.details.push(['Filter', this.text(n.predicate)]);
        return inner;
      }
      case 'apply': {
        const inner = this.display(n.input);
        for (const l of n.links) {
          const child = this.display(l.link.plan);
          child.label = `SubPlan ${++this.subplans}`;
          inner.children.push(child);
        }
        return inner;
      }
      default:
        return this.displayNode(n);
    }
  }

  private withChildren(d: Display, children: PlanNode[], details: [string, string][] = []): Display {
    d.details.push(...details);
    d.children.push(...children.map((c) => this.display(c)));
    return d;
  }

  private displayNode(n: PlanNode): Display {
    switch (n.kind) {
      case 'scan': {
        const alias = n.alias !== n.table.name ? ` ${n.alias}` : '';
        const access = n.access;
        const relation = { 'Relation Name': n.table.name, Alias: n.alias };
        if (access.kind === 'seq') {
          const d = this.make(`Seq Scan on ${n.table.name}${alias}`, n, relation);
          if (n.filter.length > 0) d.details.push(['Filter', this.quals(n.filter)]);
          return d;
        }
        const backward = access.direction === 'backward' ? ' Backward' : '';
        const d = this.make(
          `Index Scan${backward} using ${access.index.name} on ${n.table.name}${alias}`,
          n,
          {
            'Scan Direction': access.direction === 'backward' ? 'Backward' : 'Forward',
            'Index Name': access.index.name,
            ...relation,
          },
        );
        if (access.indexQuals.length > 0) d.details.push(['Index Cond', this.quals(access.indexQuals)]);
        const rest = n.filter.filter((q) => !access.indexQuals.includes(q));
        if (rest.length > 0) d.details.push(['Filter', this.quals(rest)]);
        return d;
      }
      case 'virtualScan': {
        const d = this.make(`Seq Scan on ${n.table.name}`, n, { 'Relation Name': n.table.name });
        if (n.filter.length > 0) d.details.push(['Filter', this.quals(n.filter)]);
        return d;
      }
      case 'values':
        return this.make('Values Scan on "*VALUES*"', n, { Alias: '*VALUES*' });
      case 'result':
        return this.make('Result', n, {});
      case 'join':
        return this.displayJoin(n);
      case 'aggregate': {
        const name =
          n.groupingSets !== null ? 'MixedAggregate' : n.groupBy.length === 0 ? 'Aggregate' : 'HashAggregate';
        const d = this.make(name, n, { Strategy: n.groupBy.length === 0 ? 'Plain' : 'Hashed' });
        if (n.groupBy.length > 0)
          d.details.push(['Group Key', n.groupBy.map((g) => exprText(g.expr, this.names)).join(', ')]);
        const memory = this.options.actuals?.get(n)?.memory;
        if (memory !== undefined && n.groupBy.length > 0) {
          // PostgreSQL 15: "Batches: 5  Memory Usage: 4145kB  Disk Usage: 10264kB".
          const disk = memory.spillFiles > 0 ? `  Disk Usage: ${kb(memory.diskBytes)}kB` : '';
          d.details.push([
            'Batches',
            `${1 + memory.spillFiles}  Memory Usage: ${kb(memory.peakBytes)}kB${disk}`,
          ]);
        }
        return this.withChildren(d, [n.input]);
      }
      case 'window':
        return this.withChildren(this.make('WindowAgg', n, {}), [n.input]);
      case 'sort': {
        const details: [string, string][] = [['Sort Key', this.sortKeys(n.keys)]];
        const memory = this.options.actuals?.get(n)?.memory;
        if (memory !== undefined) {
          // PostgreSQL: "Sort Method: external merge  Disk: 1234kB" or "quicksort  Memory: 25kB".
          const space =
            memory.spillFiles > 0 ? `Disk: ${kb(memory.diskBytes)}kB` : `Memory: ${kb(memory.peakBytes)}kB`;
          details.push(['Sort Method', `${memory.method}  ${space}`]);
        }
        return this.withChildren(this.make('Sort', n, {}), [n.input], details);
      }
      case 'limit':
        return this.withChildren(this.make('Limit', n, {}), [n.input]);
      case 'distinct':
        return n.on === null
          ? this.withChildren(this.make('HashAggregate', n, { Strategy: 'Hashed' }), [n.input])
          : this.withChildren(this.make('Unique', n, {}), [n.input]);
      case 'setop': {
        const name =
          n.op === 'union'
            ? n.all
              ? 'Append'
              : 'HashAggregate'
            : `HashSetOp ${n.op === 'intersect' ? 'Intersect' : 'Except'}${n.all ? ' All' : ''}`;
        return this.withChildren(this.make(name, n, {}), [n.left, n.right]);
      }
      case 'cteScan': {
        const alias = n.alias !== n.cte.name ? ` ${n.alias}` : '';
        const d = this.make(`CTE Scan on ${n.cte.name}${alias}`, n, {
          'CTE Name': n.cte.name,
          Alias: n.alias,
        });
        if (!this.ctesShown.has(n.cte.id)) {
          this.ctesShown.add(n.cte.id);
          const child = this.display(n.cte.plan);
          child.label = `CTE ${n.cte.name}`;
          d.children.push(child);
        }
        return d;
      }
      case 'recursiveUnion':
        return this.withChildren(this.make('Recursive Union', n, {}), [n.anchor, n.recursive]);
      case 'workTableScan':
        return this.make(`WorkTable Scan on ${n.alias}`, n, { Alias: n.alias });
      case 'functionScan': {
        const alias = n.alias !== n.name ? ` ${n.alias}` : '';
        return this.make(`Function Scan on ${n.name}${alias}`, n, {
          'Function Name': n.name,
          Alias: n.alias,
        });
      }
      case 'projectSet':
        return this.withChildren(this.make('ProjectSet', n, {}), [n.input]);
      case 'lockRows':
        return this.withChildren(this.make('LockRows', n, {}), [n.input]);
      case 'modify': {
        const op = n.operation === 'insert' ? 'Insert' : n.operation === 'update' ? 'Update' : 'Delete';
        return this.withChildren(
          this.make(`${op} on ${n.table.name}`, n, { Operation: op, 'Relation Name': n.table.name }),
          [n.input],
        );
      }
      default:
        return this.withChildren(this.make('Result', n, {}), planChildren(n));
    }
  }

  private displayJoin(n: Extract<PlanNode, { kind: 'join' }>): Display {
    const type = joinNames[n.joinType] ?? '';
    const json = {
      'Join Type':
        n.joinType === 'semi'
          ? 'Semi'
          : n.joinType === 'anti'
            ? 'Anti'
            : n.joinType.replace(/^./, (c) => c.toUpperCase()),
    };
    const keyText = () =>
      n.keys.length === 1
        ? `(${exprText((n.keys[0] as (typeof n.keys)[number]).left, this.names)} = ${exprText((n.keys[0] as (typeof n.keys)[number]).right, this.names)})`
        : `(${n.keys.map((k) => `(${exprText(k.left, this.names)} = ${exprText(k.right, this.names)})`).join(' AND ')})`;
    if (n.method === 'hash') {
      const d = this.make(`Hash${type} Join`, n, json);
      d.details.push(['Hash Cond', keyText()]);
      if (n.condition.length > 0) d.details.push(['Join Filter', this.quals(n.condition)]);
      d.children.push(this.display(n.left));
      const hash = this.make('Hash', null, {});
      hash.children.push(this.display(n.right));
      hash.estimate = n.right.est;
      d.children.push(hash);
      return d;
    }
    if (n.method === 'merge') {
      const d = this.make(`Merge${type} Join`, n, json);
      d.details.push(['Merge Cond', keyText()]);
      if (n.condition.length > 0) d.details.push(['Join Filter', this.quals(n.condition)]);
      return this.withChildren(d, [n.left, n.right]);
    }
    const d = this.make(`Nested Loop${type}${type === '' ? '' : ' Join'}`, n, json);
    if (n.condition.length > 0) d.details.push(['Join Filter', this.quals(n.condition)]);
    return this.withChildren(d, [n.left, n.right]);
  }

  costs(d: Display): string {
    const e = d.node?.est ?? d.estimate ?? { rows: 1, startupCost: 0, totalCost: 0, width: 0 };
    return `(cost=${e.startupCost.toFixed(2)}..${Math.max(e.startupCost, e.totalCost).toFixed(2)} rows=${Math.max(1, Math.round(e.rows))} width=${e.width})`;
  }

  actual(d: Display): Actuals | undefined {
    if (d.node !== null) return this.options.actuals?.get(d.node);
    // A Hash node reports its input's counters.
    const child = d.children[0];
    return child === undefined ? undefined : this.actual(child);
  }

  actualText(d: Display): string {
    if (!this.options.analyze) return '';
    const a = this.actual(d);
    if (a === undefined || a.loops === 0) return ' (never executed)';
    const loops = Math.max(1, a.loops);
    return ` (actual time=${(a.startMs / loops).toFixed(3)}..${(a.totalMs / loops).toFixed(3)} rows=${Math.round(a.rows / loops)} loops=${a.loops})`;
  }
}

function renderText(r: Renderer, d: Display, depth: number, out: string[]): void {
  const pad = depth === 0 ? '' : ' '.repeat(depth * 6 - 6);
  if (d.label !== undefined) out.push(`${pad}  ${d.label}`);
  const arrow = depth === 0 ? '' : `${pad}  ->  `;
  out.push(`${arrow}${d.name}  ${r.costs(d)}${r.actualText(d)}`);
  const detailPad = ' '.repeat(depth === 0 ? 2 : depth * 6 + 2);
  for (const [label, value] of d.details) out.push(`${detailPad}${label}: ${value}`);
  for (const child of d.children) renderText(r, child, depth + 1, out);
}

function timing(options: ExplainOptions): string[] {
  if (!options.analyze) return [];
  return [
    `Planning Time: ${(options.planningMs ?? 0).toFixed(3)} ms`,
    `Execution Time: ${(options.executionMs ?? 0).toFixed(3)} ms`,
  ];
}

export function explainText(plan: PlanNode, options: ExplainOptions): string[] {
  const r = new Renderer(plan, options);
  const out: string[] = [];
  renderText(r, r.display(plan), 0, out);
  return [...out, ...timing(options)];
}

function jsonNode(r: Renderer, d: Display, options: ExplainOptions): Record<string, unknown> {
  const e = d.node?.est ?? d.estimate ?? { rows: 1, startupCost: 0, totalCost: 0, width: 0 };
  const node: Record<string, unknown> = {
    ...d.json,
    ...(d.label === undefined
      ? {}
      : {
          'Parent Relationship': d.label.startsWith('SubPlan') ? 'SubPlan' : 'InitPlan',
          'Subplan Name': d.label,
        }),
    'Startup Cost': Number(e.startupCost.toFixed(2)),
    'Total Cost': Number(Math.max(e.startupCost, e.totalCost).toFixed(2)),
    'Plan Rows': Math.max(1, Math.round(e.rows)),
    'Plan Width': e.width,
  };
  if (options.analyze) {
    const a = r.actual(d);
    const loops = Math.max(1, a?.loops ?? 0);
    node['Actual Startup Time'] = Number(((a?.startMs ?? 0) / loops).toFixed(3));
    node['Actual Total Time'] = Number(((a?.totalMs ?? 0) / loops).toFixed(3));
    node['Actual Rows'] = Math.round((a?.rows ?? 0) / loops);
    node['Actual Loops'] = a?.loops ?? 0;
  }
  for (const [label, value] of d.details)
    node[label] = label === 'Sort Key' || label === 'Group Key' ? value.split(', ') : value;
  const memory = memoryJson(d, r);
  if ('HashAgg Batches' in memory) delete node.Batches; // the text form's one-line detail
  Object.assign(node, memory);
  if (d.children.length > 0) node.Plans = d.children.map((c) => jsonNode(r, c, options));
  return node;
}

export function explainJson(plan: PlanNode, options: ExplainOptions): string {
  const r = new Renderer(plan, options);
  const root: Record<string, unknown> = { Plan: jsonNode(r, r.display(plan), options) };
  if (options.analyze) {
    root['Planning Time'] = Number((options.planningMs ?? 0).toFixed(3));
    root['Execution Time'] = Number((options.executionMs ?? 0).toFixed(3));
  }
  return JSON.stringify([root], null, 2);
}

/** Bytes as PostgreSQL's EXPLAIN shows them: whole kilobytes, rounded up. */
function kb(bytes: number): number {
  return Math.ceil(bytes / 1024);
}

/**
 * FORMAT JSON's keys for a sort's or hash aggregate's memory (PostgreSQL 15's names and numbers,
 * in kB), replacing the text form's one-line details.
 */
function memoryJson(d: Display, r: Renderer): Record<string, unknown> {
  const memory = d.node === null ? undefined : r.actual(d)?.memory;
  if (memory === undefined) return {};
  const spilled = memory.spillFiles > 0;
  if (d.node?.kind === 'sort')
    return {
      'Sort Method': memory.method,
      'Sort Space Used': kb(spilled ? memory.diskBytes : memory.peakBytes),
      'Sort Space Type': spilled ? 'Disk' : 'Memory',
    };
  if (d.node?.kind === 'aggregate' && d.node.groupBy.length > 0)
    return {
      'HashAgg Batches': 1 + memory.spillFiles,
      'Peak Memory Usage': kb(memory.peakBytes),
      'Disk Usage': kb(memory.diskBytes),
    };
  return {};
}
