/**
 * ALTER TABLE: ADD/DROP COLUMN, ALTER COLUMN SET/DROP DEFAULT, SET/DROP NOT NULL, TYPE,
 * ADD/DROP CONSTRAINT (PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY; existing rows are validated),
 * OWNER TO, ENABLE/DISABLE ROW LEVEL SECURITY. Each subcommand runs under an
 * AccessExclusiveLock and is transactional.
 *
 * ADD COLUMN with a constant default stores it as the column's "missing value", so old rows
 * read it without a rewrite (PostgreSQL 11's fast default); a volatile default rewrites rows.
 * Exports: alterTable.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint as ConstraintNode,
  Node,
} from '@pgsql/types';
import type { Column, TableRelation } from '../../catalog/objects.js';
import { unwrap } from '../../sql/parse/ast.js';
import { TableBuilder } from './create-table.js';
import type { DdlContext } from './ddl-context.js';
import { dropRelation } from './drop.js';
import { lookupRelation, requireTable } from './names.js';

export async function alterTable(stmt: AlterTableStmt, context: DdlContext): Promise<string> {
  if (stmt.objtype !== undefined && stmt.objtype !== 'OBJECT_TABLE') {
    return alterOtherRelation(stmt, context);
  }
  const found = stmt.missing_ok
    ? lookupRelation(context, stmt.relation?.schemaname, stmt.relation?.relname ?? '')
    : requireTable(context, stmt.relation);
  if (found === null) {
    context.notice(
      `relation "${stmt.relation?.relname ?? ''}" does not exist, skipping`,
      SqlState.SuccessfulCompletion,
    );
    return 'ALTER TABLE';
  }
  if (found.kind !== 'table') throw new KeelError(SqlState.WrongObjectType, `"${found.name}" is not a table`);
  await context.lockRelation(found.oid, 'AccessExclusiveLock', `relation "${found.name}"`);
  for (const node of stmt.cmds ?? []) {
    const cmd = unwrap(node, 'AlterTableCmd');
    if (cmd === undefined) continue;
    const table = context.catalog().table(found.oid);
    if (table === null)
      throw new KeelError(SqlState.UndefinedTable, `relation "${found.name}" does not exist`);
    await runCommand(cmd, table, context);
  }
  return 'ALTER TABLE';
}

async function alterOtherRelation(stmt: AlterTableStmt, context: DdlContext): Promise<string> {
  const tag =
    stmt.objtype === 'OBJECT_INDEX'
      ? 'ALTER INDEX'
      : stmt.objtype === 'OBJECT_VIEW'
        ? 'ALTER VIEW'
        : 'ALTER SEQUENCE';
  const relation = lookupRelation(context, stmt.relation?.schemaname, stmt.relation?.relname ?? '');
  if (relation === null) {
    if (stmt.missing_ok) return tag;
    throw new KeelError(SqlState.UndefinedTable, `relation "${stmt.relation?.relname ?? ''}" does not exist`);
  }
  for (const node of stmt.cmds ?? []) {
    const cmd = unwrap(node, 'AlterTableCmd');
    if (cmd?.subtype === 'AT_ChangeOwner') {
      const role = context.catalog().roleByName(cmd.newowner?.rolename ?? '');
      if (role === null)
        throw new KeelError(
          SqlState.UndefinedObject,
          `role "${cmd.newowner?.rolename ?? ''}" does not exist`,
        );
      context.put({ ...relation, ownerOid: role.oid });
    } else {
      throw new KeelError(SqlState.FeatureNotSupported, `${tag} ${cmd?.subtype ?? ''} is not supported`);
    }
  }
  return tag;
}

function columnNamed(table: TableRelation, name: string | undefined): Column {
  const column = table.columns.find((c) => !c.dropped && c.name === name);
  if (column === undefined) {
    throw new KeelError(
      SqlState.UndefinedColumn,
      `column "${name ?? ''}" of relation "${table.name}" does not exist`,
    );
  }
  return column;
}

function withColumn(table: TableRelation, attnum: number, change: Partial<Column>): TableRelation {
  return { ...table, columns: table.columns.map((c) => (c.attnum === attnum ? { ...c, ...change } : c)) };
}

async function runCommand(cmd: AlterTableCmd, table: TableRelation, context: DdlContext): Promise<void> {
  switch (cmd.subtype) {
    case 'AT_AddColumn':
      return addColumn(cmd, table, context);
    case 'AT_DropColumn':
      return dropColumn(cmd, table, context);
    case 'AT_ColumnDefault': {
      const column = columnNamed(table, cmd.name);
      const expr = cmd.def === undefined ? null : context.deparse(cmd.def);
      if (expr !== null)
        context.checkExpression(expr, table, 'default', { typeOid: column.typeOid, typmod: column.typmod });
      context.put(withColumn(table, column.attnum, { defaultExpr: expr }));
      return;
    }
    case 'AT_SetNotNull': {
      const column = columnNamed(table, cmd.name);
      if (await context.storage.anyRowMatches(context.txn, table, `${quoteIdent(column.name)} IS NULL`)) {
        throw new KeelError(
          SqlState.NotNullViolation,
          `column "${column.name}" of relation "${table.name}" contains null values`,
          {
            table: table.name,
            column: column.name,
          },
        );
      }
      context.put(withColumn(table, column.attnum, { notNull: true }));
      return;
    }
    case 'AT_DropNotNull': {
      const column = columnNamed(table, cmd.name);
      if (table.constraints.some((c) => c.kind === 'primary' && c.columns.includes(column.attnum))) {
        throw new KeelError(SqlState.InvalidTableDefinition, `column "${column.name}" is in a primary key`);
      }
      if (column.identity !== null) {
        throw new KeelError(
          SqlState.SyntaxError,
          `column "${column.name}" of relation "${table.name}" is an identity column`,
        );
      }
      context.put(withColumn(table, column.attnum, { notNull: false }));
      return;
    }
    case 'AT_AddConstraint':
      return addConstraint(cmd, table, context);
    case 'AT_DropConstraint':
      return dropConstraint(cmd, table, context);
    case 'AT_AlterColumnType':
      return alterColumnType(cmd, table, context);
    case 'AT_ChangeOwner': {
      const role = context.catalog().roleByName(cmd.newowner?.rolename ?? '');
      if (role === null)
        throw new KeelError(
          SqlState.UndefinedObject,
          `role "${cmd.newowner?.rolename ?? ''}" does not exist`,
        );
      context.put({ ...table, ownerOid: role.oid });
      return;
    }
    case 'AT_EnableRowSecurity':
    case 'AT_ForceRowSecurity':
      context.put({ ...table, rowSecurity: true });
      return;
    case 'AT_DisableRowSecurity':
    case 'AT_NoForceRowSecurity':
      context.put({ ...table, rowSecurity: false });
      return;
    case 'AT_SetStatistics':
    case 'AT_SetStorage':
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_SetLogged':
    case 'AT_ReplicaIdentity':
      // Storage tuning knobs with no meaning in Keel: accepted so that dump scripts and ORMs run.
      return;
    default:
      throw new KeelError(
        SqlState.FeatureNotSupported,
        `ALTER TABLE ${(cmd.subtype ?? '').replace('AT_', '')} is not supported`,
      );
  }
}

async function addColumn(cmd: AlterTableCmd, table: TableRelation, context: DdlContext): Promise<void> {
  const def = unwrap(cmd.def, 'ColumnDef') as ColumnDef | undefined;
  if (def === undefined) throw new KeelError(SqlState.SyntaxError, 'ADD COLUMN needs a column definition');
  if (table.columns.some((c) => !c.dropped && c.name === def.colname)) {
    if (cmd.missing_ok) {
      context.notice(
        `column "${def.colname ?? ''}" of relation "${table.name}" already exists, skipping`,
        SqlState.DuplicateColumn,
      );
      return;
    }
    throw new KeelError(
      SqlState.DuplicateColumn,
      `column "${def.colname ?? ''}" of relation "${table.name}" already exists`,
    );
  }
  const namespace = context.catalog().namespace(table.namespaceOid);
  if (namespace === null) throw new KeelError(SqlState.InternalError, `table ${table.name} has no schema`);
  const builder = new TableBuilder(context, namespace, table);
  const column = builder.addColumn(def);
  const hasRows = await context.storage.anyRowMatches(context.txn, table, 'true');
  if (hasRows && column.notNull && column.defaultExpr === null) {
    throw new KeelError(
      SqlState.NotNullViolation,
      `column "${column.name}" of relation "${table.name}" contains null values`,
    );
  }
  const constantDefault = column.defaultExpr !== null && isConstantExpression(column.defaultExpr);
  if (constantDefault) {
    builder.table = withColumn(builder.table, column.attnum, { missingValue: column.defaultExpr });
  }
  await builder.finish();
  if (hasRows && column.defaultExpr !== null && !constantDefault) {
    const fresh = context.catalog().table(table.oid);
    if (fresh !== null)
      await context.storage.rewriteRows(
        context.txn,
        fresh,
        fresh,
        new Map([[column.attnum, column.defaultExpr]]),
      );
  }
}

/** Literals and casts of literals need no per-row evaluation. */
function isConstantExpression(expr: string): boolean {
  return /^('([^']|'')*'|-?\d+(\.\d+)?|true|false|null)(::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?)?$/i.test(
    expr.trim(),
  );
}

