/**
 * CREATE TABLE: columns with their types, defaults, NOT NULL, identity and serial columns;
 * PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY constraints, column-level and table-level, named
 * as PostgreSQL names them. Creates the heap, the indexes behind PRIMARY KEY and UNIQUE, and
 * the sequences behind serial and identity columns, all inside the current transaction.
 * Exports: createTable, TableBuilder (shared with ALTER TABLE ADD COLUMN/CONSTRAINT).
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { ColumnDef, Constraint as ConstraintNode, CreateStmt, Node } from '@pgsql/types';
import type {
  Column,
  Constraint,
  ForeignKeyAction,
  IndexRelation,
  Namespace,
  Oid,
  SequenceRelation,
  TableRelation,
} from '../../catalog/objects.js';
import { constantValue, stringsOf, unwrap } from '../../sql/parse/ast.js';
import { creationNamespace, type DdlContext } from './ddl-context.js';
import { chooseName, lookupRelation, requireTable } from './names.js';

const INT2 = 21;
const INT4 = 23;
const INT8 = 20;

export async function createTable(stmt: CreateStmt, context: DdlContext): Promise<string> {
  const relation = stmt.relation;
  const name = relation?.relname ?? '';
  if (relation?.relpersistence === 't') {
    throw new KeelError(SqlState.FeatureNotSupported, 'temporary tables are not supported');
  }
  if ((stmt.inhRelations?.length ?? 0) > 0 || stmt.partspec !== undefined || stmt.partbound !== undefined) {
    throw new KeelError(SqlState.FeatureNotSupported, 'table inheritance and partitioning are not supported');
  }
  const namespace = creationNamespace(context, relation?.schemaname);
  if (context.catalog().relationByName(namespace.oid, name) !== null) {
    if (stmt.if_not_exists) {
      context.notice(`relation "${name}" already exists, skipping`, SqlState.DuplicateTable);
      return 'CREATE TABLE';
    }
    throw new KeelError(SqlState.DuplicateTable, `relation "${name}" already exists`);
  }
  const builder = new TableBuilder(context, namespace, {
    kind: 'table',
    oid: context.manager.allocateOid(),
    name,
    namespaceOid: namespace.oid,
    ownerOid: context.currentUserOid,
    relFile: context.storage.createRelFile(context.txn, 'heap'),
    columns: [],
    constraints: [],
    indexOids: [],
    stats: null,
    rowSecurity: false,
    acl: null,
  });
  for (const element of stmt.tableElts ?? []) {
    const column = unwrap(element, 'ColumnDef');
    if (column !== undefined) builder.addColumn(column);
  }
  const tableConstraints = [
    ...(stmt.tableElts ?? []).map((e) => unwrap(e, 'Constraint')),
    ...(stmt.constraints ?? []).map((e) => unwrap(e, 'Constraint')),
  ].filter((c): c is ConstraintNode => c !== undefined);
  for (const constraint of tableConstraints) builder.queueConstraint(constraint, null);
  if (builder.table.columns.length === 0 && (stmt.tableElts?.length ?? 0) > 0) {
    throw new KeelError(SqlState.FeatureNotSupported, 'CREATE TABLE ... (LIKE ...) is not supported');
  }
  await builder.finish();
  return 'CREATE TABLE';
}

interface QueuedConstraint {
  node: ConstraintNode;
  /** Column the constraint was written on, or null for a table constraint. */
  column: string | null;
}

/** Accumulates a table definition, then writes it and its indexes and sequences. */
export class TableBuilder {
  private readonly queued: QueuedConstraint[] = [];
  private readonly sequences: SequenceRelation[] = [];
  private readonly indexes: IndexRelation[] = [];
  private readonly takenNames = new Set<string>();

  constructor(
    private readonly context: DdlContext,
    private readonly namespace: Namespace,
    public table: TableRelation,
  ) {
    this.takenNames.add(table.name);
  }

  addColumn(def: ColumnDef): Column {
    const name = def.colname ?? '';
    if (this.table.columns.some((c) => !c.dropped && c.name === name)) {
      throw new KeelError(SqlState.DuplicateColumn, `column "${name}" specified more than once`);
    }
    if (def.typeName === undefined) throw new KeelError(SqlState.SyntaxError, `column "${name}" has no type`);
    const type = this.context.resolveType(def.typeName);
    const column: Column = {
      attnum: this.table.columns.length + 1,
      name,
      typeOid: type.typeOid,
      typmod: type.typmod,
      notNull: def.is_not_null === true,
      defaultExpr: null,
      identity: null,
      identitySequenceOid: null,
      missingValue: null,
      dropped: false,
    };
    this.table = { ...this.table, columns: [...this.table.columns, column] };
    if (type.serial) this.makeSequenceColumn(column, null);
    for (const node of def.constraints ?? []) {
      const constraint = unwrap(node, 'Constraint');
      if (constraint !== undefined) this.applyColumnConstraint(column.attnum, constraint);
    }
    return this.column(column.attnum);
  }

