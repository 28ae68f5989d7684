/**
 * COMMENT ON TABLE | COLUMN | INDEX | VIEW | SEQUENCE | SCHEMA ... IS 'text' | NULL. Comments
 * are catalog objects keyed like pg_description (object oid, class oid, sub id = attnum).
 * Exports: commentOn.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { CommentStmt } from '@pgsql/types';
import { type Comment, type Oid, WellKnownOid } from '../../catalog/objects.js';
import { stringOf, stringsOf, unwrap } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';
import { lookupRelation } from './names.js';

export function commentOn(stmt: CommentStmt, context: DdlContext): string {
  const target = resolveTarget(stmt, context);
  const existing = context.catalog().comment(target.objectOid, target.classOid, target.subId);
  if (stmt.comment === undefined || stmt.comment === '') {
    if (existing !== null) context.remove(existing);
    return 'COMMENT';
  }
  const comment: Comment = { kind: 'comment', ...target, text: stmt.comment };
  context.put(comment);
  return 'COMMENT';
}

function resolveTarget(
  stmt: CommentStmt,
  context: DdlContext,
): { objectOid: Oid; classOid: Oid; subId: number } {
  switch (stmt.objtype) {
    case 'OBJECT_SCHEMA': {
      const name = stringOf(stmt.object) ?? '';
      const namespace = context.catalog().namespaceByName(name);
      if (namespace === null)
        throw new KeelError(SqlState.InvalidSchemaName, `schema "${name}" does not exist`);
      return { objectOid: namespace.oid, classOid: WellKnownOid.pgNamespace, subId: 0 };
    }
    case 'OBJECT_COLUMN': {
      const names = stringsOf(unwrap(stmt.object, 'List')?.items);
      const columnName = names.at(-1) ?? '';
      const relation = lookupRelation(
        context,
        names.length > 2 ? names.at(-3) : undefined,
        names.at(-2) ?? '',
      );
      if (relation === null || relation.kind !== 'table') {
        throw new KeelError(SqlState.UndefinedTable, `relation "${names.at(-2) ?? ''}" does not exist`);
      }
      const column = relation.columns.find((c) => !c.dropped && c.name === columnName);
      if (column === undefined) {
        throw new KeelError(
          SqlState.UndefinedColumn,
          `column "${columnName}" of relation "${relation.name}" does not exist`,
        );
      }
      return { objectOid: relation.oid, classOid: WellKnownOid.pgClass, subId: column.attnum };
    }
    case 'OBJECT_TABLE':
    case 'OBJECT_INDEX':
    case 'OBJECT_VIEW':
    case 'OBJECT_SEQUENCE': {
      const names = stringsOf(unwrap(stmt.object, 'List')?.items);
      const relation = lookupRelation(
        context,
        names.length > 1 ? names.at(-2) : undefined,
        names.at(-1) ?? '',
      );
      if (relation === null)
        throw new KeelError(SqlState.UndefinedTable, `relation "${names.at(-1) ?? ''}" does not exist`);
      return { objectOid: relation.oid, classOid: WellKnownOid.pgClass, subId: 0 };
    }
    default:
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `COMMENT ON ${(stmt.objtype ?? '').replace('OBJECT_', '')} is not supported`,
      );
  }
}
