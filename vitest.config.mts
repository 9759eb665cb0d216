import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Sibling packages resolve to their TypeScript sources, so tests never run against a stale build.
  ssr: { resolve: { conditions: ['source'] } },
  resolve: { conditions: ['source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
