import { defineConfig } from 'vitest/config';

// The reliability suite (`npm run test:reliability`): long tests on real processes, kept out
// of `npm test` by their name (*.reliability.ts, which the default include does not match).
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.reliability.ts'],
    globalSetup: ['test/reliability/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 30_000,
  },
});
