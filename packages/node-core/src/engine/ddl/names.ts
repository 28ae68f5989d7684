/**
 * Name handling for DDL, as PostgreSQL does it: resolving a (possibly qualified) relation name
 * through search_path, and choosing names for implicit objects (constraints, indexes,
 * sequences) the way PostgreSQL's ChooseRelationName does ("t_pkey", "t_a_b_key", "t_id_seq",
 * with a number appended on collision, truncated to 63 bytes).
 * Exports: lookupRelation, requireRelation, requireTable, chooseName, relationLabel.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { RangeVar } from '@pgsql/types';
import type { Namespace, Relation, TableRelation } from '../../catalog/objects.js';
import { type DdlContext, schemaDoesNotExist } from './ddl-context.js';

const MAX_IDENTIFIER_BYTES = 63;

export function lookupRelation(
  context: DdlContext,
  schema: string | undefined,
  name: string,
): Relation | null {
  const catalog = context.catalog();
  if (schema !== undefined) {
    const namespace = catalog.namespaceByName(schema);
    if (namespace === null) throw schemaDoesNotExist(schema);
    return catalog.relationByName(namespace.oid, name);
  }
  for (const schemaName of context.searchPath()) {
    const namespace = catalog.namespaceByName(schemaName);
    if (namespace === null) continue;
    const relation = catalog.relationByName(namespace.oid, name);
    if (relation !== null) return relation;
  }
  return null;
}

export function requireRelation(context: DdlContext, rangeVar: RangeVar | undefined): Relation {
  const name = rangeVar?.relname ?? '';
  const relation = lookupRelation(context, rangeVar?.schemaname, name);
  if (relation === null) {
    throw new KeelError(
      SqlState.UndefinedTable,
      `relation "${qualified(rangeVar?.schemaname, name)}" does not exist`,
    );
  }
  return relation;
}

export function requireTable(context: DdlContext, rangeVar: RangeVar | undefined): TableRelation {
  const relation = requireRelation(context, rangeVar);
  if (relation.kind !== 'table') {
    throw new KeelError(SqlState.WrongObjectType, `"${relation.name}" is not a table`);
  }
  return relation;
}

function qualified(schema: string | undefined, name: string): string {
  return schema === undefined ? name : `${schema}.${name}`;
}

/** "name1_name2_label", truncated like PostgreSQL and made unique within the namespace. */
export function chooseName(
  context: DdlContext,
  namespace: Namespace,
  parts: string[],
  label: string,
  taken: Set<string> = new Set(),
): string {
  const catalog = context.catalog();
  const isFree = (candidate: string) =>
    !taken.has(candidate) && catalog.relationByName(namespace.oid, candidate) === null;
  const base = truncateParts(parts, label, '');
  if (isFree(base)) return base;
  for (let n = 1; ; n++) {
    const candidate = truncateParts(parts, label, String(n));
    if (isFree(candidate)) return candidate;
  }
}

function truncateParts(parts: string[], label: string, suffix: string): string {
  const tail = `_${label}${suffix}`;
  let head = parts.filter((p) => p !== '').join('_');
  while (Buffer.byteLength(head + tail) > MAX_IDENTIFIER_BYTES && head.length > 0) head = head.slice(0, -1);
  return head + tail;
}

/** How error messages name a relation kind ("table", "index", ...). */
export function relationLabel(relation: Relation): string {
  switch (relation.kind) {
    case 'table':
      return 'table';
    case 'index':
      return 'index';
    case 'view':
      return 'view';
    case 'sequence':
      return 'sequence';
  }
}
