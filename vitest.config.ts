import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: unit tests next to the code (packages/*/src/**/*.test.ts)
// and multi-process tests of the real `keel` binary (test/**/*.test.ts), which need `pnpm build` first.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/docker/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