  queueConstraint(node: ConstraintNode, column: string | null): void {
    this.queued.push({ node, column });
  }

  /** Writes the table, its sequences and indexes; validates expressions and references. */
  async finish(): Promise<void> {
    for (const { node, column } of this.queued) this.addConstraint(node, column);
    this.context.put(this.table);
    for (const sequence of this.sequences) {
      this.context.put(sequence);
      this.context.storage.createSequence(this.context.txn, sequence.oid, sequence.start);
    }
    for (const column of this.table.columns) {
      if (column.defaultExpr !== null) {
        this.context.checkExpression(column.defaultExpr, this.table, 'default', {
          typeOid: column.typeOid,
          typmod: column.typmod,
        });
      }
    }
    for (const constraint of this.table.constraints) {
      if (constraint.kind === 'check')
        this.context.checkExpression(constraint.expr, this.table, 'check', null);
    }
    for (const index of this.indexes) {
      this.context.put(index);
      await this.context.storage.buildIndex(this.context.txn, index, this.table);
    }
  }

  private column(attnum: number): Column {
    const column = this.table.columns[attnum - 1];
    assert(column !== undefined, `column ${attnum} missing while building table`);
    return column;
  }

  private updateColumn(attnum: number, change: Partial<Column>): void {
    const columns = this.table.columns.map((c) => (c.attnum === attnum ? { ...c, ...change } : c));
    this.table = { ...this.table, columns };
  }

  private applyColumnConstraint(attnum: number, node: ConstraintNode): void {
    const column = this.column(attnum);
    switch (node.contype) {
      case 'CONSTR_NOTNULL':
        this.updateColumn(attnum, { notNull: true });
        return;
      case 'CONSTR_NULL':
        return;
      case 'CONSTR_DEFAULT':
        if (node.raw_expr === undefined) return;
        if (column.identity !== null || column.identitySequenceOid !== null) {
          throw new KeelError(
            SqlState.SyntaxError,
            `multiple default values specified for column "${column.name}" of table "${this.table.name}"`,
          );
        }
        this.updateColumn(attnum, { defaultExpr: this.context.deparse(node.raw_expr) });
        return;
      case 'CONSTR_IDENTITY':
        this.makeSequenceColumn(column, node.generated_when === 'a' ? 'a' : 'd');
        return;
      case 'CONSTR_GENERATED':
        throw new KeelError(SqlState.FeatureNotSupported, 'generated columns are not supported');
      case 'CONSTR_ATTR_DEFERRABLE':
      case 'CONSTR_ATTR_NOT_DEFERRABLE':
      case 'CONSTR_ATTR_DEFERRED':
      case 'CONSTR_ATTR_IMMEDIATE':
        return;
      default:
        this.queued.push({ node, column: column.name });
    }
  }

  private makeSequenceColumn(column: Column, identity: 'a' | 'd' | null): void {
    if (![INT2, INT4, INT8].includes(column.typeOid)) {
      throw new KeelError(
        SqlState.InvalidTableDefinition,
        `identity column type must be smallint, integer, or bigint`,
      );
    }
    const sequenceName = chooseName(
      this.context,
      this.namespace,
      [this.table.name, column.name],
      'seq',
      this.takenNames,
    );
    this.takenNames.add(sequenceName);
    const max =
      column.typeOid === INT2
        ? 32_767n
        : column.typeOid === INT4
          ? 2_147_483_647n
          : 9_223_372_036_854_775_807n;
    const sequence: SequenceRelation = {
      kind: 'sequence',
      oid: this.context.manager.allocateOid(),
      name: sequenceName,
      namespaceOid: this.namespace.oid,
      ownerOid: this.table.ownerOid,
      typeOid: column.typeOid,
      start: 1n,
      increment: 1n,
      min: 1n,
      max,
      cache: 1n,
      cycle: false,
      ownedBy: { tableOid: this.table.oid, attnum: column.attnum },
      acl: null,
    };
    this.sequences.push(sequence);
    const qualifiedName =
      this.namespace.name === 'public' ? sequenceName : `${this.namespace.name}.${sequenceName}`;
    this.updateColumn(column.attnum, {
      notNull: true,
      identity,
      identitySequenceOid: sequence.oid,
      defaultExpr: identity === null ? `nextval('${qualifiedName.replace(/'/g, "''")}'::regclass)` : null,
    });
  }

