/**
 * Column pruning: table scans read only the columns some node above uses (the access layer then
 * decodes nothing else), and projections drop outputs nobody reads. Works top-down with the set
 * of ColumnIds still needed: each node adds the columns its own expressions read; a node that
 * needs whole rows (DISTINCT, set operations, writes, recursive CTEs) keeps all of its input. A
 * CTE keeps every output (its references may read different ones); its plan is pruned on its own.
 * Exports: pruneColumns.
 */
import { type ColumnId, collectColumns, type Expr } from '../ir/expr.js';
import { outputColumns, type PlanNode, planChildren } from '../ir/logical.js';

type Ids = Set<ColumnId>;

function add(ids: Ids, exprs: (Expr | null | undefined)[]): Ids {
  const out = new Set(ids);
  for (const e of exprs) if (e !== null && e !== undefined) for (const id of collectColumns(e)) out.add(id);
  return out;
}

function all(plan: PlanNode): Ids {
  return new Set(outputColumns(plan));
}

/** Every column any expression in the subtree reads (for lateral joins: the left side must keep them). */
function referenced(plan: PlanNode, out: Ids = new Set()): Ids {
  const exprs = nodeExprs(plan);
  for (const e of exprs) for (const id of collectColumns(e)) out.add(id);
  for (const c of planChildren(plan)) referenced(c, out);
  if (plan.kind === 'apply') for (const l of plan.links) referenced(l.link.plan, out);
  return out;
}

function nodeExprs(plan: PlanNode): Expr[] {
  switch (plan.kind) {
    case 'scan':
    case 'virtualScan':
      return plan.filter;
    case 'values':
      return plan.rows.flat();
    case 'filter':
      return [plan.predicate];
    case 'project':
    case 'projectSet':
      return plan.outputs.map((o) => o.expr);
    case 'join':
      return [...plan.condition, ...plan.keys.flatMap((k) => [k.left, k.right])];
    case 'aggregate':
      return [
        ...plan.groupBy.map((g) => g.expr),
        ...plan.aggregates.flatMap((a) => [
          ...a.args,
          ...(a.filter === null ? [] : [a.filter]),
          ...a.orderBy.map((o) => o.expr),
        ]),
      ];
    case 'window':
      return [
        ...plan.partitionBy,
        ...plan.orderBy.map((k) => k.expr),
        ...plan.calls.flatMap((c) => [...c.args, ...(c.filter === null ? [] : [c.filter])]),
      ];
    case 'sort':
      return plan.keys.map((k) => k.expr);
    case 'limit':
      return [plan.limit, plan.offset, ...(plan.withTies ?? []).map((k) => k.expr)].filter(
        (e): e is Expr => e !== null,
      );
    case 'distinct':
      return plan.on ?? [];
    case 'setop':
      return [...plan.leftExprs, ...plan.rightExprs];
    case 'recursiveUnion':
      return [...plan.anchorExprs, ...plan.recursiveExprs];
    case 'functionScan':
      return plan.args;
    case 'apply':
      return plan.links.flatMap((l) => [
        ...l.link.left,
        ...l.link.correlated.map((id): Expr => ({ kind: 'column', id, name: '', type: 0, typmod: -1 })),
      ]);
    default:
      return [];
  }
}

/** Prunes `plan`, whose parent reads the columns `needed`. */
export function pruneColumns(plan: PlanNode, needed: Ids = all(plan)): PlanNode {
  const self = add(needed, nodeExprs(plan));
  switch (plan.kind) {
    case 'scan':
      return { ...plan, columns: plan.columns.filter((c) => self.has(c.id)) };
    case 'project': {
      const outputs = plan.outputs.filter((o) => needed.has(o.id));
      return {
        ...plan,
        input: pruneColumns(
          plan.input,
          add(
            new Set(),
            outputs.map((o) => o.expr),
          ),
        ),
        outputs,
      };
    }
    case 'projectSet': {
      // A ProjectSet's set-returning outputs decide its row count: they stay.
      const outputs = plan.outputs.filter((o) => needed.has(o.id) || o.srf !== null);
      return {
        ...plan,
        input: pruneColumns(
          plan.input,
          add(
            new Set(),
            outputs.map((o) => o.expr),
          ),
        ),
        outputs,
      };
    }
    case 'join': {
      const leftNeeds = plan.lateral ? referenced(plan.right, new Set(self)) : self;
      return { ...plan, left: pruneColumns(plan.left, leftNeeds), right: pruneColumns(plan.right, self) };
    }
    case 'aggregate':
      return { ...plan, input: pruneColumns(plan.input, add(new Set(), nodeExprs(plan))) };
    case 'filter':
    case 'sort':
    case 'limit':
    case 'window':
    case 'lockRows':
    case 'apply': {
      const input = pruneColumns(
        plan.input,
        plan.kind === 'lockRows'
          ? add(
              self,
              plan.targets.map((t) => col(t.tid)),
            )
          : self,
      );
      if (plan.kind !== 'apply') return { ...plan, input } as PlanNode;
      return {
        ...plan,
        input,
        links: plan.links.map((l) => ({ id: l.id, link: { ...l.link, plan: pruneColumns(l.link.plan) } })),
      };
    }
    case 'distinct':
      // DISTINCT compares whole rows; DISTINCT ON only its expressions.
      return { ...plan, input: pruneColumns(plan.input, plan.on === null ? all(plan.input) : self) };
    case 'modify':
      return { ...plan, input: pruneColumns(plan.input, all(plan.input)) };
    case 'setop':
      return { ...plan, left: pruneColumns(plan.left), right: pruneColumns(plan.right) };
    case 'recursiveUnion':
      return { ...plan, anchor: pruneColumns(plan.anchor), recursive: pruneColumns(plan.recursive) };
    default:
      // CTE plans are pruned on their own (prepare.ts plans each CTE before its users).
      return plan;
  }
}

function col(id: ColumnId): Expr {
  return { kind: 'column', id, name: '', type: 0, typmod: -1 };
}
