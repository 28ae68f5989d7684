/**
 * Builds the operator tree of a physical plan: one operator per plan node. Under EXPLAIN
 * ANALYZE every operator is wrapped to count rows, loops and time into the node's `actual`.
 * Exports: buildOperator.
 */
import { assert } from '@keel/errors';
import type { PlanNode } from '../plan/ir/logical.js';
import { AggregateOp } from './operators/aggregate.js';
import { ApplyOp } from './operators/apply.js';
import { CteScanOp, RecursiveUnionOp, WorkTableScanOp } from './operators/cte.js';
import { DistinctOp } from './operators/distinct.js';
import { FunctionScanOp, ProjectSetOp } from './operators/functions.js';
import { HashJoinOp } from './operators/hash-join.js';
import { LimitOp } from './operators/limit.js';
import { LockRowsOp } from './operators/lock-rows.js';
import { MergeJoinOp } from './operators/merge-join.js';
import { ModifyOp } from './operators/modify.js';
import { NestedLoopOp } from './operators/nested-loop.js';
import { ScanOp } from './operators/scan.js';
import { SetOpOp } from './operators/set-op.js';
import { FilterOp, ProjectOp, ResultOp, ValuesOp, VirtualScanOp } from './operators/simple.js';
import { SortOp } from './operators/sort.js';
import { WindowOp } from './operators/window.js';
import type { Batch, Operator, Runtime } from './runtime.js';

export function buildOperator(node: PlanNode, rt: Runtime): Operator {
  const op = build(node, rt);
  return rt.analyze ? instrument(node, op, rt) : op;
}

function build(node: PlanNode, rt: Runtime): Operator {
  const child = (n: PlanNode) => buildOperator(n, rt);
  const open = (n: PlanNode) => buildOperator(n, rt);
  switch (node.kind) {
    case 'scan':
      return new ScanOp(node, rt);
    case 'virtualScan':
      return new VirtualScanOp(node, rt);
    case 'values':
      return new ValuesOp(node, rt);
    case 'result':
      return new ResultOp();
    case 'filter':
      return new FilterOp(node, child(node.input), rt);
    case 'project':
      return new ProjectOp(node, child(node.input), rt);
    case 'join':
      if (node.method === 'hash' && node.keys.length > 0 && !node.lateral)
        return new HashJoinOp(node, child(node.left), child(node.right), rt);
      if (node.method === 'merge' && node.keys.length > 0 && !node.lateral)
        return new MergeJoinOp(node, child(node.left), child(node.right), rt);
      return new NestedLoopOp(node, child(node.left), () => open(node.right), rt);
    case 'aggregate':
      return new AggregateOp(node, child(node.input), rt);
    case 'window':
      return new WindowOp(node, child(node.input), rt);
    case 'sort':
      return new SortOp(node, child(node.input), rt);
    case 'limit':
      return new LimitOp(node, child(node.input), rt);
    case 'distinct':
      return new DistinctOp(node, child(node.input), rt);
    case 'setop':
      return new SetOpOp(node, child(node.left), child(node.right), rt);
    case 'cteScan':
      return new CteScanOp(node, open, rt);
    case 'workTableScan':
      return new WorkTableScanOp(node, rt);
    case 'recursiveUnion':
      return new RecursiveUnionOp(node, open, rt);
    case 'functionScan':
      return new FunctionScanOp(node, rt);
    case 'projectSet':
      return new ProjectSetOp(node, child(node.input), rt);
    case 'apply':
      return new ApplyOp(node, child(node.input), open, rt);
    case 'lockRows':
      return new LockRowsOp(node, child(node.input), rt);
    case 'modify':
      return new ModifyOp(node, child(node.input), rt);
  }
}

/** EXPLAIN ANALYZE: rows, loops and elapsed time per node (PostgreSQL's "actual time=a..b rows=n loops=m"). */
function instrument(node: PlanNode, op: Operator, rt: Runtime): Operator {
  let actual = rt.actuals.get(node);
  if (actual === undefined) {
    actual = { rows: 0, loops: 0, startMs: 0, totalMs: 0 };
    rt.actuals.set(node, actual);
  }
  const counters = actual;
  counters.loops++;
  let first = true;
  const wrapped: Operator = {
    async next(): Promise<Batch | null> {
      const t0 = performance.now();
      const batch = await op.next();
      const elapsed = performance.now() - t0;
      if (first) {
        counters.startMs += elapsed;
        first = false;
      }
      counters.totalMs += elapsed;
      if (batch !== null) counters.rows += batch.length;
      return batch;
    },
    close: () => op.close(),
  };
  const rescan = op.rescan;
  if (rescan !== undefined) {
    wrapped.rescan = async () => {
      counters.loops++;
      first = true;
      await rescan.call(op);
    };
  }
  return wrapped;
}

export { assert };
