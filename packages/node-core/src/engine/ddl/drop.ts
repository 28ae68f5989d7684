/**
 * DROP TABLE | INDEX | VIEW | SEQUENCE | SCHEMA, with IF EXISTS, CASCADE and RESTRICT as
 * PostgreSQL applies them: a table takes its indexes, owned sequences and comments with it; a
 * table that another table's foreign key references, or a schema that is not empty, is refused
 * (2BP01) unless CASCADE, which also drops the dependent constraints or objects. Storage goes
 * away only when the transaction commits.
 * Exports: dropObjects, dropRelation.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { DropStmt, Node } from '@pgsql/types';
import type { Namespace, Relation, TableRelation } from '../../catalog/objects.js';
import { WellKnownOid } from '../../catalog/objects.js';
import { stringsOf, unwrap } from '../../sql/parse/ast.js';
import type { DdlContext } from './ddl-context.js';
import { lookupRelation } from './names.js';

type DroppableKind = 'table' | 'index' | 'view' | 'sequence';

const kindByObjectType: Record<string, { kind: DroppableKind; label: string; tag: string }> = {
  OBJECT_TABLE: { kind: 'table', label: 'table', tag: 'DROP TABLE' },
  OBJECT_INDEX: { kind: 'index', label: 'index', tag: 'DROP INDEX' },
  OBJECT_VIEW: { kind: 'view', label: 'view', tag: 'DROP VIEW' },
  OBJECT_SEQUENCE: { kind: 'sequence', label: 'sequence', tag: 'DROP SEQUENCE' },
};

export async function dropObjects(stmt: DropStmt, context: DdlContext): Promise<string> {
  const cascade = stmt.behavior === 'DROP_CASCADE';
  if (stmt.removeType === 'OBJECT_SCHEMA') {
    for (const object of stmt.objects ?? [])
      await dropSchema(context, schemaNameOf(object), stmt.missing_ok === true, cascade);
    return 'DROP SCHEMA';
  }
  const spec = kindByObjectType[stmt.removeType ?? ''];
  if (spec === undefined) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      `DROP ${(stmt.removeType ?? '').replace('OBJECT_', '')} is not supported`,
    );
  }
  for (const object of stmt.objects ?? []) {
    const names = stringsOf(unwrap(object, 'List')?.items);
    const name = names.at(-1) ?? '';
    const schema = names.length > 1 ? names.at(-2) : undefined;
    const relation = lookupRelation(context, schema, name);
    if (relation === null) {
      if (stmt.missing_ok) {
        context.notice(`${spec.label} "${name}" does not exist, skipping`, SqlState.SuccessfulCompletion);
        continue;
      }
      throw new KeelError(SqlState.UndefinedTable, `${spec.label} "${name}" does not exist`);
    }
    if (relation.kind !== spec.kind) {
      throw new KeelError(SqlState.WrongObjectType, `"${relation.name}" is not a ${spec.label}`, {
        hint: `Use DROP ${relation.kind.toUpperCase()} to remove a ${relation.kind}.`,
      });
    }
    await dropRelation(context, relation, cascade);
  }
  return spec.tag;
}

function schemaNameOf(node: Node): string {
  const text = unwrap(node, 'String')?.sval;
  return text ?? '';
}

/** Drops one relation and what depends on it. */
export async function dropRelation(context: DdlContext, relation: Relation, cascade: boolean): Promise<void> {
  await context.lockRelation(
    relation.kind === 'index' ? relation.tableOid : relation.oid,
    'AccessExclusiveLock',
    `relation "${relation.name}"`,
  );
  const catalog = context.catalog();
  switch (relation.kind) {
    case 'table':
      await dropTable(context, relation, cascade);
      return;
    case 'index': {
      const table = catalog.table(relation.tableOid);
      const constraint = table?.constraints.find(
        (c) => (c.kind === 'primary' || c.kind === 'unique') && c.indexOid === relation.oid,
      );
      if (table !== null && constraint !== undefined) {
        throw new KeelError(
          SqlState.DependentObjectsStillExist,
          `cannot drop index ${relation.name} because constraint ${constraint.name} on table ${table.name} requires it`,
          { hint: `You can drop constraint ${constraint.name} on table ${table.name} instead.` },
        );
      }
      if (table !== null)
        context.put({ ...table, indexOids: table.indexOids.filter((oid) => oid !== relation.oid) });
      context.remove(relation);
      context.storage.dropRelFileAtCommit(context.txn, relation.relFile);
      return;
    }
    case 'view':
      context.remove(relation);
      return;
    case 'sequence': {
      if (relation.ownedBy !== null && !cascade) {
        const table = catalog.table(relation.ownedBy.tableOid);
        const column = table?.columns[relation.ownedBy.attnum - 1];
        if (
          table !== null &&
          column !== undefined &&
          !column.dropped &&
          column.defaultExpr?.includes(relation.name)
        ) {
          throw new KeelError(
            SqlState.DependentObjectsStillExist,
            `cannot drop sequence ${relation.name} because other objects depend on it`,
            {
              detail: `default value for column ${column.name} of table ${table.name} depends on sequence ${relation.name}`,
              hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
            },
          );
        }
      }
      context.remove(relation);
      context.storage.dropSequenceAtCommit(context.txn, relation.oid);
    }
  }
}

