import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/quiet.ts', 'test/helpers/build-folder.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Most of a test's time is a child process (nvcc, pip, a venv) on one core: vitest's default
    // of cores - 1 files at once runs them one by one on a 2-core machine and leaves a core idle.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
