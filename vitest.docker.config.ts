import { defineConfig } from 'vitest/config';

// The container suite (pnpm test:docker): builds the image and runs docker-compose.yml with
// testcontainers. It needs a Docker engine with the compose plugin, which the CI machines do not
// have, so the default config (vitest.config.ts) excludes test/docker/** and this one runs only
// it. The global setup fails the run at once, saying why, when no engine is reachable.
export default defineConfig({
  test: {
    include: ['test/docker/**/*.test.ts'],
    globalSetup: ['test/docker/global-setup.ts'],
    // The first image build compiles the whole workspace inside Docker.
    hookTimeout: 20 * 60_000,
    testTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
