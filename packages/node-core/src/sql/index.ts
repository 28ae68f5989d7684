/**
 * The query processor's API to the engine: prepareQuery turns one parsed SELECT / INSERT /
 * UPDATE / DELETE / EXPLAIN into a PreparedQuery (bind -> plan -> optimize), whose execute()
 * streams result rows lazily in batches (so a portal with a row limit stops early) and reports
 * PostgreSQL's command tag. See README.md for the numbered walk of a query.
 * Exports: prepareQuery, PreparedQuery, QueryExecution, ResultColumn.
 */
import type { Row } from '../access/table-access.js';
import type { Oid } from '../catalog/objects.js';
import type { ExecutionContext, LockRequest, PlanningContext } from './context.js';
import { buildOperator } from './exec/build-operator.js';
import { drain } from './exec/operators/drain.js';
import { ModifyOp } from './exec/operators/modify.js';
import { createRuntime, type Operator, type Runtime } from './exec/runtime.js';
import type { ParsedStatement } from './parse/parser.js';
import { explainJson, explainText } from './plan/explain/explain-text.js';
import type { Actuals, CteDef, PlanNode } from './plan/ir/logical.js';
import { planStatement, type StatementKind } from './plan/prepare.js';
import { TypeOid } from './plan/registry/registry.js';

export interface ResultColumn {
  name: string;
  typeOid: Oid;
  typmod: number;
  tableOid: Oid;
  attnum: number;
}

export interface QueryExecution {
  /** Up to maxRows rows (0 = all remaining). */
  fetch(maxRows: number): Promise<Row[]>;
  readonly done: boolean;
  /** "SELECT 3", "INSERT 0 2", "UPDATE 1", "DELETE 0". */
  commandTag(): string;
  /** Releases the execution's resources when a portal is closed before the end. */
  close(): Promise<void>;
}

export interface PreparedQuery {
  kind: StatementKind;
  paramTypeOids: Oid[];
  columns: ResultColumn[] | null;
  locks: LockRequest[];
  readOnly: boolean;
  dependencies: Oid[];
  execute(ctx: ExecutionContext): QueryExecution;
}

export function prepareQuery(
  statement: ParsedStatement,
  ctx: PlanningContext,
  paramTypeOids: Oid[],
): PreparedQuery {
  const started = performance.now();
  const planned = planStatement(statement.node, statement.text, ctx, paramTypeOids);
  const planningMs = performance.now() - started;
  const columns: ResultColumn[] | null =
    planned.explain !== null
      ? [
          {
            name: 'QUERY PLAN',
            typeOid: planned.explain.format === 'json' ? TypeOid.json : TypeOid.text,
            typmod: -1,
            tableOid: 0,
            attnum: 0,
          },
        ]
      : (planned.columns?.map((c) => ({
          name: c.name,
          typeOid: c.type,
          typmod: c.typmod,
          tableOid: c.tableOid,
          attnum: c.attnum,
        })) ?? null);
  const inner = planned.explain?.inner ?? planned.kind;
  return {
    kind: planned.kind,
    paramTypeOids: planned.paramTypes,
    columns,
    locks: planned.locks,
    readOnly: inner === 'select' && !hasLockRows(planned.plan) && planned.modifyingCtes.length === 0,
    dependencies: planned.dependencies,
    execute: (ectx) =>
      planned.explain === null
        ? run(planned.kind, planned.plan, planned.modifyingCtes, ectx, false)
        : explain(
            planned.plan,
            planned.explain,
            { columnNames: planned.columnNames, planningMs, modifyingCtes: planned.modifyingCtes },
            ectx,
          ),
  };
}

async function closeShared(rt: ReturnType<typeof createRuntime>): Promise<void> {
  for (const op of rt.closeAtEnd.splice(0)) await op.close();
}

function hasLockRows(plan: PlanNode): boolean {
  if (plan.kind === 'lockRows') return true;
  return 'input' in plan ? hasLockRows(plan.input) : false;
}

