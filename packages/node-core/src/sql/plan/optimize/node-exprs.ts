/**
 * Every expression a plan node holds, in one place, so that passes which must see all of them
 * (sub-link planning, its final check) cannot miss a node kind: a sub-link left in a position
 * the planner does not visit used to reach the executor and fail an invariant.
 * Exports: mapNodeExprs, nodeExprs.
 */
import type { Expr } from '../ir/expr.js';
import type { PlanNode, SortKey } from '../ir/logical.js';

type F = (e: Expr) => Expr;

const keys = (ks: SortKey[], f: F): SortKey[] => ks.map((k) => ({ ...k, expr: f(k.expr) }));
const opt = (e: Expr | null, f: F): Expr | null => (e === null ? null : f(e));

/** `node` with `f` applied to each of its own expressions (not its children's). */
export function mapNodeExprs(node: PlanNode, f: F): PlanNode {
  switch (node.kind) {
    case 'scan':
    case 'virtualScan':
      return { ...node, filter: node.filter.map(f) } as PlanNode;
    case 'values':
      return { ...node, rows: node.rows.map((r) => r.map(f)) };
    case 'filter':
      return { ...node, predicate: f(node.predicate) };
    case 'project':
      return { ...node, outputs: node.outputs.map((o) => ({ ...o, expr: f(o.expr) })) };
    case 'projectSet':
      return {
        ...node,
        outputs: node.outputs.map((o) => ({
          ...o,
          expr: f(o.expr),
          srf: o.srf === null ? null : { ...o.srf, args: o.srf.args.map(f) },
        })),
      };
    case 'join':
      return {
        ...node,
        condition: node.condition.map(f),
        keys: node.keys.map((k) => ({ ...k, left: f(k.left), right: f(k.right) })),
      };
    case 'aggregate':
      return {
        ...node,
        groupBy: node.groupBy.map((g) => ({ ...g, expr: f(g.expr) })),
        aggregates: node.aggregates.map((a) => ({
          ...a,
          args: a.args.map(f),
          filter: opt(a.filter, f),
          orderBy: keys(a.orderBy, f),
        })),
      };
    case 'window': {
      const bound = (b: typeof node.frame.start) => ({ ...b, offset: opt(b.offset, f) });
      return {
        ...node,
        partitionBy: node.partitionBy.map(f),
        orderBy: keys(node.orderBy, f),
        frame: { ...node.frame, start: bound(node.frame.start), end: bound(node.frame.end) },
        calls: node.calls.map((c) => ({ ...c, args: c.args.map(f), filter: opt(c.filter, f) })),
      };
    }
    case 'sort':
      return { ...node, keys: keys(node.keys, f) };
    case 'limit':
      return {
        ...node,
        limit: opt(node.limit, f),
        offset: opt(node.offset, f),
        withTies: node.withTies === null ? null : keys(node.withTies, f),
      };
    case 'distinct':
      return { ...node, on: node.on === null ? null : node.on.map(f) };
    case 'setop':
      return { ...node, leftExprs: node.leftExprs.map(f), rightExprs: node.rightExprs.map(f) };
    case 'recursiveUnion':
      return { ...node, anchorExprs: node.anchorExprs.map(f), recursiveExprs: node.recursiveExprs.map(f) };
    case 'functionScan':
      return { ...node, args: node.args.map(f) };
    case 'apply':
      return {
        ...node,
        links: node.links.map((l) => ({ ...l, link: { ...l.link, left: l.link.left.map(f) } })),
      };
    case 'modify':
      return {
        ...node,
        checks: node.checks.map((c) => ({ ...c, expr: f(c.expr) })),
        spec: mapSpec(node.spec, f),
      };
    case 'result':
    case 'cteScan':
    case 'workTableScan':
    case 'lockRows':
      return node;
  }
}

function mapSpec(spec: Extract<PlanNode, { kind: 'modify' }>['spec'], f: F): typeof spec {
  switch (spec.kind) {
    case 'insert': {
      const oc = spec.onConflict;
      if (oc === null) return spec;
      const set = new Map([...oc.set].map(([k, e]) => [k, f(e)]));
      return { ...spec, onConflict: { ...oc, set, where: opt(oc.where, f) } };
    }
    case 'update': {
      const setExprs = new Map([...spec.setExprs].map(([k, e]) => [k, f(e)]));
      return { ...spec, recheck: opt(spec.recheck, f), setExprs };
    }
    case 'delete':
      return { ...spec, recheck: opt(spec.recheck, f) };
  }
}

/** The node's own expressions (not its children's), in no particular order. */
export function nodeExprs(node: PlanNode): Expr[] {
  const out: Expr[] = [];
  mapNodeExprs(node, (e) => {
    out.push(e);
    return e;
  });
  return out;
}
