import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Sibling packages resolve to their TypeScript sources, so tests never run against a stale build.
  ssr: { resolve: { conditions: ['source'] } },
  resolve: { conditions: ['source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    // One trained run shared by the test files that need a model (predict, serve).
    globalSetup: ['packages/runner/src/test-kit/test-fixtures.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
