/**
 * The uniform shape of a running statement, whatever produced it (the SQL layer for queries,
 * a utility handler for SHOW, DDL or COPY): result columns, rows fetched lazily so a portal can
 * stop at a row limit, and the command tag once done.
 * Exports: StatementExecution, ResultColumn, finishedExecution.
 */
import type { Row } from '../access/table-access.js';
import type { Oid } from '../catalog/objects.js';

export interface ResultColumn {
  name: string;
  typeOid: Oid;
  typmod: number;
  tableOid: Oid;
  attnum: number;
}

export interface StatementExecution {
  /** Rows to at most maxRows (0 = all); fewer than asked means done. */
  fetch(maxRows: number): Promise<Row[]>;
  readonly done: boolean;
  commandTag(): string;
}

/** A statement that already ran (utility statements): its rows, if any, are handed out in order. */
export function finishedExecution(tag: string, rows: Row[] = []): StatementExecution {
  let position = 0;
  return {
    async fetch(maxRows: number): Promise<Row[]> {
      const end = maxRows === 0 ? rows.length : Math.min(rows.length, position + maxRows);
      const out = rows.slice(position, end);
      position = end;
      return out;
    },
    get done() {
      return position >= rows.length;
    },
    commandTag: () => tag,
  };
}
