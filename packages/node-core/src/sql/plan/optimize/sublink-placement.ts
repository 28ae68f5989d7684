/**
 * Where the Apply node of a sub-link goes, for each place a sub-query can appear:
 * - expressions evaluated per input row (projections, aggregate arguments and GROUP BY keys,
 *   window and sort keys, DISTINCT ON): an Apply directly below the node (`applyBelow`);
 * - expressions evaluated once per execution (LIMIT/OFFSET, VALUES rows, function-scan
 *   arguments): an Apply over a one-row Result, joined LATERAL in front of the node (`hoist`);
 * - outer join conditions (`placeJoinSubLinks`): an Apply on the side whose columns the
 *   sub-query reads, so the ON clause stays an ON clause (moving it to WHERE would turn a LEFT
 *   JOIN into an inner one); a sub-query reading both sides makes the join LATERAL.
 * Shapes with no sound placement raise 0A000 here, at plan time (`assertNoSubLinks`).
 * Exports: replaceSubLinks, applyBelow, hoist, placeJoinSubLinks, assertNoSubLinks, hasSubLink,
 * unsupported.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import { collectColumns, type Expr, exprSome, mapExpr } from '../ir/expr.js';
import {
  type ApplyNode,
  type JoinNode,
  outputColumns,
  outputTypes,
  type PlanNode,
  planChildren,
} from '../ir/logical.js';
import { mapNodeExprs, nodeExprs } from './node-exprs.js';

type NewId = (name: string) => number;
export type Link = ApplyNode['links'][number];

export function unsupported(where: string): KeelError {
  return new KeelError(SqlState.FeatureNotSupported, `a sub-query ${where} is not supported`);
}

export function hasSubLink(e: Expr): boolean {
  return exprSome(e, (x) => x.kind === 'subLink');
}

/**
 * `e` with every sub-link replaced by a fresh column; the links go to `sink`. Sub-links in the
 * left operands of another (`(SELECT ...) IN (SELECT ...)`) are replaced first, so that link
 * reads their columns; `apply` stacks the Applies accordingly.
 */
export function replaceSubLinks(e: Expr, newId: NewId, sink: (link: Link) => void): Expr {
  return mapExpr(e, (x) => {
    if (x.kind !== 'subLink') return null;
    const left = x.left.map((l) => replaceSubLinks(l, newId, sink));
    const id = newId('subplan');
    sink({ id, link: { ...x, left } });
    return { kind: 'column', id, name: 'subplan', type: x.type, typmod: x.typmod };
  });
}

/** Applies over `input`; a link reading another link's column goes in an Apply above it. */
function apply(input: PlanNode, links: Link[]): PlanNode {
  let plan = input;
  let pending = links;
  while (pending.length > 0) {
    const waiting = new Set(pending.map((l) => l.id));
    const ready = pending.filter(
      (l) => !l.link.left.some((e) => [...collectColumns(e)].some((id) => waiting.has(id))),
    );
    assert(ready.length > 0, 'sub-links do not read each other in a cycle');
    plan = { kind: 'apply', input: plan, links: ready };
    pending = pending.filter((l) => !ready.includes(l));
  }
  return plan;
}

/** For nodes with one input whose expressions are evaluated per input row. */
export function applyBelow(node: PlanNode & { input: PlanNode }, newId: NewId): PlanNode {
  if (node.kind === 'window') {
    const { start, end } = node.frame;
    if ([start.offset, end.offset].some((o) => o !== null && hasSubLink(o)))
      throw unsupported('in a window frame offset');
  }
  const links: Link[] = [];
  const replaced = mapNodeExprs(node, (e) => replaceSubLinks(e, newId, (l) => links.push(l)));
  if (links.length === 0) return node;
  return { ...replaced, input: apply(node.input, links) } as PlanNode;
}

/**
 * For expressions computed once per execution: the sub-queries run in an Apply over one empty
 * row, and a LATERAL nested loop (one outer row) publishes their values to the node. A project
 * keeps the node's own output columns, in order, for its parent.
 */
export function hoist(node: PlanNode, newId: NewId): PlanNode {
  const links: Link[] = [];
  const replaced = mapNodeExprs(node, (e) => replaceSubLinks(e, newId, (l) => links.push(l)));
  if (links.length === 0) return node;
  const own = new Set(planChildren(node).flatMap(outputColumns));
  if (links.some((l) => [...collectColumns(l.link)].some((id) => own.has(id))))
    throw unsupported(`reading the rows of its own ${node.kind} node`);
  const join: JoinNode = {
    kind: 'join',
    joinType: 'inner',
    left: apply({ kind: 'result' }, links),
    right: replaced,
    condition: [],
    method: 'nested',
    keys: [],
    lateral: true,
  };
  const types = outputTypes(replaced);
  return {
    kind: 'project',
    input: join,
    outputs: outputColumns(replaced).map((id, i) => ({
      id,
      expr: { kind: 'column', id, name: '?', type: types[i] ?? 0, typmod: -1 },
    })),
  };
}

/**
 * Sub-links in the ON clause of a LEFT, RIGHT or FULL join. Each goes to an Apply on the side
 * whose columns it reads (either side when it reads neither); one reading both sides is
 * evaluated on the inner side of a LATERAL loop, which only a LEFT join allows.
 */
export function placeJoinSubLinks(node: JoinNode, newId: NewId): JoinNode {
  const leftIds = new Set(outputColumns(node.left));
  const rightIds = new Set(outputColumns(node.right));
  const onLeft: Link[] = [];
  const onRight: Link[] = [];
  let lateral = node.lateral;
  const place = (l: Link) => {
    // The outer columns the sub-query reads and those of its left operands (x IN (SELECT ...)).
    const used = [...collectColumns(l.link)];
    const reads = (ids: Set<number>) => used.some((id) => ids.has(id));
    const left = reads(leftIds);
    const right = reads(rightIds);
    // A link's own column counts as its side's, for a link whose left operand reads it.
    if (!right) {
      onLeft.push(l);
      leftIds.add(l.id);
    } else if (!left) {
      onRight.push(l);
      rightIds.add(l.id);
    } else if (node.joinType === 'left') {
      onRight.push(l);
      rightIds.add(l.id);
      lateral = true;
    } else throw unsupported(`reading both sides of a ${node.joinType.toUpperCase()} JOIN condition`);
  };
  const condition = node.condition.map((c) => replaceSubLinks(c, newId, place));
  if (onLeft.length === 0 && onRight.length === 0) return node;
  return { ...node, left: apply(node.left, onLeft), right: apply(node.right, onRight), condition, lateral };
}

/** Throws 0A000 when any expression of the tree (sub-queries included) still holds a sub-link. */
export function assertNoSubLinks(plan: PlanNode): void {
  for (const e of nodeExprs(plan)) {
    if (hasSubLink(e)) throw unsupported(`in this position (${plan.kind})`);
  }
  if (plan.kind === 'apply') for (const l of plan.links) assertNoSubLinks(l.link.plan);
  if (plan.kind === 'cteScan') return;
  for (const child of planChildren(plan)) assertNoSubLinks(child);
}
