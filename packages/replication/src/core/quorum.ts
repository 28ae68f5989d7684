/**
 * Quorum arithmetic for the synchronous mode (PostgreSQL's `ANY N (...)`): the highest LSN that
 * at least `n` replicas have reached is the n-th largest of their positions.
 * Exports: quorumLsn.
 */

/** The n-th largest value, or -1 when fewer than n values exist; n = 0 means no constraint (Infinity). */
export function quorumLsn(positions: readonly number[], n: number): number {
  if (n <= 0) return Number.POSITIVE_INFINITY;
  if (positions.length < n) return -1;
  const sorted = [...positions].sort((a, b) => b - a);
  return sorted[n - 1] ?? -1;
}
