/**
 * VACUUM and ANALYZE. VACUUM removes row versions no snapshot can see any more: a version whose
 * inserter aborted, or whose deleter committed before the vacuum horizon. The horizon is the
 * oldest xid any running transaction may still treat as running (the xmin of the oldest
 * snapshot still in use, or the oldest running xid): a deleter below it is committed in every
 * snapshot that exists or can still be taken, so the version is dead to all of them.
 *
 * Index entries of the dead versions go first, then their heap slots are freed and the page
 * compacted (HeapFile.prune), so an index never points at a reused slot; the free space map then
 * offers the space to inserts and updates, which is what keeps a table that is updated over and
 * over at a stable size. ANALYZE samples rows into the statistics the optimizer reads. Both
 * report to TableActivity (pg_stat_user_tables), which autovacuum reads to decide what to do.
 * Exports: vacuumRelation, vacuumTable, analyzeRelation, runVacuumStatement, VacuumResult.
 */
import type { Node } from '@pgsql/types';
import type { Oid, Relation, TableRelation } from '../../catalog/objects.js';
import { unwrap } from '../../sql/parse/ast.js';
import type { RelFileId } from '../../storage/index.js';
import { HeapInfomask, type TupleHeader } from '../../storage/index.js';
import type { Transaction } from '../../txn/transaction.js';
import { InvalidXid, type Xid } from '../../txn/xid.js';
import type { ResultSink } from '../backend-contract.js';
import { requireTable } from '../ddl/names.js';
import { makeDdlContext } from '../ddl-services.js';
import type { Engine } from '../engine.js';
import type { Session } from '../session.js';

export interface VacuumResult {
  /** Row versions removed from the heap. */
  removed: number;
  /** Index entries removed. */
  indexEntriesRemoved: number;
  /** Heap pages after the vacuum. */
  pages: number;
  /** Versions left that every new snapshot sees. */
  liveTuples: number;
  /** Deleted versions left because some snapshot may still see them. */
  deadTuples: number;
}

export interface VacuumOptions {
  databaseOid: Oid;
  checkInterrupts(): void;
  /** Run by autovacuum (pg_stat_user_tables counts it as such). */
  auto: boolean;
}

type Verdict = 'dead' | 'live' | 'recently-dead';