async function dropTable(context: DdlContext, table: TableRelation, cascade: boolean): Promise<void> {
  const catalog = context.catalog();
  const referencing = catalog
    .relations()
    .filter((r): r is TableRelation => r.kind === 'table' && r.oid !== table.oid)
    .flatMap((other) =>
      other.constraints
        .filter((c) => c.kind === 'foreign' && c.refTableOid === table.oid)
        .map((c) => ({ other, c })),
    );
  if (referencing.length > 0 && !cascade) {
    throw new KeelError(
      SqlState.DependentObjectsStillExist,
      `cannot drop table ${table.name} because other objects depend on it`,
      {
        detail: referencing
          .map(({ other, c }) => `constraint ${c.name} on table ${other.name} depends on table ${table.name}`)
          .join('\n'),
        hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
      },
    );
  }
  for (const { other, c } of referencing) {
    context.notice(
      `drop cascades to constraint ${c.name} on table ${other.name}`,
      SqlState.SuccessfulCompletion,
    );
    const current = context.catalog().table(other.oid) ?? other;
    context.put({ ...current, constraints: current.constraints.filter((k) => k.oid !== c.oid) });
  }
  for (const index of catalog.indexesOf(table.oid)) {
    context.remove(index);
    context.storage.dropRelFileAtCommit(context.txn, index.relFile);
  }
  for (const relation of catalog.relations()) {
    if (relation.kind === 'sequence' && relation.ownedBy?.tableOid === table.oid) {
      context.remove(relation);
      context.storage.dropSequenceAtCommit(context.txn, relation.oid);
    }
  }
  for (const comment of catalog.comments()) {
    if (comment.objectOid === table.oid && comment.classOid === WellKnownOid.pgClass) context.remove(comment);
  }
  context.remove(context.catalog().relation(table.oid) ?? table);
  context.storage.dropRelFileAtCommit(context.txn, table.relFile);
}

async function dropSchema(
  context: DdlContext,
  name: string,
  missingOk: boolean,
  cascade: boolean,
): Promise<void> {
  const catalog = context.catalog();
  const namespace: Namespace | null = catalog.namespaceByName(name);
  if (namespace === null) {
    if (missingOk) {
      context.notice(`schema "${name}" does not exist, skipping`, SqlState.SuccessfulCompletion);
      return;
    }
    throw new KeelError(SqlState.InvalidSchemaName, `schema "${name}" does not exist`);
  }
  const members = catalog.relations().filter((r) => r.namespaceOid === namespace.oid);
  if (members.length > 0 && !cascade) {
    throw new KeelError(
      SqlState.DependentObjectsStillExist,
      `cannot drop schema ${name} because other objects depend on it`,
      {
        detail: members.map((r) => `${r.kind} ${name}.${r.name} depends on schema ${name}`).join('\n'),
        hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
      },
    );
  }
  for (const relation of members.filter((r) => r.kind === 'view'))
    await dropRelation(context, relation, true);
  for (const relation of members.filter((r) => r.kind === 'table')) {
    if (context.catalog().relation(relation.oid) !== null) await dropRelation(context, relation, true);
  }
  for (const relation of members.filter((r) => r.kind === 'sequence' || r.kind === 'index')) {
    if (context.catalog().relation(relation.oid) !== null) await dropRelation(context, relation, true);
  }
  context.remove(namespace);
}
