import { defineConfig } from 'vitest/config';

// The chaos suite (`make chaos`): fault tests that stop and start their own broker (127.0.0.1:
// 19092, kafka.sh with KAFKA_HOME_DIR=.kafka-chaos), one file and one case at a time. Not part
// of the main configuration, so `vitest run` never picks it up by accident.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
    env: { KAFKA_BOOTSTRAP: process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:19092' },
  },
});
