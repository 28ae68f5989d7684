/**
 * Public API of this package: empty until its issue is built (see README.md). Nothing here
 * pretends to work.
 */
export {};
