/**
 * Predicate pushdown: WHERE conjuncts move as close to the scans as their columns allow —
 * into a scan's quals, to one side of a join (never into the null-extended side of an outer
 * join), or into an inner join's condition; filters over projections and sorts move below them.
 * Exports: pushDownPredicates.
 */
import { collectColumns, conjuncts, type Expr, exprSome } from '../ir/expr.js';
import { outputColumns, type PlanNode } from '../ir/logical.js';
import { TypeOid } from '../registry/registry.js';

function andOf(list: Expr[]): Expr {
  return list.length === 1 && list[0] !== undefined
    ? list[0]
    : { kind: 'and', args: list, type: TypeOid.bool, typmod: -1 };
}

function within(e: Expr, ids: Set<number>): boolean {
  for (const id of collectColumns(e)) if (!ids.has(id)) return false;
  return true;
}

function volatile(e: Expr): boolean {
  return exprSome(
    e,
    (x) => (x.kind === 'call' && x.volatility === 'volatile') || x.kind === 'context' || x.kind === 'subLink',
  );
}

/** Pushes `quals` into `plan` as far as possible; returns the new plan. */
function push(plan: PlanNode, quals: Expr[]): PlanNode {
  const movable = quals.filter((q) => !volatile(q));
  const stuck = quals.filter(volatile);
  const pushed = pushInto(plan, movable);
  return stuck.length === 0 ? pushed : { kind: 'filter', input: pushed, predicate: andOf(stuck) };
}

function pushInto(plan: PlanNode, quals: Expr[]): PlanNode {
  switch (plan.kind) {
    case 'scan':
      return { ...plan, filter: [...plan.filter, ...quals] };
    case 'virtualScan':
      return { ...plan, filter: [...plan.filter, ...quals] };
    case 'filter':
      return push(pushDownPredicates(plan.input), [...conjuncts(plan.predicate), ...quals]);
    case 'join':
      return pushJoin(plan, quals);
    default: {
      const optimized = optimizeChildren(plan);
      return quals.length === 0 ? optimized : { kind: 'filter', input: optimized, predicate: andOf(quals) };
    }
  }
}

function pushJoin(plan: Extract<PlanNode, { kind: 'join' }>, quals: Expr[]): PlanNode {
  const leftIds = new Set(outputColumns(plan.left));
  const rightIds = new Set(outputColumns(plan.right));
  const toLeft: Expr[] = [];
  const toRight: Expr[] = [];
  const toJoin: Expr[] = [];
  const above: Expr[] = [];
  const type = plan.joinType;
  const leftPushable = type === 'inner' || type === 'left' || type === 'semi' || type === 'anti';
  const rightPushable = type === 'inner' || type === 'right';
  for (const q of quals) {
    if (leftPushable && within(q, leftIds)) toLeft.push(q);
    else if (rightPushable && within(q, rightIds) && !plan.lateral) toRight.push(q);
    else if (type === 'inner') toJoin.push(q);
    else above.push(q);
  }
  const condLeft: Expr[] = [];
  const condRight: Expr[] = [];
  const condition: Expr[] = [...toJoin];
  // An ON qual over one side alone filters that side's input when the side is not preserved
  // by the join (the right of LEFT/SEMI/ANTI, the left of RIGHT, either of INNER).
  for (const c of plan.condition.flatMap(conjuncts)) {
    if (
      (type === 'inner' || type === 'left' || type === 'semi' || type === 'anti') &&
      within(c, rightIds) &&
      !plan.lateral &&
      !volatile(c)
    )
      condRight.push(c);
    else if ((type === 'inner' || type === 'right') && within(c, leftIds) && !volatile(c)) toLeft.push(c);
    else condition.push(c);
  }
  const joined: PlanNode = {
    ...plan,
    left: push(pushDownPredicates(plan.left), [...toLeft, ...condLeft]),
    right: push(pushDownPredicates(plan.right), [...toRight, ...condRight]),
    condition,
  };
  return above.length === 0 ? joined : { kind: 'filter', input: joined, predicate: andOf(above) };
}

function optimizeChildren(plan: PlanNode): PlanNode {
  switch (plan.kind) {
    case 'scan':
    case 'virtualScan':
    case 'values':
    case 'result':
    case 'cteScan':
    case 'workTableScan':
    case 'functionScan':
      return plan;
    case 'join':
      return pushJoin(plan, []);
    case 'setop':
      return { ...plan, left: pushDownPredicates(plan.left), right: pushDownPredicates(plan.right) };
    case 'recursiveUnion':
      return {
        ...plan,
        anchor: pushDownPredicates(plan.anchor),
        recursive: pushDownPredicates(plan.recursive),
      };
    case 'apply':
      return {
        ...plan,
        input: pushDownPredicates(plan.input),
        links: plan.links.map((l) => ({
          id: l.id,
          link: { ...l.link, plan: pushDownPredicates(l.link.plan) },
        })),
      };
    default:
      return { ...plan, input: pushDownPredicates(plan.input) } as PlanNode;
  }
}

export function pushDownPredicates(plan: PlanNode): PlanNode {
  if (plan.kind === 'filter') return push(pushDownPredicates(plan.input), conjuncts(plan.predicate));
  return optimizeChildren(plan);
}