async function dropColumn(cmd: AlterTableCmd, table: TableRelation, context: DdlContext): Promise<void> {
  const column = table.columns.find((c) => !c.dropped && c.name === cmd.name);
  if (column === undefined) {
    if (cmd.missing_ok) {
      context.notice(
        `column "${cmd.name ?? ''}" of relation "${table.name}" does not exist, skipping`,
        SqlState.SuccessfulCompletion,
      );
      return;
    }
    columnNamed(table, cmd.name);
    return;
  }
  const cascade = cmd.behavior === 'DROP_CASCADE';
  const dependentIndexes = context
    .catalog()
    .indexesOf(table.oid)
    .filter(
      (i) => i.keys.some((k) => k.attnum === column.attnum) || i.includeAttnums.includes(column.attnum),
    );
  for (const index of dependentIndexes) {
    const constraint = table.constraints.find(
      (c) => (c.kind === 'primary' || c.kind === 'unique') && c.indexOid === index.oid,
    );
    if (constraint !== undefined && constraint.columns.length > 1 && !cascade) {
      throw new KeelError(
        SqlState.DependentObjectsStillExist,
        `cannot drop column ${column.name} of table ${table.name} because other objects depend on it`,
        {
          detail: `constraint ${constraint.name} on table ${table.name} depends on column ${column.name} of table ${table.name}`,
          hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
        },
      );
    }
  }
  const updated: TableRelation = {
    ...table,
    columns: table.columns.map((c) =>
      c.attnum === column.attnum
        ? {
            ...c,
            dropped: true,
            name: `........pg.dropped.${c.attnum}........`,
            notNull: false,
            defaultExpr: null,
          }
        : c,
    ),
    constraints: table.constraints.filter((c) => !c.columns.includes(column.attnum)),
    indexOids: table.indexOids.filter((oid) => !dependentIndexes.some((i) => i.oid === oid)),
  };
  context.put(updated);
  for (const index of dependentIndexes) {
    context.remove(index);
    context.storage.dropRelFileAtCommit(context.txn, index.relFile);
  }
  for (const relation of context.catalog().relations()) {
    if (
      relation.kind === 'sequence' &&
      relation.ownedBy?.tableOid === table.oid &&
      relation.ownedBy.attnum === column.attnum
    ) {
      await dropRelation(context, relation, true);
    }
  }
}

