import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: the CLI tests spawn processes and emulators of their own.
    maxWorkers: 2,
    allowOnly: false,
  },
});
