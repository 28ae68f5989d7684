/**
 * Sub-query planning: EXISTS / NOT EXISTS and IN (= ANY) conjuncts of a WHERE clause become
 * semi and anti joins when the sub-query's correlation sits in its top-level quals (PostgreSQL's
 * pull-up of sub-links); every other SubLink becomes an Apply node below the expression's
 * node, and the expression reads the Apply's column. NOT IN stays an Apply (its NULL
 * semantics forbid an anti join), as in PostgreSQL.
 * Exports: planSubLinks.
 */

import type { Value as TypedValue } from '../../types/value.js';
import { collectColumns, conjuncts, type Expr, exprSome, mapExpr, type SubLinkExpr } from '../ir/expr.js';
import { outputColumns, type PlanNode } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';

type NewId = (name: string) => number;

export function planSubLinks(plan: PlanNode, newId: NewId): PlanNode {
  const node = mapChildren(plan, (c) => planSubLinks(c, newId));
  switch (node.kind) {
    case 'filter':
      return planFilter(node.input, node.predicate, newId);
    case 'project':
      return withApply(
        node.input,
        node.outputs.map((o) => o.expr),
        newId,
        (input, exprs) => ({
          ...node,
          input,
          outputs: node.outputs.map((o, i) => ({ id: o.id, expr: exprs[i] ?? o.expr })),
        }),
      );
    case 'projectSet':
      return withApply(
        node.input,
        node.outputs.map((o) => o.expr),
        newId,
        (input, exprs) => ({
          ...node,
          input,
          outputs: node.outputs.map((o, i) => ({ ...o, expr: exprs[i] ?? o.expr })),
        }),
      );
    case 'join':
      if (!node.condition.some(hasSubLink)) return node;
      return {
        kind: 'filter',
        input: { ...node, condition: node.condition.filter((c) => !hasSubLink(c)) },
        predicate: andOf(node.condition.filter(hasSubLink)),
      } as PlanNode;
    default:
      return node;
  }
}

function hasSubLink(e: Expr): boolean {
  return exprSome(e, (x) => x.kind === 'subLink');
}

function andOf(list: Expr[]): Expr {
  return list.length === 1 && list[0] !== undefined
    ? list[0]
    : { kind: 'and', args: list, type: TypeOid.bool, typmod: -1 };
}

function mapChildren(node: PlanNode, f: (n: PlanNode) => PlanNode): PlanNode {
  const withLinks = (e: Expr) => mapExpr(e, (x) => (x.kind === 'subLink' ? { ...x, plan: f(x.plan) } : null));
  switch (node.kind) {
    case 'join':
      return { ...node, left: f(node.left), right: f(node.right), condition: node.condition.map(withLinks) };
    case 'setop':
      return { ...node, left: f(node.left), right: f(node.right) };
    case 'recursiveUnion':
      return { ...node, anchor: f(node.anchor), recursive: f(node.recursive) };
    case 'cteScan':
      if (!node.cte.optimized && (!node.cte.recursive || node.cte.plan.kind === 'recursiveUnion'))
        node.cte.plan = planOnce(node.cte.plan, f);
      return node;
    case 'filter':
      return { ...node, input: f(node.input), predicate: withLinks(node.predicate) };
    case 'project':
      return {
        ...node,
        input: f(node.input),
        outputs: node.outputs.map((o) => ({ id: o.id, expr: withLinks(o.expr) })),
      };
    case 'projectSet':
      return {
        ...node,
        input: f(node.input),
        outputs: node.outputs.map((o) => ({ ...o, expr: withLinks(o.expr) })),
      };
    case 'scan':
    case 'virtualScan':
    case 'values':
    case 'result':
    case 'workTableScan':
    case 'functionScan':
      return node;
    default:
      return { ...node, input: f(node.input) } as PlanNode;
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
  return withApply(plan, [andOf(rest)], newId, (inp, exprs) => ({
    kind: 'filter',
    input: inp,
    predicate: exprs[0] ?? andOf(rest),
  }));
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

/** Moves every SubLink of `exprs` into an Apply below, replacing it by the Apply's column. */
function withApply(
  input: PlanNode,
  exprs: Expr[],
  newId: NewId,
  rebuild: (input: PlanNode, exprs: Expr[]) => PlanNode,
): PlanNode {
  const links: { id: number; link: SubLinkExpr }[] = [];
  const replaced = exprs.map((e) =>
    mapExpr(e, (x) => {
      if (x.kind !== 'subLink') return null;
      const id = newId('subplan');
      links.push({ id, link: x });
      return { kind: 'column', id, name: 'subplan', type: x.type, typmod: x.typmod };
    }),
  );
  if (links.length === 0) return rebuild(input, exprs);
  return rebuild({ kind: 'apply', input, links }, replaced);
}