async function addConstraint(cmd: AlterTableCmd, table: TableRelation, context: DdlContext): Promise<void> {
  const node = unwrap(cmd.def, 'Constraint') as ConstraintNode | undefined;
  if (node === undefined) throw new KeelError(SqlState.SyntaxError, 'ADD CONSTRAINT needs a constraint');
  const namespace = context.catalog().namespace(table.namespaceOid);
  if (namespace === null) throw new KeelError(SqlState.InternalError, `table ${table.name} has no schema`);
  if (node.contype === 'CONSTR_NOTNULL') return;
  const builder = new TableBuilder(context, namespace, table);
  const constraint = builder.addConstraint(node, null);
  if (constraint.kind === 'primary') {
    for (const attnum of constraint.columns) {
      const column = table.columns[attnum - 1];
      if (
        column !== undefined &&
        !column.notNull &&
        (await context.storage.anyRowMatches(context.txn, table, `${quoteIdent(column.name)} IS NULL`))
      ) {
        throw new KeelError(
          SqlState.NotNullViolation,
          `column "${column.name}" of relation "${table.name}" contains null values`,
        );
      }
    }
  }
  await builder.finish();
  const fresh = context.catalog().table(table.oid) ?? builder.table;
  if (constraint.kind === 'check' && node.skip_validation !== true) {
    if (await context.storage.anyRowMatches(context.txn, fresh, `NOT (${constraint.expr})`)) {
      throw new KeelError(
        SqlState.CheckViolation,
        `check constraint "${constraint.name}" of relation "${table.name}" is violated by some row`,
        {
          table: table.name,
          constraint: constraint.name,
        },
      );
    }
  }
  if (constraint.kind === 'foreign' && node.skip_validation !== true) {
    if (await context.storage.foreignKeyViolated(context.txn, fresh, constraint.name)) {
      throw new KeelError(
        SqlState.ForeignKeyViolation,
        `insert or update on table "${table.name}" violates foreign key constraint "${constraint.name}"`,
        {
          table: table.name,
          constraint: constraint.name,
        },
      );
    }
  }
}

