/**
 * Deadlock detection: a depth-first search of the wait-for graph (an edge A -> B means "A waits
 * for a lock that B holds or is queued for ahead of A") for a cycle through a given waiter.
 * Pure: the lock manager builds the edges; this finds the cycle, in order, or null.
 * Exports: WaitForEdge, findDeadlockCycle.
 */

export interface WaitForEdge<Owner> {
  waiter: Owner;
  blocker: Owner;
  /** What the waiter waits for, for the error detail. */
  mode: string;
  describe: string;
}

/** The edges of a cycle that starts and ends at `start`, or null when `start` is on no cycle. */
export function findDeadlockCycle<Owner>(
  start: Owner,
  edges: readonly WaitForEdge<Owner>[],
): WaitForEdge<Owner>[] | null {
  const outgoing = new Map<Owner, WaitForEdge<Owner>[]>();
  for (const edge of edges) {
    const list = outgoing.get(edge.waiter);
    if (list === undefined) outgoing.set(edge.waiter, [edge]);
    else list.push(edge);
  }
  const path: WaitForEdge<Owner>[] = [];
  const visited = new Set<Owner>();

  const search = (node: Owner): boolean => {
    for (const edge of outgoing.get(node) ?? []) {
      path.push(edge);
      if (edge.blocker === start) return true;
      if (!visited.has(edge.blocker)) {
        visited.add(edge.blocker);
        if (search(edge.blocker)) return true;
      }
      path.pop();
    }
    return false;
  };

  visited.add(start);
  return search(start) ? path : null;
}