export async function vacuumRelation(
  engine: Engine,
  table: TableRelation,
  options: VacuumOptions,
): Promise<VacuumResult> {
  const txns = engine.txns;
  const horizon = txns.oldestRunningXid();
  const verdict = (header: TupleHeader): Verdict => {
    const xmin = header.xmin as number as Xid;
    if (txns.isRunning(xmin)) return 'live';
    if (txns.statusOf(xmin) === 'aborted') return 'dead';
    const xmax = header.xmax as number as Xid;
    if (xmax === InvalidXid || (header.infomask & HeapInfomask.XMAX_IS_LOCK_ONLY) !== 0) return 'live';
    if (txns.isRunning(xmax)) return 'live';
    if (txns.statusOf(xmax) !== 'committed') return 'live';
    return xmax < horizon ? 'dead' : 'recently-dead';
  };
  const heap = engine.storage.heap(table.relFile as RelFileId);
  const pages = heap.pageCount();
  const dead = new Set<number>();
  let liveTuples = 0;
  let deadTuples = 0;
  for (let pageNo = 0; pageNo < pages; pageNo++) {
    for (const tuple of heap.scanPage(pageNo, { readAhead: 16 })) {
      const v = verdict(tuple.header);
      if (v === 'dead') dead.add(tuple.tid);
      else if (v === 'live') liveTuples++;
      else deadTuples++;
    }
    if (pageNo % 64 === 63) {
      options.checkInterrupts();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  // From here on nothing yields: index entries and heap slots of the dead set go together.
  let indexEntriesRemoved = 0;
  let removed = 0;
  if (dead.size > 0) {
    for (const index of engine.catalog.view(options.databaseOid, null).indexesOf(table.oid)) {
      indexEntriesRemoved += engine.storage
        .btree(index.relFile as RelFileId)
        .bulkDelete((tid) => dead.has(tid)).removed;
    }
    for (let pageNo = 0; pageNo < pages; pageNo++) {
      removed += heap.prune(pageNo, (tid) => dead.has(tid)).freed;
    }
  }
  engine.activity.vacuumed(table.oid, { liveTuples, deadTuples, auto: options.auto, atMs: Date.now() });
  return { removed, indexEntriesRemoved, pages: heap.pageCount(), liveTuples, deadTuples };
}

/** VACUUM of one table from a session (the caller holds ShareUpdateExclusiveLock). */
export function vacuumTable(engine: Engine, session: Session, table: TableRelation): Promise<VacuumResult> {
  return vacuumRelation(engine, table, {
    databaseOid: session.options.databaseOid,
    checkInterrupts: () => session.checkInterrupts(),
    auto: false,
  });
}

/** ANALYZE of one table inside `txn`; the statistics become visible when it commits. */
export async function analyzeRelation(
  engine: Engine,
  session: Session,
  txn: Transaction,
  table: TableRelation,
  auto: boolean,
): Promise<void> {
  await engine.analyze(session, txn, table);
  const stats = engine.catalog.view(session.options.databaseOid, txn).table(table.oid)?.stats ?? null;
  engine.activity.analyzed(table.oid, { liveTuples: stats?.rowCount ?? null, auto, atMs: Date.now() });
}

/**
 * The VACUUM / ANALYZE statement: `VACUUM [(options)] [table, ...]`, `ANALYZE [table, ...]`,
 * `VACUUM ANALYZE`. VERBOSE reports each table as INFO messages in PostgreSQL's wording.
 */
export async function runVacuumStatement(
  engine: Engine,
  node: Node,
  session: Session,
  txn: Transaction,
  sink: ResultSink,
): Promise<string> {
  const stmt = (node as { VacuumStmt: { rels?: Node[]; is_vacuumcmd?: boolean; options?: Node[] } })
    .VacuumStmt;
  const options = new Set((stmt.options ?? []).map((o) => unwrap(o, 'DefElem')?.defname ?? ''));
  const doVacuum = stmt.is_vacuumcmd === true;
  const doAnalyze = !doVacuum || options.has('analyze');
  const verbose = options.has('verbose');
  const context = makeDdlContext(engine, session, txn, () => {});
  const tables =
    (stmt.rels ?? []).length === 0
      ? context
          .catalog()
          .relations()
          .filter((r): r is Extract<Relation, { kind: 'table' }> => r.kind === 'table')
      : (stmt.rels ?? []).map((r) => requireTable(context, unwrap(r, 'VacuumRelation')?.relation));
  const qualified = (table: TableRelation) =>
    `${session.options.databaseName}.${context.catalog().namespace(table.namespaceOid)?.name ?? 'public'}.${table.name}`;
  for (const table of tables) {
    if (doVacuum) {
      await engine.lockRelation(session, txn, table.oid, 'ShareUpdateExclusiveLock');
      if (verbose)
        sink.notice({ severity: 'INFO', sqlstate: '00000', message: `vacuuming "${qualified(table)}"` });
      const result = await vacuumTable(engine, session, table);
      if (verbose) {
        sink.notice({
          severity: 'INFO',
          sqlstate: '00000',
          message:
            `finished vacuuming "${qualified(table)}": index scans: ${result.indexEntriesRemoved > 0 ? 1 : 0}\n` +
            `pages: 0 removed, ${result.pages} remain, ${result.pages} scanned (100.00% of total)\n` +
            `tuples: ${result.removed} removed, ${result.liveTuples + result.deadTuples} remain, ${result.deadTuples} are dead but not yet removable`,
        });
      }
    }
    if (doAnalyze) {
      if (verbose)
        sink.notice({ severity: 'INFO', sqlstate: '00000', message: `analyzing "${qualified(table)}"` });
      await analyzeRelation(engine, session, txn, table, false);
    }
  }
  return doVacuum ? 'VACUUM' : 'ANALYZE';
}