function dropConstraint(cmd: AlterTableCmd, table: TableRelation, context: DdlContext): void {
  const constraint = table.constraints.find((c) => c.name === cmd.name);
  if (constraint === undefined) {
    if (cmd.missing_ok) {
      context.notice(
        `constraint "${cmd.name ?? ''}" of relation "${table.name}" does not exist, skipping`,
        SqlState.SuccessfulCompletion,
      );
      return;
    }
    throw new KeelError(
      SqlState.UndefinedObject,
      `constraint "${cmd.name ?? ''}" of relation "${table.name}" does not exist`,
    );
  }
  let updated: TableRelation = {
    ...table,
    constraints: table.constraints.filter((c) => c.oid !== constraint.oid),
  };
  if (constraint.kind === 'primary' || constraint.kind === 'unique') {
    const index = context.catalog().relation(constraint.indexOid);
    updated = { ...updated, indexOids: updated.indexOids.filter((oid) => oid !== constraint.indexOid) };
    if (index?.kind === 'index') {
      context.remove(index);
      context.storage.dropRelFileAtCommit(context.txn, index.relFile);
    }
  }
  context.put(updated);
}

async function alterColumnType(cmd: AlterTableCmd, table: TableRelation, context: DdlContext): Promise<void> {
  const column = columnNamed(table, cmd.name);
  const def = unwrap(cmd.def, 'ColumnDef') as ColumnDef | undefined;
  if (def?.typeName === undefined)
    throw new KeelError(SqlState.SyntaxError, 'ALTER COLUMN TYPE needs a type');
  const type = context.resolveType(def.typeName);
  if (
    context
      .catalog()
      .indexesOf(table.oid)
      .some((i) => i.keys.some((k) => k.attnum === column.attnum))
  ) {
    throw new KeelError(
      SqlState.FeatureNotSupported,
      'changing the type of an indexed column is not supported; drop the index first',
    );
  }
  const using: Node | undefined = def.raw_default;
  const typeText = context.deparse({ TypeName: def.typeName });
  const conversion =
    using === undefined
      ? `CAST(${quoteIdent(column.name)} AS ${typeText})`
      : `CAST((${context.deparse(using)}) AS ${typeText})`;
  const updated = withColumn(table, column.attnum, {
    typeOid: type.typeOid,
    typmod: type.typmod,
    missingValue: null,
  });
  context.put(updated);
  await context.storage.rewriteRows(context.txn, table, updated, new Map([[column.attnum, conversion]]));
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
