/**
 * ALTER ... RENAME: tables, views, indexes, sequences (RENAME TO), columns (RENAME COLUMN),
 * constraints (RENAME CONSTRAINT) and schemas, with PostgreSQL's duplicate-name errors.
 * Exports: renameObject.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { RenameStmt } from '@pgsql/types';
import { stringOf } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';
import { lookupRelation, requireRelation, requireTable } from './names.js';

export async function renameObject(stmt: RenameStmt, context: DdlContext): Promise<string> {
  const newName = stmt.newname ?? '';
  switch (stmt.renameType) {
    case 'OBJECT_SCHEMA': {
      const oldName = stringOf(stmt.object) ?? stmt.subname ?? '';
      const namespace = context.catalog().namespaceByName(oldName);
      if (namespace === null)
        throw new KeelError(SqlState.InvalidSchemaName, `schema "${oldName}" does not exist`);
      if (context.catalog().namespaceByName(newName) !== null) {
        throw new KeelError(SqlState.DuplicateSchema, `schema "${newName}" already exists`);
      }
      context.put({ ...namespace, name: newName });
      return 'ALTER SCHEMA';
    }
    case 'OBJECT_COLUMN': {
      const table = requireTable(context, stmt.relation);
      await context.lockRelation(table.oid, 'AccessExclusiveLock', `relation "${table.name}"`);
      const column = table.columns.find((c) => !c.dropped && c.name === stmt.subname);
      if (column === undefined)
        throw new KeelError(SqlState.UndefinedColumn, `column "${stmt.subname ?? ''}" does not exist`);
      if (table.columns.some((c) => !c.dropped && c.name === newName)) {
        throw new KeelError(
          SqlState.DuplicateColumn,
          `column "${newName}" of relation "${table.name}" already exists`,
        );
      }
      context.put({
        ...table,
        columns: table.columns.map((c) => (c.attnum === column.attnum ? { ...c, name: newName } : c)),
      });
      return 'ALTER TABLE';
    }
    case 'OBJECT_TABCONSTRAINT': {
      const table = requireTable(context, stmt.relation);
      const constraint = table.constraints.find((c) => c.name === stmt.subname);
      if (constraint === undefined) {
        throw new KeelError(
          SqlState.UndefinedObject,
          `constraint "${stmt.subname ?? ''}" for table "${table.name}" does not exist`,
        );
      }
      context.put({
        ...table,
        constraints: table.constraints.map((c) => (c.oid === constraint.oid ? { ...c, name: newName } : c)),
      });
      if (constraint.kind === 'primary' || constraint.kind === 'unique') {
        const index = context.catalog().relation(constraint.indexOid);
        if (index !== null) context.put({ ...index, name: newName });
      }
      return 'ALTER TABLE';
    }
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_INDEX':
    case 'OBJECT_SEQUENCE': {
      const relation = stmt.missing_ok
        ? lookupRelation(context, stmt.relation?.schemaname, stmt.relation?.relname ?? '')
        : requireRelation(context, stmt.relation);
      const tag = `ALTER ${stmt.renameType.replace('OBJECT_', '')}`;
      if (relation === null) return tag;
      await context.lockRelation(relation.oid, 'AccessExclusiveLock', `relation "${relation.name}"`);
      if (context.catalog().relationByName(relation.namespaceOid, newName) !== null) {
        throw new KeelError(SqlState.DuplicateTable, `relation "${newName}" already exists`);
      }
      context.put({ ...relation, name: newName });
      return tag;
    }
    default:
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `ALTER ${(stmt.renameType ?? '').replace('OBJECT_', '')} RENAME is not supported`,
      );
  }
}
