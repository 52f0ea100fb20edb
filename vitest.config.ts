import { defineConfig } from 'vitest/config';

// Unit tests run in-process; integration tests share one local broker, so they run one file at
// a time to keep timings honest on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
