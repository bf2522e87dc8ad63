import { defineConfig } from 'vitest/config';

/**
 * The suites `npm run mutate` runs against each mutant: the fast in-process ones that exercise the
 * mutated folders (connector/stripe, connector/pipeline, connector/filter, standalone/warehouse).
 * Suites that spawn the built CLI are left out: they run `dist/`, which Stryker does not mutate,
 * so they could only slow it down. So is the engine over HTTP to the emulator (tens of seconds,
 * and it reaches most of the engine, so most mutants would wait for it): the scripted-Stripe
 * suites test the same rules in milliseconds.
 */
export default defineConfig({
  test: {
    include: [
      'test/engine/**/*.test.ts',
      'test/filter/**/*.test.ts',
      'test/standalone/units.test.ts',
      'test/standalone/writer.test.ts',
      'test/standalone/pipeline-table.test.ts',
      'test/standalone/transaction-failures.test.ts',
    ],
    exclude: ['test/engine/emulator-accounts.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    allowOnly: false,
  },
});
