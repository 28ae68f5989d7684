/**
 * CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (columns or expressions [ASC|DESC]
 * [NULLS FIRST|LAST]) [INCLUDE (...)] [WHERE predicate]: a B-tree built from the table's live
 * rows under a ShareLock (writes wait, reads go on), as PostgreSQL's non-concurrent build does.
 * Exports: createIndex.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { IndexStmt } from '@pgsql/types';
import type { IndexKey, IndexRelation } from '../../catalog/objects.js';
import { stringsOf, unwrap } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';
import { chooseName, requireTable } from './names.js';

export async function createIndex(stmt: IndexStmt, context: DdlContext): Promise<string> {
  if (stmt.accessMethod !== undefined && stmt.accessMethod !== 'btree') {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `access method "${stmt.accessMethod}" is not supported; Keel has btree indexes`,
    );
  }
  const table = requireTable(context, stmt.relation);
  await context.lockRelation(table.oid, 'ShareLock', `relation "${table.name}"`);
  const catalog = context.catalog();
  const namespace = catalog.namespace(table.namespaceOid);
  if (namespace === null) throw new KeelError(SqlState.InternalError, `table ${table.name} has no schema`);
  const keys = (stmt.indexParams ?? []).map((node): IndexKey => {
    const element = unwrap(node, 'IndexElem');
    if (element === undefined) throw new KeelError(SqlState.SyntaxError, 'bad index element');
    const descending = element.ordering === 'SORTBY_DESC';
    const nullsFirst =
      element.nulls_ordering === 'SORTBY_NULLS_DEFAULT' || element.nulls_ordering === undefined
        ? descending
        : element.nulls_ordering === 'SORTBY_NULLS_FIRST';
    if (element.name !== undefined) {
      const column = table.columns.find((c) => !c.dropped && c.name === element.name);
      if (column === undefined)
        throw new KeelError(SqlState.UndefinedColumn, `column "${element.name}" does not exist`);
      return { attnum: column.attnum, expr: null, descending, nullsFirst };
    }
    if (element.expr === undefined)
      throw new KeelError(SqlState.SyntaxError, 'index element has neither column nor expression');
    const expr = context.deparse(element.expr);
    context.checkExpression(expr, table, 'check', null);
    return { attnum: 0, expr, descending, nullsFirst };
  });
  const columnNames = keys.map((k) =>
    k.attnum === 0 ? 'expr' : (table.columns[k.attnum - 1]?.name ?? 'expr'),
  );
  const name = stmt.idxname ?? chooseName(context, namespace, [table.name, ...columnNames], 'idx');
  if (catalog.relationByName(namespace.oid, name) !== null) {
    if (stmt.if_not_exists) {
      context.notice(`relation "${name}" already exists, skipping`, SqlState.DuplicateTable);
      return 'CREATE INDEX';
    }
    throw new KeelError(SqlState.DuplicateTable, `relation "${name}" already exists`);
  }
  const includeAttnums = stringsOf(
    (stmt.indexIncludingParams ?? []).map((n) => ({ String: { sval: unwrap(n, 'IndexElem')?.name ?? '' } })),
  ).map((columnName) => {
    const column = table.columns.find((c) => !c.dropped && c.name === columnName);
    if (column === undefined)
      throw new KeelError(SqlState.UndefinedColumn, `column "${columnName}" does not exist`);
    return column.attnum;
  });
  const predicate = stmt.whereClause === undefined ? null : context.deparse(stmt.whereClause);
  if (predicate !== null) context.checkExpression(predicate, table, 'check', null);
  const index: IndexRelation = {
    kind: 'index',
    oid: context.manager.allocateOid(),
    name,
    namespaceOid: namespace.oid,
    ownerOid: table.ownerOid,
    relFile: context.storage.createRelFile(context.txn, 'btree'),
    tableOid: table.oid,
    keys,
    includeAttnums,
    unique: stmt.unique === true,
    primary: false,
    nullsNotDistinct: stmt.nulls_not_distinct === true,
    predicate,
    valid: true,
  };
  context.put(index);
  context.put({ ...table, indexOids: [...table.indexOids, index.oid] });
  await context.storage.buildIndex(context.txn, index, context.catalog().table(table.oid) ?? table);
  return 'CREATE INDEX';
}
