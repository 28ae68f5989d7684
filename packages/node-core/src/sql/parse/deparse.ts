/**
 * Turning parse trees back into SQL text (pgsql-deparser), for what the catalog stores as text:
 * DEFAULT and CHECK expressions, view queries, index expressions and predicates. Stored text is
 * re-parsed when used, so the catalog never depends on the AST's in-memory shape.
 * Exports: deparseNode.
 */
import type { Node } from '@pgsql/types';
import { deparseSync } from 'pgsql-deparser';

/** One-line SQL text of an expression or statement. */
export function deparseNode(node: Node): string {
  return deparseSync(node, { pretty: false });
}
