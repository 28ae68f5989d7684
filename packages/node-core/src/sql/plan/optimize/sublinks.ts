/**
 * Sub-query planning: EXISTS / NOT EXISTS and IN (= ANY) conjuncts of a WHERE clause become
 * semi and anti joins when the sub-query's correlation sits in its top-level quals (PostgreSQL's
 * pull-up of sub-links); every other SubLink becomes an Apply node whose column the expression
 * then reads (sublink-placement.ts decides where the Apply goes for each kind of node). NOT IN
 * stays an Apply (its NULL semantics forbid an anti join), as in PostgreSQL. Every node kind's
 * expressions are visited (node-exprs.ts), and a sub-link no rule places is a 0A000 at plan
 * time, never an executor invariant.
 * Exports: planSubLinks.
 */

import type { Value as TypedValue } from '../../types/value.js';
import { collectColumns, conjuncts, type Expr, mapExpr, type SubLinkExpr } from '../ir/expr.js';
import { type JoinNode, outputColumns, type PlanNode } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';
import { mapNodeExprs, nodeExprs } from './node-exprs.js';
import { applyBelow, assertNoSubLinks, hasSubLink, hoist, placeJoinSubLinks } from './sublink-placement.js';

type NewId = (name: string) => number;

export function planSubLinks(plan: PlanNode, newId: NewId): PlanNode {
  const out = planNode(plan, newId);
  assertNoSubLinks(out);
  return out;
}

function planNode(plan: PlanNode, newId: NewId): PlanNode {
  const node = mapChildren(plan, (c) => planNode(c, newId));
  switch (node.kind) {
    case 'filter':
      return planFilter(node.input, node.predicate, newId);
    case 'project':
    case 'projectSet':
    case 'aggregate':
    case 'window':
    case 'sort':
    case 'distinct':
      return applyBelow(node, newId);
    case 'limit':
    case 'values':
    case 'functionScan':
      return hoist(node, newId);
    case 'join':
      return planJoin(node, newId);
    default:
      return node;
  }
}

/**
 * An inner join's sub-link conditions become a filter above it (the same rows, and EXISTS / IN
 * may still become semi joins there); an outer join's must stay in its ON clause.
 */
function planJoin(node: JoinNode, newId: NewId): PlanNode {
  if (!node.condition.some(hasSubLink)) return node;
  if (node.joinType !== 'inner') return placeJoinSubLinks(node, newId);
  const input: JoinNode = { ...node, condition: node.condition.filter((c) => !hasSubLink(c)) };
  return planFilter(input, andOf(node.condition.filter(hasSubLink)), newId);
}

function andOf(list: Expr[]): Expr {
  return list.length === 1 && list[0] !== undefined
    ? list[0]
    : { kind: 'and', args: list, type: TypeOid.bool, typmod: -1 };
}

/** Plans the sub-queries inside `node`'s expressions, then its children. */
function mapChildren(node: PlanNode, f: (n: PlanNode) => PlanNode): PlanNode {
  const withLinks = (e: Expr) => mapExpr(e, (x) => (x.kind === 'subLink' ? { ...x, plan: f(x.plan) } : null));
  // Only nodes holding a sub-link are copied: the others keep their identity.
  const self = nodeExprs(node).some(hasSubLink) ? mapNodeExprs(node, withLinks) : node;
  switch (self.kind) {
    case 'join':
    case 'setop':
      return { ...self, left: f(self.left), right: f(self.right) };
    case 'recursiveUnion':
      return { ...self, anchor: f(self.anchor), recursive: f(self.recursive) };
    case 'cteScan':
      if (!self.cte.optimized && (!self.cte.recursive || self.cte.plan.kind === 'recursiveUnion'))
        self.cte.plan = planOnce(self.cte.plan, f);
      return self;
    case 'scan':
    case 'virtualScan':
    case 'values':
    case 'result':
    case 'workTableScan':
    case 'functionScan':
      return self;
    default:
      return { ...self, input: f(self.input) } as PlanNode;
  }
}

const planned = new WeakSet<PlanNode>();
function planOnce(plan: PlanNode, f: (n: PlanNode) => PlanNode): PlanNode {
  if (planned.has(plan)) return plan;
  const out = f(plan);
  planned.add(out);
  return out;
}

