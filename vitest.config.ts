import { defineConfig } from 'vitest/config'

// Two projects: fast unit tests beside the modules, and integration tests that start real
// daemons, sockets and the real claude CLI (slower, run one file at a time).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/harness/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['apps/harness/test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          // The daemons and agents under test run the built bins.
          globalSetup: ['scripts/build-setup.mjs'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
