/**
 * Small readers over libpg-query's JSON AST (@pgsql/types): node tag and payload, string lists,
 * constant integers, and the 1-based error position of a node.
 * Exports: nodeTag, unwrap, strings, stringOf, locationOf, positionOf, intConst.
 */
import type { Node } from '@pgsql/types';

/** The tag of a node ({ SelectStmt: {...} } -> 'SelectStmt'). */
export function nodeTag(node: Node): string {
  return Object.keys(node)[0] ?? '';
}

/** The payload of a node of the expected tag, or null. */
export function unwrap<T>(node: Node | undefined, tag: string): T | null {
  if (node === undefined) return null;
  const record = node as Record<string, unknown>;
  const v = record[tag];
  return v === undefined ? null : (v as T);
}

/** The payload whatever the tag (for generic access such as `location`). */
export function payload(node: Node): Record<string, unknown> {
  const record = node as Record<string, unknown>;
  return (record[nodeTag(node)] ?? {}) as Record<string, unknown>;
}

export function stringOf(node: Node | undefined): string | null {
  const s = unwrap<{ sval?: string }>(node, 'String');
  return s === null ? null : (s.sval ?? '');
}

/** String nodes of a list (names, USING columns). */
export function strings(nodes: Node[] | undefined): string[] {
  return (nodes ?? []).map((n) => stringOf(n) ?? '');
}

export function locationOf(node: Node | undefined): number | undefined {
  if (node === undefined) return undefined;
  const loc = payload(node).location;
  return typeof loc === 'number' && loc >= 0 ? loc : undefined;
}

/** PostgreSQL's 1-based error position of a node in the query string. */
export function positionOf(node: Node | undefined): number | undefined {
  const loc = locationOf(node);
  return loc === undefined ? undefined : loc + 1;
}

/** An integer A_Const's value, or null (used for ORDER BY/GROUP BY ordinals and typmods). */
export function intConst(node: Node | undefined): number | null {
  const c = unwrap<{
    ival?: { ival?: number };
    isnull?: boolean;
    fval?: unknown;
    sval?: unknown;
    boolval?: unknown;
  }>(node, 'A_Const');
  if (c === null || c.isnull || c.ival === undefined) return null;
  return c.ival.ival ?? 0;
}