function planFilter(input: PlanNode, predicate: Expr, newId: NewId): PlanNode {
  let plan = input;
  const rest: Expr[] = [];
  for (const c of conjuncts(predicate)) {
    const joined = tryPullUp(plan, c);
    if (joined !== null) plan = joined;
    else rest.push(c);
  }
  if (rest.length === 0) return plan;
  return applyBelow({ kind: 'filter', input: plan, predicate: andOf(rest) }, newId);
}

/** EXISTS / NOT EXISTS / IN as a semi or anti join, when the sub-query's shape allows it. */
function tryPullUp(input: PlanNode, c: Expr): PlanNode | null {
  const negated = c.kind === 'not';
  const link = negated ? c.arg : c;
  if (link.kind !== 'subLink') return null;
  if (link.linkType === 'exists') return semiJoin(input, link, [], negated ? 'anti' : 'semi');
  if (link.linkType === 'any' && link.opName === '=' && !negated)
    return semiJoin(input, link, link.left, 'semi');
  return null;
}

function semiJoin(
  input: PlanNode,
  link: SubLinkExpr,
  left: Expr[],
  joinType: 'semi' | 'anti',
): PlanNode | null {
  // A sub-query among the left operands needs an Apply below the join: not a pull-up shape.
  if (left.some(hasSubLink)) return null;
  const inputIds = new Set(outputColumns(input));
  if (!link.correlated.every((id) => inputIds.has(id))) return null;
  const split = splitCorrelation(link.plan, new Set(link.correlated));
  if (split === null) return null;
  const outIds = outputColumns(split.plan);
  const condition = [...split.quals];
  left.forEach((l, i) => {
    const id = outIds[i];
    if (id === undefined) return;
    const rightType = link.rightTypes[i] ?? l.type;
    const compare = link.compare[i];
    if (compare === undefined) return;
    condition.push({
      kind: 'call',
      name: '=',
      args: [l, { kind: 'column', id, name: '?', type: rightType, typmod: -1 }],
      strict: true,
      volatility: 'immutable',
      argTypes: [l.type, rightType],
      fn: (xs, ctx) => compare(xs[0] ?? null, xs[1] ?? null, ctx) as TypedValue,
      comparison: '=',
      operator: 'infix',
      type: TypeOid.bool,
      typmod: -1,
    });
  });
  return {
    kind: 'join',
    joinType,
    left: input,
    right: split.plan,
    condition,
    method: 'nested',
    keys: [],
    lateral: false,
  };
}

/**
 * Removes the correlated conjuncts from the sub-query's top filter (through projections that
 * keep their inputs' columns); null when correlation appears anywhere else.
 */
function splitCorrelation(plan: PlanNode, outer: Set<number>): { plan: PlanNode; quals: Expr[] } | null {
  const uses = (e: Expr) => [...collectColumns(e)].some((id) => outer.has(id));
  if (outer.size === 0) return { plan, quals: [] };
  if (plan.kind === 'project') {
    const inner = splitCorrelation(plan.input, outer);
    if (inner === null || plan.outputs.some((o) => uses(o.expr))) return null;
    const passthrough = outputColumns(inner.plan)
      .filter((id) => !plan.outputs.some((o) => o.id === id))
      .map((id) => ({ id, expr: { kind: 'column', id, name: '?', type: 0, typmod: -1 } as Expr }));
    return {
      plan: { ...plan, input: inner.plan, outputs: [...plan.outputs, ...passthrough] },
      quals: inner.quals,
    };
  }
  if (plan.kind !== 'filter') return null;
  const parts = conjuncts(plan.predicate);
  const correlated = parts.filter(uses);
  const local = parts.filter((p) => !uses(p));
  if (containsOuter(plan.input, outer) || correlated.some(hasSubLink)) return null;
  return { plan: local.length === 0 ? plan.input : { ...plan, predicate: andOf(local) }, quals: correlated };
}

function containsOuter(plan: PlanNode, outer: Set<number>): boolean {
  const json = JSON.stringify(plan, (k, v) =>
    k === 'table' || k === 'cte' ? undefined : typeof v === 'bigint' ? String(v) : v,
  );
  for (const id of outer) if (json.includes(`"id":${id},`) || json.includes(`"id":${id}}`)) return true;
  return false;
}
