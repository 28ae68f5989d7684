/**
 * Reading an operator to the end (for blocking operators: sort, hash build, aggregation) and
 * splitting a materialized result back into batches.
 * Exports: drain, toBatches, BatchQueue.
 */
import type { Row } from '../../../access/table-access.js';
import { type Batch, batchSize, type Operator } from '../runtime.js';

export async function drain(op: Operator, onBatch?: (rows: Row[]) => void): Promise<Row[]> {
  const out: Row[] = [];
  for (let batch = await op.next(); batch !== null; batch = await op.next()) {
    if (onBatch !== undefined) onBatch(batch);
    for (const row of batch) out.push(row);
  }
  return out;
}

/** Hands out a materialized row list batch by batch. */
export class BatchQueue {
  private offset = 0;
  constructor(private readonly rows: Row[]) {}

  take(): Batch | null {
    if (this.offset >= this.rows.length) return null;
    const batch = this.rows.slice(this.offset, this.offset + batchSize);
    this.offset += batchSize;
    return batch;
  }
}

export function toBatches(rows: Row[]): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < rows.length; i += batchSize) out.push(rows.slice(i, i + batchSize));
  return out;
}
