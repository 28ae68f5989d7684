/**
 * Corpus expressions whose result in Keel knowingly differs from PostgreSQL 15, with the reason.
 * Mirrored in src/sql/functions/README.md ("Known differences").
 * Exports: knownDifferences.
 */
const libmCbrt =
  "cbrt uses the platform's libm in PostgreSQL (glibc: 3.0000000000000004); Keel uses Math.cbrt (3)";

export const knownDifferences = new Map<string, string>([
  ['||/ 27::float8', libmCbrt],
  ['cbrt(27)', libmCbrt],
]);
