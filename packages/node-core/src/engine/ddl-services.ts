/**
 * The services DDL statements use, bound to one session and transaction: the DdlContext that
 * ddl/*.ts handlers receive. Storage effects are transactional (see CatalogHeaps); data checks
 * and rewrites (SET NOT NULL, ADD CONSTRAINT validation, ALTER COLUMN TYPE) run as internal
 * statements of the same transaction, through the normal query path.
 * Exports: makeDdlContext.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { TypeName } from '@pgsql/types';
import type { Row } from '../access/table-access.js';
import { indexKeyColumns, tableCodec } from '../access/table-codec.js';
import type { DatabaseInfo, IndexRelation, TableRelation } from '../catalog/objects.js';
import { stringsOf } from '../sql/parse/ast.js';
import { deparseNode } from '../sql/parse/deparse.js';
import { resolveTypeName } from '../sql/plan/bind/type-names.js';
import { encodeKey } from '../sql/types/key-encoding.js';
import { formatText } from '../sql/types/text-io.js';
import type { Value as TypedValue } from '../sql/types/value.js';
import type { RelFileId } from '../storage/index.js';
import type { Transaction } from '../txn/transaction.js';
import { InvalidXid, type Xid } from '../txn/xid.js';
import { quoteIdentifier } from './catalog-reader.js';
import type { DatabaseServices } from './ddl/databases.js';
import type { DdlContext, DdlStorage, ResolvedType } from './ddl/ddl-context.js';
import type { Engine } from './engine.js';
import { typeSettingsOf } from './result-encoding.js';
import type { Session } from './session.js';
import { WorkYield } from './utility/work-yield.js';

const serialTypes: Record<string, number> = {
  serial: 23,
  serial4: 23,
  bigserial: 20,
  serial8: 20,
  smallserial: 21,
  serial2: 21,
};

export function resolveDdlType(typeName: TypeName): ResolvedType {
  const names = stringsOf(typeName.names);
  const last = names.at(-1) ?? '';
  const serial = serialTypes[last];
  if (serial !== undefined && names.length === 1 && (typeName.arrayBounds ?? []).length === 0) {
    return { typeOid: serial, typmod: -1, serial: true };
  }
  const resolved = resolveTypeName(
    typeName,
    typeName.location === undefined ? undefined : typeName.location + 1,
  );
  return { typeOid: resolved.type, typmod: resolved.typmod, serial: false };
}

export function makeDdlContext(
  engine: Engine,
  session: Session,
  txn: Transaction,
  notice: (message: string, sqlstate: string) => void,
): DdlContext {
  const databaseOid = session.options.databaseOid;
  const view = () => engine.catalog.view(databaseOid, txn);
  const database = (): DatabaseInfo => view().database;
  const storage = ddlStorage(engine, session, txn);
  return {
    txn,
    get database() {
      return database();
    },
    currentUserOid: session.options.userOid,
    manager: engine.catalog,
    storage,
    resolveType: resolveDdlType,
    checkExpression: (expression, table, purpose, targetType) =>
      engine.queries.checkExpression(expression, table, purpose, targetType, session.planningContext(txn)),
    catalog: view,
    searchPath: () => engine.catalogReader(session, txn).searchPathNames(),
    put: (object) => engine.catalog.put(txn, databaseOid, object),
    remove: (object) => engine.catalog.remove(txn, databaseOid, object),
    putShared: (object) => engine.catalog.put(txn, 'shared', object),
    removeShared: (object) => engine.catalog.remove(txn, 'shared', object),
    lockRelation: (oid, mode) =>
      engine.lockRelation(session, txn, oid, mode as Parameters<Engine['lockRelation']>[3]),
    truncateTable: (table) => {
      const fresh = { ...table, relFile: engine.catalogHeaps.createRelFile(txn, 'heap') };
      engine.catalogHeaps.dropRelFileAtCommit(txn, table.relFile as RelFileId);
      engine.catalog.put(txn, databaseOid, fresh);
      for (const index of view().indexesOf(table.oid)) {
        engine.catalogHeaps.dropRelFileAtCommit(txn, index.relFile as RelFileId);
        engine.catalog.put(txn, databaseOid, {
          ...index,
          relFile: engine.catalogHeaps.createRelFile(txn, 'btree'),
        });
      }
    },
    notice,
    deparse: deparseNode,
  };
}

function qualifiedName(engine: Engine, session: Session, txn: Transaction, table: TableRelation): string {
  const namespace = engine.catalog.view(session.options.databaseOid, txn).namespace(table.namespaceOid);
  return `${quoteIdentifier(namespace?.name ?? 'public')}.${quoteIdentifier(table.name)}`;
}

function ddlStorage(engine: Engine, session: Session, txn: Transaction): DdlStorage & DatabaseServices {
  return {
    createRelFile: (t, kind) => engine.catalogHeaps.createRelFile(t, kind),
    dropRelFileAtCommit: (t, relFile) => engine.catalogHeaps.dropRelFileAtCommit(t, relFile as RelFileId),
    buildIndex: async (t, index, table) => buildIndex(engine, session, t, index, table),
    createSequence: (_t, oid, start) => engine.sequences.create(oid, start),
    dropSequenceAtCommit: (t, oid) => t.onCommit.push(() => engine.sequences.drop(oid)),
    anyRowMatches: async (t, table, predicate) => {
      const rows = await session.runInternal(
        `SELECT 1 FROM ${qualifiedName(engine, session, t, table)} WHERE ${predicate} LIMIT 1`,
        t,
      );
      return rows.length > 0;
    },
    foreignKeyViolated: async (t, table, constraintName) => {
      const constraint = table.constraints.find((c) => c.name === constraintName);
      if (constraint?.kind !== 'foreign') return false;
      const referenced = engine.catalog.view(session.options.databaseOid, t).table(constraint.refTableOid);
      if (referenced === null) return true;
      const local = (attnum: number) => `fk.${quoteIdentifier(table.columns[attnum - 1]?.name ?? '')}`;
      const remote = (attnum: number) => `pk.${quoteIdentifier(referenced.columns[attnum - 1]?.name ?? '')}`;
      const notNull = constraint.columns.map((a) => `${local(a)} IS NOT NULL`).join(' AND ');
      const matches = constraint.columns
        .map((a, i) => `${remote(constraint.refColumns[i] ?? 0)} = ${local(a)}`)
        .join(' AND ');
      const sql = `SELECT 1 FROM ${qualifiedName(engine, session, t, table)} AS fk WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${qualifiedName(engine, session, t, referenced)} AS pk WHERE ${matches}) LIMIT 1`;
      return (await session.runInternal(sql, t)).length > 0;
    },
    rewriteRows: async (t, before, after, columnExprs) => {
      const access = engine.tableAccess(session, t, session.statementSnapshot(t));
      const rows: { tid: Parameters<typeof access.update>[1]; row: Row }[] = [];
      for await (const batch of access.scan(before)) {
        batch.rows.forEach((row, i) => {
          const tid = batch.tids[i];
          if (tid !== undefined) rows.push({ tid, row });
        });
      }
      const context = session.planningContext(t);
      for (const { tid, row } of rows) {
        const next = [...row];
        for (const [attnum, expression] of columnExprs) {
          const value = engine.queries.evaluate(expression, before, row, context);
          next[attnum - 1] = value;
        }
        while (next.length < after.columns.length) next.push(null);
        await access.update(after, tid, next, { keyChanged: true });
      }
    },
    initializeDatabase: (database) => {
      engine.catalogHeaps.setDatabase(database.oid, database.catalogRelFile as RelFileId);
      engine.catalog.put(txn, database.oid, {
        kind: 'namespace',
        oid: 2200,
        name: 'public',
        ownerOid: database.ownerOid,
      });
      txn.onAbort.push(() => engine.catalogHeaps.forgetDatabase(database.oid));
    },
    sessionsConnectedTo: (databaseOid) => engine.sessionsOn(databaseOid, session).length,
    terminateSessionsOf: async (databaseOid, timeoutMs) => {
      for (const other of engine.sessionsOn(databaseOid, session)) {
        const error = new KeelError(
          SqlState.AdminShutdown,
          'terminating connection due to administrator command',
          { severity: 'FATAL' },
        );
        if (other.isRunningStatement) other.raiseInterrupt(error);
        else other.terminate(error);
      }
      const deadline = Date.now() + timeoutMs;
      while (engine.sessionsOn(databaseOid, session).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    dropDatabaseStorageAtCommit: (database) => {
      const view = engine.catalog.view(database.oid, null);
      for (const relation of view.relations()) {
        if (relation.kind === 'table' || relation.kind === 'index') {
          engine.catalogHeaps.dropRelFileAtCommit(txn, relation.relFile as RelFileId);
        }
      }
      engine.catalogHeaps.dropRelFileAtCommit(txn, database.catalogRelFile as RelFileId);
      txn.onCommit.push(() => {
        engine.catalog.dropScope(database.oid);
        engine.catalogHeaps.forgetDatabase(database.oid);
      });
    },
  };
}

/**
 * Fills a new B-tree from the table: an entry for every version a snapshot might still see,
 * uniqueness checked among live versions (the build holds ShareLock, so no other writer runs).
 */