  /** Adds a PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY constraint (column or table level). */
  addConstraint(node: ConstraintNode, columnName: string | null): Constraint {
    switch (node.contype) {
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE':
        return this.addUniqueConstraint(node, columnName);
      case 'CONSTR_CHECK':
        return this.addCheckConstraint(node, columnName);
      case 'CONSTR_FOREIGN':
        return this.addForeignKey(node, columnName);
      case 'CONSTR_EXCLUSION':
        throw new KeelError(SqlState.FeatureNotSupported, 'exclusion constraints are not supported');
      default:
        throw new KeelError(
          SqlState.FeatureNotSupported,
          `constraint type ${node.contype ?? '?'} is not supported here`,
        );
    }
  }

  private attnumsOf(names: string[], what: string): number[] {
    return names.map((name) => {
      const column = this.table.columns.find((c) => !c.dropped && c.name === name);
      if (column === undefined) {
        throw new KeelError(SqlState.UndefinedColumn, `column "${name}" named in ${what} does not exist`);
      }
      return column.attnum;
    });
  }

  private addUniqueConstraint(node: ConstraintNode, columnName: string | null): Constraint {
    const primary = node.contype === 'CONSTR_PRIMARY';
    const names = columnName !== null ? [columnName] : stringsOf(node.keys);
    const columns = this.attnumsOf(names, 'key');
    if (primary && this.table.constraints.some((c) => c.kind === 'primary')) {
      throw new KeelError(
        SqlState.InvalidTableDefinition,
        `multiple primary keys for table "${this.table.name}" are not allowed`,
      );
    }
    if (primary) for (const attnum of columns) this.updateColumn(attnum, { notNull: true });
    const name =
      node.conname ??
      chooseName(
        this.context,
        this.namespace,
        primary ? [this.table.name] : [this.table.name, ...names],
        primary ? 'pkey' : 'key',
        this.takenNames,
      );
    this.takenNames.add(name);
    if (this.context.catalog().relationByName(this.namespace.oid, name) !== null) {
      throw new KeelError(SqlState.DuplicateTable, `relation "${name}" already exists`);
    }
    const index: IndexRelation = {
      kind: 'index',
      oid: this.context.manager.allocateOid(),
      name,
      namespaceOid: this.namespace.oid,
      ownerOid: this.table.ownerOid,
      relFile: this.context.storage.createRelFile(this.context.txn, 'btree'),
      tableOid: this.table.oid,
      keys: columns.map((attnum) => ({ attnum, expr: null, descending: false, nullsFirst: false })),
      includeAttnums: this.attnumsOf(stringsOf(node.including), 'INCLUDE'),
      unique: true,
      primary,
      nullsNotDistinct: node.nulls_not_distinct === true,
      predicate: null,
      valid: true,
    };
    this.indexes.push(index);
    const constraint: Constraint = {
      kind: primary ? 'primary' : 'unique',
      oid: this.context.manager.allocateOid(),
      name,
      columns,
      indexOid: index.oid,
    };
    this.table = {
      ...this.table,
      constraints: [...this.table.constraints, constraint],
      indexOids: [...this.table.indexOids, index.oid],
    };
    return constraint;
  }

  private addCheckConstraint(node: ConstraintNode, columnName: string | null): Constraint {
    if (node.raw_expr === undefined)
      throw new KeelError(SqlState.SyntaxError, 'CHECK constraint has no expression');
    const name =
      node.conname ??
      chooseConstraintName(
        this.table,
        columnName === null ? [this.table.name] : [this.table.name, columnName],
        'check',
      );
    if (this.table.constraints.some((c) => c.name === name)) {
      throw new KeelError(
        SqlState.DuplicateObject,
        `constraint "${name}" for relation "${this.table.name}" already exists`,
      );
    }
    const constraint: Constraint = {
      kind: 'check',
      oid: this.context.manager.allocateOid(),
      name,
      columns: columnName === null ? [] : this.attnumsOf([columnName], 'CHECK'),
      expr: this.context.deparse(node.raw_expr),
      noInherit: node.is_no_inherit === true,
    };
    this.table = { ...this.table, constraints: [...this.table.constraints, constraint] };
    return constraint;
  }

