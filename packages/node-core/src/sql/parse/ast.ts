/**
 * Small accessors for libpg-query's parse trees, whose nodes are one-key wrapper objects
 * (`{ ColumnDef: {...} }`). They keep the narrowing in one place instead of casts everywhere.
 * Exports: unwrap, nodeTypeOf, stringsOf, stringOf, constantValue.
 */
import type { Node } from '@pgsql/types';

type Wrapped = Node extends infer U ? (U extends Record<infer K, unknown> ? K : never) : never;
type Inner<K extends Wrapped> = Extract<Node, Record<K, unknown>>[K];

/** The inner object of `node` when it is of type `type`, else undefined. */
export function unwrap<K extends Wrapped>(node: Node | undefined, type: K): Inner<K> | undefined {
  if (node === undefined || !(type in node)) return undefined;
  return (node as unknown as Record<K, Inner<K>>)[type];
}

export function nodeTypeOf(node: Node): string {
  return Object.keys(node)[0] ?? 'Unknown';
}

/** The text of a String node (identifiers in name lists). */
export function stringOf(node: Node | undefined): string | undefined {
  return unwrap(node, 'String')?.sval;
}

/** A list of String nodes, e.g. a qualified name or a column list. */
export function stringsOf(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).map((node) => stringOf(node) ?? '');
}

/** The value of an A_Const (or a String/Integer/Float node): string, number, boolean or null. */
export function constantValue(node: Node | undefined): string | number | boolean | null | undefined {
  const constant = unwrap(node, 'A_Const');
  if (constant !== undefined) {
    if (constant.isnull) return null;
    if (constant.sval !== undefined) return constant.sval.sval ?? '';
    if (constant.ival !== undefined) return constant.ival.ival ?? 0;
    if (constant.fval !== undefined) return constant.fval.fval ?? '0';
    if (constant.boolval !== undefined) return constant.boolval.boolval ?? false;
    return undefined;
  }
  const integer = unwrap(node, 'Integer');
  if (integer !== undefined) return integer.ival ?? 0;
  const float = unwrap(node, 'Float');
  if (float !== undefined) return float.fval ?? '0';
  const text = unwrap(node, 'String');
  if (text !== undefined) return text.sval ?? '';
  const flag = unwrap(node, 'Boolean');
  if (flag !== undefined) return flag.boolval ?? false;
  return undefined;
}