async function buildIndex(
  engine: Engine,
  session: Session,
  txn: Transaction,
  index: IndexRelation,
  table: TableRelation,
): Promise<void> {
  const heap = engine.storage.heap(table.relFile as RelFileId);
  const btree = engine.storage.btree(index.relFile as RelFileId);
  const settings = typeSettingsOf(session.settings);
  const codec = tableCodec(table, settings);
  const columns = indexKeyColumns(index, table);
  const seen = new Map<string, Row>();
  const xid = engine.txns.xidForWrite(txn);
  txn.commandWrote = true;
  const pages = heap.pageCount();
  // Yield by time, not by pages: a page of wide keys or expression keys takes far longer than
  // one of narrow integers, and the loop must let Raft heartbeats through (utility/work-yield.ts).
  const slice = new WorkYield();
  let sinceCheck = 0;
  for (let pageNo = 0; pageNo < pages; pageNo++) {
    for (const tuple of heap.scanPage(pageNo, { readAhead: 16 })) {
      if (++sinceCheck >= 16) {
        sinceCheck = 0;
        if (slice.due()) {
          session.checkInterrupts();
          await slice.yield();
        }
      }
      const xmin = tuple.header.xmin as number as Xid;
      const xmax = tuple.header.xmax as number as Xid;
      const xminCommitted = txn.ownXids.has(xmin) || engine.txns.statusOf(xmin) === 'committed';
      if (!xminCommitted) continue;
      const row = codec.decode(tuple.data);
      const values = engine.indexKeyValues(index, table, row, session, txn);
      if (values === null) continue;
      const key = encodeKey(values as TypedValue[], columns);
      btree.insert(key, tuple.tid, xid as never);
      const live =
        xmax === InvalidXid || (!txn.ownXids.has(xmax) && engine.txns.statusOf(xmax) !== 'committed');
      if (!index.unique || !live || (!index.nullsNotDistinct && values.some((v) => v === null))) continue;
      const hex = Buffer.from(key).toString('hex');
      if (seen.has(hex)) {
        const names = index.keys.map((k) =>
          k.attnum === 0 ? (k.expr ?? '?') : (table.columns[k.attnum - 1]?.name ?? '?'),
        );
        const shown = values.map((v, i) =>
          v === null ? 'null' : formatText(columns[i]?.type ?? 25, v as TypedValue, settings),
        );
        throw new KeelError(SqlState.UniqueViolation, `could not create unique index "${index.name}"`, {
          detail: `Key (${names.join(', ')})=(${shown.join(', ')}) is duplicated.`,
          table: table.name,
          constraint: index.name,
        });
      }
      seen.set(hex, row);
    }
  }
}
