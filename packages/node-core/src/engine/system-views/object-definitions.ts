/**
 * SQL text of catalog objects, as PostgreSQL's ruleutils.c prints it: pg_get_indexdef
 * ("CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)"), pg_get_constraintdef
 * ("PRIMARY KEY (id)", "FOREIGN KEY (a) REFERENCES p(id) ON DELETE CASCADE", "CHECK ((x > 0))")
 * and pg_get_viewdef. Expressions are Keel's stored SQL text (deparsed at DDL time), so casts
 * PostgreSQL adds while analysing them (0::numeric) are not shown.
 * Exports: indexDefinition, indexColumnDefinition, constraintDefinition, viewDefinition.
 */
import type {
  Constraint,
  ForeignKeyAction,
  IndexKey,
  IndexRelation,
  TableRelation,
} from '../../catalog/objects.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { quoteIdentifier } from '../catalog-reader.js';

function columnName(table: TableRelation | null, attnum: number): string {
  const column = table?.columns.find((c) => c.attnum === attnum);
  return quoteIdentifier(column?.name ?? `attnum${attnum}`);
}

function keyText(table: TableRelation | null, key: IndexKey): string {
  const base = key.attnum === 0 ? `(${key.expr ?? ''})` : columnName(table, key.attnum);
  let out = base;
  if (key.descending) out += ' DESC';
  if (key.descending && !key.nullsFirst) out += ' NULLS LAST';
  if (!key.descending && key.nullsFirst) out += ' NULLS FIRST';
  return out;
}

/** pg_get_indexdef(oid): the CREATE INDEX statement. */
export function indexDefinition(reader: EngineCatalogReader, index: IndexRelation): string {
  const table = reader.view.table(index.tableOid);
  const schema = reader.namespace(index.namespaceOid)?.name ?? 'public';
  const keys = index.keys.map((k) => keyText(table, k)).join(', ');
  let out = `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdentifier(index.name)} ON ${quoteIdentifier(schema)}.${quoteIdentifier(table?.name ?? '?')} USING btree (${keys})`;
  if (index.includeAttnums.length > 0)
    out += ` INCLUDE (${index.includeAttnums.map((a) => columnName(table, a)).join(', ')})`;
  if (index.nullsNotDistinct) out += ' NULLS NOT DISTINCT';
  if (index.predicate !== null) out += ` WHERE (${index.predicate})`;
  return out;
}

/** pg_get_indexdef(oid, column, pretty) with column > 0: that key's text alone. */
export function indexColumnDefinition(
  reader: EngineCatalogReader,
  index: IndexRelation,
  column: number,
): string {
  const table = reader.view.table(index.tableOid);
  const key = index.keys[column - 1];
  if (key !== undefined) return key.attnum === 0 ? (key.expr ?? '') : columnName(table, key.attnum);
  const include = index.includeAttnums[column - 1 - index.keys.length];
  return include === undefined ? '' : columnName(table, include);
}

const actionWords: Record<ForeignKeyAction, string> = {
  a: '',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** pg_get_constraintdef(oid, pretty). */
export function constraintDefinition(
  reader: EngineCatalogReader,
  table: TableRelation,
  constraint: Constraint,
  pretty: boolean,
): string {
  const columns = (attnums: number[], of: TableRelation | null) =>
    attnums.map((a) => columnName(of, a)).join(', ');
  switch (constraint.kind) {
    case 'primary':
    case 'unique': {
      const index = reader.view.relation(constraint.indexOid);
      const include =
        index?.kind === 'index' && index.includeAttnums.length > 0
          ? ` INCLUDE (${columns(index.includeAttnums, table)})`
          : '';
      const nulls = index?.kind === 'index' && index.nullsNotDistinct ? ' NULLS NOT DISTINCT' : '';
      const word = constraint.kind === 'primary' ? 'PRIMARY KEY' : `UNIQUE${nulls}`;
      return `${word} (${columns(constraint.columns, table)})${include}`;
    }
    case 'check': {
      const body = pretty ? `(${constraint.expr})` : `((${constraint.expr}))`;
      return `CHECK ${body}${constraint.noInherit ? ' NO INHERIT' : ''}`;
    }
    case 'foreign': {
      const ref = reader.view.table(constraint.refTableOid);
      let out = `FOREIGN KEY (${columns(constraint.columns, table)}) REFERENCES ${reader.regclassOut(constraint.refTableOid)}(${columns(constraint.refColumns, ref)})`;
      if (constraint.matchFull) out += ' MATCH FULL';
      if (constraint.onUpdate !== 'a') out += ` ON UPDATE ${actionWords[constraint.onUpdate]}`;
      if (constraint.onDelete !== 'a') out += ` ON DELETE ${actionWords[constraint.onDelete]}`;
      if (constraint.deferrable) out += ' DEFERRABLE';
      if (constraint.initiallyDeferred) out += ' INITIALLY DEFERRED';
      return out;
    }
  }
}

/** pg_get_viewdef(oid): the view's query, as PostgreSQL prints it (leading space, semicolon). */
export function viewDefinition(query: string): string {
  return ` ${query};`;
}
