/**
 * Quarantine files: what a former primary had written past the point where its WAL left the new
 * primary's timeline, kept instead of dropped (issue 9, point 6). One JSON file per rewind under
 * `<data-dir>/quarantine/`, named by time and divergence LSN, holding the transactions (xids,
 * commit LSN and time, term) and the rows they inserted and deleted, decoded with the old
 * catalog (an UPDATE shows as the old row deleted and the new row inserted). `keel quarantine
 * show --data-dir DIR` prints them (formatQuarantine); nothing ever replays them automatically:
 * an operator decides what, if anything, to re-apply.
 * Exports: QuarantineFile, QuarantinedRow, writeQuarantine, readQuarantine, formatQuarantine.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';
import type { DivergedTransaction } from './rewind.js';

export interface QuarantinedRow {
  database: string;
  table: string;
  change: 'insert' | 'delete';
  xid: number;
  row: Record<string, string | null>;
}

export interface QuarantineFile {
  format: 1;
  createdAt: string;
  divergeLsn: number;
  localEndLsn: number;
  newPrimary: string;
  transactions: DivergedTransaction[];
  rows: QuarantinedRow[];
}

const DIR = 'quarantine';

export function writeQuarantine(dataDir: string, content: QuarantineFile): string {
  const dir = path.join(dataDir, DIR);
  mkdirSync(dir, { recursive: true });
  const suffix = `-diverged-at-${content.divergeLsn}-to-${content.localEndLsn}.json`;
  const existing = readdirSync(dir).find((name) => name.endsWith(suffix));
  if (existing !== undefined) return path.join(dir, existing);
  const file = path.join(dir, `${content.createdAt.replace(/[:.]/g, '-')}${suffix}`);
  const bytes = Buffer.from(`${JSON.stringify(content, null, 2)}\n`);
  const fd = openSync(file, 'w', 0o600);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return file;
}

/** Every quarantine file of a data directory, oldest first. */
export function readQuarantine(dataDir: string): { file: string; content: QuarantineFile }[] {
  const dir = path.join(dataDir, DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Reflect.get(parsed, 'format') !== 1) {
        throw new KeelError(SqlState.DataCorrupted, `${file} is not a Keel quarantine file`);
      }
      return { file, content: parsed as QuarantineFile };
    });
}

/** The text `keel quarantine show` prints. */
export function formatQuarantine(files: { file: string; content: QuarantineFile }[]): string {
  if (files.length === 0) return 'no quarantined transactions\n';
  const lines: string[] = [];
  for (const { file, content } of files) {
    lines.push(`${file}`);
    lines.push(
      `  diverged at LSN ${content.divergeLsn} (local WAL ended at ${content.localEndLsn}); rejoined ${content.newPrimary} at ${content.createdAt}`,
    );
    lines.push(`  ${content.transactions.length} transaction(s), ${content.rows.length} row change(s)`);
    for (const txn of content.transactions) {
      const commit =
        txn.status === 'committed' ? `committed at LSN ${txn.commitLsn} (${txn.commitTime})` : 'unfinished';
      lines.push(`  xid ${txn.xid} term ${txn.term}: ${commit}, ${txn.records} record(s)`);
      for (const row of content.rows.filter((r) => txn.xids.includes(r.xid))) {
        lines.push(`    ${row.change} ${row.database}.${row.table} ${JSON.stringify(row.row)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
