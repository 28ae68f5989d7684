/**
 * CREATE [OR REPLACE] VIEW name [(columns)] AS query. The view stores its query as SQL text;
 * the binder expands it where the view is used. The query is planned once here so that errors
 * (undefined tables and columns) surface at CREATE time and the column list is known.
 * Exports: createView, ViewPlanner.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { ViewStmt } from '@pgsql/types';
import type { Oid, ViewRelation } from '../../catalog/objects.js';
import { stringsOf } from '../../sql/parse/ast.js';
import { creationNamespace, type DdlContext } from './ddl-context.js';

/** Plans a view query and returns its output columns (the SQL layer provides it). */
export type ViewPlanner = (queryText: string) => { name: string; typeOid: Oid; typmod: number }[];

export function createView(stmt: ViewStmt, context: DdlContext, planColumns: ViewPlanner): string {
  if (stmt.query === undefined) throw new KeelError(SqlState.SyntaxError, 'CREATE VIEW needs a query');
  const name = stmt.view?.relname ?? '';
  if (stmt.view?.relpersistence === 't')
    throw new KeelError(SqlState.FeatureNotSupported, 'temporary views are not supported');
  const namespace = creationNamespace(context, stmt.view?.schemaname);
  const query = context.deparse(stmt.query);
  const planned = planColumns(query);
  const aliases = stringsOf(stmt.aliases);
  if (aliases.length > planned.length) {
    throw new KeelError(SqlState.SyntaxError, 'CREATE VIEW specifies more column names than columns');
  }
  const columns = planned.map((column, i) => ({ ...column, name: aliases[i] ?? column.name }));
  const existing = context.catalog().relationByName(namespace.oid, name);
  if (existing !== null) {
    if (!stmt.replace || existing.kind !== 'view') {
      throw new KeelError(SqlState.DuplicateTable, `relation "${name}" already exists`);
    }
    const kept = existing.columns.every(
      (c, i) => columns[i]?.name === c.name && columns[i]?.typeOid === c.typeOid,
    );
    if (!kept)
      throw new KeelError(SqlState.InvalidTableDefinition, 'cannot change name or type of view column');
  }
  const view: ViewRelation = {
    kind: 'view',
    oid: existing?.oid ?? context.manager.allocateOid(),
    name,
    namespaceOid: namespace.oid,
    ownerOid: existing?.ownerOid ?? context.currentUserOid,
    query,
    columns,
    acl: existing?.kind === 'view' ? existing.acl : null,
  };
  context.put(view);
  return 'CREATE VIEW';
}
