/**
 * The known differences between Keel and PostgreSQL 15 are listed in
 * packages/node-core/src/sql/README.md, section "Differential testing", as backticked ids
 * `` `corpus:<file>/<n>` `` or `` `random:<seed>/<n>` `` with the reason next to them. The test fails on a
 * mismatch that is not listed and on a listed entry that now matches, so the list stays honest.
 * Exports: readKnownDifferences, readmePath.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const readmePath = fileURLToPath(
  new URL('../../../packages/node-core/src/sql/README.md', import.meta.url),
);

/** Listed ids (without the `corpus:`/`random:` prefix kept: `corpus:10-expr/3`). */
export function readKnownDifferences(): Set<string> {
  const text = readFileSync(readmePath, 'utf8');
  const start = text.indexOf('## Differential testing');
  if (start < 0) return new Set();
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const ids = new Set<string>();
  for (const m of section.matchAll(/`((?:corpus|random):[^`\s]+)`/g)) ids.add(m[1] ?? '');
  return ids;
}