  private addForeignKey(node: ConstraintNode, columnName: string | null): Constraint {
    const localNames = columnName !== null ? [columnName] : stringsOf(node.fk_attrs);
    const columns = this.attnumsOf(localNames, 'foreign key');
    const selfReference =
      node.pktable?.relname === this.table.name &&
      (node.pktable?.schemaname === undefined || node.pktable.schemaname === this.namespace.name) &&
      lookupRelation(this.context, node.pktable?.schemaname, this.table.name) === null;
    const referenced = selfReference ? this.table : requireTable(this.context, node.pktable);
    const refNames = stringsOf(node.pk_attrs);
    const refColumns =
      refNames.length > 0
        ? refNames.map((name) => {
            const column = referenced.columns.find((c) => !c.dropped && c.name === name);
            if (column === undefined) {
              throw new KeelError(
                SqlState.UndefinedColumn,
                `column "${name}" referenced in foreign key constraint does not exist`,
              );
            }
            return column.attnum;
          })
        : primaryKeyOf(referenced);
    if (refColumns.length !== columns.length) {
      throw new KeelError(
        SqlState.InvalidForeignKey,
        'number of referencing and referenced columns for foreign key disagree',
      );
    }
    const matchingKey = referenced.constraints.some(
      (c) => (c.kind === 'primary' || c.kind === 'unique') && sameSet(c.columns, refColumns),
    );
    if (!matchingKey) {
      throw new KeelError(
        SqlState.InvalidForeignKey,
        `there is no unique constraint matching given keys for referenced table "${referenced.name}"`,
      );
    }
    for (const [i, attnum] of columns.entries()) {
      const local = this.column(attnum);
      const remote = referenced.columns[(refColumns[i] ?? 0) - 1];
      if (remote !== undefined && !compatibleKeyTypes(local.typeOid, remote.typeOid)) {
        throw new KeelError(
          SqlState.DatatypeMismatch,
          `foreign key constraint "${node.conname ?? ''}" cannot be implemented`,
          {
            detail: `Key columns "${local.name}" and "${remote.name}" are of incompatible types.`,
          },
        );
      }
    }
    const name = node.conname ?? chooseConstraintName(this.table, [this.table.name, ...localNames], 'fkey');
    const constraint: Constraint = {
      kind: 'foreign',
      oid: this.context.manager.allocateOid(),
      name,
      columns,
      refTableOid: referenced.oid,
      refColumns,
      onDelete: foreignKeyAction(node.fk_del_action),
      onUpdate: foreignKeyAction(node.fk_upd_action),
      matchFull: node.fk_matchtype === 'f',
      deferrable: node.deferrable === true,
      initiallyDeferred: node.initdeferred === true,
    };
    this.table = { ...this.table, constraints: [...this.table.constraints, constraint] };
    return constraint;
  }
}

function primaryKeyOf(table: TableRelation): number[] {
  const pk = table.constraints.find((c) => c.kind === 'primary');
  if (pk === undefined) {
    throw new KeelError(
      SqlState.UndefinedObject,
      `there is no primary key for referenced table "${table.name}"`,
    );
  }
  return pk.columns;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

const integerTypes = new Set([INT2, INT4, INT8]);

function compatibleKeyTypes(a: Oid, b: Oid): boolean {
  if (a === b) return true;
  if (integerTypes.has(a) && integerTypes.has(b)) return true;
  const text = new Set([25, 1043, 1042]);
  return text.has(a) && text.has(b);
}

function foreignKeyAction(code: string | undefined): ForeignKeyAction {
  return code === 'r' || code === 'c' || code === 'n' || code === 'd' ? code : 'a';
}

/** Constraint names (not relation names) need only be unique per table. */
export function chooseConstraintName(table: TableRelation, parts: string[], label: string): string {
  const used = new Set(table.constraints.map((c) => c.name));
  const base = `${parts.join('_').slice(0, 63 - label.length - 1)}_${label}`;
  if (!used.has(base)) return base;
  for (let n = 1; ; n++) {
    const candidate = `${parts.join('_').slice(0, 63 - label.length - 1 - String(n).length)}_${label}${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** The value of a sequence option given as a constant. */
export function constantBigInt(node: Node | undefined, what: string): bigint {
  const value = constantValue(node);
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value))) return BigInt(value);
  throw new KeelError(SqlState.SyntaxError, `${what} requires a numeric value`);
}