function findModify(op: Operator): ModifyOp | null {
  return op instanceof ModifyOp ? op : null;
}

/** Runs each data-modifying CTE to completion; the query then reads their RETURNING rows. */
async function runModifyingCtes(ctes: CteDef[], rt: Runtime): Promise<void> {
  for (const cte of ctes) {
    const op = buildOperator(cte.plan, rt);
    try {
      rt.cteResults.set(cte.id, { rows: await drain(op), producer: null });
    } finally {
      await op.close();
    }
  }
}

function run(
  kind: StatementKind,
  plan: PlanNode,
  modifyingCtes: CteDef[],
  ctx: ExecutionContext,
  analyze: boolean,
): QueryExecution & { modify: () => ModifyOp | null; actuals: () => Map<PlanNode, Actuals> } {
  const rt = createRuntime(ctx, analyze);
  let root: Operator | null = null;
  let modify: ModifyOp | null = null;
  const buffer: Row[] = [];
  let count = 0;
  let finished = false;
  const open = (): Operator => {
    if (root !== null) return root;
    root = buildOperator(plan, rt);
    modify = findModify(root) ?? findModifyBelow(plan, root);
    return root;
  };
  let ctesDone = modifyingCtes.length === 0;
  const fill = async (want: number) => {
    if (!ctesDone) {
      ctesDone = true;
      await runModifyingCtes(modifyingCtes, rt);
    }
    const op = open();
    while (!finished && (want === 0 || buffer.length < want)) {
      const batch = await op.next();
      if (batch === null) {
        finished = true;
        await op.close();
        await closeShared(rt);
        break;
      }
      for (const r of batch) buffer.push(r);
    }
  };
  return {
    get done() {
      return finished && buffer.length === 0;
    },
    async fetch(maxRows: number) {
      await fill(maxRows);
      const out = maxRows === 0 ? buffer.splice(0) : buffer.splice(0, maxRows);
      count += out.length;
      return out;
    },
    commandTag() {
      const affected = modify === null ? count : (modify as ModifyOp).affected;
      if (kind === 'insert') return `INSERT 0 ${affected}`;
      if (kind === 'update') return `UPDATE ${affected}`;
      if (kind === 'delete') return `DELETE ${affected}`;
      return `SELECT ${count}`;
    },
    async close() {
      if (root !== null && !finished) {
        finished = true;
        await root.close();
        await closeShared(rt);
      }
    },
    modify: () => modify,
    actuals: () => rt.actuals,
  };
}

/** The ModifyOp under a RETURNING projection. */
function findModifyBelow(plan: PlanNode, root: Operator): ModifyOp | null {
  if (plan.kind !== 'project' || plan.input.kind !== 'modify') return null;
  const input = (root as unknown as { input?: Operator }).input;
  return input instanceof ModifyOp ? input : null;
}

function explain(
  plan: PlanNode,
  options: { analyze: boolean; format: 'text' | 'json'; inner: StatementKind },
  planned: { columnNames: Map<number, string>; planningMs: number; modifyingCtes: CteDef[] },
  ctx: ExecutionContext,
): QueryExecution {
  let lines: string[] | null = null;
  let done = false;
  return {
    get done() {
      return done;
    },
    async fetch() {
      if (lines === null) {
        let actuals: Map<PlanNode, Actuals> | null = null;
        let executionMs = 0;
        if (options.analyze) {
          const started = performance.now();
          const execution = run(options.inner, plan, planned.modifyingCtes, ctx, true);
          await execution.fetch(0);
          executionMs = performance.now() - started;
          actuals = execution.actuals();
        }
        const explainOptions = {
          analyze: options.analyze,
          actuals,
          columnNames: planned.columnNames,
          planningMs: planned.planningMs,
          executionMs,
        };
        lines =
          options.format === 'json' ? [explainJson(plan, explainOptions)] : explainText(plan, explainOptions);
      }
      done = true;
      return lines.map((l) => [l]);
    },
    commandTag: () => 'EXPLAIN',
    close: async () => {},
  };
}
