/**
 * SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE [NOWAIT | SKIP LOCKED]: locks each
 * row through the access layer; rows deleted (or skipped) meanwhile are dropped, and under READ
 * COMMITTED a row updated meanwhile is returned in its newest version.
 * Exports: LockRowsOp.
 */
import type { Row, Tid } from '../../../access/table-access.js';
import type { LockRowsNode } from '../../plan/ir/logical.js';
import { outputColumns } from '../../plan/ir/logical.js';
import type { Batch, Operator, Runtime } from '../runtime.js';

export class LockRowsOp implements Operator {
  private readonly tidSlots: number[];
  constructor(
    private readonly node: LockRowsNode,
    private readonly input: Operator,
    private readonly rt: Runtime,
  ) {
    const ids = outputColumns(node.input);
    this.tidSlots = node.targets.map((t) => ids.indexOf(t.tid));
  }

  async next(): Promise<Batch | null> {
    for (let batch = await this.input.next(); batch !== null; batch = await this.input.next()) {
      const out: Row[] = [];
      for (const row of batch) if (await this.lock(row)) out.push(row);
      if (out.length > 0) return out;
    }
    return null;
  }

  private async lock(row: Row): Promise<boolean> {
    for (let i = 0; i < this.node.targets.length; i++) {
      const target = this.node.targets[i];
      const tid = row[this.tidSlots[i] ?? -1];
      if (target === undefined || tid === null || tid === undefined) continue;
      const outcome = await this.rt.ctx.access.lockRow(
        target.table,
        tid as Tid,
        this.node.mode,
        this.node.wait,
      );
      if (outcome.status === 'deleted' || outcome.status === 'skipped') return false;
    }
    return true;
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
