import { defineConfig } from 'vitest/config';

// Unit tests run in-process; integration tests share one local broker, so they run one file at
// a time to keep timings honest on a 2-core machine. The chaos suite (test/chaos) stops and
// starts a broker of its own and runs with vitest.chaos.config.ts (`make chaos`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
